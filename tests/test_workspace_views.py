"""The ticket list's workspace views (with counts), sorting and saved views, scoped like every ticket read."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import ReportingUnit
from tickets import actions, selectors
from tickets.models import Priority, SavedView, SlaTimer, Status, Ticket

pytestmark = pytest.mark.django_db


def counts(client) -> dict[str, int]:
    return {v["slug"]: v["count"] for v in client.get(reverse("tickets:list")).context["workspace_views"]}


def refs(client, **params) -> list[str]:
    return [t.reference for t in client.get(reverse("tickets:list"), params).context["page"]]


def test_each_workspace_view_lists_and_counts_its_tickets(client, alice, central, queue_14, open_email_ticket):
    mine = open_email_ticket(central, subject="Moje")
    actions.assign(actor=None, ticket=mine, assignee=alice)
    unassigned = open_email_ticket(queue_14, subject="Nikogo")
    waiting = open_email_ticket(central, subject="Czeka")
    actions.change_status(actor=None, ticket=waiting, status=Status.WAITING_CUSTOMER)
    region = open_email_ticket(queue_14, subject="Województwo")
    actions.change_status(actor=None, ticket=region, status=Status.WAITING_REGION)
    late = open_email_ticket(central, subject="Po terminie")
    # clocks set by hand: the ticket's nearest due time (which tickets.sla.sync keeps) is set with them
    past_due = timezone.now() - dt.timedelta(hours=1)
    SlaTimer.objects.filter(ticket=late).update(state=SlaTimer.State.RUNNING, due_at=past_due)
    Ticket.objects.filter(pk=late.pk).update(sla_due_at=past_due)
    old = open_email_ticket(central, subject="Stare")
    Ticket.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=3))
    central.members.add(alice)

    client.force_login(alice)
    got = counts(client)
    assert "region" not in got  # an agent sees everything; the voivodeship view is for regional administrators
    assert got["mine"] == 1 and refs(client, view="mine") == [mine.reference]
    assert got["waiting_customer"] == 1 and refs(client, view="waiting_customer") == [waiting.reference]
    assert got["waiting_region"] == 1 and refs(client, view="waiting_region") == [region.reference]
    assert got["overdue"] == 1 and refs(client, view="overdue") == [late.reference]
    assert got["unassigned"] == 5 and mine.reference not in refs(client, view="unassigned")
    assert unassigned.reference in refs(client, view="unassigned")
    assert got["my_queues"] == 4 and set(refs(client, view="my_queues")) == {
        mine.reference,
        waiting.reference,
        late.reference,
        old.reference,
    }
    assert got["recent"] == 5 and old.reference not in refs(client, view="recent")
    # an unknown view is ignored (the whole list), never an error
    assert len(refs(client, view="cokolwiek")) == 6


def test_overdue_counts_clocks_past_due_and_breached_clocks_since_paused(client, alice, central, open_email_ticket):
    """A clock breached before the ticket went to wait for the customer stays overdue though paused (it has no
    due time then); a clock merely paused, or running with time left, does not."""
    long_ago = timezone.now() - dt.timedelta(days=30)
    on_time = open_email_ticket(central, subject="W terminie")
    paused_in_time = open_email_ticket(central, subject="Wstrzymane w terminie")
    actions.change_status(actor=None, ticket=paused_in_time, status=Status.WAITING_CUSTOMER)
    breached_then_paused = open_email_ticket(central, subject="Przekroczone i wstrzymane")
    # its clocks have been running for a month (more working time than any target) when the agent asks the
    # customer: tickets.sla marks them breached as it pauses them
    SlaTimer.objects.filter(ticket=breached_then_paused).update(running_since=long_ago, due_at=long_ago)
    Ticket.objects.filter(pk=breached_then_paused.pk).update(sla_due_at=long_ago)
    actions.change_status(actor=None, ticket=breached_then_paused, status=Status.WAITING_CUSTOMER)
    breached_then_paused.refresh_from_db()
    clocks = SlaTimer.objects.filter(ticket=breached_then_paused).exclude(state=SlaTimer.State.DONE)
    assert breached_then_paused.sla_due_at is None and clocks.exists()
    assert all(c.state == SlaTimer.State.PAUSED and c.breached_at is not None for c in clocks)

    client.force_login(alice)
    assert counts(client)["overdue"] == 1
    assert refs(client, view="overdue") == [breached_then_paused.reference]
    assert on_time.reference in refs(client) and paused_in_time.reference in refs(client)
    # its customer answers: the clock runs again, already past its target, and the ticket stays overdue
    actions.change_status(actor=None, ticket=breached_then_paused, status=Status.OPEN)
    assert counts(client)["overdue"] == 1 and refs(client, view="overdue") == [breached_then_paused.reference]


def test_a_regional_admin_of_another_voivodeship_sees_no_counts_or_tickets_of_another(
    client, bob, celina, queue_14, queue_24, open_email_ticket
):
    ticket_14 = open_email_ticket(queue_14, subject="Mazowieckie")
    actions.change_status(actor=None, ticket=ticket_14, status=Status.WAITING_REGION)
    ticket_24 = open_email_ticket(queue_24, subject="Śląskie")

    client.force_login(celina)
    got = counts(client)
    assert got["region"] == 1 and got["unassigned"] == 1 and got["waiting_region"] == 0 and got["recent"] == 1
    for view in ("region", "unassigned", "waiting_region", "recent", "overdue", "mine", "my_queues"):
        assert ticket_14.reference not in refs(client, view=view)
    assert refs(client, view="region") == [ticket_24.reference]

    client.force_login(bob)
    got = counts(client)
    assert got["region"] == 1 and got["waiting_region"] == 1
    assert refs(client, view="region") == [ticket_14.reference]


def test_a_regional_admins_counts_are_those_of_their_lists_wherever_the_ticket_is(
    client, bob, central, queue_14, queue_24, open_email_ticket
):
    """A regional administrator's views are counted part by part (their queues; their units in other queues):
    each count is the length of the view's list, with tickets in every place that concerns them."""
    radom = ReportingUnit.objects.create(name="Szpital w Radomiu", regon="123456785", voivodeship_id="14")
    gliwice = ReportingUnit.objects.create(name="Przychodnia w Gliwicach", regon="730000005", voivodeship_id="24")
    places = [
        (queue_14, None),
        (queue_14, gliwice),
        (central, radom),
        (queue_24, radom),
        (queue_24, gliwice),
        (queue_14, radom),  # in both parts' reach: counted once
    ]
    tickets = [open_email_ticket(queue, subject=f"{queue.slug} {unit}", reporting_unit=unit) for queue, unit in places]
    for ticket in tickets[::2]:
        actions.change_status(actor=None, ticket=ticket, status=Status.WAITING_REGION)
    actions.assign(actor=None, ticket=tickets[1], assignee=bob)
    past_due = timezone.now() - dt.timedelta(hours=1)
    Ticket.objects.filter(pk__in=[tickets[2].pk, tickets[3].pk]).update(sla_due_at=past_due)
    actions.change_status(actor=None, ticket=tickets[3], status=Status.CLOSED)  # closed: in "recent" only
    queue_14.members.add(bob)

    client.force_login(bob)
    got = counts(client)
    for view in ("mine", "my_queues", "region", "unassigned", "overdue", "waiting_region", "recent", "followed"):
        assert got[view] == len(refs(client, view=view)), view
    assert got == {
        "mine": 1,
        "my_queues": 3,
        "region": 3,
        "unassigned": 3,
        "overdue": 1,
        "waiting_customer": 0,
        "waiting_region": 2,
        "recent": 5,
        "followed": 0,
    }
    assert tickets[4].reference not in refs(client)


def test_a_regional_admins_count_stops_at_the_cap_over_both_parts(
    bob, central, queue_14, open_email_ticket, monkeypatch
):
    monkeypatch.setattr(selectors, "VIEW_COUNT_CAP", 3)
    radom = ReportingUnit.objects.create(name="Szpital w Radomiu", regon="123456785", voivodeship_id="14")
    for n in range(2):
        open_email_ticket(queue_14, subject=f"Województwo {n}")
        open_email_ticket(central, subject=f"Centrala {n}", reporting_unit=radom)
    views = {v["slug"]: v for v in selectors.workspace_views(bob)}
    assert views["unassigned"]["count"] == 3 and views["unassigned"]["capped"]
    assert views["region"]["count"] == 2 and not views["region"]["capped"]


@pytest.mark.parametrize(
    "who, where, statements_on_postgresql, statements_on_sqlite",
    [
        # one capped count per view in one statement (on PostgreSQL also the one that turns parallel workers off)
        ("alice", "central", 2, 1),
        # a regional administrator's views counted in one pass over each part of what they may read
        ("bob", "queue_14", 3, 2),
    ],
)
def test_the_counts_take_the_same_queries_whatever_the_number_of_tickets(
    request, who, where, statements_on_postgresql, statements_on_sqlite, open_email_ticket
):
    user, queue = request.getfixturevalue(who), request.getfixturevalue(where)
    open_email_ticket(queue)
    with CaptureQueriesContext(connection) as few:
        selectors.workspace_views(user)
    for n in range(10):
        open_email_ticket(queue, subject=f"Kolejne {n}")
    user = type(user).objects.get(
        pk=user.pk
    )  # the scope is cached on the user object: read it again, as a request does
    with CaptureQueriesContext(connection) as many:
        views = selectors.workspace_views(user)
    statements = [
        [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN"))]
        for ctx in (few, many)
    ]
    expected = statements_on_postgresql if connection.vendor == "postgresql" else statements_on_sqlite
    assert len(statements[0]) == len(statements[1]) == expected
    assert {v["slug"]: v["count"] for v in views}["unassigned"] == 11


def test_the_list_sorts_by_a_whitelisted_key_only(client, alice, central, open_email_ticket):
    first = open_email_ticket(central, subject="Pierwsze")
    second = open_email_ticket(central, subject="Drugie")
    actions.change_priority(actor=None, ticket=first, priority=Priority.URGENT)
    # clocks set by hand: the ticket's nearest due time (which tickets.sla.sync keeps) is set with them
    soon, later = timezone.now() - dt.timedelta(minutes=5), timezone.now() + dt.timedelta(days=2)
    SlaTimer.objects.filter(ticket=second).update(state=SlaTimer.State.RUNNING, due_at=soon)
    SlaTimer.objects.filter(ticket=first).update(state=SlaTimer.State.RUNNING, due_at=later)
    Ticket.objects.filter(pk=first.pk).update(sla_due_at=later)
    Ticket.objects.filter(pk=second.pk).update(updated_at=timezone.now() + dt.timedelta(minutes=1), sla_due_at=soon)
    client.force_login(alice)
    assert refs(client) == [second.reference, first.reference]
    assert refs(client, sort="created") == [second.reference, first.reference]
    assert refs(client, sort="priority") == [first.reference, second.reference]
    assert refs(client, sort="sla") == [second.reference, first.reference]
    # anything outside the whitelist (e.g. a field name) falls back to the newest activity
    assert refs(client, sort="requester_email") == [second.reference, first.reference]
    assert client.get(reverse("tickets:list"), {"sort": "-id;drop"}).context["filters"].sort == "updated"


def test_a_saved_view_keeps_only_list_parameters_and_is_listed_for_its_owner(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("tickets:saved_view_create"),
        {"name": "Pilne u mnie", "query": "view=mine&sort=priority&evil=1&status=open"},
    )
    view = SavedView.objects.get(user=alice)
    assert view.query == "view=mine&status=open&sort=priority"
    assert response.status_code == 302 and response["Location"].endswith("?view=mine&status=open&sort=priority")
    page = client.get(reverse("tickets:list")).content.decode()
    assert "Pilne u mnie" in page and "?view=mine&amp;status=open&amp;sort=priority" in page


def test_a_saved_view_without_a_name_gets_a_polish_error_and_nothing_is_saved(client, alice):
    client.force_login(alice)
    response = client.post(reverse("tickets:saved_view_create"), {"name": "  ", "query": "view=mine"}, follow=True)
    assert "Podaj nazwę widoku." in response.content.decode()
    assert not SavedView.objects.exists()


def test_a_saved_view_of_another_user_is_neither_listed_nor_deletable(client, alice, bob, celina):
    others = SavedView.objects.create(user=bob, name="Widok Boba", query="view=region")
    own = SavedView.objects.create(user=celina, name="Widok Celiny", query="view=unassigned")
    client.force_login(celina)
    page = client.get(reverse("tickets:list")).content.decode()
    assert "Widok Celiny" in page and "Widok Boba" not in page
    assert client.post(reverse("tickets:saved_view_delete", args=[others.pk])).status_code == 404
    assert SavedView.objects.filter(pk=others.pk).exists()
    assert client.get(reverse("tickets:saved_view_delete", args=[own.pk])).status_code == 405
    assert client.post(reverse("tickets:saved_view_delete", args=[own.pk])).status_code == 302
    assert not SavedView.objects.filter(pk=own.pk).exists()


def test_a_count_stops_at_the_cap_and_says_so(client, alice, central, open_email_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "VIEW_COUNT_CAP", 3)
    for n in range(4):
        open_email_ticket(central, subject=f"Zgłoszenie {n}")
    views = {v["slug"]: v for v in selectors.workspace_views(alice)}
    assert views["unassigned"]["count"] == 3 and views["unassigned"]["capped"]
    assert views["mine"]["count"] == 0 and not views["mine"]["capped"]
    client.force_login(alice)
    assert '<span class="count">3+</span>' in client.get(reverse("tickets:list")).content.decode()
