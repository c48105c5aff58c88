"""Build the write path's requests (tickets.requests) from the few flat values a test cares about.

Tests call tickets.actions.open_tickets([new_ticket(...)], actor=…) and add_entries([new_entry(...)], actor=…)
directly; these builders only spare them spelling out the nested values each time."""

from __future__ import annotations

from collections.abc import Sequence

from tickets.models import Channel, Priority
from tickets.requests import (
    CallDetails,
    EmailHeaders,
    Message,
    NewAttachment,
    NewEntry,
    NewTicket,
    Requester,
    Routing,
    Sender,
)


def _call(direction: str, duration_seconds, call_id: str, caller_number: str, outside_hours: bool):
    if not direction:
        return None
    return CallDetails(
        direction=direction,
        duration_seconds=duration_seconds,
        call_id=call_id,
        caller_number=caller_number,
        outside_hours=outside_hours,
    )


def new_ticket(
    *,
    subject: str,
    channel: str = Channel.EMAIL,
    body_text: str = "",
    body_html: str = "",
    visible_text: str = "",
    attachments: Sequence[NewAttachment] = (),
    queue=None,
    fallback_queue=None,
    category=None,
    priority: int = Priority.NORMAL,
    related_to=None,
    requester=None,
    requester_name: str = "",
    requester_email: str = "",
    requester_phone: str = "",
    reporting_unit=None,
    message_id: str = "",
    in_reply_to: str = "",
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    mailbox: str = "",
    call_direction: str = "",
    call_duration_seconds: int | None = None,
    call_id: str = "",
    caller_number: str = "",
    outside_hours: bool = False,
) -> NewTicket:
    return NewTicket(
        channel=channel,
        subject=subject,
        message=Message(text=body_text, html=body_html, visible_text=visible_text, attachments=tuple(attachments)),
        requester=Requester(
            name=requester_name, email=requester_email, phone=requester_phone, person=requester, unit=reporting_unit
        ),
        routing=Routing(
            queue=queue, fallback_queue=fallback_queue, category=category, priority=priority, related_to=related_to
        ),
        email=EmailHeaders(message_id=message_id, in_reply_to=in_reply_to, to=tuple(to), cc=tuple(cc), mailbox=mailbox),
        call=_call(call_direction, call_duration_seconds, call_id, caller_number, outside_hours),
    )


def new_entry(
    *,
    ticket,
    kind: str,
    body_text: str = "",
    body_html: str = "",
    visible_text: str = "",
    attachments: Sequence[NewAttachment] = (),
    sender_name: str = "",
    sender_email: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    call_direction: str = "",
    call_duration_seconds: int | None = None,
    call_id: str = "",
    caller_number: str = "",
    outside_hours: bool = False,
    reopen: bool = True,
    via: str = "",
) -> NewEntry:
    return NewEntry(
        ticket=ticket,
        kind=kind,
        message=Message(text=body_text, html=body_html, visible_text=visible_text, attachments=tuple(attachments)),
        sender=Sender(name=sender_name, email=sender_email),
        email=EmailHeaders(message_id=message_id, in_reply_to=in_reply_to, to=tuple(to), cc=tuple(cc)),
        call=_call(call_direction, call_duration_seconds, call_id, caller_number, outside_hours),
        reopen=reopen,
        via=via,
    )


def open_one(request: NewTicket, *, actor):
    """open_tickets() with a list of one, for a test that hands the action to a wrapper (run_on_commit,
    database_sync_to_async)."""
    from tickets.opening import open_tickets

    return open_tickets([request], actor=actor)[0]


def add_one(request: NewEntry, *, actor):
    """add_entries() with a list of one, as open_one()."""
    from tickets.entries import add_entries

    return add_entries([request], actor=actor)[0]
