"""One rule for who may do what with a ticket (tickets.ticket_access), in all its forms at once: the check for one
ticket, the queryset, the people turned around, and the live-push groups against a socket's subscriptions. They
agree for every persona and every place a ticket can be in; and the regional administrator of another
voivodeship can neither read, work on nor assign a ticket that is not theirs."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from contacts.models import ReportingUnit
from helpdesk import live_groups
from helpdesk.models import Role, User
from tests.ticket_requests import new_entry, new_ticket
from tickets import actions, ticket_access
from tickets.models import Entry, Queue

pytestmark = pytest.mark.django_db

PLACES = [  # (queue, voivodeship of the reporting unit or None)
    ("woj-14", None),
    ("woj-14", "14"),
    ("woj-14", "24"),
    ("woj-24", "14"),
    ("centralna", None),
    ("centralna", "14"),
    ("do-rozdzielenia", "24"),
]


@pytest.fixture
def dorota(db) -> User:
    """A regional administrator of two voivodeships."""
    user = User.objects.create_user(username="dorota", password="test-pass-123", role=Role.REGIONAL_ADMIN)
    user.voivodeships.set(["14", "24"])
    return user


@pytest.fixture
def tickets_everywhere(db):
    units = {
        "14": ReportingUnit.objects.create(name="Szpital w Radomiu", regon="123456785", voivodeship_id="14"),
        "24": ReportingUnit.objects.create(name="Przychodnia w Gliwicach", regon="730000005", voivodeship_id="24"),
    }
    return actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject=f"Zgłoszenie w {queue} o jednostce {unit}",
                body_text="Pytanie o MZ-11",
                queue=Queue.objects.get(slug=queue),
                reporting_unit=units[unit] if unit else None,
            )
            for queue, unit in PLACES
        ],
        actor=None,
    )


def test_the_check_the_queryset_the_readers_and_the_live_groups_agree(
    alice, bob, celina, szef, redaktor, dorota, tickets_everywhere
):
    for user in (alice, bob, celina, szef, redaktor, dorota):
        listed = set(ticket_access.readable(user).values_list("pk", flat=True))
        for ticket in tickets_everywhere:
            ticket.refresh_from_db()
            reads = ticket_access.may_read(user, ticket)
            list_groups = set(ticket_access.push_groups(ticket)) - {live_groups.ticket(ticket.pk)}
            heard = bool(set(ticket_access.subscriptions(user)) & list_groups)
            named = ticket_access.readers(ticket).filter(pk=user.pk).exists()
            assert (ticket.pk in listed, heard, named) == (reads, reads, reads), (user.username, ticket.subject)
            works = ticket_access.may_work(user, ticket)
            assert ticket_access.workers(ticket.queue).filter(pk=user.pk).exists() == works, user.username
            assert not works or reads  # nobody works on a ticket they cannot read


def test_the_parts_of_the_queryset_are_disjoint_and_make_it_up(alice, szef, redaktor, dorota, tickets_everywhere):
    """tickets.selectors counts a regional administrator's tickets part by part: no ticket counted twice, none
    left out."""
    for user in (alice, szef, redaktor, dorota):
        listed = set(ticket_access.readable(user).values_list("pk", flat=True))
        parts = [set(part.values_list("pk", flat=True)) for part in ticket_access.readable_parts(user)]
        assert sum(len(part) for part in parts) == len(set().union(*parts)), user.username
        assert set().union(*parts) == listed, user.username
    # Dorota's: the tickets of her queues (whatever their unit), then those about her units elsewhere
    of_queues, about_units = (set(part.values_list("queue__slug", "reporting_unit__voivodeship")) for part in
                              ticket_access.readable_parts(dorota))  # fmt: skip
    assert of_queues == {("woj-14", None), ("woj-14", "14"), ("woj-14", "24"), ("woj-24", "14")}
    assert about_units == {("centralna", "14"), ("do-rozdzielenia", "24")}


def test_a_regional_admin_reads_a_ticket_about_their_unit_in_another_queue_but_works_only_in_their_own(
    bob, celina, tickets_everywhere
):
    by_place = dict(zip(PLACES, tickets_everywhere, strict=True))
    central_about_radom = by_place[("centralna", "14")]
    silesian_about_radom = by_place[("woj-24", "14")]
    for ticket in (central_about_radom, silesian_about_radom):
        assert ticket_access.may_read(bob, ticket)
        assert not ticket_access.may_work(bob, ticket) and not ticket_access.may_assign(bob, ticket)
    assert ticket_access.may_work(celina, silesian_about_radom)  # her queue, whatever the unit
    assert not ticket_access.may_read(celina, central_about_radom)


def test_a_regional_admin_of_another_voivodeship_neither_reads_works_on_nor_assigns(client, bob, celina, queue_14):
    ticket = actions.open_tickets(
        [new_ticket(channel="email", subject="Korekta MZ-11", body_text="Dział II", queue=queue_14)], actor=None
    )[0]
    assert not ticket_access.may_read(celina, ticket)
    assert not ticket_access.may_work(celina, ticket)
    assert not ticket_access.may_assign(celina, ticket)
    assert not ticket_access.readable(celina).filter(pk=ticket.pk).exists()
    with pytest.raises(PermissionDenied):
        actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="wtrącam się")], actor=celina)
    with pytest.raises(PermissionDenied):
        actions.assign(actor=celina, ticket=ticket, assignee=celina)
    client.force_login(celina)
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 404
    assert client.post(reverse("tickets:assign", args=[ticket.reference]), {"assignee": celina.pk}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.assignee_id is None and not ticket.entries.filter(kind=Entry.Kind.NOTE).exists()


def test_the_ticket_page_offers_assigning_only_where_the_user_may_assign(client, bob, tickets_everywhere):
    """A regional administrator reading a ticket about their unit in the central queue is not offered the
    assignment form the action would refuse (the page used to ask the role only, not the ticket)."""
    by_place = dict(zip(PLACES, tickets_everywhere, strict=True))
    client.force_login(bob)
    for place, offered in ((("centralna", "14"), False), (("woj-14", "24"), True)):
        reference = by_place[place].reference
        page = client.get(reverse("tickets:detail", args=[reference])).content.decode()
        assert (f'action="{reverse("tickets:assign", args=[reference])}"' in page) is offered, place
    with pytest.raises(PermissionDenied):
        actions.assign(actor=bob, ticket=by_place[("centralna", "14")], assignee=bob)


def test_a_ticket_that_leaves_a_voivodeship_is_dropped_only_from_the_lists_that_no_longer_see_it():
    place = ticket_access.Place
    assert ticket_access.groups_losing_sight(place("14"), place(None)) == [live_groups.voivodeship("14")]
    assert ticket_access.groups_losing_sight(place("14", unit="14"), place(None, unit="14")) == []
    assert ticket_access.groups_losing_sight(place(None, unit="14"), place(None, unit="24")) == [
        live_groups.voivodeship("14")
    ]
