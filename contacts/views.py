"""Pages of contacts: thin adapters over contacts.lookup, contacts.selectors and contacts.actions.

Public (no login): the submission-status lookup (/status/) and the regional administrators' contacts
(/administratorzy/). Staff: a unit's reports with the status-change form, and "who has not submitted form X"
with CSV/XLSX export and reminders.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from contacts import actions, lookup, selectors
from contacts.models import StatisticalForm, SubmissionStatus, Voivodeship
from helpdesk import access, exports, inputs, public_cache, ratelimit

# Logged-in staff who see units (a scope that is not empty); anyone else gets 403, anonymous users the login.
staff_required = access.page_for(access.can_see_units)


# --- public -----------------------------------------------------------------------------------------------


def lookup_allowed(request: HttpRequest) -> bool:
    """One look-up counted against the client's address (malformed ones too, so guessing costs the same)."""
    return ratelimit.allow(
        "lookup",
        ratelimit.client_address(request),
        limit=settings.LOOKUP_RATE_LIMIT,
        window_seconds=settings.LOOKUP_RATE_WINDOW_SECONDS,
    )


def rate_limit_message() -> str:
    return _(
        "Za dużo zapytań z tego adresu w krótkim czasie. Odczekaj %(seconds)s s i spróbuj ponownie; "
        "jeśli sprawdzasz wiele jednostek, skontaktuj się z administratorem wojewódzkim."
    ) % {"seconds": settings.LOOKUP_RATE_WINDOW_SECONDS}


@public_cache.shared_page("regon", "year", "form")  # the rate limit below counts every request, a kept page or not
def status_lookup(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    regon, year, form = request.GET.get("regon", "")[:40], request.GET.get("year"), request.GET.get("form", "")[:20]
    context: dict = {"regon": regon, "year": year or str(lookup.default_year(today)), "form": form}
    status = 200
    if "regon" in request.GET:
        if not lookup_allowed(request):
            context.update(limited=rate_limit_message(), years=lookup.year_choices(today), forms=lookup.form_codes())
            response = render(request, "contacts/status.html", context, status=429)
            response["Retry-After"] = str(settings.LOOKUP_RATE_WINDOW_SECONDS)
            return response
        try:
            context["result"] = lookup.answer(regon, year, form)
        except ValidationError as exc:
            context["errors"] = exc.message_dict
            status = 400
    # the forms' list after the answer: its version token was read with the answer's (helpdesk.public_cache)
    context.update(years=lookup.year_choices(today), forms=lookup.form_codes())
    return TemplateResponse(request, "contacts/status.html", context, status=status)


def administrators(request: HttpRequest) -> HttpResponse:
    return render(request, "contacts/administrators.html", {"offices": selectors.current_offices()})


# --- staff ------------------------------------------------------------------------------------------------


@staff_required
def unit_reports(request: HttpRequest, regon: str) -> HttpResponse:
    """A unit's reports and the status form, which starts with nothing chosen: saving it as it comes is refused."""
    try:
        unit = selectors.unit_by_regon_for_user(request.user, regon)
    except selectors.UnitOfAnotherVoivodeship as elsewhere:
        context = {"message": str(elsewhere), "voivodeship": elsewhere.voivodeship}
        return render(request, "contacts/unit_elsewhere.html", context, status=403)
    today = timezone.localdate()
    context = {
        "unit": unit,
        "reports": selectors.unit_submissions(unit, years=4, today=today),
        "can_manage": actions.can_manage_submissions(request.user),
        "forms": selectors.forms_for_filter(),
        "statuses": SubmissionStatus.objects.all(),
        "years": lookup.year_choices(today),
    }
    return render(request, "contacts/unit_reports.html", context)


def _safe_back(request: HttpRequest) -> str:
    """Where to return after a form: the page it came from, if it is a page of this site."""
    back = request.POST.get("back", "")
    # a path of this site ("/…"): anything else would be taken by redirect() for the name of a view
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=False
    ):
        return back
    return reverse("contacts:missing")


@require_POST
@staff_required
def set_status(request: HttpRequest) -> HttpResponse:
    try:
        result = actions.set_submission_status(
            actor=request.user,
            regon=request.POST.get("regon", ""),
            form=request.POST.get("form", ""),
            year=request.POST.get("year", ""),
            status=request.POST.get("status", ""),
            note=request.POST.get("note", "")[:500],
        )
    except (ValidationError, PermissionDenied) as exc:
        for text in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, text)
        return redirect(_safe_back(request))
    if result == "unchanged":
        messages.info(request, _("Status był już taki sam: nic nie zmieniono."))
    else:
        messages.success(request, _("Zapisano status sprawozdania."))
    return redirect(_safe_back(request))


def _missing_query(request: HttpRequest, user, today: dt.date):
    """The not-submitted list's filters from the query string: (form, year, voivodeship, voivodeships); the year
    people ask about on `today` unless one is given."""
    forms = {form.code: form for form in selectors.forms_for_filter()}
    form = forms.get(request.GET.get("form") or "MZ-88") or next(iter(forms.values()), None)
    year = inputs.ascii_int(request.GET.get("year", ""), minimum=2000, maximum=9999) or lookup.default_year(today)
    scope = access.voivodeship_scope(user)
    voivodeships = (
        Voivodeship.objects.all() if scope.is_everything else Voivodeship.objects.filter(code__in=scope.codes)
    )
    voivodeship = request.GET.get("voivodeship", "")
    if voivodeship and not voivodeships.filter(code=voivodeship).exists():
        raise access.not_found()
    return form, year, voivodeship, voivodeships


@staff_required
def missing(request: HttpRequest) -> HttpResponse:
    """Which units (of my voivodeships) have not submitted form X for year Y yet."""
    today = timezone.localdate()
    form, year, voivodeship, voivodeships = _missing_query(request, request.user, today)
    reports = selectors.not_submitted(request.user, form=form, year=year, voivodeship=voivodeship) if form else None
    export = request.GET.get("export")
    if export in ("csv", "xlsx") and reports is not None:
        return _export(reports, form, year, export)
    rows = list(selectors.with_reminder_flag(reports, form=form, year=year)[:1000]) if reports is not None else []
    context = {
        "form": form,
        "year": year,
        "voivodeship": voivodeship,
        "forms": selectors.forms_for_filter(),
        "years": lookup.year_choices(today),
        "voivodeships": voivodeships,
        "reports": rows,
        "total": reports.count() if reports is not None else 0,
        "can_manage": actions.can_manage_submissions(request.user),
        "query": request.GET.urlencode(),
    }
    return render(request, "contacts/missing.html", context)


EXPORT_HEADER = ["REGON", "nazwa", "województwo", "status", "data zmiany", "e-mail"]


def _export_rows(reports, form, year):
    yield EXPORT_HEADER
    chunk = []

    def flush(items):
        emails = selectors.unit_emails([item.unit_id for item in items])
        for item in items:
            changed = timezone.localtime(item.changed_at).strftime("%Y-%m-%d %H:%M")
            yield [
                item.unit.regon,
                item.unit.name,
                item.unit.voivodeship.name,
                item.status.name,
                changed,
                ", ".join(emails.get(item.unit_id, [])),
            ]

    for item in reports.iterator(chunk_size=2000):
        chunk.append(item)
        if len(chunk) == 2000:
            yield from flush(chunk)
            chunk = []
    yield from flush(chunk)


def _export(reports, form: StatisticalForm, year: int, kind: str) -> HttpResponse:
    filename = f"niezlozone-{form.code}-{year}.{kind}"
    if kind == "csv":

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo(), delimiter=";")
        body = (writer.writerow(exports.csv_row(row)) for row in _export_rows(reports, form, year))
        # the byte-order mark makes Excel read the Polish letters as UTF-8
        response = StreamingHttpResponse(_chain("\ufeff", body), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(f"{form.code} {year}")
        for row in _export_rows(reports, form, year):
            sheet.append(exports.xlsx_row(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _chain(first: str, rest):
    yield first
    yield from rest


def reminder_question(count: int) -> str:
    """ "Wysłać przypomnienie do 12 jednostek?": after "do" Polish takes the genitive, "jednostki" for one and
    "jednostek" for any other number, so the two forms of ngettext are the Polish ones too."""
    return ngettext("Wysłać przypomnienie do %(n)s jednostki?", "Wysłać przypomnienie do %(n)s jednostek?", count) % {
        "n": count
    }


@require_POST
@staff_required
def remind(request: HttpRequest) -> HttpResponse:
    """Reminders to the ticked units in two steps: first a page asking "send to N units?" (nothing is sent), then,
    with `confirm`, the sending. Works without JavaScript."""
    form = StatisticalForm.objects.filter(code=request.POST.get("form", "")).first()
    year = inputs.ascii_int(request.POST.get("year", ""), minimum=2000, maximum=9999)
    query = request.POST.get("query", "")
    back = reverse("contacts:missing") + "?" + query
    if form is None or year is None:
        messages.error(request, _("Wybierz formularz i rok."))
        return redirect(back)
    unit_ids = [number for value in request.POST.getlist("unit") if (number := inputs.ascii_int(value)) is not None]
    if not unit_ids:
        messages.error(request, _("Zaznacz jednostki, do których wysłać przypomnienie."))
        return redirect(back)
    try:
        if request.POST.get("confirm") != "1":
            return _confirm_reminders(request, form, year, unit_ids, query, back)
        report = actions.send_reminders(actor=request.user, form=form, year=year, unit_ids=unit_ids)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, _("Wysłano przypomnień: %(n)s.") % {"n": len(report.sent)})
    if report.no_email:
        messages.warning(request, _("Bez adresu e-mail (nie wysłano): %(n)s.") % {"n": len(report.no_email)})
    if report.recently_reminded:
        messages.warning(
            request,
            ngettext(
                "Pominięto, bo przypomnienie wysłano w ciągu ostatniego %(days)s dnia: %(n)s.",
                "Pominięto, bo przypomnienie wysłano w ciągu ostatnich %(days)s dni: %(n)s.",
                settings.REMINDER_INTERVAL_DAYS,
            )
            % {"n": len(report.recently_reminded), "days": settings.REMINDER_INTERVAL_DAYS},
        )
    if report.rate_limited:
        messages.warning(
            request,
            _("Wyczerpano godzinny limit przypomnień (%(limit)s): nie wysłano %(n)s, spróbuj za godzinę.")
            % {"limit": settings.REMINDERS_PER_HOUR, "n": report.rate_limited},
        )
    if report.not_pending:
        messages.warning(
            request, _("Pominięto jednostki, które już złożyły sprawozdanie: %(n)s.") % {"n": report.not_pending}
        )
    return redirect(back)


def _confirm_reminders(request, form: StatisticalForm, year: int, unit_ids: list[int], query: str, back: str):
    plan = actions.plan_reminders(actor=request.user, form=form, year=year, unit_ids=unit_ids)
    if not plan.to_remind:
        messages.error(
            request,
            _(
                "Żadnej z zaznaczonych jednostek nie można teraz wysłać przypomnienia: już złożyły sprawozdanie, "
                "dostały przypomnienie w ciągu ostatnich %(days)s dni albo nie mają adresu e-mail."
            )
            % {"days": settings.REMINDER_INTERVAL_DAYS},
        )
        return redirect(back)
    context = {
        "form": form,
        "year": year,
        "query": query,
        "back": back,
        "plan": plan,
        "to_remind": [(submission, plan.emails[submission.unit_id]) for submission in plan.to_remind],
        "question": reminder_question(len(plan.to_remind)),
        "interval_days": settings.REMINDER_INTERVAL_DAYS,
    }
    return render(request, "contacts/remind_confirm.html", context)
