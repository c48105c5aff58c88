"""Reporting deadlines in the workspace: a ticket about a form due within the next few working days gets a
higher priority, and the agents' list shows the deadlines coming up (contacts.FormDeadline holds them)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from contacts.models import FormDeadline
from tickets.rules import form_codes


def horizon(calendar, today: dt.date, working_days: int) -> dt.date:
    """The date `working_days` working days after `today` on `calendar` (today itself not counted)."""
    day, counted = today, 0
    for _ in range(working_days * 3 + 14):  # enough for any run of holidays and weekends
        if counted >= working_days:
            break
        day += dt.timedelta(days=1)
        counted += calendar.is_working_day(day)
    return day


def near_deadlines(text: str | None, calendar, now: dt.datetime) -> list[FormDeadline]:
    """Deadlines of the forms `text` mentions that fall between today and the horizon (`text` None: of every
    form, for a caller that filters them itself)."""
    codes = form_codes(text) if text is not None else None
    if (codes is not None and not codes) or settings.DEADLINE_PRIORITY_WORKING_DAYS <= 0:
        return []
    today = timezone.localdate(now)
    last = horizon(calendar, today, settings.DEADLINE_PRIORITY_WORKING_DAYS)
    found = FormDeadline.objects.select_related("form").filter(deadline__gte=today, deadline__lte=last)
    if codes is not None:
        found = found.filter(form__code__in=codes)
    return list(found.order_by("deadline", "pk"))


def upcoming(now: dt.datetime | None = None, limit: int = 6) -> list[FormDeadline]:
    """The next deadlines of active forms, for the workspace."""
    today = timezone.localdate(now or timezone.now())
    return list(
        FormDeadline.objects.select_related("form")
        .filter(deadline__gte=today, form__is_active=True)
        .order_by("deadline", "form__code")[:limit]
    )
