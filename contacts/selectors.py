"""Reading the directory, scoped like tickets: a regional administrator sees the units of their voivodeships."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from contacts.models import RegionalOffice, ReportingUnit, StatisticalForm, Submission
from helpdesk import access


def units_for_user(user) -> QuerySet[ReportingUnit]:
    scope = access.voivodeship_scope(user)
    if scope.is_everything:
        return ReportingUnit.objects.all()
    return ReportingUnit.objects.filter(voivodeship_id__in=scope.codes or [])


def unit_for_user(user, unit_id: int) -> ReportingUnit:
    unit = units_for_user(user).select_related("voivodeship").filter(pk=unit_id).first()
    if unit is None:
        raise access.not_found()
    return unit


def unit_by_regon_for_user(user, regon: str) -> ReportingUnit:
    unit = units_for_user(user).select_related("voivodeship").filter(regon=regon).first()
    if unit is None:
        raise access.not_found()
    return unit


def current_offices(day: dt.date | None = None) -> QuerySet[RegionalOffice]:
    """Regional offices acting on `day` (today by default), by voivodeship: public data."""
    day = day or timezone.localdate()
    return RegionalOffice.objects.valid_on(day).select_related("voivodeship").order_by("voivodeship_id", "-valid_from")


def unit_submissions(unit: ReportingUnit, years: int = 2) -> list[Submission]:
    """The unit's reports of the latest `years` reporting years, for the ticket page's unit panel."""
    latest = timezone.localdate().year
    return list(
        Submission.objects.filter(unit=unit, year__gt=latest - 1 - years)
        .select_related("form", "status")
        .order_by("-year", "form__code")
    )


def forms_for_filter() -> QuerySet[StatisticalForm]:
    return StatisticalForm.objects.filter(is_active=True).order_by("code")


def not_submitted(user, *, form: StatisticalForm, year: int, voivodeship: str = "") -> QuerySet[Submission]:
    """Reports of `form` for `year` that do not count as submitted, in the voivodeships `user` may see."""
    scope = access.voivodeship_scope(user)
    reports = Submission.objects.filter(form=form, year=year, status__counts_as_submitted=False)
    if not scope.is_everything:
        reports = reports.filter(unit__voivodeship_id__in=scope.codes or [])
    if voivodeship:
        reports = reports.filter(unit__voivodeship_id=voivodeship)
    return reports.select_related("unit", "unit__voivodeship", "status").order_by("unit__voivodeship_id", "unit__name")


def with_reminder_flag(reports: QuerySet[Submission], *, form: StatisticalForm, year: int) -> QuerySet[Submission]:
    from contacts.models import Reminder

    sent = Reminder.objects.filter(unit=OuterRef("unit_id"), form=form, year=year)
    return reports.annotate(reminded=Exists(sent))


def unit_emails(unit_ids: list[int]) -> dict[int, list[str]]:
    """Contact e-mail addresses of the people of each unit (for reminders), by unit id."""
    from contacts.models import PersonEmail

    found: dict[int, list[str]] = {}
    rows = PersonEmail.objects.filter(person__unitmembership__unit_id__in=unit_ids).values_list(
        "person__unitmembership__unit_id", "email"
    )
    for unit_id, email in rows.order_by("email"):
        found.setdefault(unit_id, [])
        if email not in found[unit_id]:
            found[unit_id].append(email)
    return found
