"""Ticket references stay unique when many tickets are opened at the same moment."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Queue, ReferenceCounter, Ticket


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_creations_get_twenty_distinct_consecutive_references():
    queue = Queue.objects.get(slug="centralna")

    def create(n: int) -> str:
        try:
            return actions.open_tickets(
                [new_ticket(channel="email", subject=f"Zgłoszenie {n}", body_text="treść", queue=queue)], actor=None
            )[0].reference
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        references = list(pool.map(create, range(20)))

    assert len(set(references)) == 20
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert numbers == list(range(1, 21))
    assert Ticket.objects.count() == 20
    assert ReferenceCounter.objects.get().last_number == 20


@pytest.mark.django_db
def test_references_are_numbered_per_year(settings):
    settings.TICKET_REFERENCE_PREFIX = "TEST"
    from django.db import transaction

    from tickets.references import next_reference

    with transaction.atomic():
        assert next_reference(2026) == "TEST-2026-000001"
        assert next_reference(2026) == "TEST-2026-000002"
        assert next_reference(2027) == "TEST-2027-000001"
