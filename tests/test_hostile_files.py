"""Issue 14, hostile files in every upload and import: decompression bombs (14.4) in DOCX attachments of the
knowledge base and XLSX imports (units, submission statuses; command, function and admin upload), NUL bytes and
odd encodings in imports (14.10). Bombs are built here: a real file with one member padded by a highly
compressible run, small enough that the test stays fast."""

import io
import random
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from contacts import imports
from contacts.models import ImportRun, ReportingUnit, Submission
from helpdesk import zipguard
from helpdesk.models import Role, User
from knowledge_base import actions
from knowledge_base.models import ArticleAttachment
from tests.submission_data import regon9, unit

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def _inflate(archive: bytes, member: str, padding: int) -> bytes:
    """The zip `archive` with `padding` bytes of spaces in an XML comment appended to `member` (still valid XML:
    the reader would parse all of it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == member:
                data += b"<!--" + b" " * padding + b"-->"
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _docx(text: str = "Instrukcja wysyłki sprawozdania") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)


# --- the guard itself ----------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_guard_reads_only_the_directory_and_names_each_limit():
    noise = random.Random(14).randbytes(3 * MIB)  # incompressible: ratio about 1
    limits = {"name": "plik.xlsx", "max_total": 4 * MIB, "max_xml_member": 2 * MIB}
    zipguard.check(_zip({"a.bin": noise, "small.xml": b" " * 900_000}), **limits)  # small members may compress well
    with pytest.raises(zipguard.ZipBomb, match=r"bombę dekompresyjną.*część big.xml.*limit 100 razy"):
        zipguard.check(_zip({"big.xml": b" " * (2 * MIB)}), **{**limits, "max_xml_member": 8 * MIB})
    with pytest.raises(zipguard.ZipBomb, match=r"część sheet.xml ma 3,0 MB \(limit 2,0 MB\)"):
        zipguard.check(_zip({"sheet.xml": noise}, zipfile.ZIP_STORED), **limits)
    with pytest.raises(zipguard.ZipBomb, match=r"za duży po rozpakowaniu: 6,0 MB \(limit 4,0 MB\)"):
        zipguard.check(_zip({"a.bin": noise, "b.bin": noise}, zipfile.ZIP_STORED), **limits)
    many = _zip({f"x{n}.txt": b"" for n in range(zipguard.MAX_MEMBERS + 1)}, zipfile.ZIP_STORED)
    with pytest.raises(zipguard.ZipBomb, match="za dużo części"):
        zipguard.check(many, **limits)
    zipguard.check(b"not a zip at all", **limits)  # left to the reader's own message
    handle = io.BytesIO(_zip({"a.txt": b"x"}))
    handle.seek(0)
    zipguard.check(handle, **limits)
    assert handle.tell() == 0


# --- 14.4: DOCX in the knowledge base -----------------------------------------------------------------------


def test_a_docx_bomb_is_refused_before_python_docx_reads_it_and_nothing_is_stored(redaktor):
    bomb = _inflate(_docx(), "word/document.xml", 12 * MIB)
    assert len(bomb) < 100_000
    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Instrukcja", body="Treść"))
    with pytest.raises(ValidationError, match=r"bombę dekompresyjną.*word/document.xml"):
        actions.add_attachment(actor=redaktor, article=article, filename="instrukcja.docx", content=bomb)
    assert not ArticleAttachment.objects.exists()
    # an ordinary DOCX still goes in, its text searchable
    actions.add_attachment(actor=redaktor, article=article, filename="instrukcja.docx", content=_docx())
    assert "wysyłki sprawozdania" in ArticleAttachment.objects.get().extracted_text


def test_the_editor_page_shows_the_bomb_message_in_polish(client, redaktor):
    from django.urls import reverse

    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Instrukcja", body="Treść"))
    client.force_login(redaktor)
    bomb = SimpleUploadedFile(
        "instrukcja.docx", _inflate(_docx(), "word/document.xml", 12 * MIB), content_type=actions.extract.DOCX
    )
    response = client.post(reverse("kb_editor:attach", args=[article.pk]), {"file": bomb}, follow=True)
    assert "wygląda na „bombę dekompresyjną”" in response.content.decode()
    assert not ArticleAttachment.objects.exists()


# --- 14.4: XLSX imports -------------------------------------------------------------------------------------


def _units_bomb(tmp_path):
    content = _xlsx([["regon", "name", "voivodeship"], [regon9(8101), "Przychodnia", "mazowieckie"]])
    path = tmp_path / "jednostki.xlsx"
    path.write_bytes(_inflate(content, "xl/worksheets/sheet1.xml", 12 * MIB))
    return path


def test_an_xlsx_bomb_fails_the_units_import_with_a_clear_message_and_writes_nothing(tmp_path):
    run = imports.import_units(_units_bomb(tmp_path))
    assert run.state == ImportRun.State.FAILED
    assert "wygląda na „bombę dekompresyjną”: część xl/worksheets/sheet1.xml" in run.error
    assert not ReportingUnit.objects.filter(regon=regon9(8101)).exists()


def test_an_xlsx_bomb_fails_the_submissions_import(tmp_path):
    known = unit(8102)
    content = _xlsx([["regon", "form", "year", "status", "changed_at"], [known.regon, "MZ-88", 2025, "accepted",
                                                                          "2026-03-05 10:30"]])  # fmt: skip
    path = tmp_path / "statusy.xlsx"
    path.write_bytes(_inflate(content, "xl/styles.xml", 12 * MIB))  # read whole when the workbook opens
    run = imports.import_submissions(path)
    assert run.state == ImportRun.State.FAILED and "xl/styles.xml" in run.error
    assert not Submission.objects.exists()


def test_an_xlsx_bomb_uploaded_in_the_admin_ends_its_run_failed_with_the_message(
    client, admin_user, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("jednostki.xlsx", _units_bomb(tmp_path).read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/contacts/importrun/upload/", {"kind": "units", "file": upload})
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.FAILED
    assert "bombę dekompresyjną" in client.get(response["Location"]).content.decode()


# --- 14.10: NUL bytes and odd encodings in imports ------------------------------------------------------------

UNITS_HEADER = "regon;name;voivodeship\n"


def _units_csv(tmp_path, rows: list[str], encoding="utf-8", name="jednostki.csv", bom=b""):
    path = tmp_path / name
    path.write_bytes(bom + (UNITS_HEADER + "".join(rows)).encode(encoding))
    return path


def test_a_nul_byte_in_one_cell_rejects_that_row_only_in_the_units_import(tmp_path):
    path = _units_csv(
        tmp_path,
        [
            f"{regon9(8201)};Przychodnia Dobra;mazowieckie\n",
            f"{regon9(8202)};Przychodnia\x00Zepsuta;mazowieckie\n",
            f"{regon9(8203)};Szpital Łódzki;łódzkie\n",
        ],
    )
    run = imports.import_units(path)
    assert run.state == ImportRun.State.DONE, run.error
    assert run.counts["created"] == 2 and run.counts["rejected"] == 1
    reason = "Wartość zawiera niedozwolony znak (bajt zerowy NUL albo niepełny znak Unicode): plik jest uszkodzony "
    assert run.rejected == [{"line": 3, "errors": f"name: {reason}albo w innym kodowaniu."}]
    assert set(ReportingUnit.objects.values_list("regon", flat=True)) >= {regon9(8201), regon9(8203)}
    assert not ReportingUnit.objects.filter(regon=regon9(8202)).exists()


def test_a_nul_byte_in_one_cell_rejects_that_row_only_in_the_submissions_import(tmp_path):
    known = unit(8301)
    other = unit(8302)
    path = tmp_path / "statusy.jsonl"
    path.write_text(
        f'{{"regon": "{known.regon}", "form": "MZ-88", "year": 2025, "status": "accepted", '
        '"changed_at": "2026-03-05 10:30"}\n'
        f'{{"regon": "{other.regon}", "form": "MZ-88", "year": 2025, "status": "acc\\u0000epted", '
        '"changed_at": "2026-03-05 10:30"}\n',
        encoding="utf-8",
    )
    run = imports.import_submissions(path)
    assert run.state == ImportRun.State.DONE, run.error
    assert run.counts["created"] == 1 and run.counts["rejected"] == 1
    assert "status: Wartość zawiera niedozwolony znak" in run.rejected[0]["errors"]
    assert list(Submission.objects.values_list("unit__regon", flat=True)) == [known.regon]


def test_the_submissions_api_rejects_a_nul_value_per_item(db):
    from io import StringIO

    from django.core.management import call_command
    from rest_framework.test import APIClient

    from helpdesk import tokens
    from helpdesk.models import User

    known = unit(8303)
    call_command("create_feed_client", "ssoz-feed", stdout=StringIO())
    feed = APIClient()
    feed.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(User.objects.get(username='ssoz-feed'))}")
    item = {"regon": known.regon, "form": "MZ-88", "year": 2025, "status": "accepted", "changed_at": "2026-03-05"}
    response = feed.post("/api/v1/submissions/batch", {"items": [item, {**item, "form": "MZ-11\u0000"}]}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results[0]["result"] == "created" and results[1]["result"] == "rejected"
    assert "niedozwolony znak" in results[1]["errors"]["form"][0]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("utf-32-le", b"\xff\xfe\x00\x00")],
)
def test_a_utf16_or_utf32_csv_is_read_in_its_encoding(tmp_path, encoding, bom):
    path = _units_csv(
        tmp_path,
        [f"{regon9(8401)};Szpital Żółć;mazowieckie\n", f"{regon9(8402)};Przychodnia Łąka;śląskie\n"],
        encoding=encoding,
        bom=bom,
    )
    run = imports.import_units(path)
    assert run.state == ImportRun.State.DONE, run.error
    assert run.counts["created"] == 2 and run.counts["rejected"] == 0
    assert ReportingUnit.objects.get(regon=regon9(8401)).name == "Szpital Żółć"
    assert ReportingUnit.objects.get(regon=regon9(8402)).voivodeship_id == "24"


def test_a_file_whose_header_holds_nul_bytes_ends_failed_with_a_saveable_message(tmp_path):
    path = tmp_path / "smieci.csv"
    path.write_bytes(b"re\x00gon;na\x00me\n\x00\x00\x01;x\n")
    run = imports.import_units(path)
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED and run.finished_at is not None
    assert "Brak wymaganych kolumn" in run.error and "\x00" not in run.error
    assert "regon" in run.error  # the header as read, NULs dropped


def test_a_crash_message_with_nul_bytes_is_saved_and_the_run_ends(tmp_path):
    run = imports.start_run(ImportRun.Kind.UNITS, "plik\x00.csv", None)
    imports.mark_failed(run.pk, ValueError("bajt \x00 zerowy"))
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED and run.error == "Błąd podczas importu: ValueError: bajt  zerowy"
    assert run.filename == "plik.csv"


def test_a_utf16_csv_uploaded_in_the_admin_is_imported(client, admin_user, django_capture_on_commit_callbacks):
    content = b"\xff\xfe" + (UNITS_HEADER + f"{regon9(8501)};Gabinet Ćmielów;mazowieckie\n").encode("utf-16-le")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/contacts/importrun/upload/",
            {"kind": "units", "file": SimpleUploadedFile("jednostki.csv", content, content_type="text/csv")},
        )
    run = ImportRun.objects.get()
    assert run.state == ImportRun.State.DONE and run.counts["created"] == 1
    assert ReportingUnit.objects.get(regon=regon9(8501)).name == "Gabinet Ćmielów"
    assert "created: 1" in client.get(response["Location"]).content.decode()


# --- the knowledge base's and the contact form's uploads: NUL bytes, odd encodings, bombs kept unopened ---------


@pytest.mark.parametrize(
    ("filename", "content", "outcome"),
    [
        ("notatka.txt", "Hasło\x00 do systemu".encode(), "Hasło do systemu"),  # NUL dropped, the text kept
        ("notatka.txt", "\ufeffHasło".encode("utf-16-le"), "Hasło"),  # UTF-16 with its BOM is read
        ("notatka.txt", "\ufeffHasło".encode(), "Hasło"),
        ("notatka.txt", b"\xff\xfe\x00\x00\x00", "nie jest tekstem w UTF-8"),
        ("obraz.png", b"\x00" * 64, "nie jest obrazem"),
    ],
)
def test_kb_text_uploads_with_nul_bytes_or_odd_encodings(redaktor, filename, content, outcome):
    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Notatki", body="Treść"))
    if outcome.startswith("nie "):
        with pytest.raises(ValidationError, match=outcome):
            actions.add_attachment(actor=redaktor, article=article, filename=filename, content=content)
        assert not ArticleAttachment.objects.exists()
        return
    row = actions.add_attachment(actor=redaktor, article=article, filename=filename, content=content)
    row.refresh_from_db()
    assert row.extracted_text == outcome and row.content_type == "text/plain"


def test_a_bomb_sent_through_the_contact_form_is_kept_unopened_and_served_as_a_download(client):
    import re

    from django.core import mail
    from django.core.cache import cache

    from helpdesk import outbox

    cache.clear()
    bomb = _inflate(_docx(), "word/document.xml", 12 * MIB)
    form = {
        "name": "Anna Kowalska",
        "email": "anna@example.pl",
        "regon": "",
        "subject": "Plik",
        "body": "W załączniku.",
    }
    upload = SimpleUploadedFile("instrukcja.docx", bomb, content_type="text/html")
    response = client.post("/kontakt/", {**form, "website": "", "attempt": "", "attachments": [upload]})
    assert response.status_code == 302
    outbox.drain()
    link = re.search(r"http://\S+/zgloszenie/\S+/", mail.outbox[-1].body).group(0)
    href = re.search(r'href="(/zgloszenie/[^"]+/pliki/\d+[^"]*)"', client.get(link).content.decode()).group(1)
    served = client.get(href)
    assert b"".join(served.streaming_content) == bomb
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["Content-Type"] == "application/octet-stream"  # the declared text/html is not served
