"""A member of staff holding a one-time password is sent to the change page until they choose their own;
anyone logged in can change their password from the menu."""

import pytest
from django.urls import reverse

from helpdesk.models import User

pytestmark = pytest.mark.django_db

CHANGE = {"old_password": "test-pass-123", "new_password1": "Wlasne-Haslo-2026", "new_password2": "Wlasne-Haslo-2026"}


@pytest.fixture
def flagged_bob(bob) -> User:
    bob.must_change_password = True
    bob.save(update_fields=["must_change_password"])
    return bob


def test_a_one_time_password_leads_from_the_ticket_list_to_the_change_page(client, flagged_bob):
    client.force_login(flagged_bob)
    response = client.get("/tickets/")
    assert response.status_code == 302 and response.url == reverse("password_change")
    page = client.get(reverse("password_change")).content.decode()
    assert "Zmiana hasła" in page and "hasłem jednorazowym" in page


def test_after_the_change_the_desk_opens_and_the_flag_is_off(client, flagged_bob):
    client.force_login(flagged_bob)
    response = client.post(reverse("password_change"), CHANGE)
    assert response.status_code == 302 and response.url == reverse("start")
    flagged_bob.refresh_from_db()
    assert not flagged_bob.must_change_password and flagged_bob.check_password("Wlasne-Haslo-2026")
    page = client.get("/tickets/")  # still logged in: the session follows the new password
    assert page.status_code == 200 and "Hasło zostało zmienione." in page.content.decode()


def test_a_wrong_old_password_is_refused_in_polish_and_changes_nothing(client, flagged_bob):
    client.force_login(flagged_bob)
    response = client.post(reverse("password_change"), {**CHANGE, "old_password": "zle-haslo"})
    assert response.status_code == 200 and "Hasło nie zostało zmienione" in response.content.decode()
    flagged_bob.refresh_from_db()
    assert flagged_bob.must_change_password and flagged_bob.check_password("test-pass-123")
    assert client.get("/tickets/").status_code == 302


def test_logging_out_is_still_possible_with_a_one_time_password(client, flagged_bob):
    client.force_login(flagged_bob)
    assert client.post(reverse("logout")).url == reverse("login")


def test_the_menu_offers_the_change_to_anyone_logged_in(client, alice):
    client.force_login(alice)
    page = client.get("/tickets/").content.decode()
    assert f'href="{reverse("password_change")}"' in page and "Zmień hasło" in page


def test_the_page_changes_only_ones_own_password(client, bob, celina):
    assert client.get(reverse("password_change")).url.startswith(reverse("login"))
    client.force_login(celina)
    client.post(reverse("password_change"), CHANGE)
    bob.refresh_from_db()
    assert bob.check_password("test-pass-123")
    assert User.objects.get(username="celina").check_password("Wlasne-Haslo-2026")
