"""Each form of the lookup links to its filling instruction in the knowledge base: the article chosen in the forms
catalogue, else the newest published form instruction listing the form; never a draft, an archived or a non-public
article; an external address set in the catalogue overrides both. One query for all the forms."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse

from contacts import actions, lookup, replies
from contacts.models import StatisticalForm
from knowledge_base import actions as kb
from knowledge_base.models import Kind, Status, Visibility
from tests.submission_data import office, report, unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clinic(db):
    office("14")
    clinic = unit(5001, "14")
    for code in ("MZ-11", "MZ-88", "MZ-89"):
        report(clinic, code, 2025, "assigned")
    return clinic


def article(slug: str, forms: list[str], *, status=Status.PUBLISHED, kind=Kind.FORM, **fields):
    title, body = f"Instrukcja {slug}", "Jak wypełnić formularz krok po kroku."
    created = kb.create_article(
        actor=None, draft=kb.ArticleDraft(kind=kind, title=title, body=body, forms=forms, **fields), slug=slug
    )
    if status != Status.DRAFT:
        created = kb.change_status(actor=None, article=created, status=status)
    return created


def url_of(slug: str) -> str:
    return reverse("kb:article", kwargs={"slug": slug})


def links(clinic) -> dict[str, str]:
    return {item.form_code: item.instruction_url for item in lookup.lookup(clinic.regon, 2025).forms}


def test_a_published_instruction_is_linked_on_the_page_and_in_the_api_and_a_form_without_one_is_not(client, clinic):
    article("instrukcja-mz-88", ["MZ-88"])
    page = client.get("/status/", {"regon": clinic.regon, "year": "2025"}).content.decode()
    assert f'<a href="{url_of("instrukcja-mz-88")}">Jak wypełnić MZ-88</a>' in page
    assert "Jak wypełnić MZ-11" not in page
    data = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": 2025}).json()
    found = {item["form"]: item["instruction_url"] for item in data["forms"]}
    assert found == {"MZ-11": None, "MZ-88": f"http://testserver{url_of('instrukcja-mz-88')}", "MZ-89": None}


def test_drafts_archived_non_public_and_other_kinds_of_article_are_not_linked(clinic):
    article("szkic-mz-88", ["MZ-88"], status=Status.DRAFT)
    article("do-przegladu-mz-88", ["MZ-88"], status=Status.REVIEW)
    article("archiwum-mz-88", ["MZ-88"], status=Status.ARCHIVED)
    article("dla-agentow-mz-88", ["MZ-88"], visibility=Visibility.STAFF)
    article("faq-mz-88", ["MZ-88"], kind=Kind.FAQ)
    article("instrukcja-mz-8", ["MZ-8"])  # a code that only starts like another one
    assert links(clinic) == {"MZ-11": "", "MZ-88": "", "MZ-89": ""}


def test_the_newest_published_instruction_listing_the_form_is_linked(clinic):
    article("instrukcja-mz-88-2024", ["MZ-88"])
    article("instrukcja-mz-88-i-mz-89", ["MZ-89", "mz-88"])
    assert links(clinic) == {
        "MZ-11": "",
        "MZ-88": url_of("instrukcja-mz-88-i-mz-89"),
        "MZ-89": url_of("instrukcja-mz-88-i-mz-89"),
    }


def test_the_article_chosen_in_the_catalogue_wins_and_an_external_address_overrides_it(clinic):
    chosen = article("instrukcja-mz-88-wybrana", [], kind=Kind.MANUAL)
    article("instrukcja-mz-88-nowsza", ["MZ-88"])
    form = StatisticalForm.objects.get(code="MZ-88")
    actions.set_form_instruction(actor=None, form=form, article=chosen)
    assert links(clinic)["MZ-88"] == url_of("instrukcja-mz-88-wybrana")
    StatisticalForm.objects.filter(code="MZ-88").update(instruction_url="https://cez.example.gov.pl/mz-88.pdf")
    assert links(clinic)["MZ-88"] == "https://cez.example.gov.pl/mz-88.pdf"


def test_a_chosen_article_taken_back_to_draft_gives_way_to_the_published_one(clinic):
    chosen = article("instrukcja-mz-88-wybrana", ["MZ-88"])
    article("instrukcja-mz-88-starsza", ["MZ-88"])
    actions.set_form_instruction(actor=None, form=StatisticalForm.objects.get(code="MZ-88"), article=chosen)
    kb.change_status(actor=None, article=chosen, status=Status.DRAFT)
    assert links(clinic)["MZ-88"] == url_of("instrukcja-mz-88-starsza")


def test_the_lookup_reads_the_instructions_of_all_forms_in_one_query(clinic, django_assert_num_queries):
    with django_assert_num_queries(3):  # reports, the forms' instructions, the regional office
        lookup.lookup(clinic.regon, 2025)
    article("instrukcja-mz-88", ["MZ-88"])
    article("instrukcja-mz-11", ["MZ-11"])
    actions.set_form_instruction(
        actor=None, form=StatisticalForm.objects.get(code="MZ-89"), article=article("mz-89", ["MZ-89"])
    )
    for code in ("MZ-03", "MZ-06", "MZ-13", "MZ-14"):
        report(clinic, code, 2025, "assigned")
    with django_assert_num_queries(3):
        result = lookup.lookup(clinic.regon, 2025)
    assert len(result.forms) == 7 and sum(bool(item.instruction_url) for item in result.forms) == 3


def test_the_agents_unit_panel_links_the_instructions(clinic, django_assert_num_queries):
    article("instrukcja-mz-88", ["MZ-88"])
    template = Template("{% load contacts_tags %}{% unit_reports_panel unit %}")
    # the panel shows the reports of the latest two years: those of 2025 while people ask about them
    moment = dt.datetime(2026, 2, 16, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False), django_assert_num_queries(2):  # the reports, the instructions
        panel = template.render(Context({"unit": clinic}))
    assert f'href="{url_of("instrukcja-mz-88")}">instrukcja MZ-88</a>' in panel
    assert "instrukcja MZ-11" not in panel


def test_the_canned_status_reply_gives_the_instructions_full_address(clinic, settings):
    settings.SITE_URL = "https://pomoc.example.gov.pl"
    article("instrukcja-mz-88", ["MZ-88"])
    text = replies.status_summary(clinic, 2025)
    assert f"Instrukcja wypełniania: https://pomoc.example.gov.pl{url_of('instrukcja-mz-88')}" in text
    assert text.count("Instrukcja wypełniania") == 1


def test_only_an_administrator_chooses_a_forms_instruction(alice):
    from django.core.exceptions import PermissionDenied

    form = StatisticalForm.objects.get(code="MZ-88")
    with pytest.raises(PermissionDenied):
        actions.set_form_instruction(actor=alice, form=form, article=article("instrukcja-mz-88", ["MZ-88"]))
    form.refresh_from_db()
    assert form.instruction_article is None


def test_an_administrator_chooses_the_instruction_in_the_forms_catalogue(client):
    from helpdesk.models import Role, User

    root = User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)
    chosen = article("instrukcja-mz-88", ["MZ-88"])
    form = StatisticalForm.objects.get(code="MZ-88")
    client.force_login(root)
    url = f"/admin/contacts/statisticalform/{form.pk}/change/"
    assert 'name="instruction_article"' in client.get(url).content.decode()
    fields = {"code": form.code, "title": form.title, "periodicity": form.periodicity, "is_active": "on"}
    management = {"deadlines-TOTAL_FORMS": "0", "deadlines-INITIAL_FORMS": "0"}
    response = client.post(url, {**fields, **management, "instruction_article": chosen.pk})
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.instruction_article == chosen
