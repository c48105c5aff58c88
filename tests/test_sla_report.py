"""The SLA compliance page counts clocks met and breached per queue and month, within the reader's scope."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tickets import sla
from tickets.models import SlaTimer, Status

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


def finish(ticket, *, late: bool) -> None:
    """Resolve `ticket` on time or after its first-response and resolution due times."""
    start = timezone.now() - dt.timedelta(days=20 if late else 0, minutes=5)
    SlaTimer.objects.filter(ticket=ticket).delete()
    sla.sync(ticket, start)
    ticket.status = Status.RESOLVED
    sla.sync(ticket, timezone.now())


def test_a_lead_sees_met_and_breached_clocks_per_queue(open_email_ticket, central, queue_14, szef, client):
    finish(open_email_ticket(central), late=False)
    finish(open_email_ticket(queue_14), late=True)
    client.force_login(szef)
    page = client.get("/tickets/sla/").content.decode()
    assert "Centrala – pomoc techniczna" in page and "Województwo mazowieckie" in page
    rows = {(row.queue, row.kind): row for row in _rows(client)}
    assert rows[("Centrala – pomoc techniczna", "rozwiązanie")].met == 1
    assert rows[("Województwo mazowieckie", "rozwiązanie")].met == 0
    assert rows[("Województwo mazowieckie", "rozwiązanie")].finished == 1


def test_a_regional_administrator_sees_only_their_voivodeship(open_email_ticket, central, queue_24, celina, client):
    finish(open_email_ticket(central), late=False)
    finish(open_email_ticket(queue_24), late=True)
    client.force_login(celina)
    queues = {row.queue for row in _rows(client)}
    assert queues == {"Województwo śląskie"}


def test_a_bad_month_is_explained_and_the_current_month_shown(szef, client):
    client.force_login(szef)
    response = client.get("/tickets/sla/?month=luty", follow=True)
    assert response.status_code == 200
    assert "Miesiąc podaje się jako RRRR-MM." in response.content.decode()


def test_someone_without_a_staff_role_is_refused(client, django_user_model):
    outsider = django_user_model.objects.create_user(username="obcy", role="")
    client.force_login(outsider)
    assert client.get("/tickets/sla/").status_code == 403


def _rows(client):
    return client.get("/tickets/sla/").context["rows"]
