"""Quarantine pages for agents: thin adapters over inbox_ingest.selectors and inbox_ingest.actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from helpdesk import access
from inbox_ingest import actions, parsing, selectors
from tickets import ticket_access

# The quarantine is seen by whoever sees tickets (selectors narrow it to their mailboxes); the same door as
# the ticket pages, built here because no app imports another's views.
staff_required = access.page_for(
    access.can_see_tickets, gettext_lazy("Zgłoszenia obsługują agenci i administratorzy wojewódzcy.")
)


@staff_required
def quarantine_list(request: HttpRequest) -> HttpResponse:
    show = "set_aside" if request.GET.get("show") == "set_aside" else "quarantined"
    rows = selectors.quarantine_for_user(request.user, show=show)[:500]
    context = {"rows": rows, "show": show, "mailboxes": selectors.mailboxes_for_user(request.user)}
    return render(request, "inbox_ingest/quarantine.html", context)


@staff_required
def quarantine_detail(request: HttpRequest, raw_id: int) -> HttpResponse:
    row = selectors.raw_message_for_user(request.user, raw_id)
    try:
        parsed = parsing.parse(bytes(row.raw))
    except Exception as exc:  # the page must show even what cannot be parsed
        parsed, error = None, str(exc)
    else:
        error = ""
    context = {
        "row": row,
        "parsed": parsed,
        "parse_error": error,
        "can_act": ticket_access.works_on_tickets(request.user),
    }
    return render(request, "inbox_ingest/quarantine_detail.html", context)


@staff_required
def raw_download(request: HttpRequest, raw_id: int) -> HttpResponse:
    row = selectors.raw_message_for_user(request.user, raw_id)
    response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="wiadomosc-{row.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


ACTIONS = {
    "retry": (actions.retry_quarantined, gettext_noop("Ponowiono przetwarzanie: %(outcome)s.")),
    "create": (actions.create_ticket_anyway, gettext_noop("Utworzono zgłoszenie %(ticket)s.")),
    "discard": (actions.discard_quarantined, gettext_noop("Wiadomość odrzucona.")),
}


@require_POST
@staff_required
def quarantine_action(request: HttpRequest, raw_id: int, action: str) -> HttpResponse:
    row = selectors.raw_message_for_user(request.user, raw_id)
    if action not in ACTIONS:
        raise access.not_found()
    perform, success = ACTIONS[action]
    try:
        result = perform(actor=request.user, raw_id=row.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Brak uprawnień."))
    else:
        messages.success(request, _(success) % {"outcome": result.outcome, "ticket": result.ticket or "—"})
        if result.ticket and action == "create":
            return redirect("tickets:detail", reference=result.ticket)
    return redirect("inbox:quarantine_detail", raw_id=row.pk)
