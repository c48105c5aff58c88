"""Who hears of a change to a ticket: the live pushes to open pages and lists, the regional administrators'
notices of new tickets, followers, colleagues @mentioned in a note, and staff who answered by e-mail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from helpdesk import access, live_groups, outbox
from helpdesk.models import NoticeMode, Role
from tickets import notices, ticket_access
from tickets.models import Entry, Ticket, TicketEvent, TicketFollower

if TYPE_CHECKING:
    from helpdesk.models import User


def push_groups(ticket: Ticket) -> list[str]:
    """Websocket groups told about a change: those of everyone who may read the ticket, and its open pages."""
    return ticket_access.push_groups(ticket)


def announce(ticket: Ticket, change: str, actor: access.Actor = None) -> None:
    outbox.enqueue_push(
        groups=push_groups(ticket),
        event={
            "change": change,
            "reference": ticket.reference,
            "status": ticket.status,
            "queue": ticket.queue_id,
            "actor_id": actor.pk if actor else None,
            "actor": str(actor) if actor else "",
            **ticket_access.push_place(ticket),
        },
    )


def send_canned_reply(ticket: Ticket, entry: Entry, reply_subject: str, reply_body: str) -> None:
    headers = {"X-Helpdesk-Ticket": ticket.reference, "Auto-Submitted": "auto-replied"}
    if entry.message_id:
        headers["In-Reply-To"] = headers["References"] = entry.message_id
    subject = reply_subject or ticket.subject
    outbox.enqueue_email(
        to=[ticket.requester_email],
        subject=f"[{ticket.reference}] {subject}",
        body=reply_body.replace("{sygnatura}", ticket.reference),
        headers=headers,
    )


def admins_to_notify(code: str) -> list[User]:
    admins = access.workers_for(code).filter(role=Role.REGIONAL_ADMIN, notice_mode=NoticeMode.EACH).exclude(email="")
    return list(admins.order_by("pk"))


def notify_regional_admins(ticket: Ticket, admins: list[User] | None = None) -> None:
    """A regional administrator who chose a notice per ticket gets one when a ticket reaches their queue
    (`admins`: admins_to_notify(code), when the caller has it already)."""
    code = ticket.queue.voivodeship_id
    if not code:
        return
    if admins is None:
        admins = admins_to_notify(code)
    url = settings.SITE_URL.rstrip("/") + reverse("tickets:detail", args=[ticket.reference])
    body = "\n".join(
        [
            _("Nowe zgłoszenie w kolejce %(queue)s.") % {"queue": ticket.queue.name},
            "",
            _("Temat: %(subject)s") % {"subject": ticket.subject},
            _("Zgłaszający: %(name)s") % {"name": ticket.requester_name or ticket.requester_email or "—"},
            _("Jednostka: %(unit)s") % {"unit": ticket.reporting_unit or "—"},
            url,
            "",
            _("Możesz odpowiedzieć zgłaszającemu, odpowiadając na tę wiadomość ze swojej skrzynki."),
            _("Napisz #notatka w pierwszym wierszu, aby dodać notatkę wewnętrzną zamiast odpowiedzi."),
        ]
    )
    for admin in admins:  # one message each: its Message-ID names the recipient (tickets.notices)
        outbox.enqueue_email(
            to=[admin.email],
            subject=f"[{ticket.reference}] {ticket.subject}",
            body=body,
            headers={
                "Message-ID": notices.notice_message_id(ticket, admin),
                "X-Helpdesk-Ticket": ticket.reference,
                "X-Helpdesk-Notice": "routed",
            },
        )


def email_answerers(ticket_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active members of staff who answered these tickets' requesters from their mailbox (answering a
    notice: post_staff_email_reply), by ticket (one query)."""
    found: dict[int, dict] = {}
    rows = TicketEvent.objects.filter(
        ticket_id__in=ticket_ids, kind="entry_added", data__via="email", data__entry_kind=Entry.Kind.OUTBOUND
    ).select_related("actor")
    for event in rows.order_by("created_at", "id"):
        if event.actor is not None and event.actor.is_active:
            found.setdefault(event.ticket_id, {})[event.actor_id] = event.actor
    return {ticket_id: list(people.values()) for ticket_id, people in found.items()}


def tell_email_answerers(
    items: list[tuple[Ticket, Entry]], answerers: dict[int, list[User]] | None = None
) -> list[User]:
    """The requester wrote back on a ticket that a member of staff answered by e-mail: who chose a notice per
    ticket gets this message by e-mail at once, and can answer it from their mailbox again (its Message-ID is a
    notice's); who chose the daily digest finds it there (tickets.notices); who chose none, nothing. Returns
    the people told by e-mail (the followers' e-mail would say it twice). `answerers`: email_answerers() of
    the tickets, when a batch has read them already."""
    if answerers is None:
        answerers = email_answerers({ticket.pk for ticket, _entry in items})
    told = []
    for ticket, entry in items:
        for person in answerers.get(ticket.pk, []):
            if person.notice_mode != NoticeMode.EACH or not person.email or not ticket_access.may_read(person, ticket):
                continue
            _send_requester_wrote_back(ticket, entry, person)
            told.append(person)
    return told


def _send_requester_wrote_back(ticket: Ticket, entry: Entry, person: User) -> None:
    text = (entry.visible_text or entry.body_text or "").strip()
    body = "\n".join(
        [
            _(
                "Zgłaszający odpisał w zgłoszeniu %(reference)s (%(subject)s), na które odpowiedź wysłano z Twojej "
                "skrzynki."
            )
            % {"reference": ticket.reference, "subject": ticket.subject},
            _("Od: %(sender)s") % {"sender": entry.sender_email or ticket.requester_email or "—"},
            "",
            text[:4000] or _("(bez treści; załączniki na stronie zgłoszenia)"),
            "",
            ticket_url(ticket),
            "",
            _("Możesz odpowiedzieć zgłaszającemu, odpowiadając na tę wiadomość ze swojej skrzynki."),
            _("Napisz #notatka w pierwszym wierszu, aby dodać notatkę wewnętrzną zamiast odpowiedzi."),
        ]
    )
    first_notice = notices.notice_message_id(ticket, person)
    outbox.enqueue_email(
        to=[person.email],
        subject=_("[%(reference)s] Zgłaszający odpisał: %(subject)s")
        % {"reference": ticket.reference, "subject": ticket.subject},
        body=body,
        headers={
            "Message-ID": notices.notice_message_id(ticket, person, unique=True),
            "In-Reply-To": first_notice,
            "References": first_notice,
            "X-Helpdesk-Ticket": ticket.reference,
            "X-Helpdesk-Notice": "requester_wrote",
        },
    )


def at_names(names: list[str]) -> str:
    return ", ".join(f"@{name}" for name in names)


def ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tickets:detail", args=[ticket.reference])


def notify_mentioned(ticket: Ticket, actor: access.Actor, entry: Entry, people: list[User]) -> None:
    """A live notice (/ws/notify/) and an e-mail to each colleague mentioned (not to the writer)."""
    for person in people:
        if actor is not None and person.pk == actor.pk:
            continue
        outbox.enqueue_push(
            groups=[live_groups.user(person.pk)],
            event={
                "change": "mentioned",
                "reference": ticket.reference,
                "subject": ticket.subject,
                "by": str(actor) if actor else "",
                **ticket_access.push_place(ticket),
            },
        )
        if person.email:
            outbox.enqueue_email(
                to=[person.email],
                subject=_("[%(reference)s] %(who)s wspomina o Tobie w notatce")
                % {
                    "reference": ticket.reference,
                    "who": actor or _("system"),
                },
                body="\n".join(
                    [
                        _("%(who)s wspomina o Tobie w notatce wewnętrznej do zgłoszenia %(reference)s (%(subject)s):")
                        % {"who": actor or _("system"), "reference": ticket.reference, "subject": ticket.subject},
                        "",
                        entry.body_text[:4000],
                        "",
                        ticket_url(ticket),
                    ]
                ),
                headers={"X-Helpdesk-Ticket": ticket.reference, "X-Helpdesk-Notice": "mention"},
            )


def followers_of(ticket_ids: Iterable[int]) -> dict[int, list[TicketFollower]]:
    """The active followers of these tickets, with their users, by ticket (one query)."""
    found: dict[int, list[TicketFollower]] = {}
    rows = TicketFollower.objects.filter(ticket_id__in=ticket_ids, user__is_active=True).select_related("user")
    for follower in rows.order_by("pk"):
        found.setdefault(follower.ticket_id, []).append(follower)
    return found


def notify_followers(
    ticket: Ticket,
    actor: access.Actor,
    what: str,
    detail: str,
    skip: Iterable[User] = (),
    followers: list[TicketFollower] | None = None,
    no_email: Iterable[User] = (),
) -> None:
    """Followers who still see the ticket get a live notice, and an e-mail if they chose one (not the actor).
    `followers`: the ticket's, read beforehand for a batch (_followers); else they are read here. `no_email`:
    people already told by e-mail of the same thing."""
    skip_ids = {person.pk for person in skip} | ({actor.pk} if actor is not None else set())
    emailed = {person.pk for person in no_email}
    if followers is None:
        followers = followers_of([ticket.pk]).get(ticket.pk, [])
    for follower in followers:
        if follower.user_id in skip_ids or not ticket_access.may_read(follower.user, ticket):
            continue  # e.g. a regional administrator after the ticket left their voivodeship
        outbox.enqueue_push(
            groups=[live_groups.user(follower.user_id)],
            event={
                "change": "followed",
                "what": what,
                "detail": detail,
                "reference": ticket.reference,
                "subject": ticket.subject,
                "by": str(actor) if actor else "",
                **ticket_access.push_place(ticket),
            },
        )
        if follower.by_email and follower.user.email and follower.user_id not in emailed:
            outbox.enqueue_email(
                to=[follower.user.email],
                subject=_("[%(reference)s] Obserwowane zgłoszenie: %(detail)s")
                % {"reference": ticket.reference, "detail": detail},
                body="\n".join(
                    [
                        _("W obserwowanym zgłoszeniu %(reference)s (%(subject)s): %(detail)s (%(who)s).")
                        % {
                            "reference": ticket.reference,
                            "subject": ticket.subject,
                            "detail": detail,
                            "who": actor or _("system"),
                        },
                        "",
                        ticket_url(ticket),
                        "",
                        _("Aby nie dostawać tych wiadomości, przestań obserwować zgłoszenie na jego stronie."),
                    ]
                ),
                headers={"X-Helpdesk-Ticket": ticket.reference, "X-Helpdesk-Notice": "follow"},
            )
