"""The ticket list runs the same number of SQL queries whatever the number of tickets (no N+1 per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import ReportingUnit
from helpdesk import access
from helpdesk.models import User
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Category, Queue

QUEUE_SLUGS = ["centralna", "do-rozdzielenia", "woj-14", "woj-02"]
URLS = [
    "/tickets/",
    "/tickets/?status=open",
    "/tickets/?queue=woj-14&status=open",
    "/tickets/?assignee=me",
    "/tickets/?q=testowe",
    "/tickets/?page=2",
    "/tickets/?view=mine",
    "/tickets/?view=overdue&sort=sla",
    "/tickets/?view=region&sort=priority",
    "/tickets/?view=my_queues&sort=created",
]


def make_user(role: str) -> User:
    user = User.objects.create_user(username=f"{role}-1", password="haslo-testowe-123", role=role)
    if role == "regional_admin":
        user.voivodeships.set(["14"])
    return user


def open_tickets(start: int, stop: int, user: User) -> None:
    """Tickets with every related row the list shows: queue, assignee, reporting unit, category."""
    queues = [Queue.objects.get(slug=slug) for slug in QUEUE_SLUGS]
    categories = list(Category.objects.all())
    units = {
        code: ReportingUnit.objects.get_or_create(name=f"Przychodnia {code}", voivodeship_id=code)[0]
        for code in ("14", "02")
    }
    for n in range(start, stop):
        queue = queues[n % len(queues)]
        ticket = actions.open_tickets(
            [
                new_ticket(
                    channel="email",
                    subject=f"Zgłoszenie testowe {n}",
                    body_text="Treść zgłoszenia.",
                    requester_email=f"osoba{n}@example.com",
                    queue=queue,
                    reporting_unit=units.get(queue.voivodeship_id),
                    category=categories[n % len(categories)],
                )
            ],
            actor=None,
        )[0]
        if n % 2 == 0 and access.voivodeship_scope(user).allows(queue.voivodeship_id):
            actions.assign(actor=None, ticket=ticket, assignee=user)


def list_page(client, url: str) -> tuple[int, int]:
    """(number of queries, number of ticket rows) of one request of the list page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode().count('<tr class="prio-')


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "regional_admin"])
def test_ticket_list_runs_a_constant_number_of_queries(client, role):
    user = make_user(role)
    client.force_login(user)

    open_tickets(0, 5, user)
    few = {url: list_page(client, url) for url in URLS}

    open_tickets(5, 60, user)
    many = {url: list_page(client, url) for url in URLS}

    for url in URLS:
        assert many[url][0] == few[url][0], f"{url}: {few[url][0]} queries with 5 tickets, {many[url][0]} with 60"
    # the comparison means something only if the pages did show rows
    if role == "agent":
        assert few["/tickets/"][1] == 5
        assert many["/tickets/"][1] == 50
        assert many["/tickets/?page=2"][1] == 10
    else:
        assert few["/tickets/"][1] == 1  # woj-14 only: one ticket in four
        assert many["/tickets/"][1] == 15


@pytest.mark.django_db
def test_ticket_list_query_count_with_django_assert_num_queries(client, django_assert_num_queries):
    user = make_user("agent")
    client.force_login(user)
    open_tickets(0, 5, user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/tickets/").status_code == 200
    expected = len(ctx.captured_queries)

    open_tickets(5, 60, user)
    with django_assert_num_queries(expected):
        assert client.get("/tickets/").status_code == 200
