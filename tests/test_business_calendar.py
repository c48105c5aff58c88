"""Working hours: Monday–Friday 08:00–16:00 in Warsaw, minus Polish public holidays and the organisation's
own days off; and a 24/7 calendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from helpdesk.models import BusinessCalendar, CalendarClosure

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def office():
    return BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00")


def at(*args):
    return dt.datetime(*args, tzinfo=WARSAW)


def test_a_weekday_is_open_from_eight_to_four_warsaw_time(office):
    assert office.is_open(at(2026, 11, 26, 8, 0))
    assert office.is_open(at(2026, 11, 26, 15, 59))
    assert not office.is_open(at(2026, 11, 26, 16, 0))
    assert not office.is_open(at(2026, 11, 26, 7, 59))


def test_the_time_zone_is_respected_for_utc_moments(office):
    # 07:30 UTC in November is 08:30 in Warsaw (CET)
    assert office.is_open(dt.datetime(2026, 11, 26, 7, 30, tzinfo=dt.UTC))
    # 06:30 UTC in July is 08:30 in Warsaw (CEST)
    assert office.is_open(dt.datetime(2026, 7, 1, 6, 30, tzinfo=dt.UTC))


def test_weekends_and_public_holidays_are_closed_including_christmas_eve_from_2025(office):
    assert not office.is_open(at(2026, 11, 28, 10, 0))  # Saturday
    assert not office.is_open(at(2026, 11, 11, 10, 0))  # Independence Day
    assert not office.is_open(at(2026, 6, 4, 10, 0))  # Corpus Christi 2026
    assert not office.is_open(at(2025, 12, 24, 10, 0))  # Christmas Eve, a holiday since 2025
    assert office.is_open(at(2024, 12, 24, 10, 0))  # …but not before


def test_the_organisations_own_day_off_is_closed(office):
    assert office.is_open(at(2026, 8, 14, 10, 0))
    CalendarClosure.objects.create(calendar=office, date=dt.date(2026, 8, 14), reason="za 15 sierpnia (sobota)")
    assert not office.is_open(at(2026, 8, 14, 10, 0))


def test_2026_has_253_working_days(office):
    day, count = dt.date(2026, 1, 1), 0
    while day.year == 2026:
        count += office.is_working_day(day)
        day += dt.timedelta(days=1)
    assert count == 253


def test_the_round_the_clock_calendar_is_always_open():
    always = BusinessCalendar.objects.get(name="Całodobowo (24/7)")
    assert always.is_open(at(2026, 12, 25, 3, 0))
