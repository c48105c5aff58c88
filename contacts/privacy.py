"""Merging duplicate units and people, exporting everything about a person, anonymising a person on request.

Each action is atomic, admin-only, and appends a DirectoryLog row. Rows of other apps that point at a unit or a
person (tickets, for instance) are found through Django's relation metadata, so contacts imports no other app;
the personal fields those rows copy (a ticket's requester name, e-mail, phone) are listed in PERSONAL_COPIES.
"""

from __future__ import annotations

from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import (
    DirectoryLog,
    Person,
    PersonEmail,
    PersonPhone,
    Reminder,
    ReportingUnit,
    Submission,
    SubmissionChange,
    UnitMembership,
)
from helpdesk import access, public_cache
from helpdesk.models import Role

# Rows elsewhere that keep a copy of a person's data: model label → (field pointing at the person or None,
# e-mail field to match instead, fields to erase). Anonymisation blanks these; the rows themselves are kept.
PERSONAL_COPIES = {
    "tickets.Ticket": ("requester", "requester_email", ("requester_name", "requester_email", "requester_phone")),
    "tickets.Entry": (None, "sender_email", ("sender_name", "sender_email")),
}
ANONYMOUS = "—"


def _check_admin(actor) -> None:
    access.require(
        access.is_staff_member(actor) and (actor.role == Role.ADMIN or actor.is_superuser),
        _("Scalanie, eksport i anonimizację danych wykonuje administrator systemu."),
    )


def _log(kind: str, actor, subject: str, data: dict, reason: str = "") -> DirectoryLog:
    return DirectoryLog.objects.create(
        kind=kind, actor=actor, at=timezone.now(), subject=subject[:200], reason=reason[:500], data=data
    )


def _foreign_relations(model):
    """(related model, field name) of every foreign key in another app pointing at `model`."""
    for relation in model._meta.related_objects:
        if relation.one_to_many and relation.related_model._meta.app_label != "contacts":
            yield relation.related_model, relation.field.name


def _repoint(model, old, new) -> dict[str, int]:
    moved = {}
    for related, field in _foreign_relations(model):
        count = related._default_manager.filter(**{field: old}).update(**{field: new})
        if count:
            moved[related._meta.label] = count
    return moved


@transaction.atomic
def merge_units(*, actor, keep: ReportingUnit, duplicate: ReportingUnit, reason: str = "") -> DirectoryLog:
    """Move everything of `duplicate` (tickets, reports, people, reminders) to `keep`, then delete it."""
    _check_admin(actor)
    if keep.pk == duplicate.pk:
        raise ValidationError(_("Nie można scalić jednostki z nią samą."))
    moved = _repoint(ReportingUnit, duplicate, keep)
    kept = {(s.form_id, s.year): s for s in Submission.objects.filter(unit=keep)}
    for report in Submission.objects.filter(unit=duplicate):
        other = kept.get((report.form_id, report.year))
        if other is None:
            Submission.objects.filter(pk=report.pk).update(unit=keep)
        elif report.changed_at > other.changed_at:  # the newer status wins; both histories are kept
            SubmissionChange.objects.filter(submission=other).update(submission=report)
            other.delete()
            Submission.objects.filter(pk=report.pk).update(unit=keep)
        else:
            SubmissionChange.objects.filter(submission=report).update(submission=other)
            report.delete()
    people = set(UnitMembership.objects.filter(unit=keep).values_list("person_id", flat=True))
    UnitMembership.objects.filter(unit=duplicate).exclude(person_id__in=people).update(unit=keep)
    Reminder.objects.filter(unit=duplicate).update(unit=keep)
    for field in ("regon", "nip", "rpwdl", "address", "teryt"):
        if not getattr(keep, field) and getattr(duplicate, field):
            setattr(keep, field, getattr(duplicate, field))
    gone = {"id": duplicate.pk, "name": duplicate.name, "regon": duplicate.regon, "rpwdl": duplicate.rpwdl}
    duplicate.delete()
    keep.save(update_fields=["regon", "nip", "rpwdl", "address", "teryt", "updated_at"])
    public_cache.changed(public_cache.STATUS_LOOKUP)  # reports moved between REGONs
    return _log(
        DirectoryLog.Kind.MERGE_UNITS, actor, f"{keep.name} (#{keep.pk})", {"removed": gone, "moved": moved}, reason
    )


@transaction.atomic
def merge_people(*, actor, keep: Person, duplicate: Person, reason: str = "") -> DirectoryLog:
    """Move e-mails, phones, unit links and tickets of `duplicate` to `keep`, then delete it."""
    _check_admin(actor)
    if keep.pk == duplicate.pk:
        raise ValidationError(_("Nie można scalić osoby z nią samą."))
    moved = _repoint(Person, duplicate, keep)
    PersonEmail.objects.filter(person=duplicate).update(person=keep)
    numbers = set(keep.phones.values_list("number", flat=True))
    PersonPhone.objects.filter(person=duplicate).exclude(number__in=numbers).update(person=keep)
    units = set(UnitMembership.objects.filter(person=keep).values_list("unit_id", flat=True))
    UnitMembership.objects.filter(person=duplicate).exclude(unit_id__in=units).update(person=keep)
    if duplicate.notes:
        keep.notes = "\n".join(filter(None, [keep.notes, duplicate.notes]))
        keep.save(update_fields=["notes"])
    gone = {"id": duplicate.pk, "name": duplicate.name}
    duplicate.delete()
    return _log(
        DirectoryLog.Kind.MERGE_PEOPLE, actor, f"{keep.name} (#{keep.pk})", {"removed": gone, "moved": moved}, reason
    )


def _copies(person: Person, emails: list[str]):
    """(model, queryset, fields) of the rows elsewhere holding a copy of the person's data."""
    for label, (link, email_field, fields) in PERSONAL_COPIES.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        match = Q(**{email_field + "__in": emails}) if emails else Q(pk__in=[])
        if link:
            match |= Q(**{link: person})
        yield model, model._default_manager.filter(match), fields


@transaction.atomic
def export_person(*, actor, person: Person) -> dict:
    """Everything the helpdesk holds about a person (GDPR art. 15), as a JSON-ready dict; the export is logged."""
    _check_admin(actor)
    emails = list(person.emails.values_list("email", flat=True))
    data = {
        "person": {
            "id": person.pk,
            "name": person.name,
            "notes": person.notes,
            "consent_given_at": person.consent_given_at,
            "created_at": person.created_at,
        },
        "emails": emails,
        "phones": list(person.phones.values_list("number", flat=True)),
        "units": [
            {"unit": m.unit.name, "regon": m.unit.regon, "role": m.role}
            for m in UnitMembership.objects.filter(person=person).select_related("unit")
        ],
        "elsewhere": {},
    }
    for model, rows, _fields in _copies(person, emails):
        data["elsewhere"][model._meta.label] = serializers.serialize("python", rows)
    _log(
        DirectoryLog.Kind.EXPORT_PERSON,
        actor,
        f"#{person.pk}",
        {"rows": {k: len(v) for k, v in data["elsewhere"].items()}},
    )
    return data


@transaction.atomic
def anonymise_person(*, actor, person: Person, reason: str) -> DirectoryLog:
    """Erase a person's data on request: name, notes, e-mails, phones, and the copies in tickets; rows are kept."""
    _check_admin(actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Podaj podstawę anonimizacji (np. numer wniosku).")})
    emails = list(person.emails.values_list("email", flat=True))
    erased = {}
    for model, rows, fields in _copies(person, emails):
        count = rows.update(**{field: ANONYMOUS if field.endswith("name") else "" for field in fields})
        if count:
            erased[model._meta.label] = count
    person.emails.all().delete()
    person.phones.all().delete()
    person.name, person.notes = _("Osoba zanonimizowana #%(id)s") % {"id": person.pk}, ""
    person.consent_given_at = None
    person.save(update_fields=["name", "notes", "consent_given_at"])
    return _log(DirectoryLog.Kind.ANONYMISE_PERSON, actor, f"#{person.pk}", {"erased": erased}, reason)
