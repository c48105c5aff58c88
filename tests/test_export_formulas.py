"""Formula injection: a text that a spreadsheet would run (`=HYPERLINK(…)`, `+…`, `-…`, `@…`, a leading tab or
CR) is written to every export (the not-submitted list as CSV and XLSX, an import's rejected-rows report) with a
leading apostrophe, never as a formula; what it says stays readable."""

import csv
import io

import pytest
from openpyxl import load_workbook

from contacts import imports
from helpdesk import exports
from tests.submission_data import report, unit

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/","x")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+48 22 000", "'+48 22 000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Szpital = dobry", "Szpital = dobry"),
        ("", ""),
        (2025, 2025),
        (None, None),
    ],
)
def test_a_cell_that_would_start_a_formula_gets_an_apostrophe(value, written):
    assert exports.neutralise(value) == written


@pytest.fixture
def evil_units(db):
    evil = unit(7001, "14", name=EVIL, email="-rejestracja@zla.example.pl")
    plain = unit(7002, "14", name="Przychodnia Zwykła", email="biuro@zwykla.example.pl")
    tabbed = unit(7003, "14", name="@SUM(1+1)\x01")
    for each in (evil, plain, tabbed):
        report(each, "MZ-88", 2025, "draft")
    return evil, plain


def test_the_csv_export_writes_no_formula(client, bob, evil_units):
    client.force_login(bob)
    response = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    names = {row[1] for row in rows[1:]}
    assert names == {"'" + EVIL, "Przychodnia Zwykła", "'@SUM(1+1)\x01"}
    assert "'-rejestracja@zla.example.pl" in {row[5] for row in rows[1:]}
    assert not [cell for row in rows for cell in row if cell.startswith(exports.FORMULA_STARTS)]


def test_the_xlsx_export_writes_text_cells_not_formulas(client, bob, evil_units):
    client.force_login(bob)
    response = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025", "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [cell.value for cell in cells if cell.data_type == "f"]
    assert {cell.value for cell in cells if cell.column == 2} == {"'" + EVIL, "Przychodnia Zwykła", "'@SUM(1+1)"}


def test_the_rejected_rows_report_writes_no_formula(tmp_path):
    path = tmp_path / "odrzucone.csv"
    rejected = imports.RejectedRows(path)
    rejected.add(7, {"__all__": [EVIL]})
    rejected.close()
    rows = list(csv.reader(path.open(encoding="utf-8"), delimiter=";"))
    assert rows[1] == ["7", "'" + EVIL]
