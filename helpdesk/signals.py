"""Invalidation only: a change to a calendar or its closures bumps the calendar's `version`, under which
compiled schedules (helpdesk.business_time) are cached; a logout or a change to what decides a user's access
tells their open websockets to check again (access.announce_access_change). No business logic lives here."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from helpdesk import access
from helpdesk.models import BusinessCalendar, CalendarClosure, User

# the fields a websocket's access depends on (the password: a change voids the sessions made before it)
ACCESS_FIELDS = ("password", "is_active", "role", "must_change_password", "is_superuser")


@receiver(pre_save, sender=BusinessCalendar)
def calendar_changing(sender, instance: BusinessCalendar, **kwargs) -> None:
    if instance.pk:
        instance.version += 1


@receiver(post_save, sender=CalendarClosure)
@receiver(post_delete, sender=CalendarClosure)
def closure_changed(sender, instance: CalendarClosure, **kwargs) -> None:
    BusinessCalendar.objects.filter(pk=instance.calendar_id).update(version=F("version") + 1)
    calendar = instance.calendar if CalendarClosure.calendar.is_cached(instance) else None
    if calendar is not None:  # the caller's own calendar object sees the change at once
        version = BusinessCalendar.objects.filter(pk=calendar.pk).values_list("version", flat=True).first()
        calendar.version = version if version is not None else calendar.version


@receiver(user_logged_out)
def logged_out(sender, user=None, **kwargs) -> None:
    if user is not None:
        access.announce_access_change(user.pk)


@receiver(pre_save, sender=User)
def user_changing(sender, instance: User, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and not set(ACCESS_FIELDS) & set(update_fields)):
        return  # a new account has no sockets; e.g. the last-login stamp changes nothing
    before = User.objects.filter(pk=instance.pk).values(*ACCESS_FIELDS).first()
    if before is not None and any(before[name] != getattr(instance, name) for name in ACCESS_FIELDS):
        access.announce_access_change(instance.pk)


@receiver(m2m_changed, sender=User.voivodeships.through)
def voivodeships_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    for user_id in (pk_set or ()) if reverse else (instance.pk,):
        access.announce_access_change(user_id)
