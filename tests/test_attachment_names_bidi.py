"""Bidirectional control characters in attachment names (issue 13, item 12): `invoice\u202efdp.exe` shows as
"invoiceexe.pdf". One function (helpdesk.filenames.neutral_name) takes them out when a name comes in (e-mail,
uploads, knowledge-base files) and, through the model field, whenever a stored name is shown or downloaded, rows
written before the fix included; a migration rewrites those rows."""

from __future__ import annotations

import importlib
import urllib.parse

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from helpdesk.filenames import BIDI_CONTROLS, neutral_name
from inbox_ingest import actions as ingest_actions
from inbox_ingest import parsing
from knowledge_base import actions as kb_actions
from knowledge_base.models import ArticleAttachment, Status
from tickets import actions
from tickets.models import Attachment

pytestmark = pytest.mark.django_db

RLO_NAME = "invoice\u202efdp.exe"  # shows as "invoiceexe.pdf"
SHOWN = "invoicefdp.exe"


@pytest.mark.parametrize("character", list(BIDI_CONTROLS))
def test_every_bidi_control_is_taken_out(character):
    assert len(BIDI_CONTROLS) == 12
    assert neutral_name(f"raport{character}fdp.exe") == "raportfdp.exe"
    assert neutral_name(f"{character} raport.pdf") == "raport.pdf"
    assert neutral_name("تقرير.pdf") == "تقرير.pdf"  # right-to-left letters themselves stay


def _mail_with_attachment(disposition: str) -> bytes:
    return (
        "From: Jan Nowak <jan.nowak@przychodnia.example.pl>\r\nTo: pomoc@localhost\r\nSubject: Faktura\r\n"
        "Message-ID: <bidi@przychodnia.example.pl>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nW załączeniu faktura.\r\n"
        f"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: {disposition}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n"
    ).encode()


RFC2231 = "attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe"
ENCODED_WORD = 'attachment; filename="=?utf-8?b?aW52b2ljZeKArmZkcC5leGU=?="'


@pytest.mark.parametrize("disposition", [RFC2231, ENCODED_WORD])
def test_an_emailed_name_loses_its_bidi_controls_when_parsed(disposition):
    (attachment,) = parsing.parse(_mail_with_attachment(disposition)).attachments
    assert attachment.filename == SHOWN


def _assert_download_is_neutral(response):
    disposition = urllib.parse.unquote(response["Content-Disposition"])
    assert response.status_code == 200 and SHOWN in disposition and "\u202e" not in disposition


def test_an_emailed_attachment_is_shown_and_downloaded_without_them(run_on_commit, client, bob, queue_14):
    from inbox_ingest.models import Mailbox

    mailbox = Mailbox.objects.create(
        name="m", email_address="pomoc-14@localhost", host="h", username="u", queue=queue_14
    )
    ingest_actions._OWN_CACHE.clear()
    row, _new = ingest_actions.store(raw=_mail_with_attachment(RFC2231), mailbox=mailbox, uid=1, uidvalidity=1)
    result = run_on_commit(ingest_actions.process, row.pk)
    attachment = Attachment.objects.get()
    assert Attachment.objects.values_list("filename", flat=True).get() == SHOWN
    client.force_login(bob)
    page = client.get(reverse("tickets:detail", args=[result.ticket])).content.decode()
    assert SHOWN in page and "\u202e" not in page
    _assert_download_is_neutral(client.get(reverse("attachment", args=[attachment.pk, attachment.filename])))


@pytest.fixture
def old_row(open_email_ticket, queue_14):
    """An attachment stored before the fix: the raw name written straight into the table."""
    ticket = open_email_ticket(
        queue_14, attachments=[actions.NewAttachment(filename="x.exe", content=b"MZ", content_type="")]
    )
    Attachment.objects.filter(entry__ticket=ticket).update(filename=RLO_NAME)
    assert Attachment.objects.values_list("filename", flat=True).get() == RLO_NAME
    return ticket, Attachment.objects.get()


def test_a_name_stored_before_the_fix_is_shown_and_downloaded_neutralised(old_row, client, bob):
    ticket, attachment = old_row
    assert attachment.filename == SHOWN
    client.force_login(bob)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert SHOWN in page and "\u202e" not in page and "%E2%80%AE" not in page
    _assert_download_is_neutral(client.get(reverse("attachment", args=[attachment.pk, "x"])))
    (entry,) = client.get(f"/api/v1/tickets/{ticket.reference}/").json()["entries"]
    (listed,) = entry["attachments"]
    assert listed["filename"] == SHOWN and "%E2%80%AE" not in listed["url"]


def test_the_migration_rewrites_names_stored_before_the_fix(old_row):
    migration = importlib.import_module("tickets.migrations.0014_attachment_names_without_bidi_controls")

    class Editor:
        pass

    Editor.connection = connection
    migration.neutralise_stored_names(apps, Editor())
    assert Attachment.objects.values_list("filename", flat=True).get() == SHOWN


def test_the_requesters_private_page_shows_and_serves_it_neutralised(client):
    ticket, token = kb_actions.submit_contact_form(
        name="Anna Kowalska",
        email="anna@przychodnia.example.pl",
        subject="MZ-11",
        body="Faktura w załączniku.",
        attachments=[actions.NewAttachment(filename="faktura.pdf", content=b"%PDF-1.4", content_type="")],
    )
    Attachment.objects.filter(entry__ticket=ticket).update(filename=RLO_NAME)  # as stored before the fix
    attachment = Attachment.objects.get()
    page = client.get(reverse("kb:requester_ticket", args=[token])).content.decode()
    assert SHOWN in page and "\u202e" not in page
    _assert_download_is_neutral(client.get(reverse("kb:requester_attachment", args=[token, attachment.pk])))


def test_uploaded_names_are_stored_neutralised(open_email_ticket, queue_14, redaktor, client):
    open_email_ticket(
        queue_14,
        attachments=[actions.NewAttachment(filename="skan\u2067gpj.exe\u2069", content=b"MZ", content_type="")],
    )
    assert Attachment.objects.values_list("filename", flat=True).get() == "skangpj.exe"
    article = kb_actions.create_article(
        actor=redaktor, draft=kb_actions.ArticleDraft(title="Instrukcja", body="Zobacz plik.")
    )
    kb_actions.add_attachment(
        actor=redaktor, article=article, filename="instrukcja\u202eexe.txt", content=b"Tekst instrukcji"
    )
    ArticleAttachment.objects.update(filename="instrukcja\u202eexe.txt")  # even a row written raw
    kb_actions.change_status(actor=redaktor, article=article, status=Status.PUBLISHED)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "instrukcjaexe.txt" in page and "\u202e" not in page
