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
from dataclasses import dataclass, field

from django.db import connections
from django.utils import timezone

from helpdesk import access
from helpdesk.models import Role
from knowledge_base import text as kbtext
from knowledge_base.models import Article, TermForm, Visibility

MAX_QUERY = 200
MAX_WORDS = 12
TITLE, HEADINGS, BODY = 3.0, 2.0, 1.0
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
    where = " OR ".join(["form LIKE %s"] * len(inner))
    sql = f"SELECT DISTINCT form FROM knowledge_base_termform WHERE {where}"  # noqa: S608 (placeholders only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"%{t}%" for t in inner])
        forms = [row[0] for row in cursor.fetchall()]
    scored = sorted(((kbtext.similarity(word, f), f) for f in forms), key=lambda p: (-p[0], p[1]))
    return [form for score, form in scored[:TYPO_ALTERNATIVES] if score >= TYPO_THRESHOLD]


# --- matching (the only backend-specific part) -------------------------------------------------------------


def _live_filter(connection, visibilities, language, kinds, alias: str) -> tuple[str, list]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"{alias}.status = 'published' AND {alias}.language = %s"
        f" AND ({alias}.publish_at IS NULL OR {alias}.publish_at <= %s)"
        f" AND ({alias}.expire_at IS NULL OR {alias}.expire_at > %s)"
        f" AND {alias}.visibility IN ({', '.join(['%s'] * len(visibilities))})"
    )
    params = [language, now, now, *visibilities]
    if kinds:
        sql += f" AND {alias}.kind IN ({', '.join(['%s'] * len(kinds))})"
        params += list(kinds)
    return sql, params


def _pg_terms(group: Group, weight: str = "") -> str:
    parts = [f"{t}:{weight}" if weight else t for t in sorted(group.tokens)]
    if group.prefix:
        parts.append(f"{group.prefix}:*{weight}")
    return " | ".join(parts)


def _fts_terms(group: Group) -> str:
    parts = [f'"{t}"' for t in sorted(group.tokens)]
    if group.prefix:
        parts.append(f'"{group.prefix}"*')
    return "(" + " OR ".join(parts) + ")"


_PG_MATCH = (
    "SELECT a.id, a.search_vector @@ to_tsquery('simple', %s), a.search_vector @@ to_tsquery('simple', %s)"
    " FROM knowledge_base_article a WHERE a.search_vector @@ to_tsquery('simple', %s) AND "
)
_FTS_MATCH = "SELECT a.id FROM kb_fts JOIN knowledge_base_article a ON a.id = kb_fts.rowid WHERE kb_fts MATCH %s AND "


def _match(group: Group, *, using: str, live: tuple[str, list]) -> tuple[set[int], set[int], set[int]]:
    """(articles with the group anywhere, in the title, in the headings). `live` holds placeholders only."""
    connection = connections[using]
    where, params = live
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = _PG_MATCH + where
            cursor.execute(sql, [_pg_terms(group, "A"), _pg_terms(group, "B"), _pg_terms(group), *params])
            rows = cursor.fetchall()
            return {r[0] for r in rows}, {r[0] for r in rows if r[1]}, {r[0] for r in rows if r[2]}
        found = []
        for column in ("", "{search_title} : ", "{search_headings} : "):
            sql = _FTS_MATCH + where
            cursor.execute(sql, [column + _fts_terms(group), *params])
            found.append({row[0] for row in cursor.fetchall()})
        return found[0], found[1], found[2]


_COUNT = "SELECT COUNT(*) FROM knowledge_base_article a WHERE "


def _count_live(using: str, live: tuple[str, list]) -> int:
    where, params = live
    with connections[using].cursor() as cursor:
        sql = _COUNT + where
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


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
    live = _live_filter(connection, visibilities_for(user), language, kinds, "a")
    total_docs = max(_count_live(using, live), 1)
    scores: dict[int, float] = defaultdict(float)
    required: set[int] | None = None
    for group in query.groups:
        anywhere, in_title, in_headings = _match(group, using=using, live=live)
        if group.required:
            required = anywhere if required is None else required & anywhere
        if not anywhere:
            continue
        idf = math.log(1 + total_docs / len(anywhere))
        for article_id in anywhere:
            weight = BODY + (TITLE if article_id in in_title else 0) + (HEADINGS if article_id in in_headings else 0)
            scores[article_id] += idf * weight
    if required is not None:
        scores = {k: v for k, v in scores.items() if k in required}
    if query.phrases and scores:
        scores = _with_phrases(scores, query.phrases, using=using)
    ranked = sorted(scores.items(), key=lambda item: (-round(item[1], 9), item[0]))
    total = len(ranked)
    window = ranked[: offset + limit]
    if len(ranked) > len(window) and window:  # articles tied with the last shown one compete for its place
        edge = round(window[-1][1], 9)
        window += [item for item in ranked[len(window) :] if round(item[1], 9) == edge][:500]
    articles = (
        Article.objects.using(using).select_related("category").in_bulk([article_id for article_id, _s in window])
    )
    ordered = sorted(
        window,
        key=lambda item: (
            -round(item[1], 9),
            -round(articles[item[0]].helpfulness, 9),
            -articles[item[0]].updated_at.timestamp(),
            item[0],
        ),
    )[offset : offset + limit]
    hits = [Hit(article=articles[i], score=s, snippet=snippet(articles[i], query)) for i, s in ordered]
    return Results(query=query, hits=hits, total=total)


def _with_phrases(scores: dict[int, float], phrases: list[str], *, using: str) -> dict[int, float]:
    texts = Article.objects.using(using).filter(pk__in=list(scores)).values_list("pk", "title", "body_text")
    keep = set()
    for pk, title, body in texts:
        folded = " " + " ".join(kbtext.fold(w) for w in kbtext.words(f"{title}\n{body}")) + " "
        if all(f" {phrase} " in folded for phrase in phrases):
            keep.add(pk)
    return {k: v for k, v in scores.items() if k in keep}


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
