"""Per-token postings of the knowledge base, kept in the database and cached per process by index version.

Storage (all in the database; nothing that matters lives only in memory):
- `Posting`: one row per index token with three bitmaps (title, headings, body), bit `n` set when article `n`
  has the token in that field; each bitmap is little-endian bytes, zlib-compressed (a rare token costs a few
  bytes, a token in half of 20,000 articles about 1 KB). Rows cover every article whatever its state; whether an
  article is live and visible is decided at query time from `SearchEntry`'s copies of those columns.
- `IndexState`: one row with the index version and a random stamp, bumped by every change of a SearchEntry row
  (knowledge_base.actions is the only write path; it calls `changed()` / `article_deleted()` here).
- `IndexChange`: the log of versions (version, stamp, article id; NULL = everything), so that a process can
  catch up by re-reading only the articles changed since its cached version, and can tell that a version it
  cached was rolled back (the stamp at that version differs) and reload everything instead.

Writers serialise on the IndexState row (its UPDATE is the first statement of the change), so versions commit in
order and a reader that sees version v sees every change up to v.

The process-local cache (`snapshot()`) holds per alias: live/visibility/language/kind bitmaps of the articles,
their tie-break order, the sorted token list (for prefixes), and an LRU of decoded postings. Each search costs
one query for the version; a changed version costs a delta query or, after a rebuild or a rollback, a reload.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import zlib
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connections

from knowledge_base.models import Posting, TermForm

TITLE_BIT, HEADINGS_BIT, BODY_BIT = 1, 2, 4
FIELD_BITS = (TITLE_BIT, HEADINGS_BIT, BODY_BIT)
CHUNK = 500
LOG_KEEP = 5000  # IndexChange rows kept; a process further behind reloads everything
POSTINGS_CACHED = 4096  # tokens whose decoded bitmaps a process keeps
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NEVER = 2**62

STATE = "knowledge_base_indexstate"
LOG = "knowledge_base_indexchange"
POSTING = "knowledge_base_posting"
ENTRY = "knowledge_base_searchentry"


# --- bitmaps ---------------------------------------------------------------------------------------------------


def encode(bits: int) -> bytes:
    if not bits:
        return b""
    return zlib.compress(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), 6)


def decode(data) -> int:
    if not data:
        return 0
    return int.from_bytes(zlib.decompress(bytes(data)), "little")


_BYTE_BITS = [tuple(j for j in range(8) if byte >> j & 1) for byte in range(256)]


def members(bits: int) -> list[int]:
    """The set bits of `bits` (article ids), ascending."""
    out: list[int] = []
    if not bits:
        return out
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for index, byte in enumerate(raw):
        if byte:
            base = index * 8
            out.extend(base + j for j in _BYTE_BITS[byte])
    return out


def from_ids(ids: Iterable[int]) -> int:
    ids = list(ids)
    if not ids:
        return 0
    raw = bytearray(max(ids) // 8 + 1)
    for n in ids:
        raw[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(raw, "little")


def field_masks(title: str, headings: str, body: str) -> dict[str, int]:
    """token → which fields (TITLE_BIT | HEADINGS_BIT | BODY_BIT) of one entry contain it."""
    masks: dict[str, int] = defaultdict(int)
    for bit, text in zip(FIELD_BITS, (title, headings, body), strict=True):
        for token in set((text or "").split()):
            masks[token] |= bit
    return masks


# --- the write side (called by knowledge_base.actions inside its transaction) ----------------------------------


def bump(article_id: int | None, *, using: str = "default") -> int:
    """Take the next index version (and the writers' lock: the state row stays locked until commit)."""
    stamp = secrets.token_hex(8)
    with connections[using].cursor() as cursor:
        cursor.execute(f"UPDATE {STATE} SET version = version + 1, stamp = %s WHERE id = 1", [stamp])
        if cursor.rowcount == 0:  # a flushed database (tests): start again
            cursor.execute(f"INSERT INTO {STATE} (id, version, stamp) VALUES (1, 1, %s)", [stamp])
        cursor.execute(f"SELECT version FROM {STATE} WHERE id = 1")
        version = cursor.fetchone()[0]
        cursor.execute(f"DELETE FROM {LOG} WHERE version >= %s", [version])  # left by a flushed state row
        cursor.execute(
            f"INSERT INTO {LOG} (version, stamp, article_id) VALUES (%s, %s, %s)", [version, stamp, article_id]
        )
        if version % 500 == 0:
            cursor.execute(f"DELETE FROM {LOG} WHERE version < %s", [version - LOG_KEEP])
    return version


def apply(changes: dict[int, tuple[dict[str, int], dict[str, int]]], version: int, *, using: str = "default") -> None:
    """Apply article id → (old field masks, new field masks) to the Posting rows; a token no article has any more
    keeps its (empty) row, so that other processes' caches see its new version, and loses its vocabulary."""
    per_token: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for article_id, (old, new) in changes.items():
        for token in old.keys() | new.keys():
            before, after = old.get(token, 0), new.get(token, 0)
            if before != after:
                per_token[token].append((article_id, before, after))
    tokens = sorted(per_token)
    existing = {}
    for start in range(0, len(tokens), CHUNK):
        for posting in Posting.objects.using(using).filter(token__in=tokens[start : start + CHUNK]):
            existing[posting.token] = posting
    rows, emptied = [], []
    for token in tokens:
        posting = existing.get(token)
        stored = (posting.title, posting.headings, posting.body) if posting else (b"", b"", b"")
        fields = list(stored)
        for index, bit in enumerate(FIELD_BITS):
            adds = [article_id for article_id, _before, after in per_token[token] if after & bit]
            removes = [article_id for article_id, before, after in per_token[token] if before & bit and not after & bit]
            if adds or removes:
                fields[index] = encode((decode(stored[index]) & ~from_ids(removes)) | from_ids(adds))
        rows.append(Posting(token=token, title=fields[0], headings=fields[1], body=fields[2], version=version))
        if posting is not None and not any(fields):
            emptied.append(token)
    # one upsert per chunk (INSERT … ON CONFLICT DO UPDATE on both databases)
    Posting.objects.using(using).bulk_create(
        rows,
        batch_size=CHUNK,
        update_conflicts=True,
        unique_fields=["token"],
        update_fields=["title", "headings", "body", "version"],
    )
    prune_vocabulary(emptied, using=using)


def lock_writers(*, using: str = "default") -> None:
    """Take the writers' lock (the IndexState row) early, before reading the vocabulary, so that a concurrent
    prune and an extension of the same word are serialised (the row stays locked until commit)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"UPDATE {STATE} SET version = version WHERE id = 1")


def prune_vocabulary(tokens: Iterable[str], *, using: str = "default") -> None:
    """Forget the vocabulary (TermForm rows) of lemmas no article has any more: typo correction must not offer
    the words of removed text. Every vocabulary lemma is an index token; its forms go with it."""
    tokens = sorted(set(tokens))
    for start in range(0, len(tokens), CHUNK):
        TermForm.objects.using(using).filter(lemma__in=tokens[start : start + CHUNK]).delete()


def changed(article_id: int, old_fields: tuple | None = None, new_fields: tuple | None = None, *, using="default"):
    """Record a change of one article's SearchEntry: a new version, and its postings when the tokens changed
    (`old_fields`/`new_fields` are (title, headings, body) token strings, None for "no entry")."""
    version = bump(article_id, using=using)
    if old_fields != new_fields:
        old = field_masks(*old_fields) if old_fields else {}
        new = field_masks(*new_fields) if new_fields else {}
        apply({article_id: (old, new)}, version, using=using)
    return version


def add_entries(entries: Iterable[tuple[int, str, str, str]], *, using: str = "default") -> int:
    """Index many new entries (article id, title, headings, body tokens) in one version: bulk loads."""
    version = bump(None, using=using)
    apply({aid: ({}, field_masks(t, h, b)) for aid, t, h, b in entries}, version, using=using)
    return version


def rebuild(*, using: str = "default") -> int:
    """Recompute every Posting row from the SearchEntry rows (migration, repair, bulk copies), and drop the
    vocabulary of lemmas no entry has."""
    version = bump(None, using=using)
    fields: dict[str, list[list[int]]] = defaultdict(lambda: [[], [], []])
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT article_id, title, headings, body FROM {ENTRY}")
        for article_id, *texts in cursor.fetchall():
            for index, text in enumerate(texts):
                for token in set((text or "").split()):
                    fields[token][index].append(article_id)
    Posting.objects.using(using).all().delete()
    rows = [
        Posting(token=token, title=encode(from_ids(t)), headings=encode(from_ids(h)), body=encode(from_ids(b)),
                version=version)
        for token, (t, h, b) in fields.items()
    ]  # fmt: skip
    Posting.objects.using(using).bulk_create(rows, batch_size=CHUNK)

    lemmas = set(TermForm.objects.using(using).values_list("lemma", flat=True).distinct())
    prune_vocabulary(lemmas - fields.keys(), using=using)
    return version


# --- the read side: a per-process snapshot, refreshed by version ------------------------------------------------


def _micros(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite through a raw cursor
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - EPOCH) // dt.timedelta(microseconds=1)


@dataclass
class Meta:
    status: str
    visibility: str
    language: str
    kind: str
    publish_at: int | None
    expire_at: int | None
    helpfulness: float
    updated_at: int


@dataclass
class Snapshot:
    version: int = -1
    stamp: str = ""
    meta: dict[int, Meta] = field(default_factory=dict)
    bitmaps: dict[tuple[str, str], int] = field(default_factory=dict)  # ("status"|"visibility"|…, value) → bits
    scheduled: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)  # published with dates
    tokens: list[str] = field(default_factory=list)
    postings: OrderedDict = field(default_factory=OrderedDict)  # token → (title, headings, body) ints
    vocabulary: dict = field(default_factory=dict)  # look-ups and typo corrections (search.parse), per version
    _order: list | None = None
    _hidden_cache: tuple | None = None  # (from, until, bits) for Snapshot._hidden

    # -- article metadata

    def _set(self, article_id: int, meta: Meta | None) -> None:
        old = self.meta.pop(article_id, None)
        one = 1 << article_id
        if old is not None:
            for key in (("status", old.status), ("visibility", old.visibility), ("language", old.language),
                        ("kind", old.kind)):  # fmt: skip
                self.bitmaps[key] = self.bitmaps.get(key, 0) & ~one
        self.scheduled.pop(article_id, None)
        self._hidden_cache = None
        if meta is not None:
            self.meta[article_id] = meta
            for key in (("status", meta.status), ("visibility", meta.visibility), ("language", meta.language),
                        ("kind", meta.kind)):  # fmt: skip
                self.bitmaps[key] = self.bitmaps.get(key, 0) | one
            if meta.status == "published" and (meta.publish_at is not None or meta.expire_at is not None):
                self.scheduled[article_id] = (meta.publish_at, meta.expire_at)
        if self._order is not None:
            if meta is None:
                if article_id < len(self._order):
                    self._order[article_id] = None
            else:
                if article_id >= len(self._order):
                    self._order.extend([None] * (article_id + 1 - len(self._order)))
                self._order[article_id] = (-meta.helpfulness, -meta.updated_at, article_id)

    def _load_all(self, rows) -> None:
        self.meta, self.bitmaps, self.scheduled, self._order, self._hidden_cache = {}, {}, {}, None, None
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for row in rows:
            article_id, meta = _meta(row)
            self.meta[article_id] = meta
            for key in (("status", meta.status), ("visibility", meta.visibility), ("language", meta.language),
                        ("kind", meta.kind)):  # fmt: skip
                groups[key].append(article_id)
            if meta.status == "published" and (meta.publish_at is not None or meta.expire_at is not None):
                self.scheduled[article_id] = (meta.publish_at, meta.expire_at)
        self.bitmaps = {key: from_ids(ids) for key, ids in groups.items()}

    def live(self, now: int, visibilities: Iterable[str], language: str, kinds: Iterable[str] | None) -> int:
        """Bits of the articles that are published, past publication, not expired and visible."""
        bits = self.bitmaps.get(("status", "published"), 0) & self.bitmaps.get(("language", language), 0)
        visible = 0
        for visibility in visibilities:
            visible |= self.bitmaps.get(("visibility", visibility), 0)
        bits &= visible
        if kinds:
            wanted = 0
            for kind in kinds:
                wanted |= self.bitmaps.get(("kind", kind), 0)
            bits &= wanted
        return bits & ~self._hidden(now)

    def _hidden(self, now: int) -> int:
        """Published articles not yet published or already expired at `now`; kept until the next such moment."""
        cached = self._hidden_cache
        if cached is not None and cached[0] <= now < cached[1]:
            return cached[2]
        hidden, until = [], NEVER
        for article_id, (start, end) in self.scheduled.items():
            if (start is not None and start > now) or (end is not None and end <= now):
                hidden.append(article_id)
            for moment in (start, end):
                if moment is not None and now < moment < until:
                    until = moment
        bits = from_ids(hidden)
        self._hidden_cache = (now, until, bits)
        return bits

    def order(self) -> list:
        """Per article id, its tie-break key: more helpful first, then fresher, then lower id (smaller is better)."""
        if self._order is None:
            keys: list = [None] * ((max(self.meta) + 1) if self.meta else 0)
            for article_id, meta in self.meta.items():
                keys[article_id] = (-meta.helpfulness, -meta.updated_at, article_id)
            self._order = keys
        return self._order

    # -- tokens

    def with_prefix(self, prefix: str) -> list[str]:
        start = bisect_left(self.tokens, prefix)
        out = []
        for token in self.tokens[start:]:
            if not token.startswith(prefix):
                break
            out.append(token)
        return out

    def _add_tokens(self, tokens: Iterable[str]) -> None:
        new = set(tokens) - set(self.tokens) if tokens else set()
        if new:
            self.tokens = sorted(set(self.tokens) | new)


_META_COLUMNS = (
    "article_id, status, visibility, language, kind, publish_at, expire_at, helpful_yes, helpful_no, updated_at"
)


def _meta(row) -> tuple[int, Meta]:
    article_id, status, visibility, language, kind, publish_at, expire_at, yes, no, updated_at = row
    return article_id, Meta(
        status=status,
        visibility=visibility,
        language=language,
        kind=kind,
        publish_at=_micros(publish_at),
        expire_at=_micros(expire_at),
        helpfulness=(yes + 1) / (yes + no + 2),
        updated_at=_micros(updated_at),
    )


_snapshots: dict[str, Snapshot] = {}
_lock = threading.RLock()


def lock() -> threading.RLock:
    """Held by a search while it reads the snapshot (refreshes replace its parts)."""
    return _lock


def state(using: str = "default") -> tuple[int, str] | None:
    """The index version and stamp the database holds now (None in a flushed database)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT version, stamp FROM {STATE} WHERE id = 1")
        return cursor.fetchone()


def snapshot(using: str = "default", *, known: tuple[int, str] | None = None) -> Snapshot:
    """The snapshot of `using`, brought up to the database's current index version (at least to `known`, a
    state() read just before by the caller: no query when the snapshot is at it). Call with lock() held."""
    snap = _snapshots.get(using)
    if snap is None:
        snap = _snapshots[using] = Snapshot()
    if known is not None and tuple(known) == (snap.version, snap.stamp):
        return snap
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT version, stamp FROM {STATE} WHERE id = 1")
        row = cursor.fetchone()
        version, stamp = row if row else (0, "")
        if row is not None and (version, stamp) == (snap.version, snap.stamp):
            if len(snap.vocabulary) > 50_000:  # bounded: every distinct query word adds an entry
                snap.vocabulary = {}
            return snap
        snap.vocabulary = {}  # the vocabulary grows only in transactions that also bump the version
        if row is not None and 0 <= snap.version < version and _catch_up(cursor, snap, version):
            snap.version, snap.stamp = version, stamp
            return snap
        _reload(cursor, snap)
        # a missing state row (flushed test database) is never trusted: version -1 forces a reload next time
        snap.version, snap.stamp = (version, stamp) if row is not None else (-1, "")
    return snap


def _reload(cursor, snap: Snapshot) -> None:
    cursor.execute(f"SELECT {_META_COLUMNS} FROM {ENTRY}")
    snap._load_all(cursor.fetchall())
    cursor.execute(f"SELECT token FROM {POSTING}")
    snap.tokens = sorted(row[0] for row in cursor.fetchall())
    snap.postings = OrderedDict()


def _catch_up(cursor, snap: Snapshot, version: int) -> bool:
    """Apply the changes after snap.version; False when the log cannot prove them (then reload)."""
    cursor.execute(f"SELECT version, stamp, article_id FROM {LOG} WHERE version >= %s ORDER BY version", [snap.version])
    log = cursor.fetchall()
    if not log or (log[0][0], log[0][1]) != (snap.version, snap.stamp):
        return False  # the version we cached was rolled back, or the log was pruned
    log = [entry for entry in log if entry[0] <= version]
    if len(log) != version - snap.version + 1 or any(entry[2] is None for entry in log[1:]):
        return False
    changed = sorted({entry[2] for entry in log[1:]})
    found = set()
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start : start + CHUNK]
        cursor.execute(
            f"SELECT {_META_COLUMNS} FROM {ENTRY} WHERE article_id IN ({', '.join(['%s'] * len(chunk))})", chunk
        )
        for row in cursor.fetchall():
            article_id, meta = _meta(row)
            snap._set(article_id, meta)
            found.add(article_id)
    for article_id in set(changed) - found:
        snap._set(article_id, None)
    cursor.execute(f"SELECT token FROM {POSTING} WHERE version > %s", [snap.version])
    stale = [row[0] for row in cursor.fetchall()]
    for token in stale:
        snap.postings.pop(token, None)
    snap._add_tokens(stale)
    return True


def postings(snap: Snapshot, tokens: Iterable[str], *, using: str = "default") -> dict[str, tuple[int, int, int]]:
    """Decoded (title, headings, body) bitmaps of `tokens` (those in the index), from the cache or one query."""
    wanted = sorted(set(tokens))
    out, missing = {}, []
    for token in wanted:
        hit = snap.postings.get(token)
        if hit is None:
            missing.append(token)
        else:
            snap.postings.move_to_end(token)
            out[token] = hit
    if missing:
        with connections[using].cursor() as cursor:
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                cursor.execute(
                    f"SELECT token, title, headings, body FROM {POSTING}"
                    f" WHERE token IN ({', '.join(['%s'] * len(chunk))})",
                    chunk,
                )
                for token, title, headings, body in cursor.fetchall():
                    out[token] = snap.postings[token] = (decode(title), decode(headings), decode(body))
        while len(snap.postings) > POSTINGS_CACHED:
            snap.postings.popitem(last=False)
    return out


def next_schedule_change(using: str = "default", now: int | None = None) -> int | None:
    """When (Unix microseconds) an article scheduled in the process's snapshot next appears or expires: until
    then a search's answer cannot change by the clock alone. None when nothing is scheduled."""
    with _lock:
        snap = _snapshots.get(using)
        if snap is None:
            return None
        now = now_micros() if now is None else now
        snap._hidden(now)
        until = snap._hidden_cache[1] if snap._hidden_cache else NEVER
    return None if until >= NEVER else until


def now_micros() -> int:
    return _micros(dt.datetime.now(dt.UTC))


def forget(using: str | None = None) -> None:
    """Drop the process's snapshot(s): the next search reloads (benchmarks measuring a cold process)."""
    with _lock:
        if using is None:
            _snapshots.clear()
        else:
            _snapshots.pop(using, None)
