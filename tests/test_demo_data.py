"""`manage.py load_demo`: the demo data is valid, idempotent, and usable by the demo accounts."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from stdnum.pl import nip, regon

from contacts.models import (
    Person,
    PersonEmail,
    PersonPhone,
    RegionalOffice,
    ReportingUnit,
    UnitMembership,
)
from helpdesk.models import CalendarClosure, OutboxMessage, User
from tickets import selectors
from tickets.models import Attachment, Entry, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

COUNTED = [
    RegionalOffice,
    ReportingUnit,
    Person,
    PersonEmail,
    PersonPhone,
    UnitMembership,
    User,
    CalendarClosure,
    Ticket,
    Entry,
    TicketEvent,
    Attachment,
    OutboxMessage,
]


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_load_demo_runs_twice_without_creating_duplicates():
    load_demo()
    first = counts()
    load_demo()
    assert counts() == first
    assert first["RegionalOffice"] == 16
    assert first["ReportingUnit"] >= 300
    assert 35 <= first["Ticket"] <= 50


def test_every_demo_unit_has_a_valid_regon_and_nip():
    load_demo()
    units = list(ReportingUnit.objects.all())
    assert {unit.voivodeship_id for unit in units} == {f"{code:02d}" for code in range(2, 33, 2)}
    for unit in units:
        assert regon.is_valid(unit.regon), unit.regon
        assert nip.is_valid(unit.nip), unit.nip
        assert len(unit.rpwdl) == 12 and unit.rpwdl.isdigit()
    assert any(len(unit.regon) == 14 for unit in units), "some local units have a 14-digit REGON"


def test_the_regional_admin_of_14_sees_tickets_in_queue_woj_14_and_nothing_of_other_voivodeships():
    load_demo()
    admin_14 = User.objects.get(username="mazowieckie")
    visible = selectors.tickets_for_user(admin_14)
    assert visible.filter(queue__slug="woj-14").count() >= 3
    # elsewhere only tickets about units of voivodeship 14 (e.g. handed back to the central desk)
    assert not visible.exclude(queue__slug="woj-14").exclude(reporting_unit__voivodeship_id="14").exists()
    assert Ticket.objects.filter(queue__slug="woj-24").exists()


def test_every_sample_ticket_was_written_through_the_actions_with_its_event_log():
    load_demo()
    for ticket in Ticket.objects.all():
        kinds = list(ticket.events.values_list("kind", flat=True))
        assert kinds[0] == "opened"
        assert kinds.count("entry_added") == ticket.entries.count()
    assert Entry.objects.filter(kind=Entry.Kind.CALL, call_duration_seconds__gt=0).exists()
    assert Attachment.objects.filter(content_type="image/png").exists()


def test_the_demo_users_can_log_in_with_their_printed_passwords(client):
    printed = load_demo("--quiet")
    logins = re.findall(r"^\s+(\S+)\s+(demo-\S+)\s", printed, flags=re.MULTILINE)
    assert {username for username, _ in logins} == {
        "agent", "agent2", "mazowieckie", "slaskie", "kierownik", "redaktor", "admin",
    }  # fmt: skip
    assert "jednostki sprawozdawcze" not in printed, "--quiet prints only the logins"
    for username, password in logins:
        assert client.login(username=username, password=password), username
        client.logout()


def test_a_second_run_keeps_a_password_the_user_has_changed():
    load_demo()
    agent = User.objects.get(username="agent")
    agent.set_password("moje-nowe-haslo")
    agent.save()
    load_demo()
    agent.refresh_from_db()
    assert agent.check_password("moje-nowe-haslo")


def test_demo_data_is_refused_on_a_production_installation(settings):
    from django.core.management import CommandError

    settings.ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("load_demo", "--quiet", stdout=StringIO())
    assert not User.objects.filter(username="admin").exists()
