"""Notices to regional administrators: the daily digest for those who chose it instead of an e-mail per
routed ticket, and recognising their e-mail replies to a notice (posted as their reply or internal note).

The digest:

Sent once per administrator and day (a DigestSent row is written in the same transaction as the outbox
message, under a unique constraint), listing the tickets that reached their voivodeships' queues in the last
24 hours and how many are still open and unassigned there.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from helpdesk import outbox
from helpdesk.models import NoticeMode, Role
from tickets import selectors, ticket_access
from tickets.models import OPEN_STATUSES, DigestSent, Ticket, TicketEvent


def send_daily_digests(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    day = timezone.localdate(now)
    admins = (
        get_user_model()
        .objects.filter(role=Role.REGIONAL_ADMIN, notice_mode=NoticeMode.DIGEST, is_active=True)
        .exclude(email="")
    )
    sent = 0
    for admin in admins.order_by("pk"):
        sent += _send_one(admin, day, now)
    return sent


def _send_one(admin, day: dt.date, now: dt.datetime) -> int:
    codes = list(admin.voivodeships.values_list("code", flat=True))
    if not codes:
        return 0
    mine = Ticket.objects.filter(queue__voivodeship_id__in=codes)
    new = list(mine.filter(created_at__gte=now - dt.timedelta(days=1)).order_by("created_at")[:200])
    unassigned = mine.filter(status__in=OPEN_STATUSES, assignee__isnull=True).count()
    wrote_back = _written_back_to(admin, now - dt.timedelta(days=1))
    if not new and not unassigned and not wrote_back:
        return 0
    site = settings.SITE_URL.rstrip("/")
    lines = [_("Nowe zgłoszenia z ostatniej doby: %(count)s") % {"count": len(new)}, ""]
    for ticket in new:
        url = site + reverse("tickets:detail", args=[ticket.reference])
        lines += [f"{ticket.reference}  {ticket.subject}", f"  {url}"]
    if wrote_back:
        lines += [
            "",
            _("Zgłaszający odpisali na odpowiedzi wysłane z Twojej skrzynki: %(count)s") % {"count": len(wrote_back)},
        ]
        for ticket in wrote_back:
            url = site + reverse("tickets:detail", args=[ticket.reference])
            lines += [f"{ticket.reference}  {ticket.subject}", f"  {url}"]
    lines += ["", _("Otwarte i nieprzydzielone w Twoich kolejkach: %(count)s") % {"count": unassigned}]
    try:
        with transaction.atomic():
            DigestSent.objects.create(user=admin, day=day, ticket_count=len(new), sent_at=now)
            outbox.enqueue_email(
                to=[admin.email],
                subject=_("Pomoc SSOZ: zestawienie zgłoszeń z %(day)s") % {"day": day.strftime("%d.%m.%Y")},
                body="\n".join(lines),
                headers={"X-Helpdesk-Notice": "digest"},
            )
    except IntegrityError:  # already sent today
        return 0
    return 1


def _written_back_to(admin, since: dt.datetime) -> list[Ticket]:
    """Tickets the administrator answered from their mailbox (post_staff_email_reply) whose requester wrote
    back since `since` (not an automatic answer), that they still see. Two queries and one for the tickets."""
    answered: dict[int, int] = {}  # ticket → the event of the first answer (events are numbered in order)
    mine = TicketEvent.objects.filter(actor=admin, kind="entry_added", data__via="email", data__entry_kind="outbound")
    for ticket_id, event_id in mine.values_list("ticket_id", "pk").order_by("pk"):
        answered.setdefault(ticket_id, event_id)
    if not answered:
        return []
    wrote = TicketEvent.objects.filter(
        ticket_id__in=list(answered), kind="entry_added", created_at__gte=since, data__entry_kind="inbound"
    )
    ids = {
        ticket_id
        for ticket_id, event_id, data in wrote.values_list("ticket_id", "pk", "data")
        if event_id > answered[ticket_id] and not data.get("automatic")
    }
    tickets = Ticket.objects.filter(pk__in=ids).select_related("queue", "reporting_unit").order_by("updated_at")
    return [ticket for ticket in tickets if ticket_access.may_read(admin, ticket)][:200]


# --- Answering a notice by e-mail ------------------------------------------------------------------------
# A notice carries a Message-ID that names the ticket and the recipient and is signed with SECRET_KEY, so a
# reply to it (In-Reply-To/References) can be recognised without storing anything, and only when it comes
# back from that same member of staff: the headers and the sender together, never the sender alone.

_NOTICE_ID = re.compile(r"^<ssoz-notice\.(\d+)\.(\d+)\.([0-9a-f]{20})(?:\.[0-9a-f]{1,32})?@[^>]+>$")
NOTE_MARKERS = ("#notatka", "#note")


def _signature(ticket_id: int, user_id: int) -> str:
    return salted_hmac("tickets.notice", f"{ticket_id}.{user_id}").hexdigest()[:20]


def notice_message_id(ticket: Ticket, user, *, unique: bool = False) -> str:
    """The Message-ID of a notice to `user` about `ticket`; `unique`: with a random part, for a further notice
    about the same ticket (a Message-ID names one message), recognised as the same."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "helpdesk.local"
    nonce = f".{secrets.token_hex(8)}" if unique else ""
    return f"<ssoz-notice.{ticket.pk}.{user.pk}.{_signature(ticket.pk, user.pk)}{nonce}@{domain}>"


def staff_reply_target(message_ids, sender_email: str):
    """(ticket, member of staff) when a message answers a notice sent to that same person; else None."""
    sender = (sender_email or "").strip().lower()
    for message_id in message_ids or ():
        match = _NOTICE_ID.match((message_id or "").strip())
        if not match:
            continue
        ticket_id, user_id, signature = int(match.group(1)), int(match.group(2)), match.group(3)
        if not constant_time_compare(signature, _signature(ticket_id, user_id)):
            continue
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        ticket = Ticket.objects.select_related("queue").filter(pk=ticket_id).first()
        if user is not None and ticket is not None and user.email.lower() == sender:
            return selectors.final_ticket(ticket), user
    return None


def may_answer_a_notice(message_ids) -> bool:
    """Whether any of the ids looks like a notice's (then staff_reply_target() has to ask the database)."""
    return any(_NOTICE_ID.match((message_id or "").strip()) for message_id in message_ids or ())


def split_note_marker(text: str) -> tuple[bool, str]:
    """`#notatka` / `#note` on the first line makes the reply an internal note; the marker is dropped."""
    lines = (text or "").strip().splitlines()
    if lines and lines[0].strip().lower() in NOTE_MARKERS:
        return True, "\n".join(lines[1:]).strip()
    return False, (text or "").strip()
