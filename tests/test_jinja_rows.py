"""The ticket list's rows are rendered by Jinja2 inside the Django page (helpdesk/speed/jinja.py): the same HTML as
the Django templates printed, Django's escaping byte for byte, times in Polish local time, and the same scope."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from contacts.models import ReportingUnit
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)  # 10:30 in Warsaw (CET)


def _listed_row(client, user, queue, open_email_ticket, **fields) -> str:
    """The list's row of a ticket opened (with `fields`) and listed at MOMENT."""
    with time_machine.travel(MOMENT, tick=False):
        ticket = open_email_ticket(queue, **fields)
        client.force_login(user)
        page = client.get(reverse("tickets:list")).content.decode()
    assert "<script>" not in page
    return _row(page, ticket.reference)


def _row(page: str, reference: str) -> str:
    found = re.search(rf'<tr class="prio-\d">\s*<td><a href="/tickets/{reference}/">.*?</tr>', page, re.DOTALL)
    assert found, f"no row for {reference}"
    return found.group(0)


def test_a_row_escapes_every_value_as_django_does(client, alice, queue_14, open_email_ticket):
    unit = ReportingUnit.objects.create(name='Szpital "Pod Lipą" & <Spółka>', regon="123456785", voivodeship_id="14")
    row = _listed_row(
        client,
        alice,
        queue_14,
        open_email_ticket,
        subject="<script>alert('x')</script> \"MZ-11\" & korekta",
        requester_name="",
        requester_email="o'brien@example.pl",
        reporting_unit=unit,
    )
    reference = re.search(r'href="/tickets/([^/]+)/"', row).group(1)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &quot;MZ-11&quot; &amp; korekta" in row
    assert "o&#x27;brien@example.pl" in row  # no name: the address, as `default` gave
    assert "Szpital &quot;Pod Lipą&quot; &amp; &lt;Spółka&gt;" in row
    assert f'<td><a href="/tickets/{reference}/">{reference}</a></td>' in row


def test_a_row_without_unit_or_assignee_shows_dashes_and_local_times(client, alice, central, open_email_ticket):
    row = _listed_row(client, alice, central, open_email_ticket, subject="Logowanie")
    cells = re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
    assert cells[5] == "—" and cells[6] == "—"  # assignee, unit
    assert '<time datetime="2027-01-15T10:30:00+01:00">15.01.2027 10:30</time>' in row
    assert '<span class="badge st-new">nowe</span>' in row and "e-mail · Jan Nowak" in row
    assert "<td>normalny</td>" in row


def test_the_sla_cell_names_the_nearest_clock_with_its_due_time(client, alice, central, open_email_ticket):
    row = _listed_row(client, alice, central, open_email_ticket, subject="Termin")
    sla = re.search(r'<span class="sla[^"]*" title="([^"]+)">([^<]+)</span>', row)
    assert sla, row
    title, text = sla.groups()
    assert re.fullmatch(r"[^:]+: \d\d\.\d\d\.2027 \d\d:\d\d", title), title
    assert text.strip()


def test_the_rows_follow_the_language_chosen(client, alice, central, open_email_ticket):
    with time_machine.travel(MOMENT, tick=False):
        ticket = open_email_ticket(central, subject="Logowanie")
        client.force_login(alice)
        client.post(reverse("set_language"), {"language": "en", "next": "/tickets/"})
        page = client.get(reverse("tickets:list")).content.decode()
    translation.activate("pl")
    row = _row(page, ticket.reference)
    assert '<span class="badge st-new">new</span>' in row and "email · Jan Nowak" in row
    assert "working min left" in row  # the SLA clock's text


def test_an_empty_list_says_so_in_polish(client, alice):
    client.force_login(alice)
    page = client.get(reverse("tickets:list"), {"q": "nieistniejące"}).content.decode()
    assert '<tr><td colspan="9">Brak zgłoszeń spełniających kryteria.</td></tr>' in page


def test_a_regional_administrator_of_another_voivodeship_gets_no_row(client, celina, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14, subject="Korekta MZ-11 w woj. 14")
    client.force_login(celina)
    page = client.get(reverse("tickets:list")).content.decode()
    assert ticket.reference not in page
    assert Ticket.objects.filter(reference=ticket.reference).exists()
