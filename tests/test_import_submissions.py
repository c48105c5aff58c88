"""`import_submissions`: CSV (UTF-8 or Windows-1250, comma or semicolon), XLSX, JSON and JSON Lines; dirty rows
are rejected one by one with the line and the reason; re-importing changes nothing; a file unreadable as a whole
writes nothing."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from contacts import imports
from contacts.models import ImportRun, Submission, SubmissionChange
from tests.submission_data import regon9, unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(db):
    return [unit(2001, "14"), unit(2002, "24"), unit(2003, "14")]


def _write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_clean_csv_creates_submissions_with_history(tmp_path, units):
    a, b, _c = units
    path = _write(
        tmp_path,
        "statusy.csv",
        "regon,form,year,status,changed_at\n"
        f"{a.regon},MZ-88,2025,submitted,2026-03-05 10:30\n"
        f"{b.regon},MZ-11,2025,accepted,2026-03-06T08:00:00+01:00\n",
    )
    run = imports.import_submissions(path)
    assert run.state == ImportRun.State.DONE
    assert run.counts == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    report = Submission.objects.get(unit=a, form__code="MZ-88", year=2025)
    assert report.status.code == "submitted" and report.source == "import"
    assert report.changed_at == dt.datetime(2026, 3, 5, 9, 30, tzinfo=dt.UTC)  # Polish local time, CET
    assert SubmissionChange.objects.filter(submission=report, import_run=run).count() == 1


def test_windows_1250_semicolons_polish_headers_dirty_regons_excel_dates_and_empty_lines(tmp_path, units):
    a, b, c = units
    dashed = f"{a.regon[:3]}-{a.regon[3:6]}-{a.regon[6:]}"
    spaced = f" {b.regon[:3]} {b.regon[3:6]} {b.regon[6:]} "
    text = (
        "Nr REGON;Symbol formularza;Rok sprawozdawczy;Status;Data zmiany\r\n"
        f"{dashed};mz 88;2025;Złożone;05.03.2026 10:30\r\n"
        "\r\n"
        f"{spaced};MZ-11;2025;zwrócone do korekty;46086\r\n"
        ";;;;\r\n"
        f"{c.regon}1;MZ-88;2025;złożone;05.03.2026\r\n"
        f"{regon9(2004)[:-1]}0;MZ-88;2025;złożone;05.03.2026\r\n"
        f"{regon9(2999)};MZ-88;2025;złożone;05.03.2026\r\n"
        f"{c.regon};MZ-77;2025;wysłane;wczoraj\r\n"
    )
    path = _write(tmp_path, "statusy-1250.csv", text, "cp1250")
    run = imports.import_submissions(path)
    assert run.counts["created"] == 2 and run.counts["rejected"] == 4
    assert Submission.objects.get(unit=a).status.code == "submitted"
    returned = Submission.objects.get(unit=b)
    assert returned.status.code == "returned" and returned.changed_at.date() == dt.date(2026, 3, 4)  # Excel serial
    rejected = {item["line"]: item["errors"] for item in run.rejected}
    assert set(rejected) == {6, 7, 8, 9}
    assert "9 lub 14 cyfr" in rejected[6]
    assert "cyfrę kontrolną" in rejected[7]
    assert "nie występuje w katalogu" in rejected[8]
    assert "MZ-77" in rejected[9] and "wysłane" in rejected[9] and "nieczytelna data" in rejected[9]


def test_a_14_digit_regon_of_a_local_unit_is_accepted(tmp_path):
    from stdnum.pl import regon

    parent = regon9(2100)
    local = parent + "0001"
    local = local + regon.calc_check_digit(local)
    from contacts.models import ReportingUnit

    ReportingUnit.objects.create(name="Filia", regon=local, voivodeship_id="14")
    path = _write(tmp_path, "lokalne.csv", f"regon,form,year,status,changed_at\n{local},MZ-88,2025,draft,2026-02-01\n")
    assert imports.import_submissions(path).counts["created"] == 1


def test_reimporting_the_same_file_changes_nothing_and_an_older_change_does_not_overwrite_a_newer(tmp_path, units):
    a = units[0]
    path = _write(
        tmp_path,
        "a.csv",
        f"regon,form,year,status,changed_at\n{a.regon},MZ-88,2025,accepted,2026-03-10 12:00\n",
    )
    imports.import_submissions(path)
    again = imports.import_submissions(path)
    assert again.counts["unchanged"] == 1 and again.counts["created"] == again.counts["updated"] == 0
    older = _write(
        tmp_path, "old.csv", f"regon,form,year,status,changed_at\n{a.regon},MZ-88,2025,draft,2026-02-01 12:00\n"
    )
    assert imports.import_submissions(older).counts["unchanged"] == 1
    assert Submission.objects.get(unit=a).status.code == "accepted"
    assert SubmissionChange.objects.count() == 1


def test_duplicate_rows_in_one_file_keep_the_latest_change(tmp_path, units):
    a = units[0]
    path = _write(
        tmp_path,
        "dups.csv",
        "regon,form,year,status,changed_at\n"
        f"{a.regon},MZ-88,2025,under_verification,2026-03-08 09:00\n"
        f"{a.regon},MZ-88,2025,submitted,2026-03-05 09:00\n"
        f"{a.regon},MZ-88,2025,under_verification,2026-03-08 09:00\n",
    )
    run = imports.import_submissions(path)
    assert run.counts["created"] == 1 and run.counts["unchanged"] == 2
    assert Submission.objects.get(unit=a).status.code == "under_verification"


def test_a_later_file_updates_the_status_and_appends_to_the_history(tmp_path, units):
    a = units[0]
    header = "regon,form,year,status,changed_at\n"
    imports.import_submissions(_write(tmp_path, "1.csv", header + f"{a.regon},MZ-88,2025,submitted,2026-03-05\n"))
    run = imports.import_submissions(_write(tmp_path, "2.csv", header + f"{a.regon},MZ-88,2025,accepted,2026-03-20\n"))
    assert run.counts["updated"] == 1
    report = Submission.objects.get(unit=a)
    assert list(report.history.values_list("status__code", flat=True)) == ["submitted", "accepted"]


def test_xlsx_with_excel_dates_and_a_report_file_of_rejected_rows(tmp_path, units):
    a, b, _c = units
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["REGON", "Formularz", "Rok", "Status", "Data zmiany"])
    sheet.append([int(a.regon), "MZ-88", 2025, "accepted", dt.datetime(2026, 3, 12, 14, 0)])
    sheet.append([])
    sheet.append([b.regon, "MZ-88", 2025.0, "w weryfikacji", dt.date(2026, 3, 11)])
    sheet.append(["123", "MZ-88", 2025, "accepted", dt.datetime(2026, 3, 12)])
    path = tmp_path / "statusy.xlsx"
    workbook.save(path)
    report_path = tmp_path / "odrzucone.csv"
    run = imports.import_submissions(path, report_path=report_path)
    assert run.counts["created"] == 2 and run.counts["rejected"] == 1
    assert Submission.objects.get(unit=b).status.code == "under_verification"
    assert "5;" in report_path.read_text(encoding="utf-8") and "9 lub 14 cyfr" in report_path.read_text()


def test_json_array_and_json_lines(tmp_path, units):
    a, b, _c = units
    items = [
        {"regon": a.regon, "form": "MZ-88", "year": 2025, "status": "accepted", "changed_at": "2026-03-12T10:00:00"},
        {"regon": b.regon, "form": "MZ-11", "year": "2025", "status": "draft", "changed_at": "2026-03-01"},
        "nie obiekt",
    ]
    run = imports.import_submissions(_write(tmp_path, "s.json", json.dumps(items)))
    assert run.counts["created"] == 2 and run.rejected[0]["line"] == 3
    lines = "\n".join(json.dumps(item) for item in items[:2]) + "\n\n"
    assert imports.import_submissions(_write(tmp_path, "s.jsonl", lines)).counts["unchanged"] == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cut.json", None, "niepełny"),
        ("cut.xlsx", b"PK\x03\x04 this is not a whole workbook", "XLSX"),
        ("cols.csv", "regon;rok\n123;2025\n", "Brak wymaganych kolumn: form, status, changed_at"),
        ("empty.csv", "\n\n", "pusty"),
        ("data.pdf", "%PDF", "Nieobsługiwany rodzaj pliku"),
    ],
)
def test_a_file_unreadable_as_a_whole_writes_nothing_and_says_why(tmp_path, units, name, content, message):
    a = units[0]
    if content is None:  # a JSON array cut off in the middle of its second element
        whole = json.dumps(
            [{"regon": a.regon, "form": "MZ-88", "year": 2025, "status": "accepted", "changed_at": "2026-03-12"}] * 2
        )
        content = whole[: len(whole) - 30]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    run = imports.import_submissions(path)
    assert run.state == ImportRun.State.FAILED and message in run.error
    assert Submission.objects.count() == 0 and SubmissionChange.objects.count() == 0


def test_the_command_prints_counts_and_rejected_rows_and_fails_on_a_broken_file(tmp_path, units):
    a = units[0]
    path = _write(
        tmp_path, "s.csv", f"regon,form,year,status,changed_at\n{a.regon},MZ-88,2025,accepted,2026-03-12\nx\n"
    )
    out = StringIO()
    with pytest.raises(CommandError, match="Odrzucono wierszy: 1 z 2") as rejected:
        call_command("import_submissions", str(path), stdout=out)
    assert rejected.value.returncode == 3  # the good row is imported, but a script must notice the bad one
    assert "created: 1" in out.getvalue() and "wiersz 3:" in out.getvalue()
    broken = _write(tmp_path, "b.json", "[{")
    with pytest.raises(CommandError, match="nic nie zapisano"):
        call_command("import_submissions", str(broken), stdout=StringIO())
    with pytest.raises(CommandError, match="Nie ma pliku"):
        call_command("import_submissions", str(tmp_path / "brak.csv"), stdout=StringIO())


def _spy_on_writes(monkeypatch) -> list[int]:
    """Record how many submissions the import's own transaction holds after each written batch."""
    from contacts import submissions

    seen: list[int] = []
    upsert = submissions.StatusBatch._upsert

    def spying(self, rows, outcome):
        upsert(self, rows, outcome)
        seen.append(Submission.objects.count())

    monkeypatch.setattr(submissions.StatusBatch, "_upsert", spying)
    monkeypatch.setattr(imports, "BATCH", 2)
    return seen


def _items(units, last_changed_at: str = "2026-03-12") -> list[dict]:
    rows = [(u, form) for u in units for form in ("MZ-88", "MZ-11")][:5]
    items = [
        {"regon": u.regon, "form": form, "year": 2025, "status": "accepted", "changed_at": "2026-03-12"}
        for u, form in rows
    ]
    items[-1]["changed_at"] = last_changed_at
    return items


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unexpected_crash_after_written_batches_leaves_nothing_and_marks_the_run_failed(
    tmp_path, units, monkeypatch
):
    from contacts import tabular

    seen = _spy_on_writes(monkeypatch)
    parse = tabular.parse_datetime

    def crashing(value):
        if value == "crash":
            raise RuntimeError("dysk pełny")
        return parse(value)

    monkeypatch.setattr(tabular, "parse_datetime", crashing)
    path = _write(tmp_path, "s.json", json.dumps(_items(units, last_changed_at="crash")))
    with pytest.raises(RuntimeError):
        imports.import_submissions(path)
    assert seen == [2, 4]  # two batches were written before the crash …
    assert Submission.objects.count() == 0 and SubmissionChange.objects.count() == 0  # … and rolled back
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.FAILED and run.finished_at is not None
    assert run.error == "Błąd podczas importu: RuntimeError: dysk pełny" and run.counts == {"rows": 4}
    assert run.get_state_display() == "przerwany – nic nie zapisano"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_file_found_truncated_after_written_batches_leaves_nothing(tmp_path, units, monkeypatch):
    seen = _spy_on_writes(monkeypatch)
    whole = json.dumps(_items(units))
    path = _write(tmp_path, "cut.json", whole[: len(whole) - 20])  # cut inside the fifth element
    run = imports.import_submissions(path)
    assert seen == [2, 4]
    assert Submission.objects.count() == 0 and SubmissionChange.objects.count() == 0
    assert run.state == ImportRun.State.FAILED and "niepełny przy elemencie 5" in run.error
    with pytest.raises(CommandError, match=r"Import przerwany, nic nie zapisano: .*niepełny"):
        call_command("import_submissions", str(path), stdout=StringIO())
    assert Submission.objects.count() == 0
