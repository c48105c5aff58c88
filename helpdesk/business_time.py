"""Arithmetic in working time: "4 working hours after Thursday 15:30" and "how much working time is left".

A `Schedule` is a compiled, immutable picture of a BusinessCalendar: its time zone, weekly hours, public
holidays and the organisation's own closures (whole days, or part of a day: `closed_hours`), loaded in one
query and cached per process under the calendar's `version` (bumped whenever the calendar or one of its
closures changes). Arithmetic walks day by day over precomputed working intervals in UTC (one a day, two
around a closed part of a day), so daylight-saving changes are handled by the time-zone conversion of each
day's opening and closing time, never by adding hours to local clock readings.

Conventions: a due time is the *end* of the last working second, so the minute just before it is always
working time (a 1 h target started at 15:00 is due at 16:00 the same day, not 08:00 the next one).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

UTC = dt.UTC
ZERO = dt.timedelta(0)
# A calendar that has no working time for this long is broken; arithmetic refuses rather than loop forever.
MAX_SEARCH_DAYS = 3 * 366
# between() over many days sums whole days from running totals kept since this day (earlier spans walk day by day)
CUMULATIVE_ORIGIN = dt.date(2020, 1, 1)


class NoWorkingTime(ValueError):
    """The calendar has no working time within MAX_SEARCH_DAYS of the moment asked about."""


@lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year).keys())


@dataclass(frozen=True)
class Schedule:
    timezone: str
    always_open: bool
    workdays: frozenset[int]
    opens_at: dt.time
    closes_at: dt.time
    holidays_country: str = ""
    closures: frozenset[dt.date] = frozenset()
    # part of a day closed: (day, from, to), None = from the start / to the end of the day
    closed_hours: frozenset[tuple[dt.date, dt.time | None, dt.time | None]] = frozenset()
    _intervals: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)
    # working time from CUMULATIVE_ORIGIN to the start of each day after it (index: days since the origin)
    _cumulative: list = field(default_factory=lambda: [ZERO], init=False, compare=False, hash=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # --- days --------------------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the day has any working time (a day closed in part still has some)."""
        return bool(self.intervals(day))

    def _open_on(self, day: dt.date) -> bool:
        if self.always_open:
            return day not in self.closures
        return (
            day.weekday() in self.workdays
            and day not in public_holidays(self.holidays_country, day.year)
            and day not in self.closures
        )

    def intervals(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The day's working intervals in UTC, in order (none, one, or two around a closed part of the day);
        memoised (a schedule is immutable)."""
        try:
            return self._intervals[day]
        except KeyError:
            pass
        result: tuple = ()
        if self._open_on(day):
            zone = self.zone
            opens, closes = (dt.time(0), None) if self.always_open else (self.opens_at, self.closes_at)
            result = ((self._utc(day, opens, zone), self._utc(day, closes, zone)),)
            for closed_day, start, end in self.closed_hours:
                if closed_day == day:
                    result = _cut(result, self._utc(day, start or dt.time(0), zone), self._utc(day, end, zone))
        if len(self._intervals) > 20000:  # bounded memory in a long-running worker
            self._intervals.clear()
        self._intervals[day] = result
        return result

    @staticmethod
    def _utc(day: dt.date, time: dt.time | None, zone: ZoneInfo) -> dt.datetime:
        """`time` on `day` in UTC; None: the next midnight."""
        if time is None:
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone).astimezone(UTC)
        return dt.datetime.combine(day, time, zone).astimezone(UTC)

    def _local_day(self, moment: dt.datetime) -> dt.date:
        if moment.tzinfo is None:
            raise ValueError("business time needs aware datetimes")
        return moment.astimezone(self.zone).date()

    def _days_from(self, moment: dt.datetime):
        """Working intervals (UTC) that end after `moment`, in order, starting with `moment`'s local day."""
        day = self._local_day(moment)
        for _n in range(MAX_SEARCH_DAYS):
            for span in self.intervals(day):
                if span[1] > moment:
                    yield span
            day += dt.timedelta(days=1)
        raise NoWorkingTime(f"no working time within {MAX_SEARCH_DAYS} days after {moment.isoformat()}")

    # --- questions --------------------------------------------------------------------------------------

    def is_open(self, moment: dt.datetime) -> bool:
        if self.always_open and not self.closures and not self.closed_hours:
            return True
        return any(start <= moment < end for start, end in self.intervals(self._local_day(moment)))

    def next_open(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself when it is working time, else the start of the next working interval."""
        if self.is_open(moment):
            return moment
        start, _end = next(self._days_from(moment))
        return max(start, moment)

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment when `duration` of working time has passed after `start`."""
        if duration < ZERO:
            raise ValueError("duration must not be negative")
        if self.always_open and not self.closures and not self.closed_hours:
            return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
        if duration == ZERO:
            return self.next_open(start)
        left = duration
        for span_start, span_end in self._days_from(start):
            begin = max(span_start, start)
            available = span_end - begin
            if left <= available:
                return begin + left
            left -= available
        raise AssertionError("unreachable")  # _days_from raises first

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from `start` to `end`; negative when `end` is earlier."""
        if end < start:
            return -self.between(end, start)
        if self.always_open and not self.closures and not self.closed_hours:
            return end.astimezone(UTC) - start.astimezone(UTC)
        total = ZERO
        day, last = self._local_day(start), self._local_day(end)
        if (last - day).days > 2 and day >= CUMULATIVE_ORIGIN:
            # the first and the last day in part, the whole days between them from the running totals
            middle = self._working_before(last) - self._working_before(day + dt.timedelta(days=1))
            return self._overlap(day, start, end) + middle + self._overlap(last, start, end)
        while day <= last:
            total += self._overlap(day, start, end)
            day += dt.timedelta(days=1)
        return total

    def _overlap(self, day: dt.date, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        total = ZERO
        for span_start, span_end in self.intervals(day):
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > ZERO:
                total += overlap
        return total

    def _working_before(self, day: dt.date) -> dt.timedelta:
        """Working time from CUMULATIVE_ORIGIN to the start of `day` (totals extended as far as asked, then kept;
        a new list replaces the old one, so concurrent readers never see a half-extended list)."""
        index = (day - CUMULATIVE_ORIGIN).days
        totals = self._cumulative
        if index >= len(totals):
            totals = list(totals)
            while len(totals) <= index:
                spans = self.intervals(CUMULATIVE_ORIGIN + dt.timedelta(days=len(totals) - 1))
                totals.append(totals[-1] + sum((end - start for start, end in spans), ZERO))
            object.__setattr__(self, "_cumulative", totals)
        return totals[index]


def _cut(spans: tuple, start: dt.datetime, end: dt.datetime) -> tuple:
    """`spans` without the closed part [start, end)."""
    result = []
    for span_start, span_end in spans:
        if start > span_start:
            result.append((span_start, min(span_end, start)))
        if end < span_end:
            result.append((max(span_start, end), span_end))
    return tuple((a, b) for a, b in result if a < b)


_cache: dict[int, tuple[int, Schedule]] = {}
_cache_lock = threading.Lock()


def schedule_for(calendar) -> Schedule:
    """The compiled schedule of a BusinessCalendar, cached per process under (pk, version)."""
    with _cache_lock:
        cached = _cache.get(calendar.pk)
    if cached is not None and cached[0] == calendar.version:
        return cached[1]
    schedule = compile_calendar(calendar, closures=calendar.closures.values_list("date", "starts_at", "ends_at"))
    with _cache_lock:
        _cache[calendar.pk] = (calendar.version, schedule)
    return schedule


def compile_calendar(calendar, closures=()) -> Schedule:
    """`closures`: (day, from, to) rows, from and to None for a whole day (a bare date is a whole day too)."""
    rows = [row if isinstance(row, tuple) else (row, None, None) for row in closures]
    return Schedule(
        timezone=calendar.timezone,
        always_open=calendar.always_open,
        workdays=frozenset(parse_workdays(calendar.workdays)),
        opens_at=calendar.opens_at,
        closes_at=calendar.closes_at,
        holidays_country=calendar.holidays_country or "",
        closures=frozenset(day for day, start, end in rows if start is None and end is None),
        closed_hours=frozenset(row for row in rows if row[1] is not None or row[2] is not None),
    )


def parse_workdays(value: str) -> list[int]:
    """ "0,1,2,3,4" → [0, 1, 2, 3, 4]; raises ValueError for anything that is not weekday numbers 0–6."""
    days = [int(part) for part in (value or "").split(",") if part.strip()]
    if any(day < 0 or day > 6 for day in days):
        raise ValueError(value)
    return days


def format_duration(duration: dt.timedelta) -> tuple[int, int]:
    """(hours, minutes) of a non-negative duration, minutes rounded up so that "0 min" means really none."""
    seconds = max(0, int(duration.total_seconds()))
    minutes = (seconds + 59) // 60
    return minutes // 60, minutes % 60
