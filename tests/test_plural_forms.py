"""Counts with a noun take the Polish plural form of their number: 1 artykuł, 2–4 and 22–24 artykuły,
5–21 and 25… artykułów (ngettext / blocktranslate count, the three forms in locale/pl). Without a Polish
catalogue gettext knows only "one" and "other", and the portal said "Znaleziono 2 artykułów"."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.template import engines
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from knowledge_base import actions
from knowledge_base.models import Status
from tickets.delivery import FAILED, Delivery

LOCALE = Path(settings.BASE_DIR) / "locale"
PLURAL_ENTRY = re.compile(r'^msgid "(.*)"\nmsgid_plural "(.*)"\n((?:msgstr\[\d\] ".*"\n?)+)', re.M)
# number → index of the Polish form: one, few (2–4, 22–24, 102–104 but not 12–14), many
POLISH_RULE = {1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 21: 2, 22: 1, 24: 1, 25: 2, 112: 2, 122: 1, 1000: 2}


def plurals(language: str) -> dict[tuple[str, str], list[str]]:
    po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    po = po.replace('"\n"', "")  # join wrapped lines
    return {(m[1], m[2]): re.findall(r'^msgstr\[\d\] "(.*)"', m[3], re.M) for m in PLURAL_ENTRY.finditer(po)}


def render(template: str, **context) -> str:
    return engines["django"].from_string("{% load i18n %}" + template).render(context)


@pytest.fixture(autouse=True)
def _polish():
    cache.clear()  # the portal's search rate limit
    with translation.override("pl"):
        yield


@pytest.mark.django_db
def test_the_search_results_count_takes_the_polish_form_of_its_number(client):
    expected = {1: "1 artykuł.", 2: "2 artykuły.", 4: "4 artykuły.", 5: "5 artykułów.", 12: "12 artykułów."}
    expected |= {21: "21 artykułów.", 22: "22 artykuły.", 24: "24 artykuły.", 25: "25 artykułów."}
    published = 0
    for count, phrase in expected.items():
        while published < count:
            published += 1
            article = actions.create_article(
                actor=None, draft=actions.ArticleDraft(title=f"Kalibracja wagi {published}", body="Kalibracja.")
            )
            actions.change_status(actor=None, article=article, status=Status.PUBLISHED)
        page = client.get(reverse("kb:search"), {"q": "kalibracja"}).content.decode()
        assert f"Znaleziono {phrase}" in page, (count, re.findall(r"Znaleziono [^<]*", page))


@pytest.mark.parametrize(
    "n,phrase",
    [
        (1, "1 sprawozdanie MZ-03 za 2025 r. niezłożone"),
        (3, "3 sprawozdania MZ-03 za 2025 r. niezłożone"),
        (13, "13 sprawozdań MZ-03 za 2025 r. niezłożonych"),
        (23, "23 sprawozdania MZ-03 za 2025 r. niezłożone"),
        (27, "27 sprawozdań MZ-03 za 2025 r. niezłożonych"),
    ],
)
def test_the_count_of_missing_reports_takes_the_polish_form(n, phrase):
    source = (Path(settings.BASE_DIR) / "templates" / "contacts" / "missing.html").read_text(encoding="utf-8")
    count = re.search(r'<p class="count">(\{% blocktranslate .*?\{% endblocktranslate %\})', source)[1]
    assert render(count, form={"code": "MZ-03"}, total=n, year=2025) == phrase


@pytest.mark.parametrize("attempts,phrase", [(1, "1 próba"), (3, "3 próby"), (5, "5 prób"), (24, "24 próby")])
def test_a_failed_delivery_counts_its_attempts_in_polish(attempts, phrase):
    delivery = Delivery(FAILED, attempts, 5, "550 mailbox full", None, None)
    assert delivery.text == f"Nie udało się wysłać ({phrase}), ostatni błąd: 550 mailbox full"


def test_the_followers_count_on_the_ticket_page_takes_the_polish_form():
    source = (Path(settings.BASE_DIR) / "templates" / "tickets" / "detail.html").read_text(encoding="utf-8")
    count = re.search(r"\{% blocktranslate count counter=follow.count %\}.*?\{% endblocktranslate %\}", source)[0]
    rendered = [render(count, follow={"count": c}) for c in (1, 2, 5)]
    assert rendered == ["1 obserwujący", "2 obserwujących", "5 obserwujących"]


def test_every_plural_has_its_three_polish_forms_and_its_english_ones():
    polish, english = plurals("pl"), plurals("en")
    assert sorted(set(english) - set(polish)) == [], "plurals without their Polish forms in locale/pl"
    for (singular, plural), forms in polish.items():
        assert len(forms) == 3 and all(forms), singular
        assert forms[0] == singular and forms[2] == plural, singular  # the msgids are the Polish 1 and 5 forms
        assert (singular, plural) in english, f"no English for {singular}"
    assert (LOCALE / "pl" / "LC_MESSAGES" / "django.mo").is_file()


@pytest.mark.parametrize("number,form", POLISH_RULE.items())
def test_each_plural_of_the_catalogue_is_chosen_by_the_polish_rule(number, form):
    for (singular, plural), forms in plurals("pl").items():
        assert ngettext(singular, plural, number) == forms[form], (singular, number)
