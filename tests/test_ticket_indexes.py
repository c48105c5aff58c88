"""The ticket indexes PostgreSQL-only migrations shape beyond what the model's Meta says."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_recent_tickets_index_carries_the_scope_columns_on_postgresql():
    """`ticket_recent` (migration tickets 0017): recency order as its key, the queue and the reporting unit as
    non-key columns, so a regional administrator's count in recency order never reads the ticket rows."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite has no INCLUDE)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ticket_recent'")
        (definition,) = cursor.fetchone()
    assert definition.endswith("USING btree (updated_at DESC, id DESC) INCLUDE (queue_id, reporting_unit_id)"), (
        definition
    )


def test_recent_tickets_index_exists_in_recency_order_everywhere():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "tickets_ticket")
    assert constraints["ticket_recent"]["columns"][:2] == ["updated_at", "id"]
