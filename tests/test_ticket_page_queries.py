"""The ticket page runs the same number of SQL queries however long the conversation and its event log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets import actions
from tickets.models import Entry

pytestmark = pytest.mark.django_db


def _grow(ticket, alice, rounds: int) -> None:
    for n in range(rounds):
        actions.add_entry(
            actor=None,
            ticket=ticket,
            kind=Entry.Kind.INBOUND,
            body_text=f"Pytanie {n}",
            attachments=[actions.NewAttachment(filename=f"zrzut-{n}.png", content=f"png {n}".encode())],
        )
        actions.add_entry(actor=alice, ticket=ticket, kind=Entry.Kind.NOTE, body_text=f"Notatka {n}")
        actions.change_status(actor=alice, ticket=ticket, status="resolved" if n % 2 else "open")


def _queries_for(client, ticket) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200
    return len(captured)


def test_a_long_conversation_costs_no_more_queries_than_a_short_one(client, alice, queue_14, open_email_ticket):
    short = open_email_ticket(queue_14)
    long = open_email_ticket(queue_14)
    _grow(short, alice, 1)
    _grow(long, alice, 12)
    client.force_login(alice)
    _queries_for(client, short)  # warm the session
    queries = _queries_for(client, short)
    assert _queries_for(client, long) == queries
    # session, user, ticket, events, merged duplicates, SLA, cc, mail warnings (2), links, followers, entries,
    # attachments, canned replies, queues, staff
    assert queries <= 16, queries


def test_links_followers_merged_duplicates_and_previews_cost_no_more_queries_per_item(
    client, alice, bob, szef, queue_14, open_email_ticket
):
    """The same page with one of everything and with many: links, followers, merged duplicates, mentions and
    previewed attachments are read with a fixed number of queries."""
    few, many = open_email_ticket(queue_14), open_email_ticket(queue_14)
    for target, count in ((few, 1), (many, 6)):
        for n in range(count):
            other = open_email_ticket(queue_14, subject=f"Powiązane {n}")
            actions.link_tickets(actor=alice, ticket=target, other=other)
            duplicate = open_email_ticket(
                queue_14,
                subject=f"Duplikat {n}",
                attachments=[
                    actions.NewAttachment(f"skan-{n}.png", f"png {n}".encode(), "image/png"),
                    actions.NewAttachment(f"pismo-{n}.pdf", f"%PDF {n}".encode(), "application/pdf"),
                ],
            )
            actions.merge_tickets(actor=alice, source=duplicate, target=target)
            actions.add_entry(actor=alice, ticket=target, kind=Entry.Kind.NOTE, body_text=f"@bob @szef uwaga {n}")
        for person in (alice, bob, szef)[: min(count, 3)]:
            actions.follow(actor=person, ticket=target)
    client.force_login(alice)
    _queries_for(client, few)
    queries = _queries_for(client, few)
    assert _queries_for(client, many) == queries
    assert queries <= 19, queries
