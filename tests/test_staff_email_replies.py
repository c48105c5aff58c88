"""A regional administrator answers a ticket notice from their own mailbox: the helpdesk recognises the reply
by its threading headers AND its sender (never the sender alone) and posts it as their reply to the
requester, or as an internal note when the first line is #notatka / #note."""

import pytest
from django.core import mail

from helpdesk.models import NoticeMode
from inbox_ingest import actions as ingest_actions
from tests.mailtools import message
from tests.ticket_requests import new_ticket, open_one
from tickets import notices
from tickets.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest(run_on_commit):
    ingest_actions._OWN_CACHE.clear()

    def run(raw: bytes):
        row, _new = ingest_actions.store(raw=raw, mailbox=None, uid=None, uidvalidity=None)
        return run_on_commit(ingest_actions.process, row.pk)

    return run


@pytest.fixture
def routed(bob, queue_14, run_on_commit):
    """A ticket reaching voivodeship 14's queue; bob (its administrator) chose a notice per ticket."""
    bob.notice_mode = NoticeMode.EACH
    bob.save(update_fields=["notice_mode"])
    mail.outbox.clear()
    ticket = run_on_commit(
        open_one,
        new_ticket(
            channel="email",
            subject="Korekta działu II MZ-88",
            body_text="Jak poprawić dział II?",
            requester_email="kadry@przychodnia.example.pl",
            queue=queue_14,
        ),
        actor=None,
    )
    (notice,) = [m for m in mail.outbox if m.to == [bob.email]]
    mail.outbox.clear()
    return ticket, notice


def test_the_notice_carries_a_signed_message_id_naming_the_ticket_and_the_administrator(bob, routed):
    ticket, notice = routed
    assert notice.extra_headers["Message-ID"] == notices.notice_message_id(ticket, bob)
    assert "#notatka" in notice.body


def test_a_reply_to_the_notice_goes_to_the_requester_as_the_administrators_answer(bob, routed, ingest):
    ticket, notice = routed
    reply = message(
        sender=f"Bob <{bob.email}>",
        subject=f"Re: {notice.subject}",
        message_id="<reply-1@uw.example.gov.pl>",
        body="Proszę poprawić wiersz 3 i wysłać ponownie.\n\n> Nowe zgłoszenie w kolejce…\n",
        headers={"In-Reply-To": notice.extra_headers["Message-ID"]},
    )
    result = ingest(reply)
    assert result.outcome == "appended" and result.ticket == ticket.reference
    entry = ticket.entries.get(kind=Entry.Kind.OUTBOUND)
    assert entry.author == bob and entry.body_text.startswith("Proszę poprawić wiersz 3")
    assert [m.to for m in mail.outbox] == [["kadry@przychodnia.example.pl"]]


def test_hash_notatka_on_the_first_line_makes_an_internal_note(bob, routed, ingest):
    ticket, notice = routed
    reply = message(
        sender=bob.email,
        subject=f"Re: {notice.subject}",
        message_id="<reply-2@uw.example.gov.pl>",
        body="#notatka\nTo jednostka z Radomia, dzwoniłem do nich.\n",
        headers={"References": notice.extra_headers["Message-ID"]},
    )
    ingest(reply)
    note = ticket.entries.get(kind=Entry.Kind.NOTE)
    assert note.author == bob and note.body_text == "To jednostka z Radomia, dzwoniłem do nich."
    assert mail.outbox == []


def test_the_same_headers_from_another_sender_are_not_taken_for_the_administrator(bob, routed, ingest):
    ticket, notice = routed
    forged = message(
        sender="ktos@obcy.example.pl",
        subject=f"Re: {notice.subject}",
        message_id="<forged@obcy.example.pl>",
        body="Udaję administratora.",
        headers={"In-Reply-To": notice.extra_headers["Message-ID"]},
    )
    ingest(forged)
    assert not ticket.entries.filter(author=bob).exists()
    assert not ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()


def test_the_administrators_address_alone_is_not_enough(bob, routed, ingest):
    ticket, _notice = routed
    forged_id = notices.notice_message_id(ticket, bob).rsplit(".", 1)[0]  # right ticket and person, bad signature
    for headers in ({}, {"In-Reply-To": forged_id + ".0000000000deadbeef00@localhost>"}):
        ingest(
            message(
                sender=bob.email, subject="Re: coś", message_id=f"<x{len(headers)}@uw.example.gov.pl>", headers=headers
            )
        )
    assert not ticket.entries.filter(author=bob).exists()
