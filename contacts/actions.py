"""The write paths of contacts that people trigger: a status change by a regional administrator, reminders.

Each action is atomic, keyword-only, takes the acting user, checks scope through helpdesk.access, validates
with Polish messages, logs (submission history, Reminder rows) and sends e-mail only through helpdesk.outbox.
Bulk feeds (file import, the statistics system's API) go through contacts.submissions and contacts.imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import identifiers, selectors, submissions
from contacts.models import FormDeadline, Reminder, ReportingUnit, StatisticalForm, Submission
from helpdesk import access, outbox, ratelimit
from helpdesk.models import Role


def can_manage_submissions(user) -> bool:
    """Regional administrators (for their voivodeships) and system administrators set statuses and remind."""
    return access.is_staff_member(user) and (user.role in (Role.REGIONAL_ADMIN, Role.ADMIN) or user.is_superuser)


def _check_manager(actor) -> None:
    access.require(
        can_manage_submissions(actor), _("Statusy sprawozdań zmieniają i przypomnienia wysyłają administratorzy.")
    )


def set_form_instruction(*, actor, form: StatisticalForm, article) -> None:
    """Link a form to its instruction article in the knowledge base (None: back to the automatic choice, see
    contacts.instructions). `actor` None is the system itself (the demo loader)."""
    if actor is not None:
        access.require(
            actor.is_superuser or actor.role == Role.ADMIN, _("Katalog formularzy zmieniają administratorzy.")
        )
    form.instruction_article = article
    form.save(update_fields=["instruction_article"])


@transaction.atomic
def set_submission_status(*, actor, regon: str, form: str, year: int | str, status: str, note: str = "") -> str:
    """Set the status of one report of a unit of the actor's voivodeship; returns created/updated/unchanged.

    Form, year and status must each be chosen explicitly: an empty one is refused, never filled in.
    """
    _check_manager(actor)
    errors = _missing_choices(form=form, year=year, status=status)
    try:
        regon = identifiers.normalize_regon(regon)
    except ValidationError as exc:
        errors["regon"] = exc.messages
    if errors:
        raise ValidationError(errors)
    unit = ReportingUnit.objects.select_related("voivodeship").filter(regon=regon).first()
    if unit is None:
        raise ValidationError({"regon": _("W katalogu nie ma jednostki o REGON %(regon)s.") % {"regon": regon}})
    if not access.voivodeship_scope(actor).allows(unit.voivodeship_id):
        raise ValidationError(
            {
                "regon": " ".join(
                    [
                        selectors.whose_unit_message(unit.voivodeship),
                        _("Możesz zmieniać tylko sprawozdania jednostek swojego województwa."),
                    ]
                )
            }
        )
    note = " ".join((note or "").split())
    batch = submissions.StatusBatch(source=Submission.Source.STAFF, actor=actor)
    values = {"regon": regon, "form": form, "year": year, "status": status, "changed_at": batch.now, "note": note}
    outcome = batch.apply([(0, values)])
    if outcome.results[0] == submissions.REJECTED:
        raise ValidationError(outcome.errors[0])
    return outcome.results[0]


def _missing_choices(*, form, year, status) -> dict[str, list[str]]:
    """Per field, the error for a form, year or status left unchosen (empty or blank)."""
    asks = {"form": _("Wybierz formularz."), "year": _("Wybierz rok sprawozdawczy."), "status": _("Wybierz status.")}
    given = {"form": form, "year": year, "status": status}
    return {field: [text] for field, text in asks.items() if not str(given[field] or "").strip()}


@dataclass
class ReminderReport:
    sent: list[int] = field(default_factory=list)  # unit ids
    no_email: list[int] = field(default_factory=list)
    recently_reminded: list[int] = field(default_factory=list)
    not_pending: int = 0  # submitted meanwhile, or out of the actor's scope
    rate_limited: int = 0


@dataclass
class ReminderPlan:
    """Who among the chosen units would get a reminder now, and who would not and why: what the person confirms
    before anything is sent, and what `send_reminders` then works through."""

    to_remind: list[Submission]  # pending reports of units with an address, not reminded lately
    recently_reminded: list[Submission]
    no_email: list[Submission]
    not_pending: int  # chosen units that submitted meanwhile or lie outside the actor's voivodeships
    emails: dict[int, list[str]]


def plan_reminders(*, actor, form: StatisticalForm, year: int, unit_ids: list[int], now=None) -> ReminderPlan:
    """Sort the chosen units for a reminder about `form` for `year` without sending anything (reads only)."""
    _check_manager(actor)
    wanted = set(unit_ids)
    pending = list(selectors.not_submitted(actor, form=form, year=year).filter(unit_id__in=wanted))
    since = (now or timezone.now()) - dt.timedelta(days=settings.REMINDER_INTERVAL_DAYS)
    recent = set(
        Reminder.objects.filter(form=form, year=year, unit_id__in=wanted, sent_at__gte=since).values_list(
            "unit_id", flat=True
        )
    )
    emails = selectors.unit_emails([submission.unit_id for submission in pending])
    plan = ReminderPlan([], [], [], len(wanted) - len(pending), emails)
    for submission in pending:
        if submission.unit_id in recent:
            plan.recently_reminded.append(submission)
        elif not emails.get(submission.unit_id):
            plan.no_email.append(submission)
        else:
            plan.to_remind.append(submission)
    return plan


@transaction.atomic
def send_reminders(*, actor, form: StatisticalForm, year: int, unit_ids: list[int]) -> ReminderReport:
    """E-mail each chosen unit that has not submitted `form` for `year` (through the outbox), logged per unit.

    A unit is reminded about the same report at most once per REMINDER_INTERVAL_DAYS, and one person sends at
    most REMINDERS_PER_HOUR reminders an hour (the rest are reported as not sent).
    """
    now = timezone.now()
    plan = plan_reminders(actor=actor, form=form, year=year, unit_ids=unit_ids, now=now)
    report = ReminderReport(
        no_email=[submission.unit_id for submission in plan.no_email],
        recently_reminded=[submission.unit_id for submission in plan.recently_reminded],
        not_pending=plan.not_pending,
    )
    deadline = FormDeadline.objects.filter(form=form, year=year).first()
    offices = {office.voivodeship_id: office for office in selectors.current_offices()}
    for submission in plan.to_remind:
        unit = submission.unit
        if not ratelimit.allow("reminders", str(actor.pk), limit=settings.REMINDERS_PER_HOUR, window_seconds=3600):
            report.rate_limited += 1
            continue
        recipients = plan.emails[unit.pk]
        message = outbox.enqueue_email(
            to=recipients,
            subject=_("Przypomnienie: sprawozdanie %(form)s za %(year)s r.") % {"form": form.code, "year": year},
            body=_reminder_body(submission, form, year, deadline, offices.get(unit.voivodeship_id)),
            headers={"X-Helpdesk-Reminder": f"{form.code}/{year}/{unit.regon}"},
        )
        Reminder.objects.create(
            unit=unit, form=form, year=year, sent_by=actor, sent_at=now, recipients=recipients, outbox_message=message
        )
        report.sent.append(unit.pk)
    return report


def _reminder_body(submission: Submission, form: StatisticalForm, year: int, deadline, office) -> str:
    unit = submission.unit
    link = f"{settings.SITE_URL}/status/?" + urlencode({"regon": unit.regon, "year": year, "form": form.code})
    facts = {
        "form": form.code,
        "title": form.title,
        "year": year,
        "unit": unit.name,
        "regon": unit.regon,
        "status": submission.status.name,
    }
    if form.title:
        text = _(
            "według danych systemu statystycznego sprawozdanie %(form)s (%(title)s) za %(year)s r. jednostki "
            "%(unit)s (REGON %(regon)s) nie zostało jeszcze złożone. Obecny status: %(status)s."
        )
    else:  # a title no published source confirms yet is left out of the catalogue (contacts.catalogue)
        text = _(
            "według danych systemu statystycznego sprawozdanie %(form)s za %(year)s r. jednostki %(unit)s "
            "(REGON %(regon)s) nie zostało jeszcze złożone. Obecny status: %(status)s."
        )
    lines = [_("Dzień dobry,"), "", text % facts]
    if deadline:
        lines.append(_("Termin złożenia: %(date)s.") % {"date": deadline.deadline.strftime("%d.%m.%Y")})
    lines += ["", submission.status.next_step, "", _("Aktualny status sprawdzisz tutaj: %(link)s") % {"link": link}]
    if office:
        lines += ["", _("Administrator wojewódzki:"), office.name]
        lines += [value for value in (office.department, office.email, office.phone, office.address) if value]
    lines += ["", _("Jeśli sprawozdanie zostało już złożone, prosimy zignorować tę wiadomość."), "", _("Pomoc SSOZ")]
    return "\n".join(lines)
