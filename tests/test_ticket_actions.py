"""The ticket actions: each writes the event log, validates, and changes nothing when it refuses."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from helpdesk.models import OutboxMessage
from tests.ticket_requests import add_one, new_entry, new_ticket
from tickets import actions
from tickets.models import Entry, Queue, Status, StoredFile, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_opening_a_ticket_writes_the_first_entry_and_the_event_log(open_email_ticket, central):
    ticket = open_email_ticket(central, message_id="<abc@przychodnia.example.pl>")
    assert ticket.reference.startswith("SSOZ-")
    assert ticket.status == Status.NEW
    entry = ticket.entries.get()
    assert entry.kind == Entry.Kind.INBOUND and entry.message_id == "<abc@przychodnia.example.pl>"
    assert list(ticket.events.values_list("kind", flat=True)) == ["opened", "identified", "entry_added"]


def test_a_ticket_without_queue_lands_in_triage(open_email_ticket):
    assert open_email_ticket(None).queue.slug == "do-rozdzielenia"


def test_an_empty_subject_is_refused_and_nothing_is_written(central):
    with pytest.raises(ValidationError) as error:
        actions.open_tickets([new_ticket(channel="email", subject="   ", body_text="x", queue=central)], actor=None)[0]
    assert "Temat" in " ".join(error.value.messages)
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0


def test_an_empty_body_is_refused_and_the_reference_counter_is_not_burnt(central, open_email_ticket):
    with pytest.raises(ValidationError):
        actions.open_tickets([new_ticket(channel="email", subject="Temat", body_text="", queue=central)], actor=None)[0]
    assert Ticket.objects.count() == 0
    assert open_email_ticket(central).reference.endswith("-000001")


def test_a_reply_is_mailed_only_after_commit_with_threading_headers(alice, central, open_email_ticket, run_on_commit):
    ticket = open_email_ticket(central, message_id="<q1@przychodnia.example.pl>")
    mail.outbox.clear()
    entry = run_on_commit(
        add_one,
        new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę zalogować się ponownie."),
        actor=alice,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rejestracja@przychodnia.example.pl"]
    assert message.subject == f"[{ticket.reference}] Nie mogę złożyć MZ-88"
    assert message.extra_headers["In-Reply-To"] == "<q1@przychodnia.example.pl>"
    assert message.extra_headers["Message-ID"] == entry.message_id
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER and ticket.first_response_at is not None
    assert not OutboxMessage.objects.filter(kind="email", sent_at__isnull=True).exists()


def test_a_reply_is_mailed_with_its_authors_signature(alice, central, open_email_ticket, run_on_commit):
    alice.signature = "Alicja Nowak\nCentrum e-Zdrowia, pomoc SSOZ"
    alice.save(update_fields=["signature"])
    ticket = open_email_ticket(central)
    mail.outbox.clear()
    entry = run_on_commit(
        add_one, new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę spróbować ponownie."), actor=alice
    )
    assert mail.outbox[0].body == "Proszę spróbować ponownie.\n\n-- \nAlicja Nowak\nCentrum e-Zdrowia, pomoc SSOZ\n"
    assert entry.body_text == "Proszę spróbować ponownie."  # the conversation keeps what was written
    mail.outbox.clear()
    run_on_commit(
        add_one,
        new_entry(
            ticket=ticket,
            kind=Entry.Kind.OUTBOUND,
            body_text="Dziękuję.\n\nAlicja Nowak\nCentrum e-Zdrowia, pomoc SSOZ",
        ),
        actor=alice,
    )
    assert mail.outbox[0].body.count("Alicja Nowak") == 1  # already signed: not twice


def test_a_rolled_back_reply_sends_nothing(alice, central, open_email_ticket, django_capture_on_commit_callbacks):
    ticket = open_email_ticket(central)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            actions.add_entries(
                [new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Odpowiedź")], actor=alice
            )[0]
            raise RuntimeError("crash before commit")
    assert callbacks == [] and mail.outbox == []
    assert not ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()
    assert not OutboxMessage.objects.filter(kind="email").exists()


def test_a_new_message_from_the_requester_reopens_a_waiting_ticket(alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę o REGON.")], actor=alice)[
        0
    ]
    actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.INBOUND, body_text="REGON 012345678")], actor=None)[0]
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_note_needs_a_member_of_staff(central, open_email_ticket):
    ticket = open_email_ticket(central)
    with pytest.raises(ValidationError):
        actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="x")], actor=None)[0]


def test_resolving_records_the_time_and_reason(alice, central, open_email_ticket):
    ticket = actions.change_status(
        actor=alice, ticket=open_email_ticket(central), status=Status.RESOLVED, reason="wyjaśnione"
    )
    assert ticket.resolved_at is not None
    event = ticket.events.get(kind="status_changed")
    assert event.data == {"from": "new", "to": "resolved"} and event.reason == "wyjaśnione" and event.actor == alice


def test_an_unknown_status_is_refused(alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    with pytest.raises(ValidationError):
        actions.change_status(actor=alice, ticket=ticket, status="lost")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_ticket_cannot_be_assigned_to_someone_who_cannot_see_it(alice, celina, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    with pytest.raises(ValidationError) as error:
        actions.assign(actor=alice, ticket=ticket, assignee=celina)
    assert "dostępu" in " ".join(error.value.messages)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_supervisor_may_assign(szef, alice, central, open_email_ticket):
    ticket = actions.assign(actor=szef, ticket=open_email_ticket(central), assignee=alice)
    assert ticket.assignee == alice
    assert ticket.events.get(kind="assigned").data["to_name"] == str(alice)


def test_handing_a_ticket_to_a_voivodeship_keeps_its_history_and_drops_an_assignee_who_cannot_follow(
    alice, celina, central, queue_24, open_email_ticket
):
    ticket = open_email_ticket(central)
    actions.assign(actor=alice, ticket=ticket, assignee=alice)
    ticket = actions.move_to_queue(actor=alice, ticket=ticket, queue=queue_24, reason="pytanie merytoryczne")
    assert ticket.queue == queue_24 and ticket.assignee == alice  # central agents see every queue
    ticket = actions.assign(actor=celina, ticket=ticket, assignee=celina)
    ticket = actions.move_to_queue(actor=celina, ticket=ticket, queue=central, reason="to sprawa logowania")
    assert ticket.assignee is None
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count("queue_changed") == 2 and ticket.entries.count() == 1


def test_the_action_itself_refuses_a_hand_off_to_a_third_voivodeship(bob, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    with pytest.raises(ValidationError):
        actions.move_to_queue(actor=bob, ticket=ticket, queue=Queue.objects.get(slug="woj-02"))
    ticket.refresh_from_db()
    assert ticket.queue == queue_14 and not ticket.events.filter(kind="queue_changed").exists()


def test_replies_thread_to_the_requesters_latest_message_and_reference_the_whole_thread(
    alice, central, open_email_ticket, run_on_commit
):
    ticket = open_email_ticket(central, message_id="<m1@przychodnia.example.pl>")
    first = actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę o REGON.")], actor=alice
    )[0]
    actions.add_entries(
        [
            new_entry(
                ticket=ticket,
                kind=Entry.Kind.INBOUND,
                body_text="REGON 123456785",
                message_id="<m2@przychodnia.example.pl>",
            )
        ],
        actor=None,
    )[0]
    mail.outbox.clear()
    second = run_on_commit(
        add_one, new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Dziękuję."), actor=alice
    )
    headers = mail.outbox[0].extra_headers
    assert headers["In-Reply-To"] == "<m2@przychodnia.example.pl>"
    assert headers["References"].split() == [
        "<m1@przychodnia.example.pl>",
        first.message_id,
        "<m2@przychodnia.example.pl>",
    ]
    assert second.in_reply_to == "<m2@przychodnia.example.pl>"


def test_a_message_from_the_requester_is_signed_with_their_name_by_default(central, open_email_ticket):
    ticket = open_email_ticket(central)
    entry = actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.INBOUND, body_text="Jeszcze jedno pytanie")], actor=None
    )[0]
    assert (entry.sender_name, entry.sender_email) == ("Jan Nowak", "rejestracja@przychodnia.example.pl")


def test_identical_attachments_are_stored_once(central, open_email_ticket):
    file = actions.NewAttachment(filename="zrzut.png", content=b"\x89PNG same bytes", content_type="image/png")
    open_email_ticket(central, attachments=[file])
    open_email_ticket(central, attachments=[file])
    assert StoredFile.objects.count() == 1


def test_an_oversized_attachment_is_refused_with_a_clear_message(settings, central):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as error:
        actions.open_tickets(
            [
                new_ticket(
                    channel="web",
                    subject="Załącznik",
                    body_text="w załączniku",
                    queue=central,
                    attachments=[actions.NewAttachment(filename="duzy.pdf", content=b"x" * 11)],
                )
            ],
            actor=None,
        )[0]
    assert "za duży" in " ".join(error.value.messages)
    assert Ticket.objects.count() == 0


def test_html_bodies_are_sanitised(central):
    ticket = actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject="HTML",
                body_html='<p onclick="x()">Dzień dobry<script>alert(1)</script></p><a href="javascript:x">l</a>',
                queue=central,
            )
        ],
        actor=None,
    )[0]
    html = ticket.entries.get().body_html
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert "Dzień dobry" in html
