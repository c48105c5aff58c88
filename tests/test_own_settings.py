"""Moje ustawienia: a member of staff chooses, by themselves, a notice per routed ticket or a daily digest,
and their signature; the page only ever edits the logged-in user, and bad input changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError

from contacts.models import ReportingUnit
from helpdesk import staff
from helpdesk.models import NoticeMode, OutboxMessage
from tests.ticket_requests import new_ticket, open_one
from tickets import notices
from tickets.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_14(db):
    return ReportingUnit.objects.create(
        name="Przychodnia Mokotów", regon="123456785", voivodeship_id="14", email_domain="mokotow.example.pl"
    )


def _route_a_ticket(run_on_commit):
    return run_on_commit(
        open_one,
        new_ticket(
            channel=Channel.EMAIL,
            subject="Korekta sprawozdania MZ-88",
            body_text="Prośba o korektę sprawozdania, pomyłka w dziale 2.",
            requester_email="rejestracja@mokotow.example.pl",
        ),
        actor=None,
    )


def _notices_to(address: str) -> list[OutboxMessage]:
    return [
        m
        for m in OutboxMessage.objects.filter(kind="email")
        if m.payload["to"] == [address] and m.payload.get("headers", {}).get("X-Helpdesk-Notice")
    ]


def test_the_user_menu_links_to_the_settings_page(client, alice):
    client.force_login(alice)
    page = client.get("/tickets/").content.decode()
    assert 'href="/ustawienia/"' in page and "Moje ustawienia" in page


def test_a_regional_admin_switches_to_the_daily_digest_and_the_next_routed_ticket_follows_it(
    client, bob, unit_14, run_on_commit
):
    assert bob.notice_mode == NoticeMode.EACH
    client.force_login(bob)
    page = client.get("/ustawienia/").content.decode()
    assert "Powiadomienia o nowych zgłoszeniach" in page and "zestawienie dzienne" in page
    response = client.post("/ustawienia/", {"notice_mode": "digest", "signature": "Bob\nUW Mazowiecki"}, follow=True)
    assert "Zapisano ustawienia." in response.content.decode()
    bob.refresh_from_db()
    assert (bob.notice_mode, bob.signature) == (NoticeMode.DIGEST, "Bob\nUW Mazowiecki")

    ticket = _route_a_ticket(run_on_commit)
    assert ticket.queue.voivodeship_id == "14"
    assert _notices_to(bob.email) == []  # no notice per ticket any more
    assert notices.send_daily_digests() == 1
    (digest,) = _notices_to(bob.email)
    assert digest.payload["headers"]["X-Helpdesk-Notice"] == "digest"
    assert ticket.reference in digest.payload["body"]


def test_a_regional_admin_switches_back_to_a_notice_per_ticket(client, bob, unit_14, run_on_commit):
    bob.notice_mode = NoticeMode.DIGEST
    bob.save(update_fields=["notice_mode"])
    client.force_login(bob)
    client.post("/ustawienia/", {"notice_mode": "each", "signature": ""})
    ticket = _route_a_ticket(run_on_commit)
    (notice,) = _notices_to(bob.email)
    assert notice.payload["subject"].startswith(f"[{ticket.reference}]")
    assert notices.send_daily_digests() == 0


def test_no_notices_at_all(client, bob, unit_14, run_on_commit):
    client.force_login(bob)
    client.post("/ustawienia/", {"notice_mode": "none", "signature": ""})
    _route_a_ticket(run_on_commit)
    assert notices.send_daily_digests() == 0
    assert _notices_to(bob.email) == []


def test_an_invalid_choice_is_refused_with_a_polish_message_and_changes_nothing(client, bob):
    bob.signature = "Stary podpis"
    bob.save(update_fields=["signature"])
    client.force_login(bob)
    response = client.post("/ustawienia/", {"notice_mode": "sms", "signature": "Nowy podpis"})
    assert response.status_code == 400
    assert "Wybierz jeden z podanych sposobów powiadamiania." in response.content.decode()
    bob.refresh_from_db()
    assert (bob.notice_mode, bob.signature) == (NoticeMode.EACH, "Stary podpis")
    assert not LogEntry.objects.exists()


def test_a_too_long_signature_is_refused(client, alice):
    client.force_login(alice)
    response = client.post("/ustawienia/", {"signature": "x" * (staff.SIGNATURE_MAX_LENGTH + 1)})
    assert response.status_code == 400
    assert "Upewnij się, że ta wartość ma co najwyżej" in response.content.decode()
    alice.refresh_from_db()
    assert alice.signature == ""


def test_the_action_refuses_an_unknown_mode_and_changes_nothing(bob):
    with pytest.raises(ValidationError) as error:
        staff.update_own_settings(user=bob, notice_mode="sms", signature="Nowy")
    assert "Nieznany sposób powiadamiania" in str(error.value.message_dict["notice_mode"])
    bob.refresh_from_db()
    assert (bob.notice_mode, bob.signature) == (NoticeMode.EACH, "")


def test_a_change_is_written_to_the_users_admin_history(bob):
    assert staff.update_own_settings(user=bob, notice_mode="digest", signature="") == ["notice_mode"]
    (entry,) = LogEntry.objects.all()
    assert (entry.user_id, entry.object_id) == (bob.pk, str(bob.pk))
    assert "powiadomienia o nowych zgłoszeniach" in entry.get_change_message()
    assert staff.update_own_settings(user=bob, notice_mode="digest", signature="") == []  # nothing to log
    assert LogEntry.objects.count() == 1


def test_only_regional_admins_see_the_notice_choice(client, alice):
    client.force_login(alice)
    page = client.get("/ustawienia/").content.decode()
    assert "Podpis" in page and "zestawienie dzienne" not in page
    client.post("/ustawienia/", {"notice_mode": "none", "signature": "Alicja, Centrum e-Zdrowia"})
    alice.refresh_from_db()
    assert (alice.notice_mode, alice.signature) == (NoticeMode.EACH, "Alicja, Centrum e-Zdrowia")


def test_the_page_only_ever_edits_the_logged_in_user(client, bob, celina):
    client.force_login(celina)
    for extra in ({"user": bob.pk}, {"username": "bob"}, {"id": bob.pk, "pk": bob.pk}):
        client.post("/ustawienia/", {"notice_mode": "none", "signature": "Podpis Celiny", **extra})
        client.post(f"/ustawienia/?user={bob.pk}", {"notice_mode": "none", "signature": "Podpis Celiny"})
    bob.refresh_from_db()
    celina.refresh_from_db()
    assert (bob.notice_mode, bob.signature) == (NoticeMode.EACH, "")
    assert (celina.notice_mode, celina.signature) == (NoticeMode.NONE, "Podpis Celiny")
    page = client.get(f"/ustawienia/?user={bob.pk}").content.decode()
    assert "Celina" in page and "bob@example.gov.pl" not in page


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, bob):
    for response in (client.get("/ustawienia/"), client.post("/ustawienia/", {"notice_mode": "none"})):
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=/ustawienia/")
    bob.refresh_from_db()
    assert bob.notice_mode == NoticeMode.EACH
