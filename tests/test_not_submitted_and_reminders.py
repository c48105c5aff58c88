"""A regional administrator lists the units of their voivodeship that have not submitted form X, exports the list
(CSV, XLSX) and e-mails them a reminder through the outbox: logged per unit, not twice in a week, rate-limited.
No unit is ticked when the list opens, and nothing is sent before the count is confirmed (a page, no JavaScript)."""

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from openpyxl import load_workbook

from contacts import actions
from contacts.models import Reminder, StatisticalForm
from helpdesk.models import OutboxMessage
from tests.html_forms import form_posting_to, forms_of
from tests.submission_data import office, report, unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reports(db):
    office("14")
    late = unit(5001, "14", name="Przychodnia Spóźniona", email="rejestracja@spozniona.example.pl")
    draft = unit(5002, "14", name="Przychodnia Robocza", email="biuro@robocza.example.pl")
    done = unit(5003, "14", name="Przychodnia Wzorowa", email="biuro@wzorowa.example.pl")
    other = unit(5004, "24", name="Przychodnia Śląska", email="biuro@slaska.example.pl")
    report(late, "MZ-88", 2025, "after_deadline")
    report(draft, "MZ-88", 2025, "draft")
    report(done, "MZ-88", 2025, "accepted")
    report(other, "MZ-88", 2025, "assigned")
    return late, draft, done, other


def test_bob_sees_only_the_units_of_his_voivodeship_that_have_not_submitted(client, bob, reports):
    client.force_login(bob)
    page = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025"}).content.decode()
    assert "Przychodnia Spóźniona" in page and "Przychodnia Robocza" in page
    assert "Przychodnia Wzorowa" not in page and "Przychodnia Śląska" not in page


def test_celina_does_not_see_mazowieckie_even_when_she_asks_for_it(client, celina, reports):
    client.force_login(celina)
    page = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025"}).content.decode()
    assert "Przychodnia Śląska" in page and "Przychodnia Spóźniona" not in page
    assert client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025", "voivodeship": "14"}).status_code == 404


def test_the_csv_and_xlsx_exports_list_the_same_units(client, bob, reports):
    client.force_login(bob)
    response = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"] == 'attachment; filename="niezlozone-MZ-88-2025.csv"'
    lines = text.strip().splitlines()
    assert lines[0].startswith("REGON;nazwa") and len(lines) == 3
    assert "rejestracja@spozniona.example.pl" in text and "Wzorowa" not in text and "Śląska" not in text
    xlsx = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {row[1] for row in rows[1:]} == {"Przychodnia Spóźniona", "Przychodnia Robocza"}


def test_reminders_go_through_the_outbox_once_per_unit_and_are_logged(bob, reports, run_on_commit):
    late, draft, done, other = reports
    form = StatisticalForm.objects.get(code="MZ-88")
    ids = [late.pk, draft.pk, done.pk, other.pk]
    result = run_on_commit(actions.send_reminders, actor=bob, form=form, year=2025, unit_ids=ids)
    assert sorted(result.sent) == sorted([late.pk, draft.pk]) and result.not_pending == 2
    assert {tuple(m.to) for m in mail.outbox} == {("rejestracja@spozniona.example.pl",), ("biuro@robocza.example.pl",)}
    body = next(m.body for m in mail.outbox if m.to == ["rejestracja@spozniona.example.pl"])
    assert "MZ-88" in body and "po terminie" in body and f"/status/?regon={late.regon}" in body
    assert "statystyka14@uw.example.gov.pl" in body
    assert Reminder.objects.filter(sent_by=bob).count() == 2
    assert OutboxMessage.objects.filter(sent_at__isnull=False).count() == 2
    again = actions.send_reminders(actor=bob, form=form, year=2025, unit_ids=ids)
    assert again.sent == [] and sorted(again.recently_reminded) == sorted([late.pk, draft.pk])


def test_reminders_stop_at_the_hourly_limit(bob, reports, settings):
    late, draft, _done, _other = reports
    settings.REMINDERS_PER_HOUR = 1
    form = StatisticalForm.objects.get(code="MZ-88")
    result = actions.send_reminders(actor=bob, form=form, year=2025, unit_ids=[late.pk, draft.pk])
    assert len(result.sent) == 1 and result.rate_limited == 1


def test_a_unit_without_an_e_mail_address_is_reported_not_reminded(bob, reports):
    silent = unit(5005, "14", name="Bez adresu")
    report(silent, "MZ-88", 2025, "draft")
    form = StatisticalForm.objects.get(code="MZ-88")
    result = actions.send_reminders(actor=bob, form=form, year=2025, unit_ids=[silent.pk])
    assert result.no_email == [silent.pk] and not Reminder.objects.exists()


def test_the_reminder_button_of_the_page_and_who_may_press_it(client, bob, alice, celina, reports):
    late = reports[0]
    client.force_login(celina)
    client.post("/sprawozdania/przypomnienia", {"form": "MZ-88", "year": "2025", "unit": [late.pk]})
    assert not Reminder.objects.exists()  # not her voivodeship: counted as not pending
    client.force_login(alice)
    response = client.post(
        "/sprawozdania/przypomnienia", {"form": "MZ-88", "year": "2025", "unit": [late.pk]}, follow=True
    )
    assert "administratorzy" in response.content.decode() and not Reminder.objects.exists()
    client.force_login(bob)
    response = client.post(
        "/sprawozdania/przypomnienia", {"form": "MZ-88", "year": "2025", "unit": [late.pk], "confirm": "1"}, follow=True
    )
    assert "Wysłano przypomnień: 1." in response.content.decode()
    assert Reminder.objects.get().unit == late


def test_anonymous_and_knowledge_base_editors_cannot_open_the_list(client, redaktor, reports):
    assert client.get("/sprawozdania/").status_code == 302
    client.force_login(redaktor)
    assert client.get("/sprawozdania/").status_code == 403


# --- nothing ticked, nothing sent without confirming -----------------------------------------------------------


def test_no_unit_is_ticked_when_the_list_opens(client, bob, reports):
    client.force_login(bob)
    page = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025"}).content.decode()
    form = form_posting_to(page, "/sprawozdania/przypomnienia")
    assert len(form.checkboxes) == 2 and not any(ticked for _name, _value, ticked in form.checkboxes)


def test_sending_the_list_as_it_comes_is_refused_and_writes_nothing(client, bob, reports):
    client.force_login(bob)
    page = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025"}).content.decode()
    data = form_posting_to(page, "/sprawozdania/przypomnienia").data()
    for confirmed in ({}, {"confirm": ["1"]}):
        response = client.post("/sprawozdania/przypomnienia", {**data, **confirmed}, follow=True)
        assert not Reminder.objects.exists() and not OutboxMessage.objects.exists() and not mail.outbox
        assert "Zaznacz jednostki, do których wysłać przypomnienie." in response.content.decode()


def test_sending_asks_first_with_the_count_then_sends_what_was_confirmed(client, bob, reports):
    late, draft, _done, _other = reports
    client.force_login(bob)
    page = client.get("/sprawozdania/", {"form": "MZ-88", "year": "2025"}).content.decode()
    data = form_posting_to(page, "/sprawozdania/przypomnienia").data()
    data["unit"] = [str(late.pk), str(draft.pk)]
    asked = client.post("/sprawozdania/przypomnienia", data)
    question = asked.content.decode()
    assert asked.status_code == 200 and "Wysłać przypomnienie do 2 jednostek?" in question
    assert "Przychodnia Spóźniona" in question and "Przychodnia Robocza" in question
    assert not Reminder.objects.exists() and not OutboxMessage.objects.exists() and not mail.outbox
    confirm = form_posting_to(question, "/sprawozdania/przypomnienia")
    assert confirm.buttons == [("confirm", "1")]
    with_button = confirm.data(button=confirm.buttons[0])
    response = client.post("/sprawozdania/przypomnienia", with_button, follow=True)
    assert "Wysłano przypomnień: 2." in response.content.decode()
    assert {reminder.unit for reminder in Reminder.objects.all()} == {late, draft}
    assert (
        response.redirect_chain[-1][0].startswith("/sprawozdania/?") and "form=MZ-88" in response.redirect_chain[-1][0]
    )


def test_the_question_counts_only_the_units_that_would_get_the_reminder(client, bob, celina, reports):
    late, draft, done, other = reports
    silent = unit(5006, "14", name="Bez adresu")
    report(silent, "MZ-88", 2025, "draft")
    Reminder.objects.create(
        unit=draft, form=StatisticalForm.objects.get(code="MZ-88"), year=2025, sent_by=bob, sent_at=timezone.now()
    )
    client.force_login(bob)
    ticked = [late.pk, draft.pk, done.pk, other.pk, silent.pk]
    question = client.post("/sprawozdania/przypomnienia", {"form": "MZ-88", "year": "2025", "unit": ticked})
    text = question.content.decode()
    assert "Wysłać przypomnienie do 1 jednostki?" in text
    assert "Przychodnia Śląska" not in text and "Przychodnia Wzorowa" not in text  # not pending, or not his
    assert "Bez adresu" in text and "Przychodnia Robocza" in text  # named among those left out, with the reason
    assert form_posting_to(text, "/sprawozdania/przypomnienia").data()["unit"] == [str(late.pk)]
    assert Reminder.objects.count() == 1


def test_nothing_to_send_among_the_ticked_units_is_said_at_once(client, celina, reports):
    late = reports[0]
    client.force_login(celina)
    response = client.post(
        "/sprawozdania/przypomnienia", {"form": "MZ-88", "year": "2025", "unit": [late.pk]}, follow=True
    )
    assert "Żadnej z zaznaczonych jednostek nie można teraz wysłać przypomnienia" in response.content.decode()
    assert "Przychodnia Spóźniona" not in response.content.decode()
    assert not Reminder.objects.exists()


@pytest.mark.parametrize(
    "count, question",
    [
        (1, "Wysłać przypomnienie do 1 jednostki?"),
        (2, "Wysłać przypomnienie do 2 jednostek?"),
        (5, "Wysłać przypomnienie do 5 jednostek?"),
        (12, "Wysłać przypomnienie do 12 jednostek?"),
        (22, "Wysłać przypomnienie do 22 jednostek?"),
    ],
)
def test_the_question_speaks_polish_for_any_count(count, question):
    from contacts.views import reminder_question

    assert reminder_question(count) == question


def test_twelve_ticked_units_are_asked_about_as_twelve(client, bob):
    form = StatisticalForm.objects.get(code="MZ-88")
    units = [unit(5100 + n, "14", email=f"biuro{n}@przychodnia.example.pl") for n in range(12)]
    for each in units:
        report(each, "MZ-88", 2025, "draft")
    client.force_login(bob)
    question = client.post(
        "/sprawozdania/przypomnienia", {"form": form.code, "year": "2025", "unit": [each.pk for each in units]}
    )
    assert "Wysłać przypomnienie do 12 jednostek?" in question.content.decode()
    assert not Reminder.objects.exists()


# --- the year comes from the date --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment, asked_about, offered",
    [
        (dt.datetime(2027, 2, 15, 15, 55), 2026, ["2027", "2026", "2025", "2024"]),
        (dt.datetime(2028, 2, 29, 7, 59), 2027, ["2028", "2027", "2026", "2025"]),
        (dt.datetime(2027, 12, 24, 15, 30), 2026, ["2027", "2026", "2025", "2024"]),
    ],
)
def test_the_list_opens_on_the_year_people_ask_about_on_that_date(client, bob, moment, asked_about, offered):
    warsaw = dt.timezone(dt.timedelta(hours=1))
    with time_machine.travel(moment.replace(tzinfo=warsaw), tick=False):
        asked = unit(5200, "14", name="Przychodnia Pytana")
        report(asked, "MZ-88", asked_about, "draft")
        report(unit(5201, "14", name="Przychodnia Zeszłoroczna"), "MZ-88", asked_about - 1, "draft")
        client.force_login(bob)
        page = client.get("/sprawozdania/").content.decode()
    assert "Przychodnia Pytana" in page and "Przychodnia Zeszłoroczna" not in page
    (year,) = [form.selects["year"] for form in forms_of(page) if form.method == "get" and "year" in form.selects]
    assert [value for value, _selected in year] == offered
    assert [value for value, selected in year if selected] == [str(asked_about)]
