"""Agent workspace pages: thin adapters over tickets.selectors and tickets.actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk import access
from tickets import actions, events, selectors
from tickets.forms import AssignForm, PriorityForm, QueueForm, ReplyForm, StatusForm
from tickets.models import Status


def staff_required(view):
    """Logged-in staff with a role; anyone else gets 403 (and anonymous users the login page)."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if not access.is_staff_member(request.user):
            raise PermissionDenied(_("Brak dostępu."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.TicketFilters.from_query(request.GET)
    tickets = selectors.list_tickets(request.user, filters)
    page = Paginator(tickets, per_page=settings.TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "queues": selectors.queues_for_user(request.user),
        "statuses": Status.choices,
        "query_without_page": _query_without_page(request),
    }
    return render(request, "tickets/list.html", context)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@staff_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    can_work = access.can_work_tickets(request.user)
    context = {
        "ticket": ticket,
        "entries": selectors.conversation(ticket),
        "events": [(event, events.describe(event)) for event in _event_log(ticket)],
        "can_work": can_work,
        "can_assign": access.can_assign_tickets(request.user),
        "reply_form": ReplyForm(),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        "assign_form": AssignForm(ticket=ticket, initial={"assignee": ticket.assignee_id}),
        "queue_form": QueueForm(
            queues=selectors.handoff_queues_for_user(request.user), initial={"queue": ticket.queue_id}
        ),
    }
    return render(request, "tickets/detail.html", context)


def _event_log(ticket) -> list:
    log = list(ticket.events.select_related("actor"))
    for event in log:
        event.reason = events.display_reason(event)  # for display only; events are never saved again
    return log


def _run(request: HttpRequest, ticket, action, success: str) -> HttpResponse:
    """Call an action; a refused or invalid one becomes a message in the active language, and nothing is changed."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Brak uprawnień."))
    else:
        messages.success(request, success)
    return redirect("tickets:detail", reference=ticket.reference)


def _invalid(request: HttpRequest, ticket, form) -> HttpResponse:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect("tickets:detail", reference=ticket.reference)


@require_POST
@staff_required
def ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _invalid(request, ticket, form)
    files = [
        actions.NewAttachment(filename=f.name, content=f.read(), content_type=f.content_type or "")
        for f in form.cleaned_data["attachments"]
    ]
    kind = form.cleaned_data["kind"]
    return _run(
        request,
        ticket,
        lambda: actions.add_entry(
            actor=request.user, ticket=ticket, kind=kind, body_text=form.cleaned_data["body_text"], attachments=files
        ),
        _("Wysłano odpowiedź.") if kind == "outbound" else _("Dodano notatkę."),
    )


@require_POST
@staff_required
def ticket_status(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, form)
    data = form.cleaned_data
    return _run(
        request,
        ticket,
        lambda: actions.change_status(actor=request.user, ticket=ticket, status=data["status"], reason=data["reason"]),
        _("Zmieniono status."),
    )


@require_POST
@staff_required
def ticket_priority(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket, form)
    priority = form.cleaned_data["priority"]
    return _run(
        request,
        ticket,
        lambda: actions.change_priority(actor=request.user, ticket=ticket, priority=priority),
        _("Zmieniono priorytet."),
    )


@require_POST
@staff_required
def ticket_assign(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    form = AssignForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _invalid(request, ticket, form)
    assignee = form.cleaned_data["assignee"]
    return _run(
        request,
        ticket,
        lambda: actions.assign(actor=request.user, ticket=ticket, assignee=assignee),
        _("Zmieniono przydział."),
    )


@require_POST
@staff_required
def ticket_move(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    form = QueueForm(request.POST, queues=selectors.handoff_queues_for_user(request.user))
    if not form.is_valid():
        return _invalid(request, ticket, form)
    data = form.cleaned_data
    response = _run(
        request,
        ticket,
        lambda: actions.move_to_queue(actor=request.user, ticket=ticket, queue=data["queue"], reason=data["reason"]),
        _("Przekazano zgłoszenie."),
    )
    if not selectors.tickets_for_user(request.user).filter(pk=ticket.pk).exists():
        return redirect("tickets:list")  # handed out of this user's sight
    return response


@staff_required
def attachment_download(request: HttpRequest, attachment_id: int, filename: str) -> FileResponse:
    attachment = selectors.attachment_for_user(request.user, attachment_id)
    inline = attachment.content_type.startswith("image/") or attachment.content_type == "application/pdf"
    response = FileResponse(
        attachment.file.content.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
