"""The daily digest for regional administrators who chose it instead of an e-mail per routed ticket.

Sent once per administrator and day (a DigestSent row is written in the same transaction as the outbox
message, under a unique constraint), listing the tickets that reached their voivodeships' queues in the last
24 hours and how many are still open and unassigned there.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import outbox
from helpdesk.models import NoticeMode, Role
from tickets.models import OPEN_STATUSES, DigestSent, Ticket


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
    if not new and not unassigned:
        return 0
    site = settings.SITE_URL.rstrip("/")
    lines = [_("Nowe zgłoszenia z ostatniej doby: %(count)s") % {"count": len(new)}, ""]
    for ticket in new:
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
