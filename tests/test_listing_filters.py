"""The listing filters (helpdesk/templatetags/listing.py) print exactly what Django's `date` and `truncatechars`
print, which the ticket list and the ticket page used before: in the current time zone, for empty values, for
text with combining characters and for text that is cut."""

import datetime as dt
import zoneinfo

import pytest
from django.template import engines
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")


def render(source: str, **context) -> str:
    with translation.override("pl"), timezone.override(WARSAW):
        return engines["django"].from_string("{% load listing %}" + source).render(context)


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 7, 23, 30, 5, 120000, tzinfo=dt.UTC),  # the next day in Warsaw
        dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC),  # the hour summer time starts
        dt.datetime(2026, 7, 1, 8, 0, tzinfo=WARSAW),
    ],
)
def test_strftime_and_isoformat_print_what_date_printed(moment):
    assert render('{{ m|strftime:"%d.%m.%Y %H:%M" }}', m=moment) == render('{{ m|date:"d.m.Y H:i" }}', m=moment)
    assert render('{{ m|strftime:"%d.%m.%Y" }}', m=moment) == render('{{ m|date:"d.m.Y" }}', m=moment)
    assert render('{{ m|strftime:"%H:%M" }}', m=moment) == render('{{ m|date:"H:i" }}', m=moment)
    assert render("{{ m|isoformat }}", m=moment) == render('{{ m|date:"c" }}', m=moment)


def test_a_date_prints_as_date_printed_it():
    day = dt.date(2026, 5, 3)
    assert render('{{ d|strftime:"%d.%m.%Y" }} {{ d|isoformat }}', d=day) == render(
        '{{ d|date:"d.m.Y" }} {{ d|date:"c" }}', d=day
    )


def test_a_utc_moment_is_printed_in_warsaw_time():
    moment = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)
    assert render('{{ m|strftime:"%d.%m.%Y %H:%M" }} {{ m|isoformat }}', m=moment) == (
        "08.12.2026 00:30 2026-12-08T00:30:00+01:00"
    )


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_value_prints_nothing_as_date_did(empty):
    assert render('[{{ m|strftime:"%d.%m.%Y" }}][{{ m|isoformat }}]', m=empty) == "[][]"
    assert render('[{{ m|date:"d.m.Y" }}][{{ m|date:"c" }}]', m=empty) == "[][]"


def test_a_month_name_is_refused_it_would_not_be_polish():
    with pytest.raises(ValueError, match="numeric"):
        render('{{ m|strftime:"%d %B %Y" }}', m=dt.date(2026, 5, 3))


@pytest.mark.parametrize(
    "text",
    [
        "Korekta sprawozdania MZ-88 za 2025",
        "x" * 40,
        "x" * 41,
        "Zażółć gęślą jaźń " * 5,
        "Zaz\u0307o\u0301łc\u0301 " * 8,  # combining accents: NFC joins them, the count is of characters
        "",
        "<b>Szpital</b> & Przychodnia",
    ],
)
@pytest.mark.parametrize("length", [1, 10, 40, 90])
def test_shorten_prints_what_truncatechars_printed(text, length):
    assert render(f"{{{{ t|shorten:{length} }}}}", t=text) == render(f"{{{{ t|truncatechars:{length} }}}}", t=text)


def test_shorten_keeps_safe_text_safe_and_escapes_the_rest():
    assert render("{{ t|shorten:10 }}", t=mark_safe("<b>a</b>")) == "<b>a</b>"
    assert render("{{ t|shorten:10 }}", t="<b>a</b>") == "&lt;b&gt;a&lt;/b&gt;"


def test_shorten_of_a_missing_value_prints_the_default_cut():
    assert render('{{ missing|default:"—"|shorten:40 }}') == "—"
