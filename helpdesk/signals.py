"""Cache invalidation only: a change to a calendar or its closures bumps the calendar's `version`, under which
compiled schedules (helpdesk.business_time) are cached. No business logic lives here."""

from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from helpdesk.models import BusinessCalendar, CalendarClosure


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
