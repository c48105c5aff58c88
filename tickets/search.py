"""Full-text search over tickets: reference, subject, requester and the text of every conversation entry
(messages, replies, notes, calls), Polish-friendly and the same on PostgreSQL and SQLite.

One search document per ticket (table tickets_ticketsearch, one row per ticket). Text becomes tokens in Python
with the same building blocks as the knowledge base (helpdesk.polish): each word gives its folded form ("KOREKTĘ" →
"korekte") and its folded Morfeusz lemmas ("korekta"), so case, diacritics and inflection do not matter. Only the
set of tokens is kept (the list is sorted by recency, not ranked), so a document grows with the vocabulary of
the conversation, not with its length.

- PostgreSQL: a `tsvector` column (dictionary `simple`, stripped of positions) with a GIN index.
- SQLite: an FTS5 table `tickets_search_fts` (rowid = ticket id).

The document is written by tickets.actions (the only write path) when a ticket is opened and whenever an entry
is added; `rebuild()` recomputes it from the rows (e.g. after entries moved to another ticket).

A query: every word must be found (AND); a word matches its folded form or any of its lemmas, and a word
Morfeusz does not know (a truncated one: "sprawozd") also matches as a prefix. Punctuation, operators and
quotes are never passed to the database as syntax: only `[^\\W_]+` tokens reach it, as bound parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import RawSQL

from helpdesk import polish

TABLE = "tickets_ticketsearch"
FTS_TABLE = "tickets_search_fts"
MAX_QUERY = 200
MAX_WORDS = 8
PREFIX_MIN_LENGTH = 3
_TOKEN = re.compile(r"^[^\W_]+$")
REFERENCE = re.compile(r"^\s*([A-Za-z]{2,10}-\d{4}-\d{1,9})\s*$")


# --- text → tokens ---------------------------------------------------------------------------------------


def document_tokens(*texts: str) -> set[str]:
    """The set of index tokens of some texts (folded words and folded lemmas; stop words dropped)."""
    found: set[str] = set()
    for text in texts:
        if text:
            found.update(text_tokens(text))
    return found


def text_tokens(text: str) -> frozenset[str]:
    return frozenset(token for token in polish.tokens(text) if _TOKEN.match(token))


def entry_text(entry) -> str:
    """The searchable text of one entry: what it says new (quoted history is in earlier entries already)."""
    return entry_text_of(
        entry.subject, entry.sender_name, entry.sender_email, entry.visible_text or entry.body_text, entry.body_html
    )


def entry_text_of(subject: str, sender_name: str, sender_email: str, body: str, body_html: str) -> str:
    """entry_text() of an entry with these fields (`body`: its visible text, else its text; `body_html`: its
    sanitised HTML, read only when there is no body), before the entry exists (tickets.text_facts)."""
    if not body and body_html:
        from django.utils.html import strip_tags

        body = strip_tags(body_html)
    return "\n".join(part for part in (subject, sender_name, sender_email, body) if part)


def ticket_text(ticket) -> str:
    return "\n".join(part for part in ticket_texts(ticket) if part)


def ticket_texts(ticket) -> tuple[str, str]:
    """The ticket's searchable text in two parts, the reference and the rest (subject and requester), whose
    tokens together are those of ticket_text(): no word or form code spans the line between them. The second
    part is known before the ticket has a reference, so it is tokenised with the rest of a new ticket's text
    (tickets.text_facts)."""
    return ticket.reference, requester_text(ticket.subject, ticket.requester_name, ticket.requester_email)


def requester_text(subject: str, name: str, email: str) -> str:
    return "\n".join(part for part in (subject, name, email) if part)


# --- writing ---------------------------------------------------------------------------------------------


def add(ticket_id: int, tokens: set[str]) -> None:
    """Add tokens to a ticket's document (creating it when missing). Called inside the action's transaction."""
    document = " ".join(sorted(tokens))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {TABLE} (ticket_id, vector) VALUES (%s, strip(to_tsvector('simple', %s)))"
                f" ON CONFLICT (ticket_id) DO UPDATE SET vector = {TABLE}.vector || EXCLUDED.vector",
                [ticket_id, document],
            )
        else:
            cursor.execute(f"INSERT OR IGNORE INTO {TABLE} (ticket_id) VALUES (%s)", [ticket_id])
            cursor.execute(
                f"UPDATE {FTS_TABLE} SET document = document || ' ' || %s WHERE rowid = %s", [document, ticket_id]
            )
            if cursor.rowcount == 0:
                cursor.execute(f"INSERT INTO {FTS_TABLE} (rowid, document) VALUES (%s, %s)", [ticket_id, document])


def add_many(documents, *, new: bool = True) -> None:
    """add() for many (ticket id, tokens) pairs, in one statement on PostgreSQL (batched ingestion). `new`:
    tickets with no document yet; with new=False, on SQLite, one by one (PostgreSQL merges either way)."""
    if connection.vendor == "postgresql":
        _add_many_postgres(documents, new=new)
        return
    if not new:
        for ticket_id, tokens in documents:
            add(ticket_id, tokens)
        return
    rows = [(ticket_id, " ".join(sorted(tokens))) for ticket_id, tokens in documents]
    if rows:  # new tickets: no document yet
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT OR IGNORE INTO {TABLE} (ticket_id) VALUES (%s)", [row[:1] for row in rows])
            cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, document) VALUES (%s, %s)", rows)


# Tokens PostgreSQL's parser takes whole, each as one lexeme equal to itself: lower-case ASCII letters and digits,
# but not a number in exponent notation followed by more ("12e5abc" parses as "12e5" + "abc"). Checked against
# to_tsvector('simple', …) for every such token up to 3 characters and 250,000 random ones up to 14
# (tests/test_ticket_search.py checks it again on the server it runs against).
_PLAIN_CHARACTERS = re.compile(r"[a-z0-9 ]*")
_EXPONENT = re.compile(r"(?:^| )[0-9]+e[0-9]")


def _plain(document: str) -> bool:
    """Whether every token of a document (tokens joined by spaces) is a plain lexeme (see above)."""
    return _PLAIN_CHARACTERS.fullmatch(document) is not None and _EXPONENT.search(document) is None


def _add_many_postgres(documents, *, new: bool) -> None:
    """One INSERT for all the documents (arrays as parameters, as speed.bulk.insert does). A document whose tokens
    are all plain lexemes (_plain) becomes its tsvector directly (array_to_tsvector: the same value as
    strip(to_tsvector('simple', …)), without the text parser, which was half the statement's time); any other
    goes through to_tsvector as in add(). Several documents for one ticket are merged first (one row may be
    updated only once per statement); the union of their tokens is what adding them one after another gives."""
    merged: dict[int, set[str]] = {}
    for ticket_id, tokens in documents:
        merged.setdefault(ticket_id, set()).update(tokens)
    if not merged:
        return
    ids = list(merged)
    texts = [" ".join(sorted(merged[ticket_id])) for ticket_id in ids]
    plain = [_plain(text) for text in texts]
    conflict = "" if new else f" ON CONFLICT (ticket_id) DO UPDATE SET vector = {TABLE}.vector || EXCLUDED.vector"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (ticket_id, vector) SELECT ticket_id, CASE WHEN plain"
            " THEN array_to_tsvector(string_to_array(document, ' '))"
            " ELSE strip(to_tsvector('simple', document)) END"
            " FROM unnest(%s::bigint[], %s::text[], %s::boolean[]) AS d (ticket_id, document, plain)" + conflict,
            [ids, texts, plain],
        )


def index_ticket(ticket) -> None:
    add(ticket.pk, document_tokens(ticket_text(ticket)))


def index_entry(entry) -> None:
    add(entry.ticket_id, document_tokens(entry_text(entry)))


def rebuild(ticket) -> None:
    """Recompute a ticket's document from its reference, subject, requester and entries."""
    tokens = document_tokens(ticket_text(ticket), *(entry_text(entry) for entry in ticket.entries.all()))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE ticket_id = %s", [ticket.pk])
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [ticket.pk])
    add(ticket.pk, tokens)


# --- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    tokens: frozenset[str]
    prefix: str = ""


def parse(raw: str) -> list[Word]:
    """Query words (at most MAX_WORDS), each with the tokens it may match; [] when nothing is searchable."""
    words: list[Word] = []
    seen: set[str] = set()
    for word in polish.words((raw or "")[:MAX_QUERY]):
        folded = polish.fold(word)[: polish.MAX_TOKEN]
        if folded in seen or not _TOKEN.match(folded or "_"):
            continue
        tokens = frozenset(t for t in polish.word_tokens(word) if _TOKEN.match(t))
        if not tokens:
            continue  # a stop word
        seen.add(folded)
        code = folded.isdigit() or polish.FORM_CODE.fullmatch(folded) is not None
        unknown = not code and not polish.lemmas(word.lower())
        prefix = folded if unknown and len(folded) >= PREFIX_MIN_LENGTH else ""
        words.append(Word(tokens=tokens, prefix=prefix))
        if len(words) == MAX_WORDS:
            break
    return words


def _postgres_query(words: list[Word]) -> str:
    groups = []
    for word in words:
        alternatives = sorted(word.tokens) + ([f"{word.prefix}:*"] if word.prefix else [])
        groups.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(groups)


def _sqlite_query(words: list[Word]) -> str:
    groups = []
    for word in words:
        alternatives = [f'"{token}"' for token in sorted(word.tokens)]
        if word.prefix:
            alternatives.append(f'"{word.prefix}"*')
        groups.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(groups)


def matching_ids(words: list[Word]) -> RawSQL:
    """A subquery of the ids of the tickets whose document has every word (for `pk__in=`); scoping is the
    caller's (tickets.selectors applies tickets_for_user around it)."""
    if connection.vendor == "postgresql":
        return RawSQL(
            f"SELECT ticket_id FROM {TABLE} WHERE vector @@ to_tsquery('simple', %s)", [_postgres_query(words)]
        )
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_sqlite_query(words)])


def reference_in(raw: str) -> str:
    """The ticket reference typed alone in the search box ("ssoz-2026-000123" → "SSOZ-2026-000123"), or ""."""
    match = REFERENCE.match(raw or "")
    return match.group(1).upper() if match else ""


# --- schema (used by migration 0009_conversation_search) -------------------------------------------------

POSTGRES_INSTALL = [
    f"ALTER TABLE {TABLE} ADD COLUMN vector tsvector NOT NULL DEFAULT ''::tsvector",
    # the vectors are small once stripped; keep them in the heap row only when short, TOAST the rest
    f"CREATE INDEX ticket_search_gin ON {TABLE} USING gin (vector)",
]
POSTGRES_UNINSTALL = [f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS vector"]
SQLITE_INSTALL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(document, prefix='3 4 5')",
    "DROP TRIGGER IF EXISTS tickets_search_fts_delete",
    # deleting the document row (a ticket deleted, the test database flushed) deletes the FTS row with it
    f"""CREATE TRIGGER tickets_search_fts_delete AFTER DELETE ON {TABLE} BEGIN
      DELETE FROM {FTS_TABLE} WHERE rowid = old.ticket_id;
    END""",
]
SQLITE_UNINSTALL = ["DROP TRIGGER IF EXISTS tickets_search_fts_delete", f"DROP TABLE IF EXISTS {FTS_TABLE}"]


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise RuntimeError(f"The ticket search supports PostgreSQL and SQLite, not {vendor}")
    for statement in POSTGRES_INSTALL if vendor == "postgresql" else SQLITE_INSTALL:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for statement in POSTGRES_UNINSTALL if vendor == "postgresql" else SQLITE_UNINSTALL:
        schema_editor.execute(statement)
