"""Human ticket references: PREFIX-YEAR-NNNNNN, unique and gap-tolerant under concurrent creation."""

from django.conf import settings
from django.db import transaction
from django.db.models import F

from tickets.models import ReferenceCounter


def next_reference(year: int) -> str:
    """Take the next number of `year`; must run inside the caller's transaction.

    The UPDATE locks the counter row until the transaction ends, so concurrent creators queue on it
    (PostgreSQL row lock; SQLite's IMMEDIATE transaction), and the unique constraint on
    Ticket.reference is the last line of defence.
    """
    assert transaction.get_connection().in_atomic_block, "next_reference() needs a transaction"
    ReferenceCounter.objects.bulk_create([ReferenceCounter(year=year, last_number=0)], ignore_conflicts=True)
    ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.values_list("last_number", flat=True).get(year=year)
    return f"{settings.TICKET_REFERENCE_PREFIX}-{year}-{number:06d}"


def next_references(year: int, count: int) -> list[str]:
    """Take `count` consecutive numbers of `year` with one counter update (batched ticket creation); the same
    locking as next_reference()."""
    assert transaction.get_connection().in_atomic_block, "next_references() needs a transaction"
    if count <= 0:
        return []
    ReferenceCounter.objects.bulk_create([ReferenceCounter(year=year, last_number=0)], ignore_conflicts=True)
    ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + count)
    last = ReferenceCounter.objects.values_list("last_number", flat=True).get(year=year)
    return [f"{settings.TICKET_REFERENCE_PREFIX}-{year}-{number:06d}" for number in range(last - count + 1, last + 1)]
