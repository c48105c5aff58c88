"""After a merge, the duplicate's e-mail thread reaches the ticket it was merged into: replies to its
acknowledgement or to an agent's answer (its Message-IDs), mail naming its reference in the subject, and a
regional administrator's answer to its notice all land in the target."""

import pytest
from django.core import mail

from helpdesk.models import NoticeMode
from inbox_ingest import actions
from inbox_ingest.models import Mailbox, SentMessage
from tests.mailtools import message
from tests.ticket_requests import add_one, new_entry, new_ticket, open_one
from tickets import actions as ticket_actions
from tickets import notices
from tickets.models import Entry, Status, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(db, queue_14):
    return Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )


@pytest.fixture
def ingest(run_on_commit):
    actions._OWN_CACHE.clear()

    def run(raw: bytes, mailbox=None, uid=None) -> actions.Result:
        row, _new = actions.store(raw=raw, mailbox=mailbox, uid=uid, uidvalidity=1 if uid else None)
        return run_on_commit(actions.process, row.pk)

    return run


@pytest.fixture
def merged(ingest, mailbox, alice):
    """A from Jan Nowak, B (its duplicate) from the unit's director; B merged into A."""
    a = Ticket.objects.get(reference=ingest(message(), mailbox=mailbox, uid=1).ticket)
    b_ref = ingest(
        message(sender="Dyrektor <dyrektor@przychodnia.example.pl>", message_id="<d1@przychodnia.example.pl>"),
        mailbox=mailbox,
        uid=2,
    ).ticket
    b = Ticket.objects.get(reference=b_ref)
    assert a != b
    ticket_actions.merge_tickets(actor=alice, source=b, target=a)
    return a, b


def test_a_reply_to_the_duplicates_acknowledgement_lands_in_the_target(ingest, mailbox, merged):
    a, b = merged
    ack_id = SentMessage.objects.get(ticket=b).message_id
    reply = ingest(
        message(sender="dyrektor@przychodnia.example.pl", message_id="<d2@x>", headers={"In-Reply-To": ack_id}),
        mailbox=mailbox,
        uid=3,
    )
    assert reply.outcome == "appended" and reply.ticket == a.reference
    assert a.entries.filter(message_id="<d2@x>").exists() and not b.entries.exists()


def test_a_reply_to_an_answer_sent_in_the_duplicate_lands_in_the_target(ingest, mailbox, alice, run_on_commit):
    a = Ticket.objects.get(reference=ingest(message(), mailbox=mailbox, uid=1).ticket)
    b = Ticket.objects.get(
        reference=ingest(message(subject="Inny temat", message_id="<d1@x>"), mailbox=mailbox, uid=2).ticket
    )
    answer = run_on_commit(
        add_one, new_entry(ticket=b, kind=Entry.Kind.OUTBOUND, body_text="Proszę spróbować."), actor=alice
    )
    ticket_actions.merge_tickets(actor=alice, source=b, target=a)
    headers = {"References": f"<zzz@elsewhere> {answer.message_id}"}
    reply = ingest(message(subject="Odp: x", message_id="<d3@x>", headers=headers), mailbox=mailbox, uid=3)
    assert reply.ticket == a.reference
    assert Ticket.objects.get(pk=b.pk).status == Status.CLOSED


def test_the_duplicates_reference_in_the_subject_reaches_the_target_for_its_requester(ingest, mailbox, merged):
    a, b = merged
    same = ingest(
        message(subject=f"Odp: [{b.reference}]", sender="dyrektor@przychodnia.example.pl", message_id="<d4@x>"),
        mailbox=mailbox,
        uid=4,
    )
    assert same.outcome == "appended" and same.ticket == a.reference
    stranger = ingest(
        message(subject=f"Fwd: [{b.reference}]", sender="obcy@example.com", message_id="<d5@x>"), mailbox=mailbox, uid=5
    )
    assert stranger.outcome == "created"
    assert Ticket.objects.get(reference=stranger.ticket).related_to == a


def test_the_duplicates_requester_takes_part_in_the_target_even_without_an_email_of_theirs(
    ingest, mailbox, alice, queue_14, open_email_ticket
):
    a = Ticket.objects.get(reference=ingest(message(), mailbox=mailbox, uid=1).ticket)
    by_phone = ticket_actions.open_tickets(
        [
            new_ticket(
                channel="phone",
                subject="Telefon w sprawie MZ-88",
                body_text="Dzwoniła kierowniczka.",
                requester_email="kierownik@przychodnia.example.pl",
                queue=queue_14,
                call_direction="incoming",
            )
        ],
        actor=alice,
    )[0]
    ticket_actions.merge_tickets(actor=alice, source=by_phone, target=a)
    result = ingest(
        message(
            subject=f"[{by_phone.reference}] uzupełnienie",
            sender="kierownik@przychodnia.example.pl",
            message_id="<k1@x>",
        ),
        mailbox=mailbox,
        uid=2,
    )
    assert result.outcome == "appended" and result.ticket == a.reference


def test_a_regional_admins_answer_to_the_duplicates_notice_lands_in_the_target(
    ingest, bob, alice, queue_14, run_on_commit
):
    bob.notice_mode = NoticeMode.EACH
    bob.save(update_fields=["notice_mode"])
    opened = [
        run_on_commit(
            open_one,
            new_ticket(
                channel="email",
                subject=subject,
                body_text="Jak poprawić dział II?",
                requester_email="kadry@przychodnia.example.pl",
                queue=queue_14,
            ),
            actor=None,
        )
        for subject in ("Korekta MZ-88", "Korekta MZ-88 (ponownie)")
    ]
    a, b = opened
    ticket_actions.merge_tickets(actor=alice, source=b, target=a)
    notice_id = notices.notice_message_id(b, bob)
    mail.outbox.clear()
    result = ingest(
        message(
            subject=f"Re: [{b.reference}]",
            sender=f"Bob <{bob.email}>",
            message_id="<bob1@x>",
            body="#notatka\nZadzwonię do nich.\n",
            headers={"In-Reply-To": notice_id},
        )
    )
    assert result.ticket == a.reference
    assert a.entries.get(kind=Entry.Kind.NOTE).body_text == "Zadzwonię do nich."
