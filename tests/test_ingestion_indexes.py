"""The tables batched e-mail ingestion writes carry no index nobody uses: each one is written for every row, on the
ingestion's critical path (migrations tickets 0013, inbox_ingest 0003, helpdesk 0006). Their foreign keys stay."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

WRITTEN = [
    "inbox_ingest_rawmessage", "inbox_ingest_sentmessage", "tickets_ticket", "tickets_entry", "tickets_ticketevent",
    "tickets_slatimer", "tickets_attachment", "tickets_storedfile", "tickets_ticketsearch", "helpdesk_outboxmessage",
]  # fmt: skip
# foreign keys without an index of their own: a composite index begins with the column (named here)
SERVED_BY = {
    ("tickets_entry", "ticket_id"): "entry_ticket_time",
    ("tickets_ticketevent", "ticket_id"): "event_ticket_time",
    ("tickets_slatimer", "ticket_id"): "one_sla_timer_per_kind",
    ("tickets_ticket", "queue_id"): "ticket_queue_status",
    ("tickets_ticket", "assignee_id"): "ticket_assignee_status",
    ("inbox_ingest_rawmessage", "mailbox_id"): "raw_mailbox_status",
}


def _constraints(table: str) -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


@pytest.mark.parametrize(("table", "column"), sorted(SERVED_BY))
def test_a_foreign_key_served_by_a_composite_index_has_none_of_its_own_and_stays_a_foreign_key(table, column):
    constraints = _constraints(table)
    assert not [name for name, item in constraints.items() if item["index"] and item["columns"] == [column]], (
        f"{table}.{column}: {SERVED_BY[table, column]} serves it"
    )
    assert constraints[SERVED_BY[table, column]]["columns"][0] == column
    assert any(item["foreign_key"] and item["columns"] == [column] for item in constraints.values())


def test_outbox_next_attempt_is_indexed_only_among_messages_not_sent():
    indexed = [item["columns"] for item in _constraints("helpdesk_outboxmessage").values() if item["index"]]
    assert ["next_attempt_at"] in indexed  # outbox_pending (partial: sent_at IS NULL)
    assert indexed.count(["next_attempt_at"]) == 1


def test_no_pattern_ops_copies_on_the_tables_ingestion_writes():
    """PostgreSQL's schema editor adds a varchar_pattern_ops index beside every indexed CharField, for LIKE 'x%';
    nothing runs one on these tables. A migration altering such a field brings it back: drop it there too."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s) AND indexdef LIKE %s",
            [WRITTEN, "%pattern_ops%"],
        )
        assert cursor.fetchall() == []


def test_raw_messages_are_compressed_with_lz4_where_the_server_has_it():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        available = cursor.fetchone()[0]
        cursor.execute(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'inbox_ingest_rawmessage'::regclass AND attname = 'raw'"
        )
        assert cursor.fetchone()[0] == ("l" if available else "")
