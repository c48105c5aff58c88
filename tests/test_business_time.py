"""Working-time arithmetic: due times across weekends, holidays, closures, DST and year ends.

Property-based (hypothesis) over the default office calendar (Mon–Fri 08:00–16:00 Warsaw, Polish holidays,
an organisation's own days off) and the 24/7 calendar, plus the worked examples a desk lead would check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk import business_time
from helpdesk.business_time import Schedule
from helpdesk.models import BusinessCalendar, CalendarClosure

WARSAW = ZoneInfo("Europe/Warsaw")
OFFICE = Schedule(
    timezone="Europe/Warsaw",
    always_open=False,
    workdays=frozenset({0, 1, 2, 3, 4}),
    opens_at=dt.time(8),
    closes_at=dt.time(16),
    holidays_country="PL",
    # government offices' days off for holidays falling on a Saturday (2025, 2026)
    closures=frozenset({dt.date(2025, 5, 2), dt.date(2025, 11, 10), dt.date(2026, 8, 14), dt.date(2026, 12, 28)}),
)
ROUND_THE_CLOCK = Schedule(
    timezone="Europe/Warsaw", always_open=True, workdays=frozenset(), opens_at=dt.time(0), closes_at=dt.time(0)
)

moments = st.datetimes(
    min_value=dt.datetime(2024, 12, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(dt.UTC)
)
durations = st.integers(min_value=0, max_value=60 * 60 * 8 * 30).map(lambda s: dt.timedelta(seconds=s))
# the office with parts of days closed: afternoons off, a late start, a gap in the middle of a day (some of
# them next to the daylight-saving changes and in the year ends)
PART_CLOSED = dataclasses.replace(
    OFFICE,
    closed_hours=frozenset(
        {
            (dt.date(2025, 12, 31), dt.time(12), None),
            (dt.date(2026, 3, 27), dt.time(10), dt.time(12)),
            (dt.date(2026, 3, 30), None, dt.time(10)),
            (dt.date(2026, 10, 26), dt.time(8), dt.time(16)),
            (dt.date(2026, 12, 23), dt.time(13), None),
            (dt.date(2027, 6, 15), dt.time(9), dt.time(9, 30)),
        }
    ),
)
schedules = st.sampled_from([OFFICE, ROUND_THE_CLOCK, PART_CLOSED])


def _last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() - 6) % 7)


# The daylight-saving changes in Warsaw (last Sundays of March and October) and the year ends, at minute
# resolution: the places where a day is 23 or 25 hours long, or where holidays and days off pile up.
DST_DAYS = [_last_sunday(year, month) for year in (2025, 2026, 2027) for month in (3, 10)]


def _minutes_from(origin: dt.datetime, low: int, high: int):
    """Moments at whole minutes of real (UTC) time between origin + low and origin + high minutes."""
    return st.integers(min_value=low, max_value=high).map(lambda minutes: origin + dt.timedelta(minutes=minutes))


around_dst = st.sampled_from(DST_DAYS).flatmap(
    lambda day: _minutes_from(dt.datetime.combine(day, dt.time(0), WARSAW).astimezone(dt.UTC), -3 * 1440, 4 * 1440)
)
around_year_end = st.sampled_from([2024, 2025, 2026, 2027]).flatmap(
    lambda year: _minutes_from(
        dt.datetime(year, 12, 20, tzinfo=WARSAW).astimezone(dt.UTC),
        0,
        (dt.date(year + 1, 1, 11) - dt.date(year, 12, 20)).days * 1440 - 1,
    )
)
targeted_moments = st.one_of(around_dst, around_year_end)
# up to two working weeks, in whole minutes: long enough to cross a change or the whole holiday season
minute_durations = st.integers(min_value=0, max_value=10 * 8 * 60).map(lambda m: dt.timedelta(minutes=m))


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WARSAW)


@settings(max_examples=300, deadline=None)
@given(schedules, moments, durations)
def test_adding_working_time_then_measuring_it_gives_the_same_duration(schedule, start, duration):
    due = schedule.add(start, duration)
    # from `start` itself: time before the first working minute does not count
    assert schedule.between(start, due) == duration


@settings(max_examples=300, deadline=None)
@given(moments, durations.filter(lambda d: d > dt.timedelta(0)))
def test_a_due_time_is_never_on_a_non_working_minute(start, duration):
    due = OFFICE.add(start, duration)
    # the due time closes a working minute: the minute before it is working time
    assert OFFICE.is_open(due - dt.timedelta(seconds=1))
    local = due.astimezone(WARSAW)
    assert local.weekday() < 5
    assert local.date() not in holidays.country_holidays("PL", years=local.year)
    assert local.date() not in OFFICE.closures
    assert dt.time(8) < local.time() <= dt.time(16)


@settings(max_examples=200, deadline=None)
@given(schedules, moments, durations, durations)
def test_due_times_are_monotonic_in_the_duration_and_in_the_start(schedule, start, first, second):
    shorter, longer = sorted([first, second])
    assert schedule.add(start, shorter) <= schedule.add(start, longer)
    later_start = start + (longer - shorter)
    assert schedule.add(start, shorter) <= schedule.add(later_start, shorter)


@settings(max_examples=200, deadline=None)
@given(schedules, moments, moments)
def test_measuring_is_additive_and_antisymmetric(schedule, a, b):
    low, high = sorted([a, b])
    middle = low + (high - low) / 2
    assert schedule.between(low, high) == schedule.between(low, middle) + schedule.between(middle, high)
    assert schedule.between(high, low) == -schedule.between(low, high)


def test_the_targeted_strategies_reach_the_changes_and_the_year_ends():
    assert [day.isoformat() for day in DST_DAYS] == [
        "2025-03-30",
        "2025-10-26",
        "2026-03-29",
        "2026-10-25",
        "2027-03-28",
        "2027-10-31",
    ]
    for day in DST_DAYS:  # each really is a 23- or 25-hour day in Warsaw
        midnight = dt.datetime.combine(day, dt.time(0), WARSAW)
        length = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), WARSAW).astimezone(dt.UTC) - midnight
        assert length == dt.timedelta(hours=23 if day.month == 3 else 25)


@settings(max_examples=400, deadline=None)
@given(schedules, targeted_moments, minute_durations)
def test_around_dst_and_year_ends_adding_then_measuring_gives_the_same_duration(schedule, start, duration):
    due = schedule.add(start, duration)
    assert due.second == 0 and due.microsecond == 0  # whole minutes in, whole minutes out
    assert schedule.between(start, due) == duration


@settings(max_examples=400, deadline=None)
@given(targeted_moments, minute_durations.filter(lambda d: d > dt.timedelta(0)))
def test_around_dst_and_year_ends_a_due_time_is_never_on_a_non_working_minute(start, duration):
    due = OFFICE.add(start, duration)
    assert OFFICE.is_open(due - dt.timedelta(minutes=1))
    local = due.astimezone(WARSAW)
    assert local.weekday() < 5
    assert local.date() not in business_time.public_holidays("PL", local.year)
    assert local.date() not in OFFICE.closures
    assert dt.time(8) < local.time() <= dt.time(16)


@settings(max_examples=300, deadline=None)
@given(schedules, targeted_moments, minute_durations, minute_durations)
def test_around_dst_and_year_ends_due_times_are_monotonic(schedule, start, first, second):
    shorter, longer = sorted([first, second])
    assert schedule.add(start, shorter) <= schedule.add(start, longer)
    assert schedule.add(start, shorter) <= schedule.add(start + (longer - shorter), shorter)


MOVABLE_FEASTS = {
    # Easter Sunday, Easter Monday, Pentecost Sunday, Corpus Christi
    2025: [dt.date(2025, 4, 20), dt.date(2025, 4, 21), dt.date(2025, 6, 8), dt.date(2025, 6, 19)],
    2026: [dt.date(2026, 4, 5), dt.date(2026, 4, 6), dt.date(2026, 5, 24), dt.date(2026, 6, 4)],
    2027: [dt.date(2027, 3, 28), dt.date(2027, 3, 29), dt.date(2027, 5, 16), dt.date(2027, 5, 27)],
}


@pytest.mark.django_db
@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_the_movable_feasts_are_days_off_in_the_products_calendar(year):
    office = BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00").schedule()
    easter, easter_monday, pentecost, corpus_christi = MOVABLE_FEASTS[year]
    assert (easter.weekday(), easter_monday.weekday(), pentecost.weekday(), corpus_christi.weekday()) == (6, 0, 6, 3)
    for day in MOVABLE_FEASTS[year]:
        assert day in business_time.public_holidays("PL", year)
        assert not office.is_working_day(day)
    # the days around them are ordinary: Tuesday after Easter and Friday after Corpus Christi are working
    assert office.is_working_day(easter_monday + dt.timedelta(days=1))
    assert office.is_working_day(corpus_christi + dt.timedelta(days=1))


@pytest.mark.django_db
def test_christmas_eve_is_a_day_off_from_2025_but_was_a_working_day_in_2024():
    office = BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00").schedule()
    assert dt.date(2024, 12, 24).weekday() == 1
    assert dt.date(2024, 12, 24) not in business_time.public_holidays("PL", 2024)
    assert office.is_working_day(dt.date(2024, 12, 24))
    for year in (2025, 2026, 2027):
        christmas_eve = dt.date(year, 12, 24)
        assert christmas_eve.weekday() < 5
        assert christmas_eve in business_time.public_holidays("PL", year)
        assert not office.is_working_day(christmas_eve)
    # a 2 h target on Monday 23 Dec 2024 at 15:00 ran on into Christmas Eve; in 2025 it skips to the 29th
    assert office.add(at(2024, 12, 23, 15, 0), dt.timedelta(hours=2)) == at(2024, 12, 24, 9, 0)
    assert office.add(at(2025, 12, 23, 15, 0), dt.timedelta(hours=2)) == at(2025, 12, 29, 9, 0)


def test_a_closed_part_of_a_day_is_left_out_of_working_time():
    assert PART_CLOSED.intervals(dt.date(2026, 3, 27)) == (
        (at(2026, 3, 27, 8, 0), at(2026, 3, 27, 10, 0)),
        (at(2026, 3, 27, 12, 0), at(2026, 3, 27, 16, 0)),
    )
    assert PART_CLOSED.add(at(2026, 3, 27, 9, 0), dt.timedelta(hours=2)) == at(2026, 3, 27, 13, 0)
    # Friday 15:00 + 2 h: 1 h on Friday, Monday 30 March (after the spring change) opens at 10:00
    assert PART_CLOSED.add(at(2026, 3, 27, 15, 0), dt.timedelta(hours=2)) == at(2026, 3, 30, 11, 0)
    # a closure covering the whole working day leaves no working time: Monday 26 October 2026
    assert not PART_CLOSED.is_working_day(dt.date(2026, 10, 26))
    assert PART_CLOSED.add(at(2026, 10, 23, 15, 0), dt.timedelta(hours=2)) == at(2026, 10, 27, 9, 0)
    assert PART_CLOSED.between(at(2026, 12, 23, 0, 0), at(2026, 12, 24, 0, 0)) == dt.timedelta(hours=5)


def test_four_hours_from_thursday_before_easter_with_good_friday_off_is_due_on_tuesday_at_half_past_eleven():
    # Easter 2026 is on 5 April; the office takes Friday 3 April off; Easter Monday is a public holiday
    schedule = dataclasses.replace(OFFICE, closures=frozenset({dt.date(2026, 4, 3)}))
    due = schedule.add(at(2026, 4, 2, 15, 30), dt.timedelta(hours=4))
    assert due == at(2026, 4, 7, 11, 30)


def test_office_hours_stay_eight_to_four_local_time_across_both_daylight_saving_changes():
    # spring forward on Sunday 29 March 2026, fall back on Sunday 25 October 2026
    assert OFFICE.add(at(2026, 3, 27, 15, 0), dt.timedelta(hours=2)) == at(2026, 3, 30, 9, 0)
    assert OFFICE.add(at(2026, 10, 23, 15, 0), dt.timedelta(hours=2)) == at(2026, 10, 26, 9, 0)
    assert OFFICE.between(at(2026, 3, 27, 15, 0), at(2026, 3, 30, 9, 0)) == dt.timedelta(hours=2)


def test_the_round_the_clock_calendar_counts_real_elapsed_time_across_daylight_saving():
    # 29 March 2026 has 23 hours in Warsaw: 24 elapsed hours after Saturday noon end at Sunday 13:00 local
    assert ROUND_THE_CLOCK.add(at(2026, 3, 28, 12, 0), dt.timedelta(hours=24)) == at(2026, 3, 29, 13, 0)
    assert ROUND_THE_CLOCK.between(at(2026, 10, 24, 12, 0), at(2026, 10, 25, 12, 0)) == dt.timedelta(hours=25)


def test_the_year_end_skips_christmas_eve_christmas_the_organisations_day_off_and_new_year():
    # Tuesday 22 Dec 2026 15:00 + 3 h: 1 h on the 22nd, Wednesday 23rd 08:00–10:00
    assert OFFICE.add(at(2026, 12, 22, 15, 0), dt.timedelta(hours=3)) == at(2026, 12, 23, 10, 0)
    # Wednesday 23 Dec 15:00 + 2 h: 24–27 Dec holidays and weekend, 28th the day off, 29th 09:00
    assert OFFICE.add(at(2026, 12, 23, 15, 0), dt.timedelta(hours=2)) == at(2026, 12, 29, 9, 0)
    # Thursday 31 Dec 2026 15:00 + 2 h: 1 Jan holiday, weekend, Monday 4 Jan 2027 09:00
    assert OFFICE.add(at(2026, 12, 31, 15, 0), dt.timedelta(hours=2)) == at(2027, 1, 4, 9, 0)


def test_a_moment_outside_hours_starts_counting_at_the_next_opening():
    assert OFFICE.add(at(2026, 11, 27, 18, 0), dt.timedelta(minutes=30)) == at(2026, 11, 30, 8, 30)
    assert OFFICE.add(at(2026, 11, 30, 6, 0), dt.timedelta(0)) == at(2026, 11, 30, 8, 0)
    assert OFFICE.next_open(at(2026, 11, 30, 9, 0)) == at(2026, 11, 30, 9, 0)


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_polish_public_holidays_agree_with_the_law_fourteen_a_year_with_christmas_eve(year):
    days = business_time.public_holidays("PL", year)
    assert len(days) == 14
    assert dt.date(year, 12, 24) in days
    for month, day in [(1, 1), (1, 6), (5, 1), (5, 3), (8, 15), (11, 1), (11, 11), (12, 25), (12, 26)]:
        assert dt.date(year, month, day) in days


@pytest.mark.parametrize(("year", "working_days"), [(2025, 251), (2026, 253), (2027, 253)])
def test_the_number_of_working_days_matches_the_official_count(year, working_days):
    schedule = dataclasses.replace(OFFICE, closures=frozenset())
    day, count = dt.date(year, 1, 1), 0
    while day.year == year:
        count += schedule.is_working_day(day)
        day += dt.timedelta(days=1)
    assert count == working_days


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        OFFICE.add(dt.datetime(2026, 11, 26, 9, 0), dt.timedelta(hours=1))


@pytest.mark.django_db
def test_a_calendar_with_no_working_time_is_refused_when_saved():
    calendar = BusinessCalendar(name="Pusty", workdays="", opens_at=dt.time(8), closes_at=dt.time(16))
    with pytest.raises(ValidationError) as error:
        calendar.full_clean()
    assert "Kalendarz bez dni roboczych nie ma czasu pracy" in str(error.value)
    calendar = BusinessCalendar(name="Zero godzin", opens_at=dt.time(8), closes_at=dt.time(8))
    with pytest.raises(ValidationError, match="Godzina zamknięcia musi być późniejsza"):
        calendar.full_clean()
    calendar = BusinessCalendar(name="Dni 7", workdays="1,7")
    with pytest.raises(ValidationError, match="0–6"):
        calendar.full_clean()


def test_a_schedule_with_no_working_days_raises_instead_of_looping():
    empty = dataclasses.replace(OFFICE, workdays=frozenset())
    with pytest.raises(business_time.NoWorkingTime):
        empty.add(at(2026, 1, 5, 9, 0), dt.timedelta(hours=1))


@pytest.mark.django_db
def test_a_new_day_off_reaches_the_cached_schedule_at_once(django_assert_num_queries):
    office = BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00")
    before = office.schedule().add(at(2026, 8, 13, 15, 0), dt.timedelta(hours=2))
    assert before == at(2026, 8, 14, 9, 0)
    with django_assert_num_queries(0):  # cached: no query per call, let alone per day
        office.schedule().add(at(2026, 8, 13, 15, 0), dt.timedelta(hours=40))
    CalendarClosure.objects.create(calendar=office, date=dt.date(2026, 8, 14), reason="za 15 sierpnia")
    fresh = BusinessCalendar.objects.get(pk=office.pk)
    assert fresh.schedule().add(at(2026, 8, 13, 15, 0), dt.timedelta(hours=2)) == at(2026, 8, 17, 9, 0)
    assert office.schedule().add(at(2026, 8, 13, 15, 0), dt.timedelta(hours=2)) == at(2026, 8, 17, 9, 0)


def test_long_spans_from_running_totals_equal_the_day_by_day_walk():
    """between() over weeks and months sums whole days from running totals; it must equal walking day by day
    (holidays, a closure, daylight-saving changes, spans starting before the totals' origin)."""
    import random

    schedule = business_time.Schedule(
        timezone="Europe/Warsaw",
        always_open=False,
        workdays=frozenset(range(5)),
        opens_at=dt.time(8),
        closes_at=dt.time(16),
        holidays_country="PL",
        closures=frozenset({dt.date(2024, 5, 2)}),
    )

    def walked(start, end):
        total, day = dt.timedelta(0), schedule._local_day(start)
        while day <= schedule._local_day(end):
            for span_start, span_end in schedule.intervals(day):
                total += max(min(span_end, end) - max(span_start, start), dt.timedelta(0))
            day += dt.timedelta(days=1)
        return total

    chance = random.Random(20261127)
    origin = dt.datetime(2019, 6, 1, tzinfo=dt.UTC)
    for _ in range(3000):
        start = origin + dt.timedelta(minutes=chance.randrange(8 * 365 * 24 * 60))
        end = start + dt.timedelta(minutes=chance.choice([chance.randrange(3000), chance.randrange(800 * 24 * 60)]))
        assert schedule.between(start, end) == walked(start, end)
        assert schedule.between(end, start) == -walked(start, end)
