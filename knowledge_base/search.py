"""Polish search over the knowledge base, with the same results on PostgreSQL and SQLite.

How a query is answered:
1. The query is cut to `MAX_QUERY` characters and split into words and "quoted phrases"; stop words drop out.
2. Each word becomes a *group* of tokens (helpdesk.polish): its folded lemmas, the folded word, and the lemmas
   whose inflected forms include it (table TermForm, so "hasla" → "haslo"). A word no article the caller may
   read contains is corrected by trigram similarity (pg_trgm's formula) against the vocabulary, keeping only
   words of articles the caller may read (published, live, visible to them, in the language searched); the last
   word of an unfinished query is also matched as a prefix ("sprawozd" → "sprawozdanie").
3. The postings (knowledge_base.postings: per token, bitmaps of the articles with it in the title, the headings,
   the body; stored in the database, kept by knowledge_base.actions, cached per process by index version) give,
   for each group, the live and visible articles containing it per field. Both databases store the same
   postings, so both see the same matches (no database full-text index: the GIN tsvector and FTS5 ones went
   with migration 0006).
4. Ranking, in Python: for every group an article contains, idf × the weight of each field it is in (title 3,
   headings 2, body 1); ties go to the more helpful, then the fresher article, then the lower id. Only the top
   k are ranked exactly (see _top); the number of results is a popcount.
5. Snippets come from the article's text, with matched words in <mark>.
"""

from __future__ import annotations

import heapq
import html
import math
import re
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connections

from helpdesk import access, polish, public_cache
from helpdesk.models import Role
from knowledge_base import postings
from knowledge_base.models import Article, TermForm, Visibility

T = TypeVar("T")

MAX_QUERY = 200
MAX_WORDS = 12
TITLE, HEADINGS, BODY = 3.0, 2.0, 1.0  # summed over the fields a word is in
TYPO_MIN_LENGTH = 4
TYPO_THRESHOLD = 0.4
TYPO_ALTERNATIVES = 3
TYPO_CANDIDATES = 50  # vocabulary forms weighed for one word, before keeping the readable ones
PREFIX_MIN_LENGTH = 3
SNIPPET_WORDS = 30


def visibilities_for(user) -> list[str]:
    """Anonymous visitors see public articles; regional administrators also staff ones; agents everything."""
    if not access.is_staff_member(user):
        return [Visibility.PUBLIC]
    if user.is_superuser or user.role in (Role.AGENT, Role.ADMIN, Role.KB_EDITOR, Role.SUPERVISOR):
        return [Visibility.PUBLIC, Visibility.STAFF, Visibility.INTERNAL]
    return [Visibility.PUBLIC, Visibility.STAFF]


Readable = Callable[[list[set[str]]], list[bool]]  # per token set: does an article the caller may read have one?


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
    matched: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)  # word → highlighted?

    @property
    def normalized(self) -> str:
        return " ".join(polish.fold(w) for w in polish.words(self.raw))[:200]

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


def parse(raw: str, *, readable: Readable | None = None, using: str = "default", cache: dict | None = None) -> Query:
    """The query's word groups. `cache` keeps vocabulary look-ups and typo corrections; it must be dropped
    whenever the vocabulary changes (knowledge_base.postings keeps one per index version). `readable` tells, for
    sets of tokens, whether an article the caller may read contains any of them: corrections come only from
    those, so that the words of drafts, archived, internal or other-language articles never show (default: what
    an anonymous visitor may read in Polish)."""
    if readable is None:
        with postings.lock():
            snap = postings.snapshot(using)
            readable = readable_for(snap, [Visibility.PUBLIC], "pl", using=using)
    raw = (raw or "")[:MAX_QUERY]
    phrases = [" ".join(polish.fold(w) for w in polish.words(p)) for p in re.findall(r'"([^"]+)"', raw)]
    phrases = [p for p in phrases if p]
    unquoted = re.sub(r'"[^"]*"?', " ", raw)
    groups: list[Group] = []
    seen: set[str] = set()
    for word in polish.words(" ".join(re.findall(r'"([^"]+)"', raw))):
        _add_group(groups, seen, word, required=True)
    loose = polish.words(unquoted)
    for word in loose:
        _add_group(groups, seen, word, required=False)
    groups = groups[:MAX_WORDS]
    unfinished = bool(loose) and not raw.rstrip('"').endswith((" ", "\t", "\n")) and not raw.endswith('"')
    last_loose = polish.fold(loose[-1]) if loose and unfinished else ""
    _resolve(groups, last_loose=last_loose, readable=readable, using=using, cache=cache)
    return Query(raw=raw, groups=[g for g in groups if g.tokens or g.prefix], phrases=phrases)


def _add_group(groups: list[Group], seen: set[str], word: str, *, required: bool) -> None:
    folded = polish.fold(word)[: polish.MAX_TOKEN]
    if not folded or folded in polish.STOP_WORDS or (len(folded) < 2 and not folded.isdigit()):
        return
    if folded in seen:
        return
    seen.add(folded)
    groups.append(Group(word=word, tokens=set(polish.word_tokens(word)), required=required))


def _known_forms(forms, *, using: str, cache: dict) -> None:
    """Fill cache[("form", form)] with the lemmas the vocabulary gives each of `forms` (one query)."""
    missing = sorted({form for form in forms if ("form", form) not in cache})
    if missing:
        looked_up: dict[str, set[str]] = defaultdict(set)
        for start in range(0, len(missing), 500):
            rows = TermForm.objects.using(using).filter(form__in=missing[start : start + 500])
            for form, lemma in rows.values_list("form", "lemma"):
                looked_up[form].add(lemma)
        for form in missing:
            cache["form", form] = frozenset(looked_up.get(form, ()))


def _resolve(groups: list[Group], *, last_loose: str, readable: Readable, using: str, cache: dict | None = None):
    """Add lemmas known for forms typed without diacritics; correct words no readable article has; mark the
    prefix word."""
    if not groups:
        return
    cache = {} if cache is None else cache
    asked = {polish.fold(g.word) for g in groups} | {t for g in groups for t in g.tokens}
    _known_forms(asked, using=using, cache=cache)
    known = {form: cache["form", form] for form in asked if cache["form", form]}
    for group in groups:
        folded = polish.fold(group.word)
        group.tokens |= known.get(folded, set())
        for token in list(group.tokens):
            group.tokens |= known.get(token, set())
    # A word is "known" only when an article the caller may read has it: a word of a hidden article is treated
    # like any unknown word (no oracle telling that it exists).
    in_readable = readable([group.tokens for group in groups])
    for group, in_vocabulary in zip(groups, in_readable, strict=True):
        folded = polish.fold(group.word)
        is_code = polish.FORM_CODE.fullmatch(folded) is not None or folded.isdigit()
        if folded == last_loose and len(folded) >= PREFIX_MIN_LENGTH and not polish.lemmas(group.word.lower()):
            group.prefix = folded
        if not in_vocabulary and not is_code and len(folded) >= TYPO_MIN_LENGTH:
            candidates = cache.get(("typo", folded))
            if candidates is None:
                candidates = cache["typo", folded] = tuple(_closest_terms(folded, using=using))
            _known_forms(candidates, using=using, cache=cache)
            lemmas = [cache["form", term] for term in candidates]
            allowed = readable([{term, *term_lemmas} for term, term_lemmas in zip(candidates, lemmas, strict=True)])
            for term, term_lemmas, ok in zip(candidates, lemmas, allowed, strict=True):
                if ok and len(group.corrected) < TYPO_ALTERNATIVES:
                    group.corrected.append(term)
                    group.tokens |= term_lemmas


def _closest_terms(word: str, *, using: str) -> list[str]:
    """Vocabulary forms most similar to `word` (pg_trgm similarity ≥ TYPO_THRESHOLD), best first; the caller
    keeps the first TYPO_ALTERNATIVES of them that it may read."""
    inner = sorted({word[i : i + 3] for i in range(len(word) - 2)})
    if not inner:
        return []
    connection = connections[using]
    # Forms are stored lower case (text.fold), so `form LIKE` finds what `lower(form) LIKE` would; measured on
    # PostgreSQL at 15,000 forms the planner scans the table either way, and lower() per row made it 5× slower.
    where = " OR ".join(["form LIKE %s"] * len(inner))
    sql = f"SELECT DISTINCT form FROM knowledge_base_termform WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"%{t}%" for t in inner])
        forms = [row[0] for row in cursor.fetchall()]
    scored = sorted(((polish.similarity(word, f), f) for f in forms), key=lambda p: (-p[0], p[1]))
    return [form for score, form in scored[:TYPO_CANDIDATES] if score >= TYPO_THRESHOLD]


# --- matching and ranking over the postings --------------------------------------------------------------------
#
# Every query word (group) becomes three bitmaps over article ids (title, headings, body: the OR of its tokens'
# postings, knowledge_base.postings) restricted to the live and visible articles. Document frequencies and the
# number of results are popcounts. The score of an article is, summed in query order, idf × the weight of each
# field (title 3, headings 2, body 1) that contains the word; the best `k` are found without scoring every
# match: the candidates are split, word by word (rarest first), into classes by which fields contain the word;
# a class's score is bounded by its exact part plus the best fields still possible, and the most promising class
# is split first, so only classes that can reach the top k are ever split (exact, not approximate). Equal scores
# are ordered by helpfulness, then freshness, then article id.

WEIGHTS = (TITLE, HEADINGS, BODY)
_MASK_WEIGHT = [sum(w for bit, w in zip(postings.FIELD_BITS, WEIGHTS, strict=True) if mask & bit) for mask in range(8)]
_EPSILON = 1e-9


@dataclass
class _Word:
    idf: float
    fields: tuple[int, int, int]  # title, headings, body bitmaps of live articles containing the word

    @property
    def any(self) -> int:
        return self.fields[0] | self.fields[1] | self.fields[2]


def _word_bits(snap, group: Group, found: dict, live: int) -> tuple[int, int, int]:
    title = headings = body = 0
    tokens = set(group.tokens)
    if group.prefix:
        tokens.update(snap.with_prefix(group.prefix))
    for token in tokens:
        bits = found.get(token)
        if bits:
            title, headings, body = title | bits[0], headings | bits[1], body | bits[2]
    return title & live, headings & live, body & live


def _score(words: list[_Word], masks: tuple[int, ...]) -> float:
    """The exact score of an article whose word i is in the fields `masks[i]`, summed in query order."""
    score = 0.0
    for word, mask in zip(words, masks, strict=True):
        for bit, weight in zip(postings.FIELD_BITS, WEIGHTS, strict=True):
            if mask & bit:
                score += word.idf * weight
    return score


def _bound(words: list[_Word], todo: list[int], part: int) -> float:
    """The most the words not yet split can add to an article of `part`."""
    extra = 0.0
    for index in todo:
        title, headings, body = words[index].fields
        extra += words[index].idf * (
            (TITLE if part & title else 0) + (HEADINGS if part & headings else 0) + (BODY if part & body else 0)
        )
    return extra


def _split(part: int, fields: tuple[int, int, int]):
    """(mask, sub-part) for each non-empty class of `part` by which of the three fields contain the word."""
    title, headings, body = fields
    for in_title, t_part in ((TITLE_BIT_, part & title), (0, part & ~title)):
        if not t_part:
            continue
        for in_headings, h_part in ((HEADINGS_BIT_, t_part & headings), (0, t_part & ~headings)):
            if not h_part:
                continue
            for in_body, b_part in ((BODY_BIT_, h_part & body), (0, h_part & ~body)):
                if b_part:
                    yield in_title | in_headings | in_body, b_part


TITLE_BIT_, HEADINGS_BIT_, BODY_BIT_ = postings.FIELD_BITS


def _top(words: list[_Word], candidates: int, need: int, order: list[int]) -> list[tuple[int, float]]:
    """The best `need` (article id, score) among `candidates`, best first, exactly as a full sort would give."""
    if not candidates or need <= 0:
        return []
    split_order = sorted(range(len(words)), key=lambda i: (-words[i].idf, i))
    heap: list = []
    counter = 0

    def push(part: int, depth: int, masks: tuple) -> None:
        nonlocal counter
        todo = split_order[depth:]
        if not todo:
            full = [0] * len(words)
            for index, mask in zip(split_order, masks, strict=True):
                full[index] = mask
            key = _score(words, tuple(full))
        else:
            done = sum(words[i].idf * _MASK_WEIGHT[m] for i, m in zip(split_order, masks, strict=False))
            key = (done + _bound(words, todo, part)) * (1 + _EPSILON) + _EPSILON
        counter += 1
        heapq.heappush(heap, (-key, counter, depth, masks, part, not todo))

    push(candidates, 0, ())
    out: list[tuple[int, float]] = []
    while heap and len(out) < need:
        negative, _n, depth, masks, part, leaf = heapq.heappop(heap)
        if not leaf:
            for mask, sub in _split(part, words[split_order[depth]].fields):
                push(sub, depth + 1, (*masks, mask))
            continue
        score, tied = -negative, part
        while heap and -heap[0][0] >= score:  # anything that may still hold this same score
            negative, _n, depth, masks, part, leaf = heapq.heappop(heap)
            if not leaf:
                for mask, sub in _split(part, words[split_order[depth]].fields):
                    push(sub, depth + 1, (*masks, mask))
            elif -negative == score:
                tied |= part
            else:  # cannot happen: scores come out in order; keep it rather than lose it
                heapq.heappush(heap, (negative, _n, depth, masks, part, leaf))
                break
        ids = postings.members(tied)
        rest = need - len(out)
        best = heapq.nsmallest(rest, ids, key=order.__getitem__) if len(ids) > rest else ids
        best.sort(key=order.__getitem__)
        out.extend((article_id, score) for article_id in best)
    return out


# --- the search --------------------------------------------------------------------------------------------


def _rank(snap, query: Query, visibilities, language, kinds, need: int, *, using: str):
    """(number of results, the best `need` (article id, score)) for `query` over the snapshot."""
    live = snap.live(postings.now_micros(), visibilities, language, kinds)
    wanted = set()
    for group in query.groups:
        wanted |= group.tokens
        if group.prefix:
            wanted.update(snap.with_prefix(group.prefix))
    found = postings.postings(snap, wanted, using=using)
    total_docs = live.bit_count()
    words, candidates, required = [], 0, -1
    for group in query.groups:
        bits = _word_bits(snap, group, found, live)
        present = bits[0] | bits[1] | bits[2]
        if group.required:
            if not present:
                return 0, []
            required &= present
        if present:
            words.append(_Word(idf=math.log(1 + max(total_docs, 1) / present.bit_count()), fields=bits))
            candidates |= present
    candidates &= required
    if query.phrases and candidates:  # narrowed by the required words; the phrase itself is checked on the text
        candidates = postings.from_ids(_with_phrases(postings.members(candidates), query.phrases, using=using))
    return candidates.bit_count(), _top(words, candidates, need, snap.order())


def readable_for(snap, visibilities, language: str, *, using: str) -> Readable:
    """For sets of tokens: does a live article of `language` with one of `visibilities` contain any of them?"""
    readable_bits = snap.live(postings.now_micros(), visibilities, language, None)

    def readable(token_sets: list[set[str]]) -> list[bool]:
        found = postings.postings(snap, set().union(*token_sets), using=using) if token_sets else {}
        bits = {token: (t | h | b) & readable_bits for token, (t, h, b) in found.items()}
        return [any(bits.get(token) for token in tokens) for tokens in token_sets]

    return readable


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
    # The connection first, the lock second: with a connection pool, a search holding the lock while it waited
    # for a connection (all taken by requests waiting for the lock) deadlocked the process until the pool's
    # timeout. Whoever holds the lock already has its connection.
    connections[using].ensure_connection()
    visibilities = visibilities_for(user)
    with postings.lock():  # refreshes replace parts of the snapshot: rank while holding it
        snap = postings.snapshot(using)  # first: typo corrections are cached per index version
        readable = readable_for(snap, visibilities, language, using=using)
        query = parse(raw, readable=readable, using=using, cache=snap.vocabulary)
        if not query.groups:
            return Results(query=query, hits=[], total=0)
        total, rows = _rank(snap, query, visibilities, language, kinds, offset + limit, using=using)
        rows = rows[offset:]
    found = Article.objects.using(using).select_related("category").defer("body", "body_html")
    articles = found.in_bulk([row[0] for row in rows])
    hits = [
        Hit(article=articles[pk], score=score, snippet=snippet(articles[pk], query))
        for pk, score in rows
        if pk in articles
    ]
    return Results(query=query, hits=hits, total=total)


def answer(
    raw: str,
    *,
    user=None,
    language: str = "pl",
    kinds: list[str] | None = None,
    limit: int = 10,
    offset: int = 0,
    using: str = "default",
) -> Results:
    """search() as the portal, the API and the contact form's suggestions give it: from the public cache
    (helpdesk.public_cache) when the same question was answered, for a caller who may read the same articles,
    at the index version the database holds now (read on every call: one cheap query; the version moves with
    every change of an article, in its transaction, so an answer never outlives the change). An answer is kept
    no longer than the next scheduled publication or expiry. The hits carry only the article fields the pages
    and the API show (others load on access)."""
    raw = _normalised(raw)
    parts = ("kb-search", sorted(visibilities_for(user)), language, sorted(kinds or []), limit, offset, raw)

    def compute() -> Results:
        results = search(raw, user=user, language=language, kinds=kinds, limit=limit, offset=offset, using=using)
        return _portable(results, using)

    return at_index_version(parts, compute, using=using)


def at_index_version(parts: tuple, compute: Callable[[], T], *, using: str = "default", versions=()) -> T:
    """`compute()`'s answer, from the public cache when it was computed for the same `parts` at the index version
    the database holds now (one cheap query) and no scheduled publication or expiry has come since. `parts` must
    say everything else the answer depends on (who may read what, the language, the question); `versions` names
    further data of helpdesk.public_cache it depends on."""
    state = public_cache.per_request(f"kb-index-state:{using}", lambda: postings.state(using))
    if state is None:  # a flushed database (tests): nothing to key on
        public_cache.not_shared()
        return compute()

    def computed() -> tuple[T, float | None]:
        value = compute()
        with postings.lock():
            postings.snapshot(using, known=state)  # current, for the schedule below (no query when it is)
        until = postings.next_schedule_change(using)
        return value, None if until is None else until / 1e6

    return public_cache.answer((using, *state, *parts), list(versions), computed)


_SPACES = re.compile(r"[ \t\n]+")
PORTABLE_FIELDS = ("id", "title", "slug", "kind", "forms", "language", "summary")


def _normalised(raw: str) -> str:
    """The query as search() reads it, with runs of spaces as one (a trailing one kept: it ends the last word)."""
    return _SPACES.sub(" ", (raw or "")[:MAX_QUERY]).lstrip()


def _portable(results: Results, using: str) -> Results:
    """The results with each article cut to the fields the answers show (a small cache entry; any other field
    loads from the database if read)."""
    for hit in results.hits:
        article = hit.article
        names = [f.attname for f in Article._meta.concrete_fields if f.attname in PORTABLE_FIELDS]  # model order
        hit.article = Article.from_db(using, names, [getattr(article, name) for name in names])
    results.query.matched.clear()  # highlighting's memo
    return results


def _with_phrases(ids: list[int], phrases: list[str], *, using: str) -> list[int]:
    keep = []
    for start in range(0, len(ids), 500):
        texts = Article.objects.using(using).filter(pk__in=ids[start : start + 500])
        for pk, title, body in texts.values_list("pk", "title", "body_text"):
            folded = " " + " ".join(polish.fold(w) for w in polish.words(f"{title}\n{body}")) + " "
            if all(f" {phrase} " in folded for phrase in phrases):
                keep.append(pk)
    return keep


# --- snippets ----------------------------------------------------------------------------------------------

_SPLIT = re.compile(r"([^\W_]+)", re.UNICODE)


def _word_matches(word: str, query: Query) -> bool:
    known = query.matched.get(word)
    if known is None:
        candidates = polish.word_tokens(word)
        known = query.matched[word] = any(group.matches(token) for group in query.groups for token in candidates)
    return known


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
    """About SNIPPET_WORDS words of the article around its first match (from up to 8 words before it), escaped,
    matches in <mark>; "…" where the text goes on. Reads the text only as far as it needs."""
    source = " ".join((article.body_text or article.summary or "").split())
    if not source:
        return ""
    words = _SPLIT.finditer(source)
    window: deque = deque(maxlen=9)  # the first match and the 8 words before it
    seen = 0
    for word in words:
        window.append(word)
        seen += 1
        if _word_matches(word.group(), query):
            break
    else:  # no word matches: the beginning of the text
        words, window, seen = _SPLIT.finditer(source), deque(), 0
    start_word = seen - len(window)
    taken = list(window)
    while len(taken) < SNIPPET_WORDS:
        word = next(words, None)
        if word is None:
            break
        taken.append(word)
    following = next(words, None)
    start = taken[0].start() if taken else 0
    end = following.start() if following else len(source)
    prefix = "… " if start_word > 0 else ""
    suffix = " …" if following else ""
    return prefix + highlight(source[start:end].strip(), query) + suffix
