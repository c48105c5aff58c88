"""A new regional administrator, as a person would do it in Chromium: the administrator sets them up with
`manage.py create_staff` (a one-time password), they log in, must choose their own password first, then pick
a daily digest instead of a notice per ticket on "Moje ustawienia". Both pages pass axe-core (no serious or
critical violation)."""

import io
import re

import pytest
from django.core.management import call_command

from helpdesk.models import NoticeMode, User
from tests.browser.test_public_pages_accessibility import AXE, violations
from tests.conftest import need_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_new_regional_admin_sets_a_password_then_chooses_a_daily_digest(page, live_server):
    need_server("axe-core", AXE.exists(), "cd tests/browser && npm ci")
    out = io.StringIO()
    call_command(
        "create_staff", "ewa.lis", "--email", "ewa.lis@uw.example.pl", "--role", "regional_admin",
        "--voivodeship", "14", stdout=out,
    )  # fmt: skip
    one_time = re.search(r"Hasło jednorazowe: (\S+)", out.getvalue())
    assert one_time, out.getvalue()

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nazwa użytkownika").fill("ewa.lis")
    page.get_by_label("Hasło").fill(one_time.group(1))
    page.get_by_role("button", name="Zaloguj").click()
    page.wait_for_load_state()
    assert page.url.endswith("/haslo/")  # the list waits until the one-time password is replaced
    assert page.get_by_role("heading", name="Zmiana hasła").count() == 1
    problems = {}
    if found := violations(page):
        problems["/haslo/"] = found

    page.goto(f"{live_server.url}/tickets/")
    assert page.url.endswith("/haslo/")
    page.get_by_label("Stare hasło").fill(one_time.group(1))
    page.get_by_label("Nowe hasło", exact=True).fill("Mazowsze-2026-lipa")
    page.get_by_label("Nowe hasło (powtórz)").fill("Mazowsze-2026-lipa")
    page.get_by_role("button", name="Zmień hasło").click()
    page.wait_for_load_state()
    assert not User.objects.get(username="ewa.lis").must_change_password
    response = page.goto(f"{live_server.url}/tickets/")
    assert response.status == 200 and page.url.endswith("/tickets/")

    page.get_by_role("link", name="Moje ustawienia").click()
    page.wait_for_load_state()
    if found := violations(page):
        problems["/ustawienia/"] = found
    page.get_by_label(re.compile("zestawienie", re.IGNORECASE)).check()
    page.get_by_role("button", name="Zapisz").click()
    page.wait_for_load_state()
    assert User.objects.get(username="ewa.lis").notice_mode == NoticeMode.DIGEST
    assert not problems, problems
