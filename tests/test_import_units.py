"""`import_units`: a register extract with dirty real-world rows (REGON with spaces or dashes, 14-digit REGON,
wrong checksum, duplicates, Windows-1250 and semicolons, leading zeros lost by Excel, empty lines); every bad row
is named with the reason; re-importing updates in place; a broken file writes nothing."""

import contextlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook
from stdnum.pl import regon as stdnum_regon

from contacts import imports
from contacts.models import ImportRun, Person, PersonPhone, ReportingUnit, UnitMembership
from tests.submission_data import regon9

pytestmark = pytest.mark.django_db


def nip(base: int) -> str:
    digits = f"{base:09d}"
    check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits, strict=True)) % 11
    if check == 10:  # no valid NIP with this prefix
        return nip(base + 1)
    return digits + str(check)


def regon14(parent: str, suffix: int) -> str:
    digits = parent + f"{suffix:04d}"
    return digits + stdnum_regon.calc_check_digit(digits)


def _csv(tmp_path, text: str, encoding="utf-8", name="jednostki.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_windows_1250_semicolon_extract_with_dirty_rows(tmp_path):
    good, dashed, local = regon9(6001), regon9(6002), regon14(regon9(6003), 1)
    bad_checksum = regon9(6004)[:-1] + str((int(regon9(6004)[-1]) + 1) % 10)
    text = (
        "REGON;NIP;Numer księgi;Nazwa;Rodzaj;Kod TERYT;Adres;E-mail;Telefon;Osoba kontaktowa\r\n"
        f"{good};{nip(111)};12345;Szpital Miejski w Łodzi;szpital;1061011;ul. Łąkowa 1;Sekretariat@Szpital.example.pl;"
        "42 123 45 67;Zofia Żółć\r\n"
        f"{dashed[:3]}-{dashed[3:6]}-{dashed[6:]};;;Gabinet Lekarski;indywidualna praktyka lekarska;"
        "265011;;gabinet@example.pl;501-369-856;\r\n"
        "\r\n"
        f"{local};;;Filia przychodni;przychodnia;Mazowieckie;;;;\r\n"
        f"{bad_checksum};;;Zły REGON;szpital;14;;;;\r\n"
        f"{good};;;Szpital Miejski (powtórzony);szpital;10;;;;\r\n"
        ";;;Bez numerów;szpital;14;;;;\r\n"
        f"{regon9(6005)};123;;Zły NIP;szpital;99;;zly@;12;\r\n"
        ";;;;;;;;;\r\n"
    )
    run = imports.import_units(_csv(tmp_path, text, "cp1250"))
    assert run.state == ImportRun.State.DONE
    assert run.counts["created"] == 3 and run.counts["rejected"] == 4
    hospital = ReportingUnit.objects.get(regon=good)
    assert hospital.name == "Szpital Miejski w Łodzi" and hospital.kind == "hospital"
    assert hospital.voivodeship_id == "10" and hospital.teryt == "1061011" and hospital.rpwdl == "000000012345"
    practice = ReportingUnit.objects.get(regon=dashed)
    assert practice.voivodeship_id == "02" and practice.kind == "individual_practice"  # "0265011" lost its zero
    assert ReportingUnit.objects.get(regon=local).voivodeship_id == "14"
    person = Person.objects.get(emails__email="sekretariat@szpital.example.pl")
    assert person.name == "Zofia Żółć" and person.phones.get().number == "+48421234567"
    assert PersonPhone.objects.filter(number="+48501369856").exists()
    rejected = {item["line"]: item["errors"] for item in run.rejected}
    assert set(rejected) == {6, 7, 8, 9}
    assert "cyfrę kontrolną" in rejected[6]
    assert "Ta sama jednostka co w wierszu 2" in rejected[7]
    assert "REGON albo numer księgi" in rejected[8]
    assert (
        "NIP" in rejected[9] and "województwa" in rejected[9] and "e-mail" in rejected[9] and "telefonu" in rejected[9]
    )


def test_reimporting_updates_in_place_and_keeps_what_an_empty_cell_does_not_say(tmp_path):
    header = "regon,nip,name,kind,voivodeship,address,email,person\n"
    first = _csv(
        tmp_path,
        header + f"{regon9(6101)},{nip(222)},Przychodnia A,przychodnia,łódzkie,ul. Długa 5,a@x.example.pl,Jan\n",
    )
    assert imports.import_units(first).counts["created"] == 1
    second = _csv(tmp_path, header + f"{regon9(6101)},,Przychodnia A-Med,,łódzkie,,a@x.example.pl,Jan\n", name="b.csv")
    run = imports.import_units(second)
    assert run.counts == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    unit = ReportingUnit.objects.get(regon=regon9(6101))
    assert unit.name == "Przychodnia A-Med" and unit.nip == nip(222) and unit.address == "ul. Długa 5"
    assert Person.objects.count() == 1 and UnitMembership.objects.count() == 1
    assert imports.import_units(second).counts["unchanged"] == 1


def test_a_unit_without_regon_is_keyed_by_its_register_number(tmp_path):
    header = "rpwdl;name;teryt\n"
    imports.import_units(_csv(tmp_path, header + "000000012399;Praktyka bez REGON;3064011\n"))
    run = imports.import_units(_csv(tmp_path, header + "12399;Praktyka bez REGON – nowa nazwa;3064011\n", name="2.csv"))
    assert run.counts["updated"] == 1
    assert ReportingUnit.objects.get(rpwdl="000000012399").name == "Praktyka bez REGON – nowa nazwa"


def test_xlsx_with_numeric_regon_and_teryt_that_lost_leading_zeros(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nazwa", "REGON", "TERYT", "Rodzaj"])
    regon = "0" + regon9(6201)[1:]
    regon = regon[:8] + stdnum_regon.calc_check_digit(regon[:8])
    sheet.append(["Ośrodek", int(regon), 261011, "Szpital"])
    path = tmp_path / "rejestr.xlsx"
    workbook.save(path)
    run = imports.import_units(path)
    assert run.counts["created"] == 1
    unit = ReportingUnit.objects.get(regon=regon)
    assert unit.voivodeship_id == "02" and unit.teryt == "0261011" and unit.kind == "hospital"


def test_missing_columns_or_a_broken_file_write_nothing(tmp_path):
    missing = imports.import_units(_csv(tmp_path, "nazwa;adres\nX;Y\n"))
    assert missing.state == ImportRun.State.FAILED
    assert "regon / rpwdl" in missing.error and "teryt / voivodeship" in missing.error
    broken = tmp_path / "cut.xlsx"
    broken.write_bytes(b"PK\x03\x04\x14\x00")
    assert imports.import_units(broken).state == ImportRun.State.FAILED
    assert ReportingUnit.objects.count() == 0


def test_the_command_reports_counts_and_names_bad_rows(tmp_path):
    path = _csv(tmp_path, f"regon;name;voivodeship\n{regon9(6301)};Dobra;mazowieckie\n123;Zła;mazowieckie\n")
    out = StringIO()
    with pytest.raises(CommandError, match="Odrzucono wierszy: 1 z 2") as rejected:
        call_command("import_units", str(path), stdout=out)
    assert rejected.value.returncode == 3
    assert "created: 1" in out.getvalue() and "wiersz 3: regon: REGON musi mieć 9 lub 14 cyfr." in out.getvalue()
    with pytest.raises(CommandError, match="Brak wymaganych kolumn"):
        call_command("import_units", str(_csv(tmp_path, "a;b\n1;2\n", name="x.csv")), stdout=StringIO())


def test_a_unit_closed_in_the_register_is_marked_inactive_and_a_bad_state_is_named(tmp_path):
    header = "regon;name;voivodeship;aktywna;data zakończenia\n"
    text = (
        f"{regon9(6401)};Czynna;mazowieckie;tak;\n"
        f"{regon9(6402)};Zamknięta;mazowieckie;;2025-12-31\n"
        f"{regon9(6403)};Nie wiadomo;mazowieckie;może;\n"
    )
    run = imports.import_units(_csv(tmp_path, header + text))
    assert ReportingUnit.objects.get(regon=regon9(6401)).is_active
    assert not ReportingUnit.objects.get(regon=regon9(6402)).is_active
    assert run.rejected == [{"line": 4, "errors": "active: Nie rozpoznano stanu jednostki „może” (tak/nie)."}]
    again = imports.import_units(_csv(tmp_path, header + f"{regon9(6402)};Zamknięta;mazowieckie;;\n", name="2.csv"))
    assert again.counts["unchanged"] == 1 and not ReportingUnit.objects.get(regon=regon9(6402)).is_active


def _spy_on_writes(monkeypatch) -> list[int]:
    """Record how many units the import's own transaction holds after each written batch."""
    from contacts import units_import

    seen: list[int] = []
    write = units_import.UnitBatch.write

    def spying(self, rows):
        counts = write(self, rows)
        seen.append(ReportingUnit.objects.count())
        return counts

    monkeypatch.setattr(units_import.UnitBatch, "write", spying)
    monkeypatch.setattr(imports, "BATCH", 2)
    return seen


def _unit_lines(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "regon": regon9(6400 + n),
                "name": f"Przychodnia {n}",
                "voivodeship": "mazowieckie",
                "email": f"rejestracja{n}@przychodnia.example.pl",
                "phone": f"50136985{n}",
                "person": f"Kierownik {n}",
            }
        )
        for n in range(count)
    ]


def _nothing_written() -> bool:
    return not any(model.objects.exists() for model in (ReportingUnit, Person, PersonPhone, UnitMembership))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unexpected_crash_after_written_batches_leaves_no_unit_and_no_person(tmp_path, monkeypatch):
    from contacts import identifiers

    seen = _spy_on_writes(monkeypatch)
    normalize = identifiers.normalize_phone

    def crashing(value):
        if value.endswith("4"):
            raise RuntimeError("połączenie zerwane")
        return normalize(value)

    monkeypatch.setattr(identifiers, "normalize_phone", crashing)
    path = _csv(tmp_path, "\n".join(_unit_lines(5)) + "\n", name="jednostki.jsonl")
    with pytest.raises(RuntimeError):
        imports.import_units(path)
    assert seen == [2, 4]  # two batches were written before the crash …
    assert _nothing_written()  # … and rolled back, people and memberships too
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.FAILED and run.counts == {"rows": 4}
    assert run.error == "Błąd podczas importu: RuntimeError: połączenie zerwane"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_file_found_truncated_after_written_batches_leaves_no_unit(tmp_path, monkeypatch):
    seen = _spy_on_writes(monkeypatch)
    lines = _unit_lines(5)
    path = _csv(tmp_path, "\n".join([*lines[:4], lines[4][:40]]) + "\n", name="jednostki.jsonl")
    run = imports.import_units(path)
    assert seen == [2, 4] and _nothing_written()
    assert run.state == ImportRun.State.FAILED and run.error.startswith("Wiersz 5: niepoprawny JSON")
    with pytest.raises(CommandError, match="Import przerwany, nic nie zapisano: Wiersz 5"):
        call_command("import_units", str(path), stdout=StringIO())
    assert _nothing_written()


def _exit_status(monkeypatch, *argv) -> tuple[int, str, str]:
    """Run the command as `manage.py` does from a shell: (exit status, stdout, stderr). The connections it
    closes at the end stay open: they hold the test database."""
    from django.core.management import ManagementUtility
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)
    out, err = StringIO(), StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ManagementUtility(["manage.py", *argv]).execute()
        except SystemExit as exc:
            return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_file_whose_every_row_is_rejected_exits_non_zero_after_the_summary(tmp_path, monkeypatch):
    path = _csv(tmp_path, "regon;name;voivodeship\n123;Zła;mazowieckie\n;Bez numeru;14\n")
    status, out, err = _exit_status(monkeypatch, "import_units", str(path), "--quiet")
    assert status == 3
    assert "rows: 2, created: 0, updated: 0, unchanged: 0, rejected: 2" in out and "wiersz 3:" in out
    assert "Odrzucono wierszy: 2 z 2" in err
    assert ReportingUnit.objects.count() == 0


def test_a_clean_file_exits_zero_and_an_unreadable_one_exits_one(tmp_path, monkeypatch):
    good = _csv(tmp_path, f"regon;name;voivodeship\n{regon9(6401)};Dobra;14\n")
    assert _exit_status(monkeypatch, "import_units", str(good), "--quiet")[0] == 0
    status, _out, err = _exit_status(
        monkeypatch, "import_units", str(_csv(tmp_path, "a;b\n1;2\n", name="x.csv")), "--quiet"
    )
    assert status == 1 and "Brak wymaganych kolumn" in err


@pytest.mark.parametrize(
    "written",
    [
        "14",
        " 14 ",
        "mazowieckie",
        "Mazowieckie",
        "MAZOWIECKIE",
        "woj. mazowieckie",
        "Województwo mazowieckie",
        "14 – mazowieckie",
        "14 mazowieckie",
        "PL-14",
    ],
)
def test_the_voivodeship_column_takes_the_teryt_code_or_the_name(tmp_path, written):
    path = _csv(tmp_path, f"regon;name;voivodeship\n{regon9(6501)};Przychodnia;{written}\n")
    run = imports.import_units(path)
    assert run.counts["created"] == 1, run.rejected
    assert ReportingUnit.objects.get(regon=regon9(6501)).voivodeship_id == "14"


def test_a_code_that_lost_its_leading_zero_and_numbers_from_xlsx_are_read_as_codes(tmp_path):
    book = Workbook()
    book.active.append(["regon", "name", "voivodeship"])
    book.active.append([regon9(6601), "Dolnośląska", 2])
    book.active.append([regon9(6602), "Mazowiecka", 14])
    book.active.append([regon9(6603), "Lubelska", "06"])
    book.save(tmp_path / "w.xlsx")
    imports.import_units(tmp_path / "w.xlsx")
    assert dict(ReportingUnit.objects.values_list("regon", "voivodeship_id")) == {
        regon9(6601): "02",
        regon9(6602): "14",
        regon9(6603): "06",
    }


@pytest.mark.parametrize(
    ("teryt", "written", "said"),
    [
        ("", "15", "Nie rozpoznano województwa (TERYT „”, województwo „15”). Podaj kod TERYT (np. 14)"),
        ("", "99", "Nie rozpoznano województwa"),
        ("", "mazowiecke", "województwo „mazowiecke”"),
        ("", "14 – lubelskie", "województwo „14 – lubelskie”"),
        ("", "woj.", "Nie rozpoznano województwa"),
        ("1465011", "lubelskie", "Kod TERYT „1465011” to województwo mazowieckie, a kolumna województwa mówi"),
        ("9965011", "", "TERYT „9965011”"),
    ],
)
def test_a_wrong_voivodeship_is_a_clear_error_for_its_row(tmp_path, teryt, written, said):
    path = _csv(tmp_path, f"regon;name;teryt;voivodeship\n{regon9(6701)};Zła;{teryt};{written}\n")
    run = imports.import_units(path)
    assert run.counts["rejected"] == 1 and ReportingUnit.objects.count() == 0
    assert said in run.rejected[0]["errors"] and run.rejected[0]["errors"].startswith("voivodeship:")


def test_teryt_and_voivodeship_columns_that_agree_are_accepted(tmp_path):
    path = _csv(tmp_path, f"regon;name;teryt;voivodeship\n{regon9(6801)};Dobra;1465011;Mazowieckie\n")
    imports.import_units(path)
    unit = ReportingUnit.objects.get(regon=regon9(6801))
    assert unit.voivodeship_id == "14" and unit.teryt == "1465011"
