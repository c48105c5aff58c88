"""The batched ingestion path (inbox_ingest.actions.process_batch, inbox_ingest.batching) writes the same data
as processing the same messages one by one (inbox_ingest.actions.process): tickets, entries, attachments,
events, SLA timers, outbox rows, acknowledgements and the raw rows' outcomes; with a few queries per batch
instead of ~28 a message. Both go through the one write path (tickets.opening.open_tickets,
tickets.entries.add_entries); what is compared is how the e-mail channel classifies and orders its messages,
and that a batch of requests decides as the same requests one at a time.
"""

from __future__ import annotations

import base64
import datetime as dt
import zoneinfo
from unittest.mock import ANY

import pytest
from django.db import transaction
from django.utils import timezone

from contacts.models import FormDeadline, Person, PersonEmail, ReportingUnit, StatisticalForm, UnitMembership
from helpdesk.models import NoticeMode, OutboxMessage, Role, User
from inbox_ingest import actions, batching
from inbox_ingest.models import FailingAddress, Mailbox, RawMessage, SentMessage
from tests.mailtools import message
from tests.ticket_requests import new_ticket
from tickets import actions as ticket_actions
from tickets.models import (
    AssignmentMode,
    Queue,
    RoutingRule,
    SlaPolicy,
    SlaTimer,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=WARSAW)  # inside working hours: SLA clocks run at once


@pytest.fixture
def world(central, queue_14, bob, monkeypatch):
    """Units and people to identify, routing rules (tags, a canned reply, the unit's voivodeship queue), an SLA
    policy, a form due soon, a round-robin central queue, a regional admin who wants a notice per ticket, an
    address that bounced, and a ticket that exists before the messages arrive."""
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)
    actions._OWN_CACHE.clear()
    unit = ReportingUnit.objects.create(
        name="Przychodnia Zdrowie", regon="123456785", voivodeship_id="14", email_domain="zdrowie.example.pl"
    )
    ReportingUnit.objects.create(name="Filia A", voivodeship_id="24", email_domain="wspolna.example.pl")
    ReportingUnit.objects.create(name="Filia B", voivodeship_id="24", email_domain="wspolna.example.pl")
    person = Person.objects.create(name="Anna Kowalska")
    PersonEmail.objects.create(person=person, email="anna@poczta.example.com")
    UnitMembership.objects.create(person=person, unit=unit)
    RoutingRule.objects.create(
        name="Jednostka: jej województwo", position=1, stop=False, queue_of_unit_voivodeship=True
    )
    RoutingRule.objects.create(name="MZ-88: etykieta", position=2, stop=False, form_codes="MZ-88", add_tags="mz-88")
    RoutingRule.objects.create(
        name="Hasło: odpowiedź", position=3, words="hasło", reply_subject="Reset hasła", reply_body="Zob. {sygnatura}"
    )
    SlaPolicy.objects.create(name="Wszystko", first_response_minutes=240, resolution_minutes=2400)
    mz88 = StatisticalForm.objects.get(code="MZ-88")  # no deadline is seeded: none was confirmed (issue 12)
    FormDeadline.objects.update_or_create(form=mz88, year=2026, defaults={"deadline": dt.date(2026, 12, 2)})
    agents = [User.objects.create_user(username=f"agent{n}", role=Role.AGENT) for n in range(3)]
    central.members.set(agents)
    central.assignment_mode = AssignmentMode.ROUND_ROBIN
    central.save()
    bob.notice_mode = NoticeMode.EACH
    bob.save()
    FailingAddress.objects.create(email="odbija@example.pl", bounces=1, last_bounce_at=MONDAY_10)
    (earlier,) = ticket_actions.open_tickets(
        [
            new_ticket(
                subject="Wcześniejsze zgłoszenie",
                body_text="Treść",
                requester_email="stary@example.pl",
                queue=central,
                message_id="<stare@example.pl>",
            )
        ],
        actor=None,
    )
    ticket_actions.follow(actor=agents[1], ticket=earlier, by_email=True)  # told of each new entry
    mailbox = Mailbox.objects.create(
        name="centrala", email_address="pomoc@localhost", host="h", username="u", queue=central
    )
    return {"earlier": earlier, "mailbox": mailbox}


def with_attachment(message_id: str, content: bytes, name: str = "MZ-88.xls", in_reply_to: str = "") -> bytes:
    encoded = base64.encodebytes(content).decode()
    answers = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    return (
        "From: Ewa Lis <ewa@szpital.example.pl>\r\nTo: pomoc@localhost\r\nSubject: Załącznik MZ-88\r\n"
        f"Message-ID: {message_id}\r\n{answers}"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nW załączniku plik.\r\n"
        f'--b\r\nContent-Type: application/vnd.ms-excel; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{encoded}\r\n--b--\r\n"
    ).encode()


def messages(earlier: Ticket) -> list[bytes]:
    """Every kind of message the channel knows, in an order where later ones depend on earlier ones."""
    bounce = (
        b"From: MAILER-DAEMON@mx.example.pl\r\nTo: pomoc@localhost\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce1@mx>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; pada@example.pl\r\nAction: failed\r\nStatus: 5.1.1\r\n--r--\r\n"
    )
    same = b"\x00" * 3000 + b"wsp\xc3\xb3lny"
    return [
        message(sender="Anna <anna@poczta.example.com>", message_id="<a1@x>", subject="Pytanie"),  # person → unit
        message(sender="x@gmail.com", message_id="<a2@x>", body="REGON 123456785, proszę o pomoc"),  # number
        message(sender="k@zdrowie.example.pl", message_id="<a3@x>", subject="Inne"),  # domain
        message(sender="k@wspolna.example.pl", message_id="<a4@x>", subject="Dwie jednostki"),  # ambiguous
        message(sender="m@example.pl", message_id="<a5@x>", subject="Zapomniałem hasła"),  # canned reply
        message(
            sender="Anna <anna@poczta.example.com>",
            message_id="<a6@x>",
            subject="Re: Pytanie",
            headers={"In-Reply-To": "<a1@x>"},
        ),  # a reply to a ticket of the same batch
        message(
            sender="x@gmail.com", message_id="<a7@x>", subject="Urlop", headers={"Auto-Submitted": "auto-replied"}
        ),  # automatic, no thread
        message(
            sender="k@zdrowie.example.pl",
            message_id="<a8@x>",
            subject="Urlop",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<a3@x>"},
        ),
        b"Received: from elsewhere\r\n" + message(sender="k@zdrowie.example.pl", message_id="<a3@x>", subject="Inne"),
        with_attachment("<a15@x>", b"odpowiedz", "odp.xls", in_reply_to="<a3@x>"),  # answers a message with a copy
        message(
            sender="Anna <anna@poczta.example.com>",
            message_id="<a16@x>",
            subject="Re: Re: Pytanie",
            headers={"In-Reply-To": "<a6@x>", "References": "<a1@x> <a6@x>"},
        ),  # answers a reply of the same batch
        message(
            sender="x@gmail.com", message_id="<a17@x>", headers={"In-Reply-To": "<a7@x>", "References": "<a2@x>"}
        ),  # answers an automatic answer that went on no ticket: the next Message-ID decides
        message(sender="m@example.pl", message_id="<a20@x>", subject="Re: hasło", headers={"In-Reply-To": "<a5@x>"}),
        message(sender="y@gmail.com", message_id="<a24@x>", headers={"In-Reply-To": "<a7@x>"}),  # a new ticket
        *[message(sender="petla@example.pl", message_id=f"<loop{n}@x>", subject=f"Pętla {n}") for n in range(4)],
        message(sender="odbija@example.pl", message_id="<a9@x>", subject="Bez potwierdzenia"),  # failing address
        bounce,
        message(sender="pada@example.pl", message_id="<a10@x>", subject="Po odbiciu"),  # failing after the bounce
        with_attachment("<att1@x>", same),
        with_attachment("<att2@x>", same, "kopia.xls"),  # the same content: one stored file
        message(sender="stary@example.pl", message_id="<a11@x>", headers={"References": "<stare@example.pl>"}),
        message(
            sender="stary@example.pl",
            message_id="<a14@x>",
            subject="Nieobecność",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<stare@example.pl>"},
        ),  # an automatic answer to a ticket from before the batch: a quiet entry
        message(sender="stary@example.pl", message_id="<a18@x>", headers={"In-Reply-To": "<a11@x>"}),  # its reply
        message(sender="obcy@example.pl", message_id="<a12@x>", subject=f"Re: {earlier.reference}"),  # stranger
        message(sender="stary@example.pl", message_id="<a13@x>", subject=f"Odp: {earlier.reference} dalej"),
        message(sender="stary@example.pl", message_id="<a19@x>", headers={"In-Reply-To": "<a13@x>"}),
        message(sender="ZEPSUTA@example.pl", message_id="<bad@x>", subject="ZEPSUTA"),  # quarantined alone
        *[message(sender=f"n{n}@example.pl", message_id=f"<n{n}@x>", subject=f"Nowe {n}") for n in range(5)],
        message(sender="k@zdrowie.example.pl", message_id="", subject="Bez Message-ID"),
        message(sender="n1@example.pl", message_id="<a21@x>", subject="Re: Nowe 1", headers={"In-Reply-To": "<n1@x>"}),
        message(
            sender="n2@example.pl",
            message_id="<a22@x>",
            subject="Nieobecność",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<n2@x>"},
        ),
        message(sender="Anna <anna@poczta.example.com>", message_id="<a23@x>", headers={"References": "<a1@x>"}),
    ]


def search_document(ticket_id: int) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT vector::text FROM tickets_ticketsearch WHERE ticket_id = %s", [ticket_id])
        else:
            cursor.execute("SELECT document FROM tickets_search_fts WHERE rowid = %s", [ticket_id])
        row = cursor.fetchone()
    return set(row[0].replace("'", " ").split()) if row else set()


def snapshot(rows: list[RawMessage]) -> dict:
    """The data both paths must agree on, with database ids replaced by references and positions."""
    ids = {row.pk: n for n, row in enumerate(rows)}
    tickets = Ticket.objects.order_by("reference")
    names = {ticket.pk: ticket.reference for ticket in tickets}
    entries = {}
    result = {"tickets": [], "outbox": [], "sent": [], "raw": [], "failing": []}
    for ticket in tickets.select_related("queue", "category", "assignee", "related_to", "reporting_unit"):
        ticket_entries = list(ticket.entries.order_by("pk"))
        entries.update({entry.pk: f"{ticket.reference}#{n}" for n, entry in enumerate(ticket_entries)})
        result["tickets"].append(
            {
                "ticket": [
                    ticket.reference,
                    ticket.subject,
                    ticket.status,
                    ticket.priority,
                    ticket.channel,
                    ticket.queue.slug,
                    ticket.category_id,
                    getattr(ticket.assignee, "username", None),
                    ticket.reporting_unit_id,
                    ticket.requester_id,
                    ticket.requester_name,
                    ticket.requester_email,
                    ticket.tags,
                    ticket.identification,
                    ticket.unit_candidates,
                    ticket.related_to.reference if ticket.related_to_id else None,
                    ticket.created_at,
                    ticket.updated_at,
                ],
                "entries": [
                    [
                        entry.kind,
                        entry.author_id,
                        entry.sender_name,
                        entry.sender_email,
                        entry.to,
                        entry.cc,
                        entry.subject,
                        entry.body_text,
                        entry.body_html,
                        entry.visible_text,
                        entry.message_id,
                        entry.in_reply_to,
                        entry.created_at,
                        [
                            (a.filename, a.content_type, a.is_inline, a.file.sha256)
                            for a in entry.attachments.order_by("pk")
                        ],
                    ]
                    for entry in ticket_entries
                ],
                "events": [
                    [
                        event.kind,
                        event.actor_id,
                        event.reason,
                        event.created_at,
                        {**event.data, **({"entry": entries[event.data["entry"]]} if "entry" in event.data else {})},
                    ]
                    for event in TicketEvent.objects.filter(ticket=ticket).order_by("pk")
                ],
                "timers": [
                    [
                        timer.kind,
                        timer.state,
                        timer.policy_id,
                        timer.target_seconds,
                        timer.warn_before_seconds,
                        timer.consumed_seconds,
                        timer.running_since,
                        timer.due_at,
                        timer.done_at,
                        timer.next_check_at,
                    ]
                    for timer in SlaTimer.objects.filter(ticket=ticket).order_by("kind")
                ],
            }
        )
    for outgoing in OutboxMessage.objects.order_by("pk"):
        payload = dict(outgoing.payload)
        if "headers" in payload:
            headers = dict(payload["headers"])
            if headers.get("Message-ID", "").startswith("<ack-"):
                headers["Message-ID"] = "<ack>"  # random by design
            elif headers.get("Message-ID", "").startswith("<ssoz-notice."):
                headers["Message-ID"] = f"<notice: {payload['subject']}>"  # names the ticket's id
            payload["headers"] = headers
        if "groups" in payload:
            payload["groups"] = [
                f"ticket.{names[int(group[7:])]}" if group.startswith("ticket.") else group
                for group in payload["groups"]
            ]
        result["outbox"].append([outgoing.kind, outgoing.next_attempt_at, payload])
    # The batch writes the replies it appends quietly (inbox_ingest.batching: Batch._append) after all the new tickets
    # it holds, even those opened after the reply, so across tickets the outbox rows may come in another order;
    # they are delivered independently. The same rows, and for each ticket in the same order:
    per_ticket: dict[str, list] = {}
    for row in result["outbox"]:
        per_ticket.setdefault(_about(row[2]), []).append(row)
    result["outbox"] = {"rows": sorted(result["outbox"], key=repr), "per_ticket": per_ticket}
    for sent in SentMessage.objects.order_by("pk"):
        result["sent"].append([names[sent.ticket_id], sent.to_email, sent.kind])
    for row in RawMessage.objects.filter(pk__in=ids).order_by("pk").select_related("ticket"):
        result["raw"].append(
            [
                ids[row.pk],
                row.status,
                row.outcome,
                positions(row.reason, rows),
                row.oversized,
                row.attempts,
                row.ticket.reference if row.ticket_id else None,
                ids.get(row.duplicate_of_id),
                row.dedupe_key,
                row.processed_at,
            ]
        )
    result["failing"] = list(FailingAddress.objects.order_by("email").values_list("email", "bounces"))
    result["search"] = {ticket.reference: search_document(ticket.pk) for ticket in tickets}  # the list's full text
    result["sla_due"] = list(tickets.values_list("reference", "sla_due_at"))
    result["last_assigned"] = list(Queue.objects.order_by("pk").values_list("slug", "last_assigned__username"))
    return result


def _about(payload: dict) -> str:
    """The ticket an outbox row is about (a push's ticket group, a mail's ticket header, else its subject)."""
    groups = [group[7:] for group in payload.get("groups", []) if group.startswith("ticket.")]
    headers = payload.get("headers") if isinstance(payload.get("headers"), dict) else {}
    return groups[0] if groups else headers.get("X-Helpdesk-Ticket") or str(payload.get("subject", ""))


def run_and_roll_back(raws: list[bytes], mailbox: Mailbox, process) -> tuple[dict, list]:
    with transaction.atomic():
        rows = actions.store_batch([{"raw": raw, "mailbox": mailbox} for raw in raws])
        results = process([row.pk for row in rows])
        taken = snapshot(rows)
        transaction.set_rollback(True)
    return taken, [(result.outcome, positions(result.reason, rows)) for result in results]


def positions(reason: str, rows: list[RawMessage]) -> str:
    """Reasons name the first copy by its id, which differs between the runs on PostgreSQL: use positions."""
    for n, row in enumerate(rows):
        reason = reason.replace(f"nr {row.pk})", f"#{n})")
    return reason


@pytest.fixture
def unreadable(monkeypatch):
    from inbox_ingest import parsing

    real = parsing.parse

    def parse(raw):
        if b"ZEPSUTA" in raw:
            raise ValueError("nie do odczytania")
        return real(raw)

    monkeypatch.setattr(parsing, "parse", parse)


def test_a_batch_writes_exactly_what_one_by_one_processing_writes(world, unreadable, monkeypatch):
    raws = messages(world["earlier"])
    one_by_one, outcomes = run_and_roll_back(raws, world["mailbox"], lambda ids: [actions.process(i) for i in ids])
    usual = []  # the messages the batch took the usual way (a flush, then messages.ingest)
    real_one = batching.Batch._one
    monkeypatch.setattr(
        batching.Batch,
        "_one",
        lambda self, row, *args, **kw: usual.append(row.message_id) or real_one(self, row, *args, **kw),
    )
    batched, batch_outcomes = run_and_roll_back(raws, world["mailbox"], actions.process_batch)
    assert batch_outcomes == outcomes
    # a copy, a bounce, references in the subject, a reply to one of them, an unreadable message; every other
    # reply and automatic answer is written in the batch, to tickets from before it and to the batch's own
    assert usual == ["<a3@x>", "<bounce1@mx>", "<a12@x>", "<a13@x>", "<a19@x>", "<bad@x>"]
    assert [outcome for outcome, _reason in outcomes] == [
        *["created"] * 5,
        "appended",  # a reply to a ticket of the same batch …
        "autoreply",
        "autoreply",  # … and an automatic answer to one: both written in the batch
        "duplicate",
        *["appended"] * 4,  # answers to: a message with a copy, a reply, an automatic answer, an assigned ticket
        *["created"] * 6,  # the first: an answer to an automatic answer that went on no ticket
        "bounce",
        *["created"] * 3,
        "appended",
        "autoreply",
        "appended",  # a reply to a reply appended to a ticket from before the batch
        "created",
        "appended",
        "appended",  # a reply to a message that went the usual way: the usual way
        "quarantined",
        *["created"] * 6,
        "appended",  # a reply to a ticket of the same batch written before a flush …
        "autoreply",
        "appended",  # … and to the batch's first ticket, written two flushes ago
    ]
    for key in ("raw", "sent", "failing", "last_assigned", "outbox", "search", "sla_due"):
        assert batched[key] == one_by_one[key], key
    assert all(batched["search"].values()) and any(due for _reference, due in batched["sla_due"])
    for mine, theirs in zip(batched["tickets"], one_by_one["tickets"], strict=True):
        assert mine == theirs
    # the scenario exercises what it claims to
    tickets = {t["ticket"][1]: t for t in batched["tickets"]}
    assert tickets["Pytanie"]["ticket"][5] == "woj-14"
    assert tickets["Dwie jednostki"]["ticket"][13] == "ambiguous"
    assert tickets["Pytanie o MZ-88"]["ticket"][3] == 3 and tickets["Pytanie o MZ-88"]["ticket"][12] == ["mz-88"]
    assert {t["ticket"][7] for t in batched["tickets"]} >= {"agent0", "agent1", "agent2"}
    assert len(batched["sent"]) == sum(1 for row in batched["sent"] if row[1] == "petla@example.pl") + len(
        {row[0] for row in batched["sent"] if row[1] != "petla@example.pl"}
    )
    assert [row[1] for row in batched["sent"]].count("petla@example.pl") == 3  # the loop guard's limit
    assert not {"odbija@example.pl", "pada@example.pl"} & {row[1] for row in batched["sent"]}
    assert any(t["timers"] for t in batched["tickets"])
    assert any(o[2].get("headers", {}).get("X-Helpdesk-Notice") == "routed" for o in batched["outbox"]["rows"])
    assert any(o[2].get("subject", "").endswith("Reset hasła") for o in batched["outbox"]["rows"])
    followed = [o for o in batched["outbox"]["rows"] if o[2].get("event", {}).get("change") == "followed"]
    assert len(followed) == 5  # two replies and the automatic answer (written in the batch), two the usual way
    attachments = [a for t in batched["tickets"] for e in t["entries"] for a in e[13]]
    assert len(attachments) == 3 and len({a[3] for a in attachments}) == 2
    assert [len(tickets[subject]["entries"]) for subject in ("Pytanie", "Inne", "Nowe 1", "Nowe 2")] == [4, 3, 2, 2]
    assert len(tickets["Zapomniałem hasła"]["entries"]) == 2 and tickets["Zapomniałem hasła"]["ticket"][7]


def test_a_batch_of_new_messages_needs_a_few_queries_not_dozens_per_message(
    world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    raws = [message(sender=f"n{n}@example.pl", message_id=f"<q{n}@x>", subject=f"Nowe {n}") for n in range(50)]
    rows = actions.store_batch([{"raw": raw, "mailbox": world["mailbox"]} for raw in raws])
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(60):
        results = actions.process_batch([row.pk for row in rows])
    assert [result.outcome for result in results] == ["created"] * 50
    assert Ticket.objects.filter(entries__message_id__startswith="<q").distinct().count() == 50
    assert len(callbacks) == 1  # the batch's outbox rows go to Celery in one task


@pytest.mark.parametrize(
    ("status", "flushes", "final_status"),
    [("new", 1, "new"), ("open", 1, "open"), ("waiting_customer", 2, "open"), ("resolved", 2, "open")],
)
def test_a_reply_to_an_open_ticket_from_before_the_batch_does_not_split_it_but_one_that_reopens_does(
    world, monkeypatch, status, flushes, final_status
):
    """The new tickets held by the batch are written once, unless a reply reopens a ticket (who has how many
    open tickets changes then, so the ones before it are written first, as one by one)."""
    earlier = world["earlier"]
    Ticket.objects.filter(pk=earlier.pk).update(status=status)
    calls = []
    real = batching.Batch._write
    monkeypatch.setattr(
        batching.Batch,
        "_write",
        lambda self, opening, appending: calls.append(len(opening) + len(appending)) or real(self, opening, appending),
    )
    raws = [
        message(sender="n1@example.pl", message_id="<r1@x>", subject="Nowe 1"),
        message(sender="stary@example.pl", message_id="<r2@x>", headers={"In-Reply-To": "<stare@example.pl>"}),
        message(sender="n2@example.pl", message_id="<r3@x>", subject="Nowe 2"),
    ]
    rows = actions.store_batch([{"raw": raw, "mailbox": world["mailbox"]} for raw in raws])
    results = actions.process_batch([row.pk for row in rows])
    assert [result.outcome for result in results] == ["created", "appended", "created"]
    assert [n for n in calls if n] == ([3] if flushes == 1 else [1, 1])  # 2 tickets and the reply, or split
    earlier.refresh_from_db()
    assert earlier.status == final_status
    assert earlier.entries.filter(message_id="<r2@x>").exists()


def test_a_reply_to_a_ticket_the_batch_opened_does_not_split_it(world, monkeypatch):
    """A reply (or an automatic answer) to a message of the same batch is written in the batch, after the new
    tickets, onto the ticket its message opened (or the one it was appended to), with one flush in all."""
    calls = []
    real = batching.Batch._write
    monkeypatch.setattr(
        batching.Batch,
        "_write",
        lambda self, opening, appending: calls.append(len(opening) + len(appending)) or real(self, opening, appending),
    )
    raws = [
        message(sender="n1@example.pl", message_id="<s1@x>", subject="Nowe 1"),
        message(sender="n2@example.pl", message_id="<s2@x>", subject="Nowe 2"),
        message(sender="n1@example.pl", message_id="<s3@x>", subject="Re: Nowe 1", headers={"In-Reply-To": "<s1@x>"}),
        message(sender="stary@example.pl", message_id="<s4@x>", headers={"In-Reply-To": "<stare@example.pl>"}),
        message(
            sender="n1@example.pl",
            message_id="<s5@x>",
            subject="Nieobecność",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<s3@x>", "References": "<s1@x> <s3@x>"},
        ),
        message(sender="stary@example.pl", message_id="<s6@x>", headers={"In-Reply-To": "<s4@x>"}),
        message(sender="n3@example.pl", message_id="<s7@x>", subject="Nowe 3"),
    ]
    rows = actions.store_batch([{"raw": raw, "mailbox": world["mailbox"]} for raw in raws])
    results = actions.process_batch([row.pk for row in rows])
    assert [result.outcome for result in results] == [
        "created", "created", "appended", "appended", "autoreply", "appended", "created"
    ]  # fmt: skip
    assert [n for n in calls if n] == [7]  # 3 tickets and 4 entries, written once
    first, earlier = Ticket.objects.get(subject="Nowe 1"), world["earlier"]
    assert [result.ticket for result in results] == [
        first.reference, ANY, first.reference, earlier.reference, first.reference, earlier.reference, ANY
    ]  # fmt: skip
    assert list(first.entries.order_by("pk").values_list("message_id", flat=True)) == ["<s1@x>", "<s3@x>", "<s5@x>"]
    assert first.status == "new"  # an inbound entry leaves a new ticket as it is, as add_entries() does
    assert list(earlier.entries.order_by("pk").values_list("message_id", flat=True)) == [
        "<stare@example.pl>", "<s4@x>", "<s6@x>"
    ]  # fmt: skip
    events = TicketEvent.objects.filter(ticket=first).order_by("pk").values_list("kind", flat=True)
    assert list(events)[-2:] == ["entry_added", "entry_added"]


def test_a_failure_while_writing_a_batch_falls_back_to_one_by_one_and_quarantines_only_the_bad_message(
    world, monkeypatch
):
    from tickets import opening

    real = opening.new_entry

    def failing(ticket, actor, **fields):
        if "ZEPSUTY" in fields.get("subject", ""):
            raise ValueError("zepsuty wpis")
        return real(ticket, actor, **fields)

    monkeypatch.setattr(opening, "new_entry", failing)
    raws = [message(message_id=f"<f{n}@x>", subject="ZEPSUTY" if n == 2 else f"Dobry {n}") for n in range(5)]
    rows = actions.store_batch([{"raw": raw, "mailbox": world["mailbox"]} for raw in raws])
    results = actions.process_batch([row.pk for row in rows])
    assert [result.outcome for result in results] == ["created", "created", "quarantined", "created", "created"]
    assert "zepsuty wpis" in results[2].reason
    assert Ticket.objects.filter(subject__startswith="Dobry").count() == 4


def test_opening_tickets_in_one_batch_gives_the_same_tickets_as_one_at_a_time(world, central, queue_14):
    """Identification, routing, deadlines, SLA clocks and the round-robin assignment carried in memory decide
    for a batch what they decide for its requests opened one by one, in order."""
    items = [
        {
            "channel": "email",
            "subject": f"Sprawa {n} MZ-88",
            "body_text": "REGON 123456785" if n % 2 else "Treść",
            "requester_email": f"p{n}@example.pl",
            "fallback_queue": central,
        }
        for n in range(6)
    ]
    items.append(
        {
            "channel": "phone",
            "subject": "Telefon",
            "body_text": "x",
            "queue": queue_14,
            "requester_phone": "+48501369856",
        }
    )

    def taken(open_all):
        with transaction.atomic():
            tickets = open_all()
            data = [snapshot([])["tickets"], [t.reference for t in tickets]]
            transaction.set_rollback(True)
        return data

    requests = [new_ticket(**item) for item in items]
    one_by_one = taken(lambda: [ticket_actions.open_tickets([request], actor=None)[0] for request in requests])
    batched = taken(lambda: ticket_actions.open_tickets(requests, actor=None))
    assert batched == one_by_one and len(batched[1]) == 7
