"""Polish search over the knowledge base, with the same results on PostgreSQL and SQLite.

How a query is answered:
1. The query is cut to `MAX_QUERY` characters and split into words and "quoted phrases"; stop words drop out.
2. Each word becomes a *group* of tokens (knowledge_base.text): its folded lemmas, the folded word, and the lemmas
   whose inflected forms include it (table TermForm, so "hasla" → "haslo"). A word the vocabulary does not know
   is corrected by trigram similarity (pg_trgm's formula) against the vocabulary; the last word of an unfinished
   query is also matched as a prefix ("sprawozd" → "sprawozdanie").
3. The database's full-text index (GIN tsvector on PostgreSQL, FTS5 on SQLite) answers, for each group, which
   live and visible articles contain it in the title, in the headings, or anywhere. Only token sets are asked
   of the database, so both backends see the same matches.
4. Ranking is computed here, identically for both: for every group an article contains, idf × the weight of the
   best field (title 3, headings 2, body 1); ties go to the more helpful, then the fresher article.
5. Snippets come from the article's text, with matched words in <mark>.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.utils import timezone

from helpdesk import access
from helpdesk.models import Role
from knowledge_base import text as kbtext
from knowledge_base.models import Article, TermForm, Visibility

MAX_QUERY = 200
MAX_WORDS = 12
TITLE, HEADINGS, BODY = 3.0, 2.0, 1.0  # summed over the fields a word is in
TYPO_MIN_LENGTH = 4
TYPO_THRESHOLD = 0.4
TYPO_ALTERNATIVES = 3
PREFIX_MIN_LENGTH = 3
SNIPPET_WORDS = 30


def visibilities_for(user) -> list[str]:
    """Anonymous visitors see public articles; regional administrators also staff ones; agents everything."""
    if not access.is_staff_member(user):
        return [Visibility.PUBLIC]
    if user.is_superuser or user.role in (Role.AGENT, Role.ADMIN, Role.KB_EDITOR, Role.SUPERVISOR):
        return [Visibility.PUBLIC, Visibility.STAFF, Visibility.INTERNAL]
    return [Visibility.PUBLIC, Visibility.STAFF]


@dataclass
class Group:
    """The tokens one query word may match; `prefix` tokens match any index token starting with them."""

    word: str
    tokens: set[str] = field(default_factory=set)
    prefix: str = ""
    corrected: list[str] = field(default_factory=list)
    required: bool = False

    def matches(self, token: str) -> bool:
        return token in self.tokens or bool(self.prefix and token.startswith(self.prefix))


@dataclass
class Query:
    raw: str
    groups: list[Group]
    phrases: list[str]

    @property
    def normalized(self) -> str:
        return " ".join(kbtext.fold(w) for w in kbtext.words(self.raw))[:200]

    @property
    def corrections(self) -> dict[str, list[str]]:
        return {g.word: g.corrected for g in self.groups if g.corrected}


@dataclass
class Hit:
    article: Article
    score: float
    snippet: str


@dataclass
class Results:
    query: Query
    hits: list[Hit]
    total: int


# --- parsing ---------------------------------------------------------------------------------------------


def parse(raw: str, *, using: str = "default") -> Query:
    raw = (raw or "")[:MAX_QUERY]
    phrases = [" ".join(kbtext.fold(w) for w in kbtext.words(p)) for p in re.findall(r'"([^"]+)"', raw)]
    phrases = [p for p in phrases if p]
    unquoted = re.sub(r'"[^"]*"?', " ", raw)
    groups: list[Group] = []
    seen: set[str] = set()
    for word in kbtext.words(" ".join(re.findall(r'"([^"]+)"', raw))):
        _add_group(groups, seen, word, required=True)
    loose = kbtext.words(unquoted)
    for word in loose:
        _add_group(groups, seen, word, required=False)
    groups = groups[:MAX_WORDS]
    unfinished = bool(loose) and not raw.rstrip('"').endswith((" ", "\t", "\n")) and not raw.endswith('"')
    _resolve(groups, last_loose=kbtext.fold(loose[-1]) if loose and unfinished else "", using=using)
    return Query(raw=raw, groups=[g for g in groups if g.tokens or g.prefix], phrases=phrases)


def _add_group(groups: list[Group], seen: set[str], word: str, *, required: bool) -> None:
    folded = kbtext.fold(word)[: kbtext.MAX_TOKEN]
    if not folded or folded in kbtext.STOP_WORDS or (len(folded) < 2 and not folded.isdigit()):
        return
    if folded in seen:
        return
    seen.add(folded)
    groups.append(Group(word=word, tokens=set(kbtext.word_tokens(word)), required=required))


def _resolve(groups: list[Group], *, last_loose: str, using: str) -> None:
    """Add lemmas known for forms typed without diacritics; correct unknown words; mark the prefix word."""
    if not groups:
        return
    asked = {kbtext.fold(g.word) for g in groups} | {t for g in groups for t in g.tokens}
    known: dict[str, set[str]] = defaultdict(set)
    for form, lemma in TermForm.objects.using(using).filter(form__in=sorted(asked)).values_list("form", "lemma"):
        known[form].add(lemma)
    for group in groups:
        folded = kbtext.fold(group.word)
        group.tokens |= known.get(folded, set())
        for token in list(group.tokens):
            group.tokens |= known.get(token, set())
        in_vocabulary = any(token in known for token in group.tokens)
        is_code = kbtext.FORM_CODE.fullmatch(folded) is not None or folded.isdigit()
        if folded == last_loose and len(folded) >= PREFIX_MIN_LENGTH and not kbtext.lemmas(group.word.lower()):
            group.prefix = folded
        if not in_vocabulary and not is_code and len(folded) >= TYPO_MIN_LENGTH:
            group.corrected = _closest_terms(folded, using=using)
            for term in group.corrected:
                group.tokens |= known_lemmas(term, using=using)


def known_lemmas(form: str, *, using: str) -> set[str]:
    return set(TermForm.objects.using(using).filter(form=form).values_list("lemma", flat=True))


def _closest_terms(word: str, *, using: str) -> list[str]:
    """Vocabulary forms most similar to `word` (pg_trgm similarity ≥ TYPO_THRESHOLD), best first."""
    inner = sorted({word[i : i + 3] for i in range(len(word) - 2)})
    if not inner:
        return []
    connection = connections[using]
    where = " OR ".join(["lower(form) LIKE %s"] * len(inner))  # lower(): the trigram index (forms are lower case)
    sql = f"SELECT DISTINCT form FROM knowledge_base_termform WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"%{t}%" for t in inner])
        forms = [row[0] for row in cursor.fetchall()]
    scored = sorted(((kbtext.similarity(word, f), f) for f in forms), key=lambda p: (-p[0], p[1]))
    return [form for score, form in scored[:TYPO_ALTERNATIVES] if score >= TYPO_THRESHOLD]


# --- matching and ranking in the database ------------------------------------------------------------------
#
# One statement ranks the live, visible articles that contain any query word, reading only the narrow
# SearchEntry table (alias `e`). Each word's membership per field is an `IN (full-text subquery)`; the only
# backend-specific text is that subquery (GIN tsvector on PostgreSQL, FTS5 on SQLite), and every number is cast
# to double precision, so both backends compute the same sums in the same order and sort the same way.

ENTRY = "knowledge_base_searchentry"


def _live_filter(connection, visibilities, language, kinds) -> tuple[str, list]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        "e.status = 'published' AND e.language = %s"
        " AND (e.publish_at IS NULL OR e.publish_at <= %s)"
        " AND (e.expire_at IS NULL OR e.expire_at > %s)"
        f" AND e.visibility IN ({', '.join(['%s'] * len(visibilities))})"
    )
    params = [language, now, now, *visibilities]
    if kinds:
        sql += f" AND e.kind IN ({', '.join(['%s'] * len(kinds))})"
        params += list(kinds)
    return sql, params


def _pg_terms(groups: list[Group]) -> str:
    parts = []
    for group in groups:
        parts += sorted(group.tokens)
        if group.prefix:
            parts.append(f"{group.prefix}:*")
    return " | ".join(parts)


def _fts_terms(groups: list[Group]) -> str:
    parts = []
    for group in groups:
        parts += [f'"{t}"' for t in sorted(group.tokens)]
        if group.prefix:
            parts.append(f'"{group.prefix}"*')
    return "(" + " OR ".join(parts) + ")"


FIELDS = ("title", "headings", "body")


def _member(vendor: str, groups: list[Group], field: str = "") -> tuple[str, list]:
    """SQL that is true when entry `e` contains any of `groups` in `field` (or in any field), and its parameters."""
    if vendor == "postgresql":
        # Always through a subquery the GIN indexes answer: testing `@@` row by row would de-toast every body.
        terms = _pg_terms(groups)
        names = [field] if field else list(FIELDS)
        vectors = " OR ".join(f"b.{name}_v @@ to_tsquery('simple', %s)" for name in names)
        return f"e.article_id IN (SELECT b.article_id FROM {ENTRY} b WHERE {vectors})", [terms] * len(names)
    column = f"{{{field}}} : " if field else ""
    return "e.article_id IN (SELECT rowid FROM kb_fts WHERE kb_fts MATCH %s)", [column + _fts_terms(groups)]


def _frequencies(connection, groups: list[Group], live: tuple[str, list]) -> tuple[int, list[int]]:
    """The number of live articles, and of those containing each group, in one round trip."""
    where, params = live
    parts, values = [f"(SELECT COUNT(*) FROM {ENTRY} e WHERE {where})"], list(params)
    for group in groups:
        member, member_params = _member(connection.vendor, [group])
        parts.append(f"(SELECT COUNT(*) FROM {ENTRY} e WHERE {where} AND {member})")
        values += params + member_params
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), values)
        row = cursor.fetchone()
    return row[0], list(row[1:])


WEIGHTS = (("title", TITLE), ("headings", HEADINGS), ("body", BODY))


def _ranked(connection, groups, idfs, live, *, limit: int | None, offset: int) -> list[tuple[int, float, int]]:
    """(article id, score, total matches) best first; `limit` None for all."""
    vendor = connection.vendor
    where, where_params = live
    terms, score_params = [], []
    for group, idf in zip(groups, idfs, strict=True):
        for name, weight in WEIGHTS:
            member, member_params = _member(vendor, [group], name)
            terms.append(f"CASE WHEN {member} THEN CAST(%s AS DOUBLE PRECISION) ELSE 0 END")
            score_params += [*member_params, idf * weight]
    anything, anything_params = _member(vendor, groups)
    required, required_params = "", []
    for group in groups:
        if group.required:
            member, member_params = _member(vendor, [group])
            required += f" AND {member}"
            required_params += member_params
    helpfulness = "CAST(e.helpful_yes + 1 AS DOUBLE PRECISION) / (e.helpful_yes + e.helpful_no + 2)"
    sql = (
        f"SELECT e.article_id, ({' + '.join(terms)}) AS score, COUNT(*) OVER ()"
        f" FROM {ENTRY} e WHERE {where} AND {anything}{required}"
        f" ORDER BY score DESC, {helpfulness} DESC, e.updated_at DESC, e.article_id"
    )
    params = [*score_params, *where_params, *anything_params, *required_params]
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def _planned(connection):
    """On PostgreSQL, make the planner use the GIN indexes: for a common word it would rather scan the table and
    test `@@` row by row, which de-toasts every body vector (measured: 117 ms instead of 19 ms at 20,000 articles).
    JIT compilation costs more than these short statements gain. Both settings end with the transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # workers would each rebuild every subplan
        yield


# --- the search --------------------------------------------------------------------------------------------


def search(
    raw: str,
    *,
    user=None,
    language: str = "pl",
    kinds: list[str] | None = None,
    limit: int = 10,
    offset: int = 0,
    using: str = "default",
) -> Results:
    query = parse(raw, using=using)
    if not query.groups:
        return Results(query=query, hits=[], total=0)
    connection = connections[using]
    live = _live_filter(connection, visibilities_for(user), language, kinds)
    with _planned(connection):
        total_docs, frequencies = _frequencies(connection, query.groups, live)
    if any(group.required and not df for group, df in zip(query.groups, frequencies, strict=True)):
        return Results(query=query, hits=[], total=0)
    kept = [(g, df) for g, df in zip(query.groups, frequencies, strict=True) if df]
    if not kept:
        return Results(query=query, hits=[], total=0)
    groups = [g for g, _df in kept]
    idfs = [math.log(1 + max(total_docs, 1) / df) for _g, df in kept]
    with _planned(connection):
        if query.phrases:  # narrowed by the required words; the phrase itself is checked on the text
            rows = _ranked(connection, groups, idfs, live, limit=None, offset=0)
            rows = _with_phrases(rows, query.phrases, using=using)
            total, rows = len(rows), rows[offset : offset + limit]
        else:
            rows = _ranked(connection, groups, idfs, live, limit=limit, offset=offset)
            total = rows[0][2] if rows else 0
    articles = Article.objects.using(using).select_related("category").in_bulk([row[0] for row in rows])
    hits = [Hit(article=articles[row[0]], score=row[1], snippet=snippet(articles[row[0]], query)) for row in rows]
    return Results(query=query, hits=hits, total=total)


def _with_phrases(rows: list, phrases: list[str], *, using: str) -> list:
    texts = Article.objects.using(using).filter(pk__in=[row[0] for row in rows]).values_list("pk", "title", "body_text")
    keep = set()
    for pk, title, body in texts:
        folded = " " + " ".join(kbtext.fold(w) for w in kbtext.words(f"{title}\n{body}")) + " "
        if all(f" {phrase} " in folded for phrase in phrases):
            keep.add(pk)
    return [row for row in rows if row[0] in keep]


# --- snippets ----------------------------------------------------------------------------------------------

_SPLIT = re.compile(r"([^\W_]+)", re.UNICODE)


def _word_matches(word: str, query: Query) -> bool:
    candidates = set(kbtext.word_tokens(word))
    return any(group.matches(token) for group in query.groups for token in candidates)


def highlight(text: str, query: Query) -> str:
    parts = _SPLIT.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2 and _word_matches(part, query):
            out.append(f"<mark>{html.escape(part)}</mark>")
        else:
            out.append(html.escape(part))
    return "".join(out)


def snippet(article: Article, query: Query) -> str:
    """About SNIPPET_WORDS words of the article around its first match, escaped, matches in <mark>."""
    source = " ".join((article.body_text or article.summary or "").split())
    if not source:
        return ""
    parts = _SPLIT.split(source)
    word_positions = [i for i in range(1, len(parts), 2)]
    first = next((n for n, i in enumerate(word_positions) if _word_matches(parts[i], query)), 0)
    start_word = max(0, first - 8)
    end_word = min(len(word_positions), start_word + SNIPPET_WORDS)
    start = word_positions[start_word] if word_positions else 0
    end = word_positions[end_word - 1] + 2 if word_positions else len(parts)
    text = "".join(parts[start:end]).strip()
    prefix = "… " if start_word > 0 else ""
    suffix = " …" if end_word < len(word_positions) else ""
    return prefix + highlight(text, query) + suffix
