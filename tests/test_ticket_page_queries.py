"""The ticket page runs the same number of SQL queries however long the conversation and its event log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.ticket_requests import new_entry
from tickets import actions, selectors
from tickets.models import Entry

pytestmark = pytest.mark.django_db


def _grow(ticket, alice, rounds: int) -> None:
    for n in range(rounds):
        actions.add_entries(
            [
                new_entry(
                    ticket=ticket,
                    kind=Entry.Kind.INBOUND,
                    body_text=f"Pytanie {n}",
                    attachments=[actions.NewAttachment(filename=f"zrzut-{n}.png", content=f"png {n}".encode())],
                )
            ],
            actor=None,
        )[0]
        actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text=f"Notatka {n}")], actor=alice)[0]
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
    # attachments, canned replies, queues, staff, the live notices' cursor (newest outbox row)
    assert queries <= 17, queries


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
            actions.add_entries(
                [new_entry(ticket=target, kind=Entry.Kind.NOTE, body_text=f"@bob @szef uwaga {n}")], actor=alice
            )[0]
        for person in (alice, bob, szef)[: min(count, 3)]:
            actions.follow(actor=person, ticket=target)
    client.force_login(alice)
    _queries_for(client, few)
    queries = _queries_for(client, few)
    assert _queries_for(client, many) == queries
    assert queries <= 19, queries


def test_a_long_conversation_shows_its_newest_entries_and_links_to_the_older_ones(
    client, alice, queue_14, open_email_ticket, monkeypatch
):
    """Beyond PAGE_ENTRIES entries (and PAGE_EVENTS events) the page shows the newest ones, newest first, with a
    link to the whole conversation, which ?wszystkie=1 shows in the same number of queries."""
    monkeypatch.setattr(selectors, "PAGE_ENTRIES", 5)
    monkeypatch.setattr(selectors, "PAGE_EVENTS", 6)
    ticket = open_email_ticket(queue_14, body_text="Pierwsza wiadomość zgłoszenia")
    _grow(ticket, alice, 4)  # 1 + 8 entries, 1 + 12 events
    client.force_login(alice)
    url = reverse("tickets:detail", args=[ticket.reference])
    page = client.get(url)
    shown = [entry.body_text for entry in page.context["entries"]]
    assert shown[-1] == "Notatka 3" and "Pierwsza wiadomość zgłoszenia" not in shown and len(shown) == 5
    html = page.content.decode()
    assert html.index("Notatka 3") < html.index("Pytanie 3")  # newest first, visible without scrolling
    assert "Pierwsza wiadomość zgłoszenia" not in html and f"{url}?wszystkie=1#conv-h" in html
    assert "Pokaż starsze wpisy" in html and "Pokaż starsze zdarzenia" in html
    assert len(page.context["events"]) == 6 and page.context["older_events"]
    assert page.context["events"][-1][0].pk == ticket.events.order_by("created_at", "id").last().pk

    queries = _queries_for(client, ticket)
    with CaptureQueriesContext(connection) as captured:
        everything = client.get(url, {"wszystkie": "1"})
    assert len(captured) == queries
    assert everything.context["entries"][0].body_text == "Pierwsza wiadomość zgłoszenia"
    assert len(everything.context["entries"]) == 9 and not everything.context["older_entries"]
    assert len(everything.context["events"]) == ticket.events.count() and not everything.context["older_events"]
    assert "Pokaż starsze" not in everything.content.decode()


def test_a_short_conversation_has_no_link_to_older_entries(client, alice, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert not page.context["older_entries"] and not page.context["older_events"]
    assert "Pokaż starsze" not in page.content.decode() and len(page.context["entries"]) == 1
