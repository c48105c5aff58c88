"""Stored raw first, then exactly one ticket or entry per message; threading; acknowledgements; automatic mail."""

from __future__ import annotations

import pytest
from django.core import mail

from inbox_ingest import actions
from inbox_ingest.models import FailingAddress, Mailbox, RawMessage, SentMessage
from tests.mailtools import POLISH, message
from tests.ticket_requests import add_one, new_entry
from tickets.models import Entry, Status, Ticket


@pytest.fixture
def mailbox(db, queue_14):
    return Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )


@pytest.fixture
def ingest(run_on_commit):
    actions._OWN_CACHE.clear()  # our own addresses are cached for a minute; each test has its own mailboxes

    def run(raw: bytes, mailbox=None, uid=None, uidvalidity=1) -> actions.Result:
        row, _new = actions.store(raw=raw, mailbox=mailbox, uid=uid, uidvalidity=uidvalidity if uid else None)
        return run_on_commit(actions.process, row.pk)

    return run


def test_a_new_message_opens_a_ticket_in_the_mailbox_queue_and_gets_a_polish_acknowledgement(ingest, mailbox):
    result = ingest(message(), mailbox=mailbox, uid=1)
    ticket = Ticket.objects.get(reference=result.ticket)
    assert result.outcome == "created" and ticket.queue == mailbox.queue and ticket.channel == "email"
    assert ticket.requester_email == "jan.nowak@przychodnia.example.pl"
    (ack,) = mail.outbox
    assert ticket.reference in ack.subject and "Potwierdzenie" in ack.subject
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert ack.extra_headers["In-Reply-To"] == "<m1@przychodnia.example.pl>"
    assert SentMessage.objects.get(ticket=ticket).message_id == ack.extra_headers["Message-ID"]


def test_the_same_uid_fetched_again_stores_nothing_and_makes_no_second_ticket(ingest, mailbox):
    first = ingest(message(), mailbox=mailbox, uid=7)
    again = ingest(message(), mailbox=mailbox, uid=7)
    assert again.raw_id == first.raw_id and RawMessage.objects.count() == 1 and Ticket.objects.count() == 1


def test_the_same_message_in_two_mailboxes_makes_one_ticket(ingest, mailbox, queue_24):
    other = Mailbox.objects.create(name="slaskie", email_address="b@localhost", host="h", username="u", queue=queue_24)
    first = ingest(b"Delivered-To: a@localhost\r\n" + message(), mailbox=mailbox, uid=1)
    second = ingest(b"Delivered-To: b@localhost\r\n" + message(), mailbox=other, uid=1)
    assert second.outcome == "duplicate" and second.ticket == first.ticket and Ticket.objects.count() == 1


def test_a_message_without_message_id_delivered_twice_is_recognised_by_its_content(ingest, mailbox):
    raw = message(message_id="")
    first = ingest(b"Received: from a by b; Mon, 3 Mar 2025 10:00:01 +0100\r\n" + raw, mailbox=mailbox, uid=1)
    second = ingest(b"Received: from c by d; Mon, 3 Mar 2025 10:00:09 +0100\r\n" + raw, mailbox=mailbox, uid=2)
    assert first.outcome == "created" and second.outcome == "duplicate" and Ticket.objects.count() == 1


def test_a_reply_to_the_acknowledgement_threads_by_in_reply_to(ingest, mailbox):
    created = ingest(message(), mailbox=mailbox, uid=1)
    ack_id = SentMessage.objects.get().message_id
    reply = ingest(
        message(subject="Re: coś innego", message_id="<m2@x>", headers={"In-Reply-To": ack_id}), mailbox=mailbox, uid=2
    )
    assert reply.outcome == "appended" and reply.ticket == created.ticket


def test_a_reply_to_an_agents_answer_threads_by_references_and_reopens(ingest, mailbox, alice, run_on_commit):

    ticket = Ticket.objects.get(reference=ingest(message(), mailbox=mailbox, uid=1).ticket)
    answer = run_on_commit(
        add_one, new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę spróbować."), actor=alice
    )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.WAITING_CUSTOMER
    headers = {"References": f"<zzz@elsewhere> {answer.message_id}"}
    reply = ingest(message(subject="Odp: x", message_id="<m3@x>", headers=headers), mailbox=mailbox, uid=2)
    assert reply.ticket == ticket.reference and Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_the_subject_reference_threads_only_for_someone_who_takes_part(ingest, mailbox):
    ticket = ingest(message(), mailbox=mailbox, uid=1).ticket
    same = ingest(message(subject=f"ODP: [{ticket}] dalej", message_id="<m4@x>"), mailbox=mailbox, uid=2)
    assert same.outcome == "appended" and same.ticket == ticket
    stranger = ingest(
        message(subject=f"Fwd: [{ticket}]", sender="obcy@example.com", message_id="<m5@x>"), mailbox=mailbox, uid=3
    )
    assert stranger.outcome == "created" and stranger.ticket != ticket
    assert Ticket.objects.get(reference=stranger.ticket).related_to.reference == ticket


def test_an_out_of_office_answer_gets_no_acknowledgement_and_never_reopens(ingest, mailbox, alice, run_on_commit):

    ticket = Ticket.objects.get(reference=ingest(message(), mailbox=mailbox, uid=1).ticket)
    run_on_commit(add_one, new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Odp."), actor=alice)
    mail.outbox.clear()
    oof = (POLISH / "autoodpowiedz_pl.eml").read_bytes()
    oof = oof.replace(
        b"Auto-Submitted:", f"In-Reply-To: {ticket.entries.last().message_id}\r\nAuto-Submitted:".encode()
    )
    result = ingest(oof, mailbox=mailbox, uid=2)
    assert result.outcome == "autoreply" and result.ticket == ticket.reference
    assert Ticket.objects.get(pk=ticket.pk).status == Status.WAITING_CUSTOMER and not mail.outbox


def test_an_out_of_office_answer_to_nothing_is_set_aside(ingest, mailbox):
    result = ingest((POLISH / "autoodpowiedz_pl.eml").read_bytes(), mailbox=mailbox, uid=1)
    assert result.outcome == "autoreply" and result.ticket is None and not Ticket.objects.exists() and not mail.outbox


def test_a_bounce_of_our_acknowledgement_is_attached_and_marks_the_address_failing(ingest, mailbox):
    ticket = ingest(message(), mailbox=mailbox, uid=1).ticket
    ack_id = SentMessage.objects.get().message_id
    bounce = (
        "From: MAILER-DAEMON@mx.example.pl\r\nTo: pomoc-14@localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce1@mx>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nNie dostarczono.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; jan.nowak@przychodnia.example.pl\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {ack_id}\r\nSubject: x\r\n\r\n--B--\r\n"
    ).encode()
    mail.outbox.clear()
    result = ingest(bounce, mailbox=mailbox, uid=2)
    assert result.outcome == "bounce" and result.ticket == ticket and not mail.outbox
    assert FailingAddress.objects.get().email == "jan.nowak@przychodnia.example.pl"
    # no more acknowledgements to a failing address
    ingest(message(message_id="<new@x>", subject="Nowe"), mailbox=mailbox, uid=3)
    assert not mail.outbox


def test_acknowledgements_to_one_address_are_rate_limited(ingest, mailbox, settings):
    settings.INBOX_ACK_LIMIT = 2
    for uid in range(1, 5):
        ingest(message(message_id=f"<loop{uid}@x>", subject=f"Pętla {uid}"), mailbox=mailbox, uid=uid)
    assert Ticket.objects.count() == 4 and len(mail.outbox) == 2


def test_no_acknowledgement_to_our_own_address(ingest, mailbox):
    ingest(message(sender="pomoc-14@localhost"), mailbox=mailbox, uid=1)
    assert Ticket.objects.count() == 1 and not mail.outbox


def test_the_new_text_and_the_attachments_reach_the_entry(ingest, mailbox):
    ticket = Ticket.objects.get(reference=ingest((POLISH / "outlook_pl_wiadomosc_oryginalna.eml").read_bytes()).ticket)
    entry = ticket.entries.get()
    assert "Wiadomość oryginalna" in entry.body_text and "Wiadomość oryginalna" not in entry.visible_text
    assert [a.filename for a in entry.attachments.all()] == ["MZ-88_poprawione_Łódź.xlsx"]


def test_an_oversized_attachment_is_flagged_and_kept_in_the_raw_message(ingest, mailbox, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    result = ingest((POLISH / "outlook_pl_wiadomosc_oryginalna.eml").read_bytes(), mailbox=mailbox, uid=1)
    row = RawMessage.objects.get(pk=result.raw_id)
    assert (
        result.outcome == "created"
        and row.oversized
        and "przekracza limit" in Ticket.objects.get().entries.get().body_text
    )


def test_a_failure_while_ingesting_quarantines_the_message_and_the_next_one_goes_through(ingest, mailbox, monkeypatch):
    from inbox_ingest import parsing

    real = parsing.parse

    def broken(raw):
        if b"ZEPSUTA" in raw:
            raise ValueError("nie do odczytania")
        return real(raw)

    monkeypatch.setattr(parsing, "parse", broken)
    bad = ingest(message(subject="ZEPSUTA"), mailbox=mailbox, uid=1)
    good = ingest(message(message_id="<ok@x>"), mailbox=mailbox, uid=2)
    assert bad.outcome == "quarantined" and "nie do odczytania" in bad.reason and good.outcome == "created"
    row = RawMessage.objects.get(pk=bad.raw_id)
    assert row.status == "quarantined" and row.dedupe_key is None and bytes(row.raw).startswith(b"From:")


def test_a_crash_in_the_middle_of_processing_leaves_the_message_pending_and_it_is_ingested_once_later(
    mailbox, monkeypatch, run_on_commit
):
    from tickets import actions as ticket_actions

    row, _new = actions.store(raw=message(), mailbox=mailbox, uidvalidity=1, uid=1)

    class Crash(BaseException):
        """Stands for the process being killed: not an Exception, so nothing catches it."""

    real = ticket_actions.open_tickets

    def crash_after_creating(requests, *, actor):
        real(requests, actor=actor)
        raise Crash

    monkeypatch.setattr(ticket_actions, "open_tickets", crash_after_creating)
    with pytest.raises(Crash):
        actions.process(row.pk)
    assert RawMessage.objects.get(pk=row.pk).status == "pending" and not Ticket.objects.exists()
    monkeypatch.setattr(ticket_actions, "open_tickets", real)
    assert run_on_commit(actions.process, row.pk).outcome == "created" and Ticket.objects.count() == 1
    assert actions.process(row.pk).outcome == "created" and Ticket.objects.count() == 1  # idempotent


def test_the_ticket_page_shows_the_new_text_first_and_the_whole_message_one_click_away(client, alice, ingest):
    raw = (POLISH / "outlook_pl_od_wyslano.eml").read_bytes()
    ticket = Ticket.objects.get(reference=ingest(raw).ticket)
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    new_text, _sep, rest = page.partition("<details>")
    assert "nadal nie widzę formularza MZ-11" in new_text and "Dzień dobry, proszę sprawdzić" in rest
