"""The public submission-status lookup: "did our report arrive, was it accepted, what do we do next?"

A plain function over the database, used by the public page and the public API alike. It shows no personal
data: no people, no e-mail addresses of units, and no name for individual or group practices (their names
contain the practitioner's name).

Policy on revealing whether a REGON exists: the answer for a well-formed REGON that is not in the directory is
exactly the answer for a unit with no reports assigned in that year ("nothing assigned to this REGON for the
year"), with the same fields, so the lookup reveals no more than "this REGON has reports due", which is what the
public registers (REGON, RPWDL) already show of a health-care provider. A malformed REGON (wrong length or
checksum) is refused with the reason, since that reveals nothing about the directory. Look-ups are rate-limited
per client address, so the directory cannot be enumerated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from contacts import identifiers, instructions, selectors
from contacts.models import FormDeadline, RegionalOffice, StatisticalForm, Submission, UnitKind
from contacts.submissions import normalize_form_code
from helpdesk import inputs, public_cache

PRIVATE_KINDS = {UnitKind.INDIVIDUAL_PRACTICE, UnitKind.GROUP_PRACTICE}


@dataclass(frozen=True)
class FormStatus:
    form_code: str
    form_title: str
    status_code: str
    status_name: str
    next_step: str
    changed_at: dt.datetime
    deadline: dt.date | None
    deadline_note: str
    instruction_url: str  # site-relative (knowledge base) or external; empty when the form has none
    counts_as_submitted: bool
    overdue: bool  # the deadline has passed and the report does not count as submitted


@dataclass(frozen=True)
class LookupResult:
    regon: str
    year: int
    form_code: str
    unit_name: str  # empty for practices (personal data) and when nothing is due
    unit_kind: str
    voivodeship: str
    forms: list[FormStatus]
    offices: list[RegionalOffice]

    @property
    def found(self) -> bool:
        return bool(self.forms)


def default_year(today: dt.date | None = None) -> int:
    """Annual reports for year Y are due in the first months of Y + 1: the year people ask about."""
    return (today or timezone.localdate()).year - 1


def year_choices(today: dt.date | None = None) -> list[int]:
    latest = (today or timezone.localdate()).year
    return list(range(latest, latest - 4, -1))


def clean_query(regon: str, year: str | int | None = None, form: str | None = None) -> tuple[str, int, str]:
    """Validate the lookup's input; raises ValidationError with Polish messages per field.

    The form code is only normalised here; whether it exists is checked when nothing was found (see lookup),
    so the usual look-up costs no query for it.
    """
    errors = {}
    try:
        regon = identifiers.normalize_regon(regon or "")
    except ValidationError as exc:
        errors["regon"] = exc.messages
    today = timezone.localdate()
    if year in (None, ""):
        year_value = default_year(today)
    elif (number := inputs.ascii_int(year, minimum=2000, maximum=today.year + 1)) is not None:
        year_value = number  # ASCII digits only: "²⁰²⁵" and "٢٠٢٥" are refused like any other text
    else:
        errors["year"] = [_("Rok sprawozdawczy musi być liczbą od 2000 do %(max)s.") % {"max": today.year + 1}]
        year_value = 0
    code = normalize_form_code(form) if form else ""
    if errors:
        raise ValidationError(errors)
    return regon, year_value, code


def _unknown_form(code: str) -> ValidationError:
    return ValidationError({"form": [_("Nie znamy formularza „%(form)s”.") % {"form": code[:30]}]})


def lookup(regon: str, year: str | int | None = None, form: str | None = None) -> LookupResult:
    """Statuses of the unit's reports for the year, with deadlines and its regional administrator's contacts.

    Three queries when something is due (the reports with unit, form, status and deadline joined in; the forms'
    instructions in the knowledge base; the regional office), one when nothing is; the last two are the same for
    many units and come from the public cache when another unit asked first.
    """
    regon, year, code = clean_query(regon, year, form)
    today = timezone.localdate()
    deadline = FormDeadline.objects.filter(form=OuterRef("form_id"), year=OuterRef("year"))
    reports = Submission.objects.filter(unit__regon=regon, year=year)
    if code:
        reports = reports.filter(form__code=code)
    rows = list(
        reports.select_related("unit__voivodeship", "form", "status")
        .annotate(due=Subquery(deadline.values("deadline")[:1]), due_note=Subquery(deadline.values("note")[:1]))
        .order_by("form__code")
    )
    if not rows:
        if code and not StatisticalForm.objects.filter(code=code).exists():
            raise _unknown_form(code)
        return LookupResult(regon, year, code, "", "", "", [], [])
    unit = rows[0].unit
    links, offices = _shared_facts([row.form for row in rows], unit.voivodeship_id, today)
    forms = []
    for row in rows:
        forms.append(
            FormStatus(
                form_code=row.form.code,
                form_title=row.form.title,
                status_code=row.status.code,
                status_name=row.status.name,
                next_step=row.status.next_step,
                changed_at=row.changed_at,
                deadline=row.due,
                deadline_note=row.due_note or "",
                instruction_url=links.get(row.form.code, ""),
                counts_as_submitted=row.status.counts_as_submitted,
                overdue=bool(row.due and row.due < today and not row.status.counts_as_submitted),
            )
        )
    return LookupResult(
        regon=regon,
        year=year,
        form_code=code,
        unit_name="" if unit.kind in PRIVATE_KINDS else unit.name,
        unit_kind=UnitKind(unit.kind).label if unit.kind in UnitKind.values else "",
        voivodeship=unit.voivodeship.name,
        forms=forms,
        offices=offices,
    )


def _shared_facts(forms: list[StatisticalForm], voivodeship_id: int, today: dt.date):
    """The forms' instruction links and the voivodeship's regional offices: the same for every unit of the
    voivodeship with these forms (two queries), so kept in the public cache under the shared facts' version
    (helpdesk.public_cache.STATUS_LOOKUP moves with every change of forms, offices and instructions)."""

    def compute():
        links = instructions.instruction_links(forms)
        offices = list(selectors.current_offices(today).filter(voivodeship=voivodeship_id))
        return (links, offices), None

    # the forms as read with the reports (their own instruction fields too: a change of them made by an update()
    # that bypasses the signals is still seen by the next look-up)
    shown = sorted({(form.code, form.instruction_url, form.instruction_article_id) for form in forms})
    parts = ("status-lookup-facts", shown, voivodeship_id, today.isoformat(), get_language())
    return public_cache.answer(parts, [public_cache.STATUS_LOOKUP], compute)


def answer(regon: str, year: str | int | None = None, form: str | None = None) -> LookupResult:
    """The lookup as the public page and API give it: from the public cache (helpdesk.public_cache) when the
    same question was answered since the unit's reports or the shared facts (forms, deadlines, offices,
    instructions) last changed. Keyed by the normalised question, today's date and the language, nothing else:
    the answer is public and the same for everyone who asks."""
    regon, year, code = clean_query(regon, year, form)
    parts = ("status-lookup", regon, year, code, timezone.localdate().isoformat(), get_language())
    versions = [public_cache.STATUS_LOOKUP, public_cache.unit_statuses(regon)]
    return public_cache.answer(parts, versions, lambda: (lookup(regon, year, code), None))


def form_codes() -> list[str]:
    """The codes of the active forms, for the lookup page's choice (from the public cache: no query per page)."""
    return public_cache.answer(
        ("status-form-codes",),
        [public_cache.STATUS_LOOKUP],
        lambda: (list(selectors.forms_for_filter().values_list("code", flat=True)), None),
    )


def as_json(result: LookupResult, absolute_url: Callable[[str], str] | None = None) -> dict:
    """The API's shape of a lookup result (the same facts as the page, nothing more); `absolute_url` turns the
    site-relative instruction links into absolute ones (the request's build_absolute_uri)."""
    return {
        "regon": result.regon,
        "year": result.year,
        "found": result.found,
        "unit": {"name": result.unit_name, "kind": str(result.unit_kind), "voivodeship": result.voivodeship}
        if result.found
        else None,
        "forms": [
            {
                "form": item.form_code,
                "title": item.form_title,
                "status": item.status_code,
                "status_name": item.status_name,
                "changed_at": timezone.localtime(item.changed_at).isoformat(),
                "next_step": item.next_step,
                "deadline": item.deadline.isoformat() if item.deadline else None,
                "deadline_note": item.deadline_note,
                "overdue": item.overdue,
                "instruction_url": _url(item.instruction_url, absolute_url),
            }
            for item in result.forms
        ],
        "regional_administrator": [office_json(office) for office in result.offices],
    }


def _url(url: str, absolute_url: Callable[[str], str] | None) -> str | None:
    if not url:
        return None
    return absolute_url(url) if absolute_url else url


def office_json(office: RegionalOffice) -> dict:
    return {
        "voivodeship": office.voivodeship.name,
        "name": office.name,
        "department": office.department,
        "email": office.email,
        "phone": office.phone,
        "address": office.address,
        "website": office.website,
    }
