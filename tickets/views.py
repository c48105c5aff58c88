"""Agent workspace pages: thin adapters over tickets.selectors and tickets.actions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contacts import replies
from helpdesk import access, inputs, live_groups, outbox
from tickets import actions, calls, canned, deadlines, previews, selectors, submissions, ticket_access
from tickets.forms import (
    AssignForm,
    CallForm,
    ChooseUnitForm,
    PriorityForm,
    QueueForm,
    ReplyForm,
    RerouteForm,
    StatusForm,
)
from tickets.models import Status

# Logged-in staff whose scope holds tickets; anyone else gets 403 (and anonymous users the login page).
# Knowledge-base editors see no tickets: the pages tell them so rather than showing an empty list.
staff_required = access.page_for(
    ticket_access.reads_tickets, gettext_lazy("Zgłoszenia obsługują agenci i administratorzy wojewódzcy.")
)


@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.TicketFilters.from_query(request.GET)
    if filters.q and (found := selectors.ticket_by_reference(request.user, filters.q)) is not None:
        return redirect("tickets:detail", reference=found.reference)  # a reference typed in the search box
    # read before the list: a change committed meanwhile is then caught up by the page (live.js), not lost
    last_event = selectors.latest_event_id()
    tickets = selectors.list_page_rows(selectors.list_tickets(request.user, filters))
    paginator = selectors.list_paginator(request.user, filters, tickets, settings.TICKETS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    selectors.list_sla(page)
    context = {
        "page": page,
        "filters": filters,
        "search_unusable": bool(filters.q) and not selectors.searchable(filters.q),
        "workspace_views": selectors.workspace_views(request.user),
        "saved_views": selectors.saved_views_for_user(request.user),
        "sorts": [(slug, label) for slug, (label, _ordering) in selectors.SORTS.items()],
        "current_query": filters.query_string(),
        "queues": selectors.queues_for_user(request.user),
        "statuses": Status.choices,
        "query_without_page": _query_without_page(request),
        "deadlines": deadlines.upcoming(),
        "last_event": last_event,
    }
    return render(request, "tickets/list.html", context)


@require_POST
@staff_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the list's current filters (posted as the clean query string of TicketFilters) under a name."""
    query = selectors.TicketFilters.from_query(QueryDict(request.POST.get("query", ""))).query_string()
    try:
        view = actions.save_view(actor=request.user, name=request.POST.get("name", ""), query=query)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        return redirect(f"{reverse('tickets:list')}?{query}")
    messages.success(request, _("Zapisano widok „%(name)s”.") % {"name": view.name})
    return redirect(f"{reverse('tickets:list')}?{view.query}")


@require_POST
@staff_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_for_user(request.user, pk)
    actions.delete_view(actor=request.user, view=view)
    messages.success(request, _("Usunięto widok „%(name)s”.") % {"name": view.name})
    return redirect("tickets:list")


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@staff_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    if ticket.merged_into_id is not None:
        target = selectors.final_ticket(ticket)
        if selectors.tickets_for_user(request.user).filter(pk=target.pk).exists():
            messages.info(
                request,
                _("Zgłoszenie %(reference)s zostało scalone z %(target)s.")
                % {"reference": ticket.reference, "target": target.reference},
            )
            return redirect("tickets:detail", reference=target.reference)
    context = _detail_context(request, ticket)
    response = render(request, "tickets/detail.html", context)
    if context["images_loaded"]:
        # the agent asked for one message's images: this page's policy lets images from the web in
        response._csp_update = {"img-src": ["https:", "http:"]}
    return response


def _detail_context(request: HttpRequest, ticket, reply_form: ReplyForm | None = None) -> dict:
    # ?wszystkie=1: the whole conversation and log, else the newest part (with a link to the rest)
    everything = request.GET.get("wszystkie") == "1"
    log, older_events = selectors.event_log(request.user, ticket, None if everything else selectors.PAGE_EVENTS)
    entries, older_entries = selectors.conversation(ticket, None if everything else selectors.PAGE_ENTRIES)
    load_images_of = request.GET.get("obrazy", "")  # ?obrazy=<entry>: show that message's remote images
    load_images_of = int(load_images_of) if load_images_of.isascii() and load_images_of.isdigit() else None
    images_loaded = selectors.show_email_html(entries, load_images_of)
    merged_from = selectors.merged_tickets(request.user, ticket)
    if reply_form is None:
        initial = {
            "seen_event": log[-1][0].pk if log else 0,
            "to": ticket.requester_email,
            "submission_key": submissions.new_key(),
        }
        reply_form = ReplyForm(initial=initial | _reply_initial(request, ticket))
    return {
        "ticket": ticket,
        "entries": entries,
        "older_entries": older_entries,
        "images_loaded": images_loaded,
        "events": log,
        "older_events": older_events,
        "last_event": log[-1][0].pk if log else 0,  # where the page's catch-up starts (ticket.js)
        # a regional administrator may read a ticket about their unit after it left their queue, not act on it
        "can_work": ticket_access.may_work(request.user, ticket),
        "can_assign": ticket_access.may_assign(request.user, ticket),
        "reply_form": reply_form,
        "status_form": StatusForm(initial={"status": ticket.status}),
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        "assign_form": AssignForm(ticket=ticket, initial={"assignee": ticket.assignee_id}),
        "queue_form": QueueForm(
            queues=selectors.handoff_queues_for_user(request.user), initial={"queue": ticket.queue_id}
        ),
        "sla": selectors.sla_overview(ticket),
        "unit_form": ChooseUnitForm(candidates=selectors.unit_candidates(request.user, ticket)),
        "canned_responses": selectors.canned_responses(),
        "linked": selectors.linked_tickets(request.user, ticket),
        "merged_from": merged_from,
        # the requesters of merged duplicates are not copied by default: each would see the others' addresses
        "merged_participants": _merged_participants(ticket, merged_from),
        "follow": selectors.follow_state(request.user, ticket),
    }


def _merged_participants(ticket, merged_from) -> list[str]:
    own = (ticket.requester_email or "").lower()
    emails = {other.requester_email.lower() for other in merged_from if other.requester_email}
    return sorted(emails - {own})


def _reply_initial(request: HttpRequest, ticket) -> dict:
    """?wstaw=statusy pre-fills the reply with the unit's report statuses, ?szablon=<id> with a canned response
    filled in for the ticket (both work without JavaScript)."""
    if request.GET.get("wstaw") == "statusy" and ticket.reporting_unit and ticket.reporting_unit.regon:
        return {"body_text": replies.status_summary(ticket.reporting_unit)}
    if request.GET.get("szablon"):
        try:
            response = selectors.canned_response(request.GET["szablon"])
        except Http404:
            messages.error(request, _("Nie ma takiego szablonu odpowiedzi."))
        else:
            return {"body_text": canned.render(response, ticket)}
    return {}


@staff_required
def ticket_canned_response(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """A canned response filled in for the ticket, as plain text (the reply form's template select fetches it)."""
    ticket = selectors.ticket_for_user(request.user, reference)
    text = canned.render(selectors.canned_response(pk), ticket)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def _act(request: HttpRequest, reference: str, form, perform, success) -> HttpResponse:
    """The shape of every ticket action page: fetch through the access layer, validate the form, call one
    action. A refused or invalid action becomes a message in the reader's language and changes nothing."""
    ticket = selectors.ticket_for_user(request.user, reference)
    form = form(ticket)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect("tickets:detail", reference=ticket.reference)
    return _perform(request, ticket, lambda: perform(ticket, form.cleaned_data), success)


def _perform(request: HttpRequest, ticket, perform, success: str) -> HttpResponse:
    try:
        perform()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Brak uprawnień."))
    else:
        messages.success(request, success)
    if not selectors.tickets_for_user(request.user).filter(pk=ticket.pk).exists():
        return redirect("tickets:list")  # e.g. handed to a queue out of this user's sight
    return redirect("tickets:detail", reference=ticket.reference)


def _uploaded(files) -> list[actions.NewAttachment]:
    return [actions.NewAttachment(filename=f.name, content=f.read(), content_type=f.content_type or "") for f in files]


@require_POST
@staff_required
def ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    """Unlike the small action forms, a refused reply is shown again on the ticket page with its text kept."""
    ticket = selectors.ticket_for_user(request.user, reference)
    form = ReplyForm(request.POST, request.FILES, ticket=ticket, user=request.user)
    if not form.is_valid():
        if form.newer_events:
            form.acknowledge_changes()
            if request.FILES:
                messages.warning(request, _("Załączniki trzeba dodać ponownie."))
        status = 409 if form.newer_events else 400
        return render(request, "tickets/detail.html", _detail_context(request, ticket, reply_form=form), status=status)
    data = form.cleaned_data
    try:
        outbound = data["kind"] == "outbound"
        entry = actions.NewEntry(
            ticket=ticket,
            kind=data["kind"],
            message=actions.Message(text=data["body_text"], attachments=tuple(_uploaded(data["attachments"]))),
            email=actions.EmailHeaders(to=data["to"] if outbound else (), cc=data["cc"] if outbound else ()),
            submission_key=data["submission_key"],
        )
        (written,) = actions.add_entries([entry], actor=request.user)
    except submissions.SubmissionKeyReused:
        # the page's key went with another text (e.g. sent, then back and edited): show it, the text kept
        form.add_error(
            None, _("Ten formularz wysłano już z inną treścią. Sprawdź rozmowę; aby wysłać tę treść, wyślij ponownie.")
        )
        form.renew_submission_key(submissions.new_key())
        return render(request, "tickets/detail.html", _detail_context(request, ticket, reply_form=form), status=409)
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        return render(request, "tickets/detail.html", _detail_context(request, ticket, reply_form=form), status=400)
    if written.repeated:  # a double click, or the browser sending again: written once, said so
        messages.info(
            request,
            _("Ta odpowiedź została już wysłana.") if outbound else _("Ta notatka została już dodana."),
        )
    else:
        messages.success(request, _("Wysłano odpowiedź.") if outbound else _("Dodano notatkę."))
    return redirect("tickets:detail", reference=ticket.reference)


@require_POST
@staff_required
def ticket_status(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda ticket: StatusForm(request.POST),
        lambda ticket, data: actions.change_status(
            actor=request.user, ticket=ticket, status=data["status"], reason=data["reason"]
        ),
        _("Zmieniono status."),
    )


@require_POST
@staff_required
def ticket_priority(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda ticket: PriorityForm(request.POST),
        lambda ticket, data: actions.change_priority(actor=request.user, ticket=ticket, priority=data["priority"]),
        _("Zmieniono priorytet."),
    )


@require_POST
@staff_required
def ticket_assign(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda ticket: AssignForm(request.POST, ticket=ticket),
        lambda ticket, data: actions.assign(actor=request.user, ticket=ticket, assignee=data["assignee"]),
        _("Zmieniono przydział."),
    )


@require_POST
@staff_required
def ticket_move(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda ticket: QueueForm(request.POST, queues=selectors.handoff_queues_for_user(request.user)),
        lambda ticket, data: actions.move_to_queue(
            actor=request.user, ticket=ticket, queue=data["queue"], reason=data["reason"]
        ),
        _("Przekazano zgłoszenie."),
    )


@staff_required
def sla_report(request: HttpRequest) -> HttpResponse:
    """SLA compliance for a month (?month=YYYY-MM, default: the current one), per queue the user may see."""
    today = timezone.localdate()
    try:
        year, _dash, month = (request.GET.get("month") or f"{today:%Y-%m}").partition("-")
        start = dt.date(inputs.ascii_int(year, minimum=2000, maximum=9998), inputs.ascii_int(month), 1)
    except (TypeError, ValueError):
        messages.error(request, _("Miesiąc podaje się jako RRRR-MM."))
        start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    rows = selectors.sla_report(
        request.user, dt.datetime.combine(start, dt.time(0), zone), dt.datetime.combine(end, dt.time(0), zone)
    )
    return render(request, "tickets/sla_report.html", {"rows": rows, "month": start})


@require_POST
@staff_required
def ticket_reroute(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda ticket: RerouteForm(request.POST),
        lambda ticket, data: actions.reroute(actor=request.user, ticket=ticket),
        _("Ponownie zastosowano reguły kierowania."),
    )


@require_POST
@staff_required
def ticket_retry_delivery(request: HttpRequest, reference: str, entry_id: int) -> HttpResponse:
    """ "Retry now" on a reply whose e-mail is not delivered yet or failed."""
    ticket = selectors.ticket_for_user(request.user, reference)
    entry = ticket.entries.filter(pk=entry_id).first()
    if entry is None:
        raise access.not_found()
    return _perform(
        request,
        ticket,
        lambda: actions.retry_delivery(actor=request.user, entry=entry),
        _("Ponowiono wysyłkę odpowiedzi."),
    )


@require_POST
@staff_required
def ticket_choose_unit(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda ticket: ChooseUnitForm(request.POST, candidates=selectors.unit_candidates(request.user, ticket)),
        lambda ticket, data: actions.choose_unit(actor=request.user, ticket=ticket, unit=data["unit"]),
        _("Wybrano jednostkę."),
    )


@staff_required
def attachment_download(request: HttpRequest, attachment_id: int, filename: str) -> FileResponse:
    """A scoped download. Only types a browser shows without running anything (raster images, PDF, proven by the
    content) are served inline, for the previews on the ticket page; everything else — SVG and HTML included —
    is a download (tickets.previews.file_response)."""
    attachment = selectors.attachment_for_user(request.user, attachment_id)
    return previews.file_response(
        attachment.file.content.open("rb"), filename=attachment.filename, declared_type=attachment.content_type
    )


def _other_ticket(request: HttpRequest, field: str = "reference"):
    """The ticket named in a form field (a reference, case and spaces forgiven), or None with a message."""
    reference = "".join((request.POST.get(field) or "").split()).upper()[:30]
    if not reference:
        messages.error(request, _("Podaj sygnaturę zgłoszenia."))
        return None
    try:
        return selectors.ticket_for_user(request.user, reference)
    except Http404:
        messages.error(request, _("Nie znaleziono zgłoszenia %(reference)s.") % {"reference": reference})
        return None


@require_POST
@staff_required
def ticket_merge(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge this ticket (a duplicate) into the one named in the form; then show the target."""
    ticket = selectors.ticket_for_user(request.user, reference)
    target = _other_ticket(request)
    if target is None:
        return redirect("tickets:detail", reference=ticket.reference)
    try:
        target = actions.merge_tickets(
            actor=request.user, source=ticket, target=target, reason=request.POST.get("reason", "")[:500]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Brak uprawnień."))
    except Http404:
        messages.error(request, _("Nie znaleziono zgłoszenia."))
    else:
        messages.success(
            request,
            _("Scalono %(source)s z %(target)s.") % {"source": ticket.reference, "target": target.reference},
        )
        return redirect("tickets:detail", reference=target.reference)
    return redirect("tickets:detail", reference=ticket.reference)


def _link_action(request: HttpRequest, reference: str, perform, success: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    other = _other_ticket(request)
    if other is None:
        return redirect("tickets:detail", reference=ticket.reference)
    return _perform(
        request, ticket, lambda: perform(ticket, other), success % {"a": ticket.reference, "b": other.reference}
    )


@require_POST
@staff_required
def ticket_link(request: HttpRequest, reference: str) -> HttpResponse:
    return _link_action(
        request,
        reference,
        lambda ticket, other: actions.link_tickets(actor=request.user, ticket=ticket, other=other),
        _("Powiązano %(a)s z %(b)s."),
    )


@require_POST
@staff_required
def ticket_unlink(request: HttpRequest, reference: str) -> HttpResponse:
    return _link_action(
        request,
        reference,
        lambda ticket, other: actions.unlink_tickets(actor=request.user, ticket=ticket, other=other),
        _("Usunięto powiązanie %(a)s z %(b)s."),
    )


@require_POST
@staff_required
def ticket_follow(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, reference)
    if request.POST.get("follow") == "0":
        return _perform(
            request,
            ticket,
            lambda: actions.unfollow(actor=request.user, ticket=ticket),
            _("Nie obserwujesz już zgłoszenia."),
        )
    by_email = request.POST.get("by_email") == "1"
    return _perform(
        request,
        ticket,
        lambda: actions.follow(actor=request.user, ticket=ticket, by_email=by_email),
        _("Obserwujesz zgłoszenie."),
    )


@staff_required
def ticket_mention_suggestions(request: HttpRequest, reference: str) -> JsonResponse:
    """Colleagues who can see the ticket, for @mention suggestions in a note (?q=prefix)."""
    ticket = selectors.ticket_for_user(request.user, reference)
    people = selectors.mention_suggestions(request.user, ticket, request.GET.get("q", ""))
    return JsonResponse({"results": people})


def _after(request: HttpRequest) -> int | None:
    return inputs.ascii_int(request.GET.get("after", ""))


_BAD_AFTER = gettext_lazy("Parametr „after” musi być numerem zdarzenia (liczbą całkowitą nieujemną).")


@staff_required
def tickets_changed(request: HttpRequest) -> JsonResponse:
    """The live list's catch-up after a reconnect (static/js/live.js): tickets changed after event ?after=."""
    after = _after(request)
    if after is None:
        return JsonResponse({"error": str(_BAD_AFTER)}, status=400)
    return JsonResponse(selectors.tickets_changed_since(request.user, after))


@staff_required
def notices_changed(request: HttpRequest) -> JsonResponse:
    """/ws/notify/'s catch-up after a reconnect (static/js/notify.js): the notices sent to this user after push
    ?after= (assigned to you, mentions, followed tickets; a call that rang meanwhile is over and left out)."""
    after = _after(request)
    if after is None:
        return JsonResponse({"error": str(_BAD_AFTER)}, status=400)
    caught = outbox.pushes_since(live_groups.user(request.user.pk), after, leave_out=frozenset({"call"}))
    return JsonResponse({"notices": caught.events, "last": caught.last, "complete": caught.complete})


@staff_required
def ticket_changed(request: HttpRequest, reference: str) -> JsonResponse:
    """The ticket page's catch-up after a reconnect (static/js/ticket.js): what others changed after ?after=."""
    ticket = selectors.ticket_for_user(request.user, reference)
    after = _after(request)
    if after is None:
        return JsonResponse({"error": str(_BAD_AFTER)}, status=400)
    return JsonResponse(selectors.ticket_changes_since(request.user, ticket, after))


@access.page_for(ticket_access.works_on_tickets, gettext_lazy("Nie masz uprawnień do obsługi zgłoszeń."))
def call_new(request: HttpRequest) -> HttpResponse:
    """Log a phone call. GET may be prefilled by the PBX pop-up: ?number=…&call_id=…"""
    if request.method == "POST":
        form = CallForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = actions.log_call(
                    actor=request.user,
                    call=actions.CallDetails(
                        direction=data["direction"],
                        caller_number=data["caller_number"],
                        duration_seconds=data["duration_seconds"],
                        call_id=data["call_id"],
                    ),
                    caller=actions.Requester(name=data["requester_name"], unit=data["reporting_unit"]),
                    outcome=data["outcome"],
                    notes=data["notes"],
                    subject=data["subject"],
                    category=data["category"],
                    ticket=data["ticket"],
                    callback_due_at=data["callback_due_at"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            else:
                messages.success(request, _("Zapisano rozmowę w zgłoszeniu %(ref)s.") % {"ref": ticket.reference})
                return redirect("tickets:detail", reference=ticket.reference)
        status = 400
    else:
        initial = {"caller_number": request.GET.get("number", ""), "call_id": request.GET.get("call_id", "")}
        form, status = CallForm(initial=initial, user=request.user), 200
    card = calls.caller_card(request.user, form["caller_number"].value() or "")
    return render(request, "tickets/call_new.html", {"form": form, "card": card}, status=status)


@staff_required
def call_caller_card(request: HttpRequest) -> HttpResponse:
    """The caller card as an HTML fragment, refreshed while the agent types the number."""
    card = calls.caller_card(request.user, request.GET.get("number", "")[:40])
    return render(request, "tickets/_caller_card.html", {"card": card})


@staff_required
def call_unit_suggestions(request: HttpRequest) -> HttpResponse:
    found = calls.unit_suggestions(request.user, request.GET.get("q", "")[:200])
    return render(request, "tickets/_unit_suggestions.html", {"units": found.units, "warning": found.warning})
