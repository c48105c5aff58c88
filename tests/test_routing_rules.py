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
from tests.ticket_requests import new_ticket
from tickets import actions, notices, rules
from tickets.models import AssignmentMode, Category, Channel, Priority, Queue, RoutingRule, Status

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def unit_14(db):
    return ReportingUnit.objects.create(
        name="Przychodnia Mokotów", regon="123456785", voivodeship_id="14", email_domain="mokotow.example.pl"
    )


def open_mail(subject: str, body: str = "", sender: str = "rejestracja@mokotow.example.pl", **extra):
    return actions.open_tickets(
        [
            new_ticket(
                channel=Channel.EMAIL, subject=subject, body_text=body or subject, requester_email=sender, **extra
            )
        ],
        actor=None,
    )[0]


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
        ("zlozylismy po terminie", "Sprawozdanie MZ-11 zlozylismy po terminie, czy zostanie przyjete?", "terminy"),
        ("termin zlozenia MZ-11", "Jaki jest ostateczny termin zlozenia MZ-11 w tym roku?", "terminy"),
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


# --- each condition and action, through open_tickets --------------------------------------------------------


@pytest.fixture
def unit_24(db):
    return ReportingUnit.objects.create(
        name="Szpital Katowice", regon="234567895", voivodeship_id="24", email_domain="szpital-katowice.example.pl"
    )


def _routed_rule_names(ticket) -> list[str]:
    return [step["rule_name"] for step in ticket.events.get(kind="routed").data["rules"]]


def test_a_mailbox_condition_matches_only_mail_that_came_to_that_mailbox(unit_14):
    RoutingRule.objects.create(
        name="Skrzynka MZ-88 → centrala", position=1, mailbox="mz88@ssoz.example.gov.pl", set_queue=_central()
    )
    ticket = open_mail("Korekta", "Prośba o korektę sprawozdania", mailbox="MZ88@ssoz.example.gov.pl")
    assert ticket.queue.slug == "centralna"
    assert _routed_rule_names(ticket) == ["Skrzynka MZ-88 → centrala"]
    other = open_mail("Korekta", "Prośba o korektę sprawozdania", mailbox="pomoc@ssoz.example.gov.pl")
    assert other.queue.slug == "woj-14"
    assert _routed_rule_names(other) == ["Korekta sprawozdania → województwo jednostki"]


def test_a_mailbox_that_is_not_an_address_is_refused():
    with pytest.raises(ValidationError, match="Skrzynka to adres e-mail"):
        RoutingRule(name="Zła skrzynka", mailbox="skrzynka mz88", set_priority=3).full_clean()


def test_a_voivodeship_condition_matches_the_identified_units_voivodeship(unit_14, unit_24):
    RoutingRule.objects.create(
        name="Mazowieckie: priorytet wysoki",
        position=1,
        stop=False,
        voivodeship_id="14",
        set_priority=Priority.HIGH,
        add_tags="mazowieckie",
    )
    from_14 = open_mail("Pytanie o dział II", "Jak wykazać etaty w dziale II?")
    from_24 = open_mail(
        "Pytanie o dział II", "Jak wykazać etaty w dziale II?", sender="kadry@szpital-katowice.example.pl"
    )
    unknown = open_mail("Pytanie o dział II", "Jak wykazać etaty w dziale II?", sender="ktos@gmail.com")
    assert (from_14.priority, from_14.tags, from_14.queue.slug) == (Priority.HIGH, ["mazowieckie"], "woj-14")
    assert (from_24.priority, from_24.tags, from_24.queue.slug) == (Priority.NORMAL, [], "woj-24")
    assert (unknown.priority, unknown.tags) == (Priority.NORMAL, [])  # no unit, no voivodeship
    assert _routed_rule_names(from_14)[0] == "Mazowieckie: priorytet wysoki"


def test_a_category_condition_matches_the_category_chosen_when_the_ticket_was_opened(unit_14):
    deadlines = Category.objects.get(slug="terminy")
    RoutingRule.objects.create(
        name="Terminy zgłoszone telefonicznie: pilne", position=1, stop=False, category=deadlines, set_priority=4
    )
    chosen = open_mail("Zapytanie", "Proszę o informację.", category=deadlines)
    other = open_mail("Zapytanie", "Proszę o informację.", category=Category.objects.get(slug="korekta"))
    none_chosen = open_mail("Zapytanie", "Proszę o informację.")
    assert chosen.priority == Priority.URGENT and chosen.category == deadlines
    assert other.priority == Priority.NORMAL
    assert none_chosen.priority == Priority.NORMAL
    assert _routed_rule_names(chosen)[0] == "Terminy zgłoszone telefonicznie: pilne"


def test_assign_to_a_person_gives_the_ticket_to_that_person_and_logs_the_rule(unit_14, bob):
    RoutingRule.objects.create(name="MZ-11 do Boba", position=1, stop=False, form_codes="MZ-11", assign_to=bob)
    ticket = open_mail("Korekta MZ 11", "Prośba o korektę sprawozdania MZ-11, pomyłka w dziale 3.")
    assert ticket.queue.slug == "woj-14" and ticket.assignee == bob
    assigned = ticket.events.get(kind="assigned")
    assert assigned.data["to"] == bob.pk and assigned.reason == "reguła kierowania"
    assert ticket.events.get(kind="routed").data["rules"][0]["set"] == ["assignee"]


def test_assign_to_a_person_who_cannot_see_the_queue_leaves_the_ticket_unassigned(unit_14, celina):
    RoutingRule.objects.create(name="MZ-11 do Celiny", position=1, stop=False, form_codes="MZ-11", assign_to=celina)
    ticket = open_mail("Korekta MZ-11", "Prośba o korektę sprawozdania MZ-11.")
    assert ticket.queue.slug == "woj-14"  # celina administers 24, not 14
    assert ticket.assignee is None
    assert not ticket.events.filter(kind="assigned").exists()


def test_assign_to_a_group_means_the_least_busy_working_member_of_the_queue(unit_14, bob, celina, queue_14):
    """A "group" is the queue's membership: the rule's auto_assign picks among the members who may work the
    queue now, the one with the fewest open tickets, even when the queue itself assigns manually."""
    dorota = User.objects.create_user(username="dorota", email="dorota@example.gov.pl", role=Role.REGIONAL_ADMIN)
    dorota.voivodeships.set(["14"])
    assert queue_14.assignment_mode == AssignmentMode.MANUAL
    queue_14.members.set([bob, celina, dorota])
    busy = open_mail("Pytanie", "Jak wykazać etaty?")
    busy.assignee = bob
    busy.save(update_fields=["assignee"])
    RoutingRule.objects.create(
        name="Korekty: przydział w kolejce", position=1, stop=False, words="korekta", auto_assign=True
    )
    ticket = open_mail("Korekta", "Prośba o korektę sprawozdania")
    assert ticket.queue == queue_14 and ticket.assignee == dorota  # bob has one open, celina cannot see 14
    assert ticket.events.get(kind="routed").data["rules"][0]["set"] == ["assignee"]
    busy.status = Status.CLOSED
    busy.save(update_fields=["status"])
    ticket.assignee = None
    ticket.save(update_fields=["assignee"])
    assert open_mail("Korekta", "Prośba o korektę").assignee == bob  # a tie goes to the first member


def _central() -> Queue:
    return Queue.objects.get(slug="centralna")
