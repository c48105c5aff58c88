"""Routing: the default rules send login and technical questions to the central desk, report contents,
corrections and deadlines to the unit's voivodeship, and unidentified senders to triage — for Polish texts
with inflected forms and without diacritics; every decision is logged with its rule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from contacts.models import ReportingUnit
from helpdesk.models import BusinessCalendar, NoticeMode, OutboxMessage, Role, User
from tickets import actions, notices, rules
from tickets.models import Channel, Queue, RoutingRule

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def unit_14(db):
    return ReportingUnit.objects.create(
        name="Przychodnia Mokotów", regon="123456785", voivodeship_id="14", email_domain="mokotow.example.pl"
    )


def open_mail(subject: str, body: str = "", sender: str = "rejestracja@mokotow.example.pl", **extra):
    return actions.open_ticket(
        actor=None, channel=Channel.EMAIL, subject=subject, body_text=body or subject, requester_email=sender, **extra
    )


@pytest.mark.parametrize(
    ("subject", "body", "category"),
    [
        ("Nie mogę się zalogować", "Zapomniałam hasła do systemu.", "logowanie"),
        ("haslo", "Moje haslo wygaslo, jak je zmienic?", "logowanie"),
        ("Profil Zaufany", "Logowanie przez profil zaufany nie działa", "logowanie"),
        ("Problem", "Przeglądarka pokazuje komunikat błędu przy wysyłce", "techniczne"),
        ("Problem", "strona sie nie laduje w przegladarce Firefox", "techniczne"),
    ],
)
def test_login_and_technical_questions_go_to_the_central_desk(unit_14, subject, body, category):
    ticket = open_mail(subject, body)
    assert ticket.queue.slug == "centralna"
    assert ticket.category.slug == category


@pytest.mark.parametrize(
    ("subject", "body", "category"),
    [
        ("Korekta MZ-88", "Prośba o korektę sprawozdania MZ-88, pomyłka w dziale 2.", "korekta"),
        ("korekta", "Chcemy zlozyc korekte sprawozdania", "korekta"),
        ("Termin MZ-11", "Czy można złożyć MZ-11 po terminie?", "terminy"),
        ("Pytanie", "Do kiedy trzeba wysłać sprawozdania? Minął już termin?", "terminy"),
        ("MZ-88", "Jak wykazać lekarzy w sprawozdaniu MZ-88 według stanu na 31 grudnia?", "tresc-sprawozdania"),
        ("Formularz", "W formularzu brakuje rubryki dla pielęgniarek", "tresc-sprawozdania"),
        ("sprawozdan", "Ile sprawozdan musimy wypelnic", "tresc-sprawozdania"),
    ],
)
def test_report_contents_corrections_and_deadlines_go_to_the_units_voivodeship(unit_14, subject, body, category):
    ticket = open_mail(subject, body)
    assert ticket.reporting_unit == unit_14
    assert ticket.queue.slug == "woj-14"
    assert ticket.category.slug == category


def test_an_unidentified_sender_goes_to_triage(unit_14):
    ticket = open_mail("Korekta sprawozdania", "Prośba o korektę", sender="ktos@gmail.com")
    assert ticket.queue.slug == "do-rozdzielenia"
    assert ticket.events.get(kind="routed").data["rules"][0]["rule_name"] == (
        "Niezidentyfikowana jednostka → do rozdzielenia"
    )


def test_every_decision_is_logged_with_the_rule_that_made_it(unit_14, client, alice):
    ticket = open_mail("Korekta", "Prośba o korektę sprawozdania")
    routed = ticket.events.get(kind="routed")
    assert routed.data["rules"] == [
        {
            "rule": RoutingRule.objects.get(name="Korekta sprawozdania → województwo jednostki").pk,
            "rule_name": "Korekta sprawozdania → województwo jednostki",
            "set": ["queue", "category"],
        }
    ]
    client.force_login(alice)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    assert "Korekta sprawozdania → województwo jednostki" in page
    assert "min roboczych" in page  # the SLA clocks are shown


def test_rerouting_applies_the_current_rules_and_is_logged(unit_14, alice, client):
    ticket = open_mail("Korekta", "Prośba o korektę sprawozdania")
    RoutingRule.objects.create(name="MZ-88 do centrali", position=1, words="korekta", set_queue_id=_central().pk)
    client.force_login(alice)
    client.post(f"/tickets/{ticket.reference}/reroute")
    ticket.refresh_from_db()
    assert ticket.queue.slug == "centralna"
    reroute = ticket.events.filter(kind="routed", data__rerouted=True).get()
    assert reroute.data["rules"][0]["rule_name"] == "MZ-88 do centrali"
    assert ticket.events.filter(kind="queue_changed").exists()


def test_a_regional_admin_of_another_voivodeship_cannot_reroute(unit_14, celina, client):
    ticket = open_mail("Korekta", "Prośba o korektę sprawozdania")
    client.force_login(celina)
    assert client.post(f"/tickets/{ticket.reference}/reroute").status_code == 404
    assert not ticket.events.filter(kind="routed", data__rerouted=True).exists()


def test_a_rule_that_continues_lets_later_rules_fill_in_the_rest(unit_14):
    RoutingRule.objects.create(
        name="Formularz MZ-88: etykieta", position=1, stop=False, form_codes="MZ-88", add_tags="mz-88, sezon"
    )
    ticket = open_mail("Korekta MZ 88", "Prośba o korektę")
    assert ticket.tags == ["mz-88", "sezon"]
    assert ticket.queue.slug == "woj-14"
    names = [step["rule_name"] for step in ticket.events.get(kind="routed").data["rules"]]
    assert names == ["Formularz MZ-88: etykieta", "Korekta sprawozdania → województwo jednostki"]


def test_conditions_on_sender_domain_channel_and_time_outside_hours(unit_14):
    office = BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00")
    rule = RoutingRule(
        name="NFZ nocą", senders="@nfz.gov.pl", channel="email", time="outside", calendar=office, set_priority=3
    )
    rule.full_clean()
    compiled = rules.compile_rule(rule)
    night = dt.datetime(2026, 11, 30, 22, 0, tzinfo=WARSAW)
    day = dt.datetime(2026, 11, 30, 10, 0, tzinfo=WARSAW)
    facts = rules.Facts(channel="email", sender="Jan@Oddzial.NFZ.gov.pl", moment=night)
    assert rules.matches(compiled, facts, [], set())
    assert not rules.matches(compiled, rules.Facts(channel="email", sender="jan@nfz.gov.pl", moment=day), [], set())
    assert not rules.matches(compiled, rules.Facts(channel="phone", sender="jan@nfz.gov.pl", moment=night), [], set())
    assert not rules.matches(compiled, rules.Facts(channel="email", sender="jan@gmail.com", moment=night), [], set())


def test_a_canned_reply_is_sent_through_the_outbox(unit_14, run_on_commit):
    RoutingRule.objects.create(
        name="Potwierdzenie",
        position=1,
        stop=False,
        channel="email",
        reply_subject="Otrzymaliśmy zgłoszenie",
        reply_body="Zgłoszenie {sygnatura} zostało przyjęte.",
    )
    ticket = run_on_commit(open_mail, "Korekta", "Prośba o korektę", message_id="<q1@mokotow.example.pl>")
    mails = [m for m in OutboxMessage.objects.filter(kind="email") if "Otrzymaliśmy" in m.payload["subject"]]
    assert len(mails) == 1
    assert mails[0].payload["headers"]["Auto-Submitted"] == "auto-replied"
    assert mails[0].payload["to"] == ["rejestracja@mokotow.example.pl"]
    assert ticket.reference in mails[0].payload["body"]
    assert mails[0].payload["headers"]["In-Reply-To"] == "<q1@mokotow.example.pl>"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("senders", "nie-adres", "nie jest adresem e-mail ani domeną"),
        ("form_codes", "XY-12", "nie jest symbolem formularza"),
        ("words", "!!!", "nie zawiera żadnego słowa"),
        ("time", "outside", "Warunek czasu wymaga kalendarza"),
    ],
)
def test_a_rule_with_an_invalid_condition_is_refused_when_saved(field, value, message):
    rule = RoutingRule(name="Zła", set_priority=3, **{field: value})
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert message in str(error.value.message_dict)


def test_a_rule_without_any_action_is_refused(client):
    with pytest.raises(ValidationError, match="Reguła nic nie robi"):
        RoutingRule(name="Pusta", words="hasło").full_clean()


def test_the_admin_form_shows_the_refusal(client):
    admin = User.objects.create_superuser(username="root", password="x-pass-123", email="root@example.gov.pl")
    client.force_login(admin)
    response = client.post(
        "/admin/tickets/routingrule/add/", {"name": "Zła", "position": 5, "senders": "nie-adres", "set_priority": 3}
    )
    assert response.status_code == 200
    assert "nie jest adresem e-mail ani domeną" in response.content.decode()
    assert not RoutingRule.objects.filter(name="Zła").exists()


def test_regional_administrators_get_a_notice_per_ticket_or_a_daily_digest(unit_14, bob, run_on_commit):
    digest_reader = User.objects.create_user(
        username="dorota", email="dorota@mazowieckie.example.gov.pl", role=Role.REGIONAL_ADMIN
    )
    digest_reader.voivodeships.set(["14"])
    digest_reader.notice_mode = NoticeMode.DIGEST
    digest_reader.save(update_fields=["notice_mode"])
    ticket = run_on_commit(open_mail, "Korekta", "Prośba o korektę sprawozdania")
    notices_sent = [m for m in OutboxMessage.objects.all() if m.payload.get("headers", {}).get("X-Helpdesk-Notice")]
    assert [m.payload["to"] for m in notices_sent] == [[bob.email]]
    assert notices.send_daily_digests() == 1
    assert notices.send_daily_digests() == 0  # once a day
    digest = OutboxMessage.objects.filter(payload__headers__has_key="X-Helpdesk-Notice").order_by("-pk").first()
    assert digest.payload["to"] == [digest_reader.email] and ticket.reference in digest.payload["body"]


def _central() -> Queue:
    return Queue.objects.get(slug="centralna")
