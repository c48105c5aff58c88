"""The public forms catalogue and what the administrator still has to complete in it.

The catalogue says only what a published source confirms: a form's empty title or "who submits" is left out,
and a reporting year without a deadline row has no deadline. Every such gap is listed for the administrator
("Do uzupełnienia" in the admin, and a notice on the admin index) instead of being guessed for the public.

A form's data for reporting year Y is due in the following year, so on any day the deadlines people ask about
are those of the previous reporting year (due this year) and of the current one (due next year). Everything
here takes that day from the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from contacts.models import FormDeadline, StatisticalForm


def reporting_years(today: dt.date) -> tuple[int, int]:
    """The reporting years whose deadlines matter on `today`: last year's (due this year) and this year's."""
    return today.year - 1, today.year


@dataclass(frozen=True)
class PublicForm:
    code: str
    title: str
    submitted_by: str
    deadlines: list[FormDeadline]


@dataclass
class FormGaps:
    form: StatisticalForm
    missing: list[str] = field(default_factory=list)


def public_catalogue(today: dt.date) -> list[PublicForm]:
    """The active forms with their filled-in fields and the deadlines of the reporting years that matter today."""
    years = reporting_years(today)
    deadlines = FormDeadline.objects.filter(year__in=years).order_by("year")
    forms = StatisticalForm.objects.filter(is_active=True).prefetch_related(Prefetch("deadlines", deadlines))
    return [
        PublicForm(form.code, form.title, form.submitted_by, list(form.deadlines.all()))
        for form in forms.order_by("code")
    ]


def _missing(form: StatisticalForm, years: tuple[int, ...]) -> list[str]:
    missing = []
    if not form.title:
        missing.append(_("tytuł"))
    if not form.submitted_by:
        missing.append(_("kto składa"))
    if not form.source:
        missing.append(_("źródło"))
    known = {deadline.year: deadline for deadline in form.deadlines.all()}
    for year in years:
        if year not in known:
            missing.append(_("termin za %(year)s r.") % {"year": year})
        elif not known[year].source:
            missing.append(_("źródło terminu za %(year)s r.") % {"year": year})
    return missing


def gaps(today: dt.date) -> list[FormGaps]:
    """Each active form that lacks a title, who submits it, a source, or a deadline (with its source) for a
    reporting year that matters."""
    years = reporting_years(today)
    forms = StatisticalForm.objects.filter(is_active=True).prefetch_related(
        Prefetch("deadlines", FormDeadline.objects.filter(year__in=years))
    )
    found = [FormGaps(form, _missing(form, years)) for form in forms.order_by("code")]
    return [item for item in found if item.missing]


def missing_for(form: StatisticalForm, today: dt.date) -> list[str]:
    """What `form` lacks (its deadlines prefetched or not); for the admin's list column."""
    return _missing(form, reporting_years(today))


def to_complete(forms: QuerySet[StatisticalForm], today: dt.date, *, incomplete: bool = True) -> QuerySet:
    """`forms` narrowed to those with something to complete (or, with incomplete=False, to those without)."""
    condition = Q(title="") | Q(submitted_by="") | Q(source="")
    for year in reporting_years(today):
        sourced_deadline = Exists(FormDeadline.objects.filter(form=OuterRef("pk"), year=year).exclude(source=""))
        condition |= ~sourced_deadline
    return forms.filter(condition) if incomplete else forms.exclude(condition)
