"""Helpers for the tests of reporting units and submission statuses: units with valid REGONs, people, reports."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from stdnum.pl import regon as stdnum_regon

from contacts.models import (
    Person,
    PersonEmail,
    RegionalOffice,
    ReportingUnit,
    StatisticalForm,
    Submission,
    SubmissionStatus,
    UnitMembership,
)


def regon9(base: int) -> str:
    digits = f"{base:08d}"
    return digits + stdnum_regon.calc_check_digit(digits)


def unit(
    base: int, voivodeship: str = "14", kind: str = "outpatient", name: str = "", email: str = ""
) -> ReportingUnit:
    created = ReportingUnit.objects.create(
        name=name or f"Przychodnia nr {base}", regon=regon9(base), voivodeship_id=voivodeship, kind=kind
    )
    if email:
        person = Person.objects.create(name=f"Kierownik {base}")
        PersonEmail.objects.create(person=person, email=email)
        UnitMembership.objects.create(person=person, unit=created, role="kierownik")
    return created


def report(unit: ReportingUnit, form: str, year: int, status: str, changed_at: dt.datetime | None = None) -> Submission:
    now = timezone.now()
    return Submission.objects.create(
        unit=unit,
        form=StatisticalForm.objects.get(code=form),
        year=year,
        status=SubmissionStatus.objects.get(code=status),
        changed_at=changed_at or now,
        source=Submission.Source.IMPORT,
        created_at=now,
        updated_at=now,
    )


def office(voivodeship: str = "14") -> RegionalOffice:
    return RegionalOffice.objects.create(
        voivodeship_id=voivodeship,
        name=f"Urząd Wojewódzki {voivodeship}",
        department="Wydział Zdrowia",
        email=f"statystyka{voivodeship}@uw.example.gov.pl",
        phone="+48 22 695 60 00",
        valid_from=dt.date(2020, 1, 1),
    )
