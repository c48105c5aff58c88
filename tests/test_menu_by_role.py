"""The staff menu offers each role exactly the pages that open for it (helpdesk.menu asks the views' own checks).

The supervisor and the knowledge-base editor used to see "Zarejestruj rozmowę", which answered a bare 403.
"""

import re

import pytest
from django.urls import reverse

from helpdesk.models import Role
from tests.conftest import _staff

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav aria-label="Menu główne">(.*?)</nav>', re.S)


def menu_of(client, user) -> dict[str, str]:
    client.force_login(user)
    response = client.get(reverse("own_settings"))  # a page every member of staff can open
    assert response.status_code == 200
    nav = NAV.search(response.content.decode()).group(1)
    return {label: href.replace("&amp;", "&") for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)}


@pytest.fixture
def administrator(db):
    return _staff("admin1", Role.ADMIN)


@pytest.fixture
def superuser_admin(db, administrator):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save(update_fields=["is_staff", "is_superuser"])
    return administrator


PERSONAS = {
    "agent": ("alice", {"Zgłoszenia", "Moje", "Zarejestruj rozmowę", "Sprawozdania", "Terminy SLA"}, {"Baza wiedzy"}),
    "regional_admin": ("bob", {"Zgłoszenia", "Zarejestruj rozmowę", "Sprawozdania"}, {"Baza wiedzy"}),
    "supervisor": ("szef", {"Zgłoszenia", "Sprawozdania", "Terminy SLA"}, {"Zarejestruj rozmowę", "Baza wiedzy"}),
    "kb_editor": (
        "redaktor",
        {"Baza wiedzy"},
        {"Zgłoszenia", "Moje", "Zarejestruj rozmowę", "Sprawozdania", "Terminy SLA", "Administracja"},
    ),
    "admin": ("superuser_admin", {"Zarejestruj rozmowę", "Baza wiedzy", "Administracja"}, set()),
}


@pytest.mark.parametrize("role", PERSONAS)
def test_every_menu_link_a_role_sees_opens_for_it(client, request, role):
    fixture, shown, hidden = PERSONAS[role]
    user = request.getfixturevalue(fixture)
    menu = menu_of(client, user)
    assert shown <= set(menu), menu
    assert not (hidden & set(menu)), menu
    answers = {label: client.get(href).status_code for label, href in menu.items()}
    assert answers == dict.fromkeys(menu, 200)


def test_the_supervisor_sees_no_call_log_because_the_page_refuses_him(client, szef):
    assert "Zarejestruj rozmowę" not in menu_of(client, szef)
    assert client.get(reverse("tickets:call_new")).status_code == 403


def test_an_editor_without_units_is_not_offered_the_reports(client, redaktor):
    menu = menu_of(client, redaktor)
    assert "Sprawozdania" not in menu and "Zarejestruj rozmowę" not in menu
    assert client.get(reverse("contacts:missing")).status_code == 403
    assert client.get(reverse("kb_editor:list")).status_code == 200


def test_a_regional_administrator_without_voivodeships_is_not_offered_the_reports(client):
    nobody = _staff("pusty", Role.REGIONAL_ADMIN)
    assert "Sprawozdania" not in menu_of(client, nobody)
    assert client.get(reverse("contacts:missing")).status_code == 403


def test_a_menu_page_whose_view_declares_no_check_is_a_configuration_error(rf, alice, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from helpdesk import menu

    monkeypatch.setattr(menu, "STAFF_MENU", (menu.Item("status_lookup", "Status"),))
    request = rf.get("/")
    request.user = alice
    with pytest.raises(ImproperlyConfigured):
        menu.staff_menu(request)


@pytest.mark.parametrize(
    ("fixture", "lands_on"),
    [("alice", "/tickets/?status=open"), ("bob", "/tickets/?status=open"), ("redaktor", "/redakcja/")],
)
def test_after_logging_in_each_role_lands_on_its_first_menu_page(client, request, fixture, lands_on):
    user = request.getfixturevalue(fixture)
    response = client.post(reverse("login"), {"username": user.username, "password": "test-pass-123"})
    assert response.status_code == 302
    landing = client.get(response["Location"])
    assert landing.status_code == 302 and landing["Location"] == lands_on
    assert client.get(lands_on).status_code == 200


def test_an_editor_opening_the_ticket_list_is_told_who_works_on_tickets(client, redaktor):
    client.force_login(redaktor)
    response = client.get(reverse("tickets:list"))
    assert response.status_code == 403
    assert "Zgłoszenia obsługują agenci i administratorzy wojewódzcy." in response.content.decode()
