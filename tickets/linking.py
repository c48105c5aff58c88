"""Merging duplicates, linking related tickets, following a ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import access
from tickets import checks, events, notifying, search, selectors, sla, ticket_access
from tickets.models import Entry, Status, Ticket, TicketFollower, TicketLink

if TYPE_CHECKING:
    from helpdesk.models import User


@transaction.atomic
def merge_tickets(*, actor: access.Actor, source: Ticket, target: Ticket, reason: str = "") -> Ticket:
    """Merge the duplicate `source` into `target` (or into the ticket `target` was itself merged into).

    The source's conversation (entries with their attachments, in their own time order among the target's),
    followers and links move to the target; its requester becomes a participant of the target (the e-mail
    channel threads their replies there); tickets merged into the source earlier point at the target. The source
    is closed with `merged_into` set, its page redirects and its reference and Message-IDs still lead to the
    target. Both tickets must be ones the actor may work on; both get an event. Returns the target."""
    if actor is None:
        raise ValidationError(_("Zgłoszenia scala pracownik."))
    target = selectors.final_ticket(Ticket.objects.get(pk=target.pk))  # as it is now, not as the caller read it
    if source.pk == target.pk:
        raise ValidationError(_("Nie można scalić zgłoszenia z nim samym."))
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .select_related("queue")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    checks.check_can_work(actor, source.queue)
    checks.check_can_work(actor, target.queue)
    if source.merged_into_id is not None:
        raise ValidationError(
            _("Zgłoszenie %(reference)s zostało już scalone z %(target)s.")
            % {"reference": source.reference, "target": selectors.final_ticket(source).reference}
        )
    if target.merged_into_id is not None:  # merged meanwhile by someone else
        raise ValidationError(_("Zgłoszenie docelowe zostało właśnie scalone z innym: spróbuj ponownie."))
    now = timezone.now()
    moved = Entry.objects.filter(ticket=source).update(ticket=target)
    for follower in TicketFollower.objects.filter(ticket=source):
        TicketFollower.objects.get_or_create(
            ticket=target, user_id=follower.user_id, defaults={"by_email": follower.by_email, "created_at": now}
        )
    TicketFollower.objects.filter(ticket=source).delete()
    for link in TicketLink.objects.filter(models.Q(low=source) | models.Q(high=source)):
        other_id = link.high_id if link.low_id == source.pk else link.low_id
        if other_id != target.pk:
            low, high = sorted((other_id, target.pk))
            TicketLink.objects.get_or_create(
                low_id=low, high_id=high, defaults={"created_by": actor, "created_at": now}
            )
        link.delete()
    Ticket.objects.filter(merged_into=source).update(merged_into=target)
    events.merged_into(source, actor, target, moved, reason)
    events.merged_from(target, actor, source, moved, reason)
    changed = ["merged_into", "updated_at"]
    source.merged_into, source.updated_at = target, now
    checks.set_status(source, actor, Status.CLOSED, reason or events.REASON_MERGED, changed, now)
    source.save(update_fields=changed)
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    # the conversation moved: the duplicate keeps only its own subject and requester, the target gains the moved
    # entries and the duplicate's reference, subject and requester (a search for either finds the target)
    search.rebuild(source)
    search.rebuild(target)
    search.add(target.pk, search.document_tokens(search.ticket_text(source)))
    sla.sync(source, now)
    sla.sync(target, now)
    notifying.announce(source, "merged", actor)
    notifying.announce(target, "merged_from", actor)
    notifying.notify_followers(target, actor, "merged_from", source.reference)
    return target


def _check_can_link(actor: access.Actor, ticket: Ticket, other: Ticket) -> None:
    checks.check_can_work(actor, ticket.queue)
    if actor is not None and not ticket_access.may_read(actor, other):
        raise access.not_found()
    if ticket.pk == other.pk:
        raise ValidationError(_("Nie można powiązać zgłoszenia z nim samym."))


@transaction.atomic
def link_tickets(*, actor: access.Actor, ticket: Ticket, other: Ticket) -> TicketLink:
    """Mark two tickets as related (symmetric: shown on both). The actor works on `ticket` and sees `other`."""
    _check_can_link(actor, ticket, other)
    low, high = sorted((ticket.pk, other.pk))
    link, created = TicketLink.objects.get_or_create(
        low_id=low, high_id=high, defaults={"created_by": actor, "created_at": timezone.now()}
    )
    if not created:
        raise ValidationError(
            _("Zgłoszenia %(a)s i %(b)s są już powiązane.") % {"a": ticket.reference, "b": other.reference}
        )
    events.linked(ticket, actor, other)
    events.linked(other, actor, ticket)
    return link


@transaction.atomic
def unlink_tickets(*, actor: access.Actor, ticket: Ticket, other: Ticket) -> None:
    _check_can_link(actor, ticket, other)
    low, high = sorted((ticket.pk, other.pk))
    deleted, _rows = TicketLink.objects.filter(low_id=low, high_id=high).delete()
    if not deleted:
        raise ValidationError(
            _("Zgłoszenia %(a)s i %(b)s nie są powiązane.") % {"a": ticket.reference, "b": other.reference}
        )
    events.unlinked(ticket, actor, other)
    events.unlinked(other, actor, ticket)


def _check_can_follow(actor: User, ticket: Ticket) -> None:
    access.require(access.is_staff_member(actor), _("Brak uprawnień."))
    if not ticket_access.may_read(actor, ticket):
        raise access.not_found()


@transaction.atomic
def follow(*, actor: User, ticket: Ticket, by_email: bool = False) -> TicketFollower:
    """Follow a ticket one may see (also read-only): notices of new entries and status changes."""
    _check_can_follow(actor, ticket)
    if ticket.merged_into_id is not None:
        ticket = selectors.final_ticket(ticket)
        _check_can_follow(actor, ticket)
    follower, created = TicketFollower.objects.get_or_create(
        ticket=ticket, user=actor, defaults={"by_email": by_email, "created_at": timezone.now()}
    )
    if created or follower.by_email != by_email:
        follower.by_email = by_email
        follower.save(update_fields=["by_email"])
        events.followed(ticket, actor, by_email)
    return follower


@transaction.atomic
def unfollow(*, actor: User, ticket: Ticket) -> None:
    _check_can_follow(actor, ticket)
    deleted, _rows = TicketFollower.objects.filter(ticket=ticket, user=actor).delete()
    if deleted:
        events.unfollowed(ticket, actor)
