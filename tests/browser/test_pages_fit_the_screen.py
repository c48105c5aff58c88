"""Every staff page works on a 1366×768 laptop and every public page on a 360 px wide phone without horizontal
scrolling: neither the page nor any part of it (a table in a scrolling box hides its last columns) is wider
than the screen. Measured in Chromium and Firefox on pages full of long, real-looking data."""

import datetime as dt

import pytest

from contacts import lookup
from contacts.models import RegionalOffice
from helpdesk.models import Role, User
from knowledge_base import actions as kb_actions
from knowledge_base.loading import load_starter_content
from tests.submission_data import regon9, report, unit
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Channel, Queue, Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}

# What is wider than the screen: the page itself, or a box that scrolls sideways (its content hidden beyond).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) found.push(`the page: ${document.documentElement.scrollWidth} px`);
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      found.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth} px in ${el.clientWidth} px`);
  }
  return found;
}"""

LONG_UNIT = "Samodzielny Publiczny Zespół Zakładów Opieki Zdrowotnej Dermatologiczno-Wenerologicznych w Ostródzie"


def _staff(username: str, role: str, voivodeships: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(
        username=username,
        password="test-pass-123",
        role=role,
        first_name="Małgorzata",
        last_name="Wiśniewska-Kowalczyk",
    )
    if voivodeships:
        user.voivodeships.set(voivodeships)
    return user


@pytest.fixture
def full_desk():
    """Tickets in the queue with the longest name, with long subjects, units, addresses, every status and the
    SLA clocks running; a region with reports; the knowledge base; a contact-form ticket with its private link."""
    agent = _staff("alicja", Role.AGENT)
    region = _staff("bogdan", Role.REGIONAL_ADMIN, ("28",))
    editor = _staff("renata", Role.KB_EDITOR)
    load_starter_content()
    queue = Queue.objects.get(voivodeship_id="28")  # Województwo warmińsko-mazurskie
    units = [unit(7100 + n, voivodeship="28", name=f"{LONG_UNIT} nr {n}") for n in range(6)]
    for n, reporting_unit in enumerate(units):
        report(reporting_unit, "MZ-88", lookup.default_year(), ["draft", "assigned", "after_deadline"][n % 3])
    RegionalOffice.objects.create(
        voivodeship_id="28",
        name="Warmińsko-Mazurski Urząd Wojewódzki w Olsztynie",
        department="Wydział Zdrowia i Polityki Społecznej, Oddział Statystyki Medycznej",
        email="statystyka.medyczna.warminsko-mazurskie@uw.olsztyn.example.gov.pl",
        phone="+48 89 523 22 00",
        valid_from=dt.date(2020, 1, 1),
    )
    tickets = []
    for n, status in enumerate([Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_REGION] * 3):
        ticket = actions.open_tickets(
            [
                new_ticket(
                    channel=Channel.EMAIL,
                    subject=f"Korekta MZ-88 za działalność opiekuńczo-leczniczą i dermatologiczno-wenerologiczną {n}",
                    body_text="Proszę o pomoc: https://sprawozdawczosc.example.gov.pl/" + "bardzo-dlugi-adres-" * 12,
                    queue=queue,
                    requester_name="Katarzyna Wiśniewska-Dąbrowska",
                    requester_email=f"rejestracja.statystyka.medyczna{n}@przychodnia-dermatologiczno-wenerologiczna.example.pl",
                    reporting_unit=units[n % len(units)],
                )
            ],
            actor=None,
        )[0]
        if status != Status.NEW:
            ticket = actions.change_status(actor=agent, ticket=ticket, status=status)
        tickets.append(ticket)
    actions.assign(actor=agent, ticket=tickets[0], assignee=agent)
    _contact_ticket, token = kb_actions.submit_contact_form(
        name="Katarzyna Wiśniewska-Dąbrowska",
        email="rejestracja.statystyka.medyczna@przychodnia-dermatologiczno-wenerologiczna.example.pl",
        subject="Nie mogę wysłać sprawozdania MZ-88: przycisk Wyślij jest nieaktywny",
        body="Przycisk jest szary od rana.",
        regon=units[0].regon,
    )
    return {"agent": agent, "region": region, "editor": editor, "ticket": tickets[0], "units": units, "token": token}


def _too_wide(open_tab, base: str, viewport: dict, paths: list[str], user: User | None = None) -> dict[str, list]:
    tab = open_tab(viewport)
    if user is not None:
        tab.log_in(base, user.username, "test-pass-123")
    found = {}
    for path in paths:
        tab.goto(base + path)  # answers 200 and passes axe-core
        if overflow := tab.evaluate(OVERFLOW):
            found[path] = overflow
    return found


def test_staff_pages_fit_a_1366_by_768_screen(full_desk, open_tab, live_server):
    ticket, regon = full_desk["ticket"], full_desk["units"][0].regon
    year = lookup.default_year()
    agent_pages = [
        "/tickets/",
        "/tickets/?view=unassigned",
        f"/tickets/{ticket.reference}/",
        "/tickets/calls/new",
        "/tickets/sla/",
        "/inbox/quarantine/",
        "/ustawienia/",
        "/haslo/",
    ]
    region_pages = ["/tickets/", f"/sprawozdania/?form=MZ-88&year={year}", f"/sprawozdania/jednostka/{regon}/"]
    editor_pages = ["/redakcja/", "/redakcja/nowy/", "/redakcja/statystyki/"]
    found = {
        **_too_wide(open_tab, live_server.url, LAPTOP, agent_pages, full_desk["agent"]),
        **{
            f"{p} (region)": o
            for p, o in _too_wide(open_tab, live_server.url, LAPTOP, region_pages, full_desk["region"]).items()
        },
        **_too_wide(open_tab, live_server.url, LAPTOP, editor_pages, full_desk["editor"]),
    }
    assert found == {}


def test_public_pages_fit_a_360_px_phone(full_desk, open_tab, live_server):
    regon = full_desk["units"][0].regon
    pages = [
        "/",
        "/szukaj/?q=termin+sprawozdania+MZ-88",
        "/artykul/przypomnienie-termin-mz-88/",
        "/formularze/",
        "/status/",
        f"/status/?regon={regon}&year={lookup.default_year()}",
        f"/status/?regon={regon9(9999999)}",
        "/administratorzy/",
        "/kontakt/",
        "/kontakt/wyslano/",
        f"/zgloszenie/{full_desk['token']}/",
        "/deklaracja-dostepnosci/",
        "/login/",
    ]
    assert _too_wide(open_tab, live_server.url, PHONE, pages) == {}
