"""A regional administrator who answered a requester from their own mailbox (a reply to a notice) is told when
the requester writes back, as they chose in Moje ustawienia: an e-mail at once (which they can answer again
from their mailbox), a line in the daily digest, or nothing. Mail comes in through the real ingestion path."""

from __future__ import annotations

import datetime as dt
import io
import mailbox as stdlib_mailbox
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from helpdesk.models import NoticeMode, OutboxMessage
from inbox_ingest import actions as ingest_actions
from tests.mailtools import message
from tests.ticket_requests import add_one, new_entry, new_ticket, open_one
from tickets import actions, notices
from tickets.models import Entry, Queue, Status

pytestmark = pytest.mark.django_db

MONDAY_MORNING = dt.datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
REQUESTER = "kadry@przychodnia.example.pl"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ingest(run_on_commit):
    ingest_actions._OWN_CACHE.clear()

    def run(raw: bytes):
        row, _new = ingest_actions.store(raw=raw, mailbox=None, uid=None, uidvalidity=None)
        return run_on_commit(ingest_actions.process, row.pk)

    return run


def _notices(kind: str, to: str) -> list:
    return [m for m in mail.outbox if m.to == [to] and m.extra_headers.get("X-Helpdesk-Notice") == kind]


def _queued(kind: str, to: str) -> list[dict]:
    """The messages of this kind waiting in the outbox for `to` (a command run outside run_on_commit)."""
    rows = OutboxMessage.objects.filter(kind="email").order_by("pk")
    return [
        row.payload
        for row in rows
        if row.payload["to"] == [to] and row.payload.get("headers", {}).get("X-Helpdesk-Notice") == kind
    ]


def _digests(to: str) -> list[str]:
    return [payload["body"] for payload in _queued("digest", to)]


@pytest.fixture
def answered_by_email(bob, queue_14, run_on_commit, ingest):
    """A ticket routed to voivodeship 14; bob answered its notice from his mailbox. Returns the ticket and the
    answer the requester received."""
    bob.notice_mode = NoticeMode.EACH
    bob.save(update_fields=["notice_mode"])
    ticket = run_on_commit(
        open_one,
        new_ticket(
            channel="email",
            subject="Korekta działu II MZ-88",
            body_text="Jak poprawić dział II?",
            requester_email=REQUESTER,
            queue=queue_14,
        ),
        actor=None,
    )
    (notice,) = _notices("routed", bob.email)
    ingest(
        message(
            sender=f"Bob <{bob.email}>",
            subject=f"Re: {notice.subject}",
            message_id="<bob-1@uw.example.gov.pl>",
            body="Proszę poprawić wiersz 3 i wysłać ponownie.\n",
            headers={"In-Reply-To": notice.extra_headers["Message-ID"]},
        )
    )
    (answer,) = [m for m in mail.outbox if m.to == [REQUESTER]]
    mail.outbox.clear()
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    return ticket, answer


def _requester_writes(ingest, answer, number: int, body="Poprawiłam wiersz 3, ale nadal jest błąd W-17.\n", **extra):
    return ingest(
        message(
            sender=f"Kadry <{REQUESTER}>",
            subject=f"Re: {answer.subject}",
            message_id=f"<back-{number}@przychodnia.example.pl>",
            body=body,
            headers={"In-Reply-To": answer.extra_headers["Message-ID"], **extra},
        )
    )


def test_a_notice_per_ticket_tells_the_administrator_at_once_and_they_can_answer_it_from_their_mailbox(
    bob, answered_by_email, ingest
):
    ticket, answer = answered_by_email
    result = _requester_writes(ingest, answer, 1)
    assert result.outcome == "appended" and result.ticket == ticket.reference
    (told,) = _notices("requester_wrote", bob.email)
    assert told.subject == f"[{ticket.reference}] Zgłaszający odpisał: {ticket.subject}"
    assert "nadal jest błąd W-17" in told.body and f"/tickets/{ticket.reference}/" in told.body
    first_notice = notices.notice_message_id(ticket, bob)
    assert told.extra_headers["In-Reply-To"] == first_notice
    assert told.extra_headers["Message-ID"] != first_notice  # a Message-ID names one message
    mail.outbox.clear()
    ingest(
        message(
            sender=bob.email,
            subject=f"Re: {told.subject}",
            message_id="<bob-2@uw.example.gov.pl>",
            body="Błąd W-17: proszę uzupełnić dział IV.\n",
            headers={"In-Reply-To": told.extra_headers["Message-ID"]},
        )
    )
    second = ticket.entries.filter(kind=Entry.Kind.OUTBOUND, author=bob).order_by("created_at", "id").last()
    assert second.body_text.startswith("Błąd W-17: proszę uzupełnić dział IV.")
    assert [m.to for m in mail.outbox] == [[REQUESTER]]


def test_the_daily_digest_lists_the_ticket_instead(bob, answered_by_email, ingest, _frozen):
    ticket, answer = answered_by_email
    bob.notice_mode = NoticeMode.DIGEST
    bob.save(update_fields=["notice_mode"])
    _frozen.shift(dt.timedelta(hours=3))
    _requester_writes(ingest, answer, 1)
    assert _notices("requester_wrote", bob.email) == []
    _frozen.shift(dt.timedelta(hours=20))
    assert notices.send_daily_digests() == 1
    (digest,) = _digests(bob.email)
    assert "Zgłaszający odpisali na odpowiedzi wysłane z Twojej skrzynki: 1" in digest
    assert ticket.reference in digest.split("Zgłaszający odpisali")[1]


def test_a_digest_does_not_list_a_reply_older_than_a_day_nor_an_answer_the_requester_had_before(
    bob, answered_by_email, ingest, _frozen
):
    _ticket, answer = answered_by_email
    bob.notice_mode = NoticeMode.DIGEST
    bob.save(update_fields=["notice_mode"])
    _requester_writes(ingest, answer, 1)
    _frozen.shift(dt.timedelta(days=2))
    notices.send_daily_digests()
    assert all("Zgłaszający odpisali" not in body for body in _digests(bob.email))


def test_no_notices_means_none_of_these_either(bob, answered_by_email, ingest, _frozen):
    _ticket, answer = answered_by_email
    bob.notice_mode = NoticeMode.NONE
    bob.save(update_fields=["notice_mode"])
    _requester_writes(ingest, answer, 1)
    _frozen.shift(dt.timedelta(hours=20))
    assert notices.send_daily_digests() == 0
    assert [m for m in mail.outbox if m.to == [bob.email]] == [] and _digests(bob.email) == []


def test_an_out_of_office_answer_tells_nobody(bob, answered_by_email, ingest, _frozen):
    ticket, answer = answered_by_email
    _requester_writes(ingest, answer, 1, body="Jestem na urlopie do 10 marca.\n", **{"Auto-Submitted": "auto-replied"})
    assert ticket.entries.filter(kind=Entry.Kind.INBOUND).count() == 2
    assert _notices("requester_wrote", bob.email) == []
    bob.notice_mode = NoticeMode.DIGEST
    bob.save(update_fields=["notice_mode"])
    _frozen.shift(dt.timedelta(hours=20))
    notices.send_daily_digests()
    assert all("Zgłaszający odpisali" not in body for body in _digests(bob.email))


def test_every_message_of_a_batch_tells_the_administrator_and_a_follower_by_email_gets_it_once(
    bob, answered_by_email, ingest, tmp_path
):
    ticket, answer = answered_by_email
    actions.follow(actor=bob, ticket=ticket, by_email=True)
    _requester_writes(ingest, answer, 1)  # reopens the ticket
    assert len(_notices("requester_wrote", bob.email)) == 1 and _notices("follow", bob.email) == []
    maildir = stdlib_mailbox.Maildir(tmp_path / "Maildir")
    for number in (2, 3):  # on an open ticket: the batch appends them in one add_entries()
        maildir.add(
            message(
                sender=REQUESTER,
                subject=f"Re: {answer.subject}",
                message_id=f"<batch-{number}@przychodnia.example.pl>",
                body=f"Wiadomość numer {number}.\n",
                headers={"In-Reply-To": answer.extra_headers["Message-ID"]},
            )
        )
    call_command("ingest_mail", str(tmp_path / "Maildir"), stdout=io.StringIO())
    assert ticket.entries.filter(kind=Entry.Kind.INBOUND).count() == 4
    bodies = [payload["body"].split("\n\n")[1] for payload in _queued("requester_wrote", bob.email)]
    assert "Wiadomość numer 2." in bodies and "Wiadomość numer 3." in bodies
    assert _queued("follow", bob.email) == []  # told once, by the message they can answer


def test_an_administrator_who_no_longer_sees_the_ticket_is_not_told(bob, answered_by_email, ingest, alice):
    ticket, answer = answered_by_email
    actions.move_to_queue(actor=alice, ticket=ticket, queue=Queue.objects.get(slug="woj-24"), reason="inny region")
    _requester_writes(ingest, answer, 1)
    assert _notices("requester_wrote", bob.email) == []


def test_staff_who_answered_on_the_ticket_page_are_not_sent_these_notices(bob, queue_14, run_on_commit, ingest):
    ticket = run_on_commit(
        open_one,
        new_ticket(
            channel="email", subject="Pytanie", body_text="Pytanie o MZ-11", requester_email=REQUESTER, queue=queue_14
        ),
        actor=None,
    )
    entry = run_on_commit(add_one, new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Odp."), actor=bob)
    mail.outbox.clear()
    ingest(
        message(
            sender=REQUESTER,
            subject=f"Re: [{ticket.reference}] Pytanie",
            message_id="<web-1@przychodnia.example.pl>",
            headers={"In-Reply-To": entry.message_id},
        )
    )
    assert ticket.entries.filter(kind=Entry.Kind.INBOUND).count() == 2
    assert _notices("requester_wrote", bob.email) == []
