"""Cells written to spreadsheet files (CSV, XLSX) that a spreadsheet program cannot run as formulas.

A text beginning with `=`, `+`, `-` or `@` (or a tab or carriage return, which some programs skip before looking)
is read by Excel and LibreOffice as a formula: a unit named `=HYPERLINK("http://evil.example/","x")` would become
a live link in the export, and `=cmd|…` worse. Every export writes its rows through `csv_row` or `xlsx_row`, which
put an apostrophe before such a text (OWASP's advice: the cell then shows the text as it was written, apostrophe
included, and is never evaluated). Numbers, dates and empty cells pass unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """The value to write in a cell: a text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row: Iterable[object]) -> list[object]:
    """A row for csv.writer, every cell neutralised."""
    return [neutralise(value) for value in row]


def xlsx_row(row: Iterable[object]) -> list[object]:
    """A row for openpyxl's `append`, every cell neutralised; characters XML cannot hold (control characters
    other than tab and line breaks, which openpyxl refuses with an exception) are left out."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in row:
        value = neutralise(value)
        cells.append(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
    return cells
