"""Reading the directory, scoped like tickets: a regional administrator sees the units of their voivodeships."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contacts.models import (
    Person,
    PersonEmail,
    RegionalOffice,
    Reminder,
    ReportingUnit,
    StatisticalForm,
    Submission,
    Voivodeship,
)
from helpdesk import access


def whose_unit_message(voivodeship: Voivodeship) -> str:
    """What a regional administrator is told about a unit of another voivodeship: whose it is, nothing more."""
    # Polish declines the name after "województwa" ("mazowieckiego"); a translation keeps it as it is
    polish = (translation.get_language() or "pl").startswith("pl")
    name = voivodeship.name_genitive if polish else voivodeship.name
    return _("Ta jednostka należy do województwa %(name)s; zajmuje się nią jego administrator wojewódzki.") % {
        "name": name
    }


class UnitOfAnotherVoivodeship(PermissionDenied):
    """The unit exists but lies outside the user's voivodeships; carries only its voivodeship."""

    def __init__(self, voivodeship: Voivodeship):
        self.voivodeship = voivodeship
        super().__init__(whose_unit_message(voivodeship))


def units_for_user(user) -> QuerySet[ReportingUnit]:
    scope = access.voivodeship_scope(user)
    if scope.is_everything:
        return ReportingUnit.objects.all()
    return ReportingUnit.objects.filter(voivodeship_id__in=scope.codes or [])


def people_for_user(user) -> QuerySet[Person]:
    """The contact people `user` may see: everyone for those who see all; for a regional administrator the people
    with at least one unit in their voivodeships (their names, e-mails and phones are personal data)."""
    scope = access.voivodeship_scope(user)
    if scope.is_everything:
        return Person.objects.all()
    return Person.objects.filter(Exists(units_for_user(user).filter(people=OuterRef("pk"))))


def unit_for_user(user, unit_id: int) -> ReportingUnit:
    unit = units_for_user(user).select_related("voivodeship").filter(pk=unit_id).first()
    if unit is None:
        raise access.not_found()
    return unit


def unit_by_regon_for_user(user, regon: str) -> ReportingUnit:
    """The unit with `regon` if `user` may see it. A unit of another voivodeship raises
    UnitOfAnotherVoivodeship for a member of staff who sees units (so the page can say whose it is, as the
    status form does); a REGON not in the directory, or anyone else, gets the plain not-found."""
    unit = ReportingUnit.objects.select_related("voivodeship").filter(regon=regon).first()
    scope = access.voivodeship_scope(user)
    if unit is not None and scope.allows(unit.voivodeship_id):
        return unit
    if unit is not None and access.is_staff_member(user) and scope.codes:
        raise UnitOfAnotherVoivodeship(unit.voivodeship)
    raise access.not_found()


def current_offices(day: dt.date | None = None) -> QuerySet[RegionalOffice]:
    """Regional offices acting on `day` (today by default), by voivodeship: public data."""
    day = day or timezone.localdate()
    return RegionalOffice.objects.valid_on(day).select_related("voivodeship").order_by("voivodeship_id", "-valid_from")


def unit_submissions(unit: ReportingUnit, years: int = 2, today: dt.date | None = None) -> list[Submission]:
    """The unit's reports of the latest `years` reporting years (counted back from `today`'s year, the real date
    by default), for the ticket page's unit panel and the unit's page."""
    latest = (today or timezone.localdate()).year
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
    sent = Reminder.objects.filter(unit=OuterRef("unit_id"), form=form, year=year)
    return reports.annotate(reminded=Exists(sent))


def unit_emails(unit_ids: list[int]) -> dict[int, list[str]]:
    """Contact e-mail addresses of the people of each unit (for reminders), by unit id."""
    found: dict[int, list[str]] = {}
    rows = PersonEmail.objects.filter(person__unitmembership__unit_id__in=unit_ids).values_list(
        "person__unitmembership__unit_id", "email"
    )
    for unit_id, email in rows.order_by("email"):
        found.setdefault(unit_id, [])
        if email not in found[unit_id]:
            found[unit_id].append(email)
    return found
