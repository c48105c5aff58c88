"""The public forms catalogue states only what a published source confirms; what no source confirms is left out
and listed for the administrator ("Do uzupełnienia"); the data migration replaces only the seeded guesses, never
what an administrator typed (issue 12)."""

import datetime as dt
import re
from importlib import import_module
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.urls import reverse

from contacts import catalogue
from contacts.models import FormDeadline, StatisticalForm
from helpdesk.models import Role, User

pytestmark = pytest.mark.django_db

MIGRATION = import_module("contacts.migrations.0010_catalogue_from_published_sources")
WARSAW = ZoneInfo("Europe/Warsaw")
ST_NICHOLAS_2026 = dt.datetime(2026, 12, 6, 20, 30, tzinfo=WARSAW)  # reporting years 2025 and 2026 matter
PLACEHOLDERS = ("weryfikacji", "orientacyjn", "sprawdź w programie")


def catalogue_page(client, moment=ST_NICHOLAS_2026) -> str:
    with time_machine.travel(moment, tick=False):
        response = client.get(reverse("kb:forms"))
    assert response.status_code == 200
    return response.content.decode()


def row(page: str, code: str) -> str:
    """The form's row without the phone layout's data-label attributes (the cells' labels on small screens)."""
    start = page.index(f">{code}</a></th>")
    return re.sub(r' data-label="[^"]*"', "", page[start : page.index("</tr>", start)])


def confirmed_deadline(code: str, year: int, due: dt.date) -> FormDeadline:
    form = StatisticalForm.objects.get(code=code)
    return FormDeadline.objects.create(
        form=form, year=year, deadline=due, source=f"Program badań statystycznych statystyki publicznej na rok {year}"
    )


def test_the_public_catalogue_shows_no_placeholder_and_no_guessed_deadline(client):
    page = catalogue_page(client)
    for placeholder in PLACEHOLDERS:
        assert placeholder not in page
    assert "Sprawozdanie o pracujących w podmiotach wykonujących działalność leczniczą" in row(page, "MZ-88")
    assert "w tym indywidualne i grupowe praktyki zawodowe" in row(page, "MZ-88")
    assert "połowa lutego" not in page and "10.04.2026" not in page  # the seeded guesses
    assert FormDeadline.objects.filter(note__contains="orientacyjny").count() == 0


def test_a_form_no_source_confirms_is_listed_without_the_unconfirmed_fields(client):
    page = catalogue_page(client)
    assert row(page, "MZ-24").endswith("<td></td><td></td><td></td>")
    mz14 = row(page, "MZ-14")
    assert "Sprawozdanie o leczonych w poradni skórno-wenerologicznej" in mz14 and mz14.endswith("<td></td><td></td>")


def test_a_confirmed_deadline_is_shown_for_the_reporting_years_that_matter_that_day(client):
    confirmed_deadline("MZ-88", 2026, dt.date(2027, 4, 12))
    confirmed_deadline("MZ-88", 2024, dt.date(2025, 4, 10))
    page = catalogue_page(client)
    assert "za 2026 r.: do 12.04.2027" in row(page, "MZ-88") and "2024" not in row(page, "MZ-88")
    (mz88,) = [form for form in catalogue.public_catalogue(dt.date(2026, 12, 6)) if form.code == "MZ-88"]
    assert [deadline.year for deadline in mz88.deadlines] == [2026]
    (mz88,) = [form for form in catalogue.public_catalogue(dt.date(2028, 1, 10)) if form.code == "MZ-88"]
    assert mz88.deadlines == []  # 2027 and 2028 matter then, and neither is confirmed


def test_what_is_missing_is_listed_for_the_administrator():
    found = {item.form.code: item.missing for item in catalogue.gaps(dt.date(2026, 12, 6))}
    assert found["MZ-24"] == ["tytuł", "kto składa", "źródło", "termin za 2025 r.", "termin za 2026 r."]
    assert found["MZ-88"] == ["termin za 2025 r.", "termin za 2026 r."]
    confirmed_deadline("MZ-88", 2025, dt.date(2026, 4, 10))
    confirmed_deadline("MZ-88", 2026, dt.date(2027, 4, 12))
    found = {item.form.code: item.missing for item in catalogue.gaps(dt.date(2026, 12, 6))}
    assert "MZ-88" not in found
    FormDeadline.objects.filter(form__code="MZ-88", year=2025).update(source="")
    found = {item.form.code: item.missing for item in catalogue.gaps(dt.date(2026, 12, 6))}
    assert found["MZ-88"] == ["źródło terminu za 2025 r."]
    assert {item.form.code for item in catalogue.gaps(dt.date(2028, 1, 10))} >= {"MZ-88"}


def test_the_admin_lists_the_forms_to_complete_and_the_index_says_how_many(client):
    root = User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)
    confirmed_deadline("MZ-88", 2025, dt.date(2026, 4, 10))
    confirmed_deadline("MZ-88", 2026, dt.date(2027, 4, 12))
    client.force_login(root)
    with time_machine.travel(ST_NICHOLAS_2026, tick=False):
        incomplete = client.get("/admin/contacts/statisticalform/", {"do_uzupelnienia": "tak"}).content.decode()
        complete = client.get("/admin/contacts/statisticalform/", {"do_uzupelnienia": "nie"}).content.decode()
        index = client.get("/admin/").content.decode()
    assert ">MZ-24<" in incomplete and "termin za 2026 r." in incomplete and ">MZ-88<" not in incomplete
    assert ">MZ-88<" in complete and ">MZ-24<" not in complete
    count = len(catalogue.gaps(dt.date(2026, 12, 6)))
    assert f"Formularze do uzupełnienia w katalogu: {count}." in index
    assert "/admin/contacts/statisticalform/?do_uzupelnienia=tak" in index


def test_staff_who_may_not_edit_the_catalogue_get_no_notice(client):
    clerk = User.objects.create_user("clerk", "clerk@example.gov.pl", "test-pass-123", role=Role.AGENT)
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    client.force_login(clerk)
    with time_machine.travel(ST_NICHOLAS_2026, tick=False):
        index = client.get("/admin/")
    assert index.status_code == 200 and "Formularze do uzupełnienia" not in index.content.decode()
    assert client.get("/admin/contacts/statisticalform/").status_code == 403


def _as_before_the_migration() -> None:
    """The catalogue as an installation seeded by 0003 and 0005 holds it before this change."""
    for code, (title, who, usual) in MIGRATION.seeded_forms().items():
        StatisticalForm.objects.filter(code=code).update(title=title, submitted_by=who, usual_deadline=usual, source="")
    FormDeadline.objects.all().delete()
    forms = {form.code: form for form in StatisticalForm.objects.all()}
    for (code, year), (due, note) in MIGRATION.seeded_deadlines().items():
        FormDeadline.objects.create(form=forms[code], year=year, deadline=due, note=note)


def test_the_migration_replaces_only_the_seeded_guesses_and_leaves_hand_edits_alone():
    _as_before_the_migration()
    StatisticalForm.objects.filter(code="MZ-24").update(title="Sprawozdanie MZ-24 wpisane przez administratora")
    StatisticalForm.objects.filter(code="MZ-88").update(submitted_by="Wszyscy, wpisane ręcznie")
    FormDeadline.objects.filter(form__code="MZ-88", year=2025).update(deadline=dt.date(2026, 4, 13))
    FormDeadline.objects.filter(form__code="MZ-11", year=2025).update(note="Termin przesunięty komunikatem CeZ")

    MIGRATION.update_catalogue(django_apps, SimpleNamespace(connection=connection))  # it reads only the alias

    forms = {form.code: form for form in StatisticalForm.objects.all()}
    assert forms["MZ-24"].title == "Sprawozdanie MZ-24 wpisane przez administratora"
    assert forms["MZ-24"].submitted_by == "" and forms["MZ-24"].usual_deadline == ""
    assert forms["MZ-88"].submitted_by == "Wszyscy, wpisane ręcznie"
    assert forms["MZ-88"].title == "Sprawozdanie o pracujących w podmiotach wykonujących działalność leczniczą"
    assert forms["MZ-88"].source.startswith("Tytuł: ") and "Kto składa" not in forms["MZ-88"].source
    assert forms["MZ-29"].title == "" and "form.stat.gov.pl" in forms["MZ-89"].source
    assert forms["MZ-29A"].title.endswith("w zakresie długoterminowej opieki zdrowotnej")
    mz88 = FormDeadline.objects.get(form__code="MZ-88", year=2025)
    assert mz88.deadline == dt.date(2026, 4, 13) and mz88.note == ""
    mz11 = FormDeadline.objects.get(form__code="MZ-11", year=2025)
    assert mz11.note == "Termin przesunięty komunikatem CeZ" and mz11.deadline == dt.date(2026, 3, 31)
    assert set(FormDeadline.objects.values_list("form__code", "year")) == {("MZ-88", 2025), ("MZ-11", 2025)}


def test_the_migration_keeps_a_source_an_administrator_already_gave():
    _as_before_the_migration()
    StatisticalForm.objects.filter(code="MZ-11").update(source="PBSSP 2026, poz. 1.29.07")
    MIGRATION.update_catalogue(django_apps, SimpleNamespace(connection=connection))  # it reads only the alias
    assert StatisticalForm.objects.get(code="MZ-11").source == "PBSSP 2026, poz. 1.29.07"


def test_a_reminder_about_a_form_without_a_confirmed_title_names_only_its_code(bob, run_on_commit):
    from django.core import mail

    from contacts import actions
    from tests.submission_data import office, report, unit

    office("14")
    clinic = unit(7001, "14", name="Przychodnia Ginekologiczna", email="rejestracja@gin.example.pl")
    report(clinic, "MZ-24", 2025, "draft")
    form = StatisticalForm.objects.get(code="MZ-24")
    run_on_commit(actions.send_reminders, actor=bob, form=form, year=2025, unit_ids=[clinic.pk])
    (message,) = mail.outbox
    assert "sprawozdanie MZ-24 za 2025 r." in message.body and "()" not in message.body
