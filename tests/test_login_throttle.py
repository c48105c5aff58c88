"""Password guessing is throttled per account and address, per address and per account, with a Polish
message; a stranger cannot lock an agent out of their own address, and a lock ends with its 15-minute window."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from helpdesk import ratelimit
from helpdesk.models import Role, User

pytestmark = pytest.mark.django_db

# the start of a 15-minute window, so that the attempts of a test never straddle two windows
START = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)
ATTACKER = "203.0.113.66"
MESSAGE = "Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za"


@pytest.fixture(autouse=True)
def _clock():
    cache.clear()  # every test's attempts fall in the same window
    ratelimit._fallback.clear()
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _login(username, password, address=ATTACKER, url="/login/"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(url, {"username": username, "password": password})
    return response, client


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_then_the_right_one_does_not_log_in(alice):
    statuses = [_login("alice", f"zgadywane-{n}")[0].status_code for n in range(40)]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    response, client = _login("alice", "test-pass-123")
    assert response.status_code == 429 and not _logged_in(client)
    page = response.content.decode()
    assert MESSAGE in page and "15 min." in page and "Nieprawidłowa nazwa użytkownika" not in page
    assert int(response["Retry-After"]) == 15 * 60


def test_a_stranger_does_not_lock_the_agent_out_of_their_own_address(alice):
    for n in range(40):
        _login("alice", f"zgadywane-{n}")
    response, client = _login("alice", "test-pass-123", address="10.14.0.7")
    assert response.status_code == 302 and _logged_in(client)


def test_the_lock_ends_with_its_window(alice, _clock):
    for n in range(6):
        _login("alice", f"zgadywane-{n}")
    _clock.shift(dt.timedelta(minutes=14, seconds=59))
    response, _client = _login("alice", "test-pass-123")
    assert response.status_code == 429 and "za 1 min." in response.content.decode()
    _clock.shift(dt.timedelta(seconds=1))
    response, client = _login("alice", "test-pass-123")
    assert response.status_code == 302 and _logged_in(client)


def test_a_successful_login_clears_the_failures_of_its_account_and_address(alice):
    for n in range(4):
        _login("alice", f"literowka-{n}")
    assert _login("alice", "test-pass-123")[0].status_code == 302
    statuses = [_login("alice", f"literowka-{n}")[0].status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]


def test_one_address_trying_many_accounts_is_stopped(alice):
    for n in range(30):
        _login(f"konto-{n}", "haslo123")
    response, client = _login("alice", "test-pass-123")  # a 31st attempt from that address, right password
    assert response.status_code == 429 and MESSAGE in response.content.decode() and not _logged_in(client)
    assert _login("alice", "test-pass-123", address="10.14.0.7")[0].status_code == 302


def test_one_account_guessed_from_many_addresses_is_stopped_for_the_window(alice, bob):
    for n in range(50):
        _login("ALICE ", f"zgadywane-{n}", address=f"198.51.100.{n // 5}")  # 5 per address, case and spaces aside
    response, client = _login("alice", "test-pass-123", address="10.14.0.7")
    assert response.status_code == 429 and MESSAGE in response.content.decode() and not _logged_in(client)
    assert _login("bob", "test-pass-123", address="198.51.100.1")[0].status_code == 302  # other accounts go on


def test_the_admin_login_is_throttled_too(db):
    User.objects.create_superuser("root", "root@example.gov.pl", "Bardzo-Tajne-Haslo-1", role=Role.ADMIN)
    for n in range(5):
        _login("root", f"zgadywane-{n}", url="/admin/login/")
    response, client = _login("root", "Bardzo-Tajne-Haslo-1", url="/admin/login/")
    assert MESSAGE in response.content.decode() and not _logged_in(client)
    assert _login("root", "Bardzo-Tajne-Haslo-1", address="10.14.0.7", url="/admin/login/")[0].status_code == 302


def test_guessing_the_old_password_on_the_change_page_is_throttled_too(alice):
    """A session left open must not let anyone try old passwords without limit to take the account over."""
    client = Client(REMOTE_ADDR=ATTACKER)
    client.force_login(alice)
    new = {"new_password1": "Przejete-Konto-2026", "new_password2": "Przejete-Konto-2026"}
    for n in range(5):
        page = client.post("/haslo/", {"old_password": f"zgadywane-{n}", **new}).content.decode()
        assert MESSAGE not in page
    page = client.post("/haslo/", {"old_password": "test-pass-123", **new}).content.decode()
    assert MESSAGE in page
    alice.refresh_from_db()
    assert alice.check_password("test-pass-123")  # unchanged
    assert _login("alice", "test-pass-123")[0].status_code == 429  # the same count as the login page's
