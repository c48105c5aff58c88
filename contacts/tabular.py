"""Reading import files row by row: CSV (UTF-8 or Windows-1250, comma, semicolon or tab), XLSX, JSON, JSON Lines.

Plain functions over files, no database. Rows are streamed (memory does not grow with the file) and come out as
dicts keyed by canonical column names, recognised from the header by name ("REGON", "Nr REGON", "regon" …).
A file that cannot be read as a whole (unknown format, truncated JSON or XLSX, missing required columns) raises
`FileProblem` with a Polish message; a bad value in one row is the caller's per-row error.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import inputs, zipguard
from helpdesk.polish import fold

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
SNIFF_BYTES = 256 * 1024
# An XLSX is a zip (helpdesk.zipguard): sheets are streamed, but openpyxl holds the shared strings in memory.
XLSX_MAX_TOTAL = 512 * 1024 * 1024
XLSX_MAX_XML = 256 * 1024 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be imported; nothing from it is written."""


@dataclass
class Row:
    line: int  # line number in the file (CSV, JSON Lines), row number (XLSX) or item number (JSON array)
    values: dict[str, object]


def header_key(name: object) -> str:
    """'Nr REGON ' → 'nrregon', 'Województwo' → 'wojewodztwo': what header recognition compares."""
    return re.sub(r"[^a-z0-9]", "", fold(str(name or "")))


def map_header(
    header: list[object],
    aliases: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    one_of: tuple[tuple[str, ...], ...] = (),
) -> dict[int, str]:
    """Column index → canonical name; raises FileProblem naming the required columns that are missing
    (`one_of`: groups of which at least one column must be present, e.g. teryt or voivodeship)."""
    by_alias = {header_key(alias): name for name, names in aliases.items() for alias in (name, *names)}
    mapping: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = by_alias.get(header_key(cell))
        if name and name not in mapping.values():
            mapping[index] = name
    missing = [name for name in required if name not in mapping.values()]
    missing += [" / ".join(group) for group in one_of if not set(group) & set(mapping.values())]
    if missing:
        found = ", ".join(str(c) for c in header if c not in (None, "")) or _("(pusty)")
        raise FileProblem(
            _("Brak wymaganych kolumn: %(missing)s. Nagłówek pliku: %(found)s.")
            % {"missing": ", ".join(missing), "found": found}
        )
    return mapping


class Table:
    """An open import file: `rows()` yields Row objects; `fraction_done()` tells how far the reading got."""

    def __init__(
        self,
        path: str | Path,
        aliases: dict[str, tuple[str, ...]],
        required: tuple[str, ...],
        one_of: tuple[tuple[str, ...], ...] = (),
    ):
        self.path = Path(path)
        self.aliases, self.required, self.one_of = aliases, required, one_of
        self.size = max(self.path.stat().st_size, 1)
        self._raw = self.path.open("rb")
        self._done = 0.0
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            self._rows = self._xlsx()
        elif suffix == ".json":
            self._rows = self._json_array()
        elif suffix in (".jsonl", ".ndjson"):
            self._rows = self._json_lines()
        elif suffix in (".csv", ".txt", ".tsv"):
            self._rows = self._csv()
        else:
            self._raw.close()
            raise FileProblem(
                _("Nieobsługiwany rodzaj pliku %(name)s: użyj CSV, XLSX, JSON lub JSONL.") % {"name": self.path.name}
            )

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def rows(self) -> Iterator[Row]:
        return self._rows

    def fraction_done(self) -> float:
        return min(self._done, 1.0)

    def _track(self) -> None:
        self._done = self._raw.tell() / self.size

    # --- CSV ---------------------------------------------------------------------------------------------

    def _csv(self) -> Iterator[Row]:
        sample = self._raw.read(SNIFF_BYTES)
        self._raw.seek(0)
        encoding = _guess_encoding(sample)
        text = io.TextIOWrapper(self._raw, encoding=encoding, newline="")
        first_line = sample.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
        delimiter = max(";,\t", key=first_line.count)
        reader = csv.reader(text, delimiter=delimiter)
        return self._csv_rows(reader, encoding)

    def _csv_rows(self, reader, encoding: str) -> Iterator[Row]:
        mapping = None
        try:
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue  # empty lines
                if mapping is None:
                    cells[0] = cells[0].lstrip("\ufeff")
                    mapping = map_header(cells, self.aliases, self.required, self.one_of)
                    continue
                if reader.line_num % 1000 == 0:
                    self._track()
                values = {name: cells[index].strip() for index, name in mapping.items() if index < len(cells)}
                yield Row(reader.line_num, values)
        except UnicodeDecodeError:
            raise FileProblem(
                _("Wiersz %(line)s: znaki spoza kodowania %(encoding)s – zapisz plik w UTF-8 albo Windows-1250.")
                % {"line": reader.line_num + 1, "encoding": encoding}
            ) from None
        except csv.Error as exc:
            raise FileProblem(
                _("Wiersz %(line)s: plik CSV jest uszkodzony (%(error)s).") % {"line": reader.line_num, "error": exc}
            ) from None
        if mapping is None:
            raise FileProblem(_("Plik jest pusty."))
        self._done = 1.0

    # --- XLSX --------------------------------------------------------------------------------------------

    def _xlsx(self) -> Iterator[Row]:
        from openpyxl import load_workbook

        try:
            zipguard.check(self._raw, name=self.path.name, max_total=XLSX_MAX_TOTAL, max_xml_member=XLSX_MAX_XML)
        except zipguard.ZipBomb as exc:
            raise FileProblem(str(exc)) from None
        try:
            workbook = load_workbook(self._raw, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise FileProblem(
                _("Nie można odczytać pliku XLSX (uszkodzony lub niepełny): %(error)s") % {"error": exc}
            ) from None
        return self._xlsx_rows(workbook)

    def _xlsx_rows(self, workbook) -> Iterator[Row]:
        sheet = workbook.worksheets[0]
        total = sheet.max_row or 0
        mapping = None
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
                if not any(cell not in (None, "") and str(cell).strip() for cell in cells):
                    continue
                if mapping is None:
                    mapping = map_header(list(cells), self.aliases, self.required, self.one_of)
                    continue
                if total and number % 1000 == 0:
                    self._done = number / total
                values = {}
                for index, name in mapping.items():
                    cell = cells[index] if index < len(cells) else None
                    values[name] = cell.strip() if isinstance(cell, str) else ("" if cell is None else cell)
                yield Row(number, values)
        except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
            raise FileProblem(
                _("Plik XLSX jest uszkodzony lub niepełny (odczyt przerwany): %(error)s") % {"error": exc}
            ) from None
        finally:
            workbook.close()
        if mapping is None:
            raise FileProblem(_("Plik jest pusty."))
        self._done = 1.0

    # --- JSON --------------------------------------------------------------------------------------------

    def _json_item(self, number: int, item: object) -> Row:
        if not isinstance(item, dict):
            return Row(number, {"__error__": _("element nie jest obiektem JSON")})
        mapping = {header_key(k): v for k, v in item.items()}
        by_alias = {header_key(a): name for name, names in self.aliases.items() for a in (name, *names)}
        values = {}
        for key, value in mapping.items():
            name = by_alias.get(key)
            if name and name not in values:
                values[name] = value.strip() if isinstance(value, str) else ("" if value is None else value)
        return Row(number, values)

    def _json_lines(self) -> Iterator[Row]:
        text = io.TextIOWrapper(self._raw, encoding="utf-8-sig")
        for number, line in enumerate(text, 1):
            if not line.strip():
                continue
            if number % 1000 == 0:
                self._track()
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FileProblem(
                    _("Wiersz %(line)s: niepoprawny JSON (%(error)s).") % {"line": number, "error": exc.msg}
                ) from None
            yield self._json_item(number, item)
        self._done = 1.0

    def _json_array(self) -> Iterator[Row]:
        """A JSON array of objects, decoded one element at a time (the whole file is never held in memory)."""
        decoder = json.JSONDecoder()
        incremental = codecs.getincrementaldecoder("utf-8-sig")()
        state = {"buf": "", "pos": 0, "eof": False}

        def fill() -> None:
            chunk = self._raw.read(1 << 20)
            state["eof"] = not chunk
            state["buf"] = state["buf"][state["pos"] :] + incremental.decode(chunk, final=state["eof"])
            state["pos"] = 0
            self._track()

        def next_char() -> str:
            while True:
                buf, pos = state["buf"], state["pos"]
                while pos < len(buf) and buf[pos].isspace():
                    pos += 1
                state["pos"] = pos
                if pos < len(buf):
                    return buf[pos]
                if state["eof"]:
                    return ""
                fill()

        number, expect_comma = 0, False
        if next_char() != "[":
            raise FileProblem(_("Plik JSON musi zawierać tablicę obiektów: [{…}, {…}]."))
        state["pos"] += 1
        while True:
            char = next_char()
            if char == "]":
                self._done = 1.0
                return
            if not char or (expect_comma and char != ","):
                raise FileProblem(
                    _("Plik JSON jest uszkodzony lub niepełny po elemencie %(n)s (brak „,” albo „]”).") % {"n": number}
                )
            if expect_comma:
                state["pos"] += 1
                expect_comma = False
                continue
            while True:
                try:
                    item, end = decoder.raw_decode(state["buf"], state["pos"])
                except json.JSONDecodeError as exc:
                    if state["eof"]:
                        raise FileProblem(
                            _("Plik JSON jest uszkodzony lub niepełny przy elemencie %(n)s: %(error)s")
                            % {"n": number + 1, "error": exc.msg}
                        ) from None
                    fill()
                    continue
                if end >= len(state["buf"]) and not state["eof"]:  # a number may go on in the next chunk
                    fill()
                    continue
                break
            state["pos"] = end
            number += 1
            expect_comma = True
            yield self._json_item(number, item)


def _guess_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with a BOM, UTF-16 without one (every other byte NUL, as Excel's
    "Unicode text" writes it), else Windows-1250."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    pairs = sample[: len(sample) // 2 * 2]
    if len(pairs) >= 4:
        even, odd = pairs[0::2], pairs[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1250"
    return "utf-8"


# --- values -------------------------------------------------------------------------------------------------


def nul_problem(values: dict) -> dict[str, list[str]] | None:
    """A row with a NUL character (a zero byte: a damaged file) in any value is rejected on its own, with this
    reason (PostgreSQL cannot store NUL in text: one such cell used to abort the whole import)."""
    for name, value in values.items():
        if isinstance(value, str) and inputs.unstorable(value):  # NUL, or half of a surrogate pair
            message = _(
                "Wartość zawiera niedozwolony znak (bajt zerowy NUL albo niepełny znak Unicode): plik jest uszkodzony "
                "albo w innym kodowaniu."
            )
            return {name: [message]}
    return None


def saveable(text: str) -> str:
    """A message that the database can store: no NUL characters (they may come from a file's content)."""
    return (text or "").replace("\x00", "")


_DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d")
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")


def parse_datetime(value: object) -> dt.datetime:
    """A moment from a file cell: ISO 8601, Polish dd.mm.yyyy [hh:mm], an Excel date or serial number.

    Naive values are Polish local time. Raises ValueError with a Polish message.
    """
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_excel_serial(float(value))
    else:
        text = str(value or "").strip()
        if not text:
            raise ValueError(_("brak daty zmiany"))
        moment = None
        if _EXCEL_SERIAL.match(text):
            moment = _from_excel_serial(float(text))
        if moment is None:
            try:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                for fmt in _DATE_FORMATS:
                    try:
                        moment = dt.datetime.strptime(text, fmt)
                        break
                    except ValueError:
                        continue
        if moment is None:
            raise ValueError(
                _("nieczytelna data „%(value)s” (oczekiwano np. 2026-03-05 10:30 lub 05.03.2026)")
                % {"value": text[:40]}
            )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _from_excel_serial(serial: float) -> dt.datetime:
    if not 1 <= serial < 2958466:
        raise ValueError(_("nieczytelna data (liczba %(value)s)") % {"value": serial})
    return EXCEL_EPOCH + dt.timedelta(days=serial)
