"""Invalidation only: a change saved to what the public status lookup shows (in the admin, the shell or a write
path) makes the cached look-ups computed from it unreachable (helpdesk.public_cache). Bulk writes that bypass
save() (status feeds, unit imports, merges) call helpdesk.public_cache themselves. No business logic lives here."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from contacts.models import (
    FormDeadline,
    RegionalOffice,
    ReportingUnit,
    StatisticalForm,
    Submission,
    SubmissionStatus,
    Voivodeship,
)
from helpdesk import public_cache

SHARED = (Voivodeship, RegionalOffice, StatisticalForm, FormDeadline, SubmissionStatus)


def shared_fact_changed(sender, **kwargs) -> None:
    public_cache.changed(public_cache.STATUS_LOOKUP)


def unit_changed(sender, instance: ReportingUnit, **kwargs) -> None:
    if instance.regon:
        public_cache.statuses_changed([instance.regon])


def report_changed(sender, instance: Submission, **kwargs) -> None:
    regon = ReportingUnit.objects.filter(pk=instance.unit_id).values_list("regon", flat=True).first()
    if regon:
        public_cache.statuses_changed([regon])
    else:  # the unit went first (a cascade): whatever it was, look everything up afresh
        public_cache.changed(public_cache.STATUS_LOOKUP)


def connect() -> None:
    for model in SHARED:
        post_save.connect(shared_fact_changed, sender=model, dispatch_uid=f"lookup-{model.__name__}-saved")
        post_delete.connect(shared_fact_changed, sender=model, dispatch_uid=f"lookup-{model.__name__}-deleted")
    post_save.connect(unit_changed, sender=ReportingUnit, dispatch_uid="lookup-unit-saved")
    post_delete.connect(unit_changed, sender=ReportingUnit, dispatch_uid="lookup-unit-deleted")
    post_save.connect(report_changed, sender=Submission, dispatch_uid="lookup-report-saved")
    post_delete.connect(report_changed, sender=Submission, dispatch_uid="lookup-report-deleted")
