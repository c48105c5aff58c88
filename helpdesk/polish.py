"""Polish text → search tokens, the same for every database.

A token is a lower-case ASCII word: a lemma from Morfeusz 2 with its diacritics folded away ("hasła" →
"haslo", "Łódź" → "lodz"; `ł` has no Unicode decomposition, so it is mapped by hand), or the folded word
itself when Morfeusz does not know it. Form codes are one token whatever the spelling: "MZ-11", "mz 11" and
"MZ11" are all "mz11". Lemmatising costs ~0.2 ms a word, so results are cached per process.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

_FOLD = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "ß": "ss"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
FORM_CODE = re.compile(r"(?<![\w])mz[\s\-_./]{0,2}(\d{1,3})([a-z]?)(?![\w])", re.IGNORECASE)
MAX_TOKEN = 60

# Words too common to help (dropped from queries and from the index).
STOP_WORDS = frozenset(
    [
        "a",
        "aby",
        "ale",
        "albo",
        "az",
        "bo",
        "by",
        "byc",
        "co",
        "czy",
        "dla",
        "do",
        "go",
        "i",
        "ich",
        "ile",
        "im",
        "ja",
        "jak",
        "jaki",
        "jaka",
        "jakie",
        "jest",
        "jestem",
        "jesli",
        "juz",
        "ktora",
        "ktore",
        "ktory",
        "ku",
        "lub",
        "ma",
        "mam",
        "mi",
        "mnie",
        "moj",
        "moze",
        "mu",
        "na",
        "nam",
        "nas",
        "nic",
        "nie",
        "niz",
        "o",
        "od",
        "oraz",
        "po",
        "pod",
        "przez",
        "przy",
        "sa",
        "sie",
        "sobie",
        "ta",
        "tak",
        "te",
        "tego",
        "tej",
        "ten",
        "to",
        "tu",
        "tym",
        "u",
        "w",
        "we",
        "wiec",
        "z",
        "za",
        "ze",
        "zeby",
        "czemu",
        "mozna",
        "prosze",
        "dzien",
        "dobry",
        "pan",
        "pani",
        "panstwo",
        "uprzejmie",
        "witam",
    ]
)

_local = threading.local()


class _Marks(dict):
    """str.translate's table for fold(): a combining mark (what NFKD splits a letter's diacritics into) → None
    (left out), any other character kept; filled as characters are met, at most the 65,536 of the BMP (others are
    looked up each time). One translate() in C instead of a Python test per character: fold() of a message's
    text took 46 µs, now 28."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if code < 0x10000:
            self[code] = kept
        return kept


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lower case without diacritics: "Łódź" → "lodz"."""
    return unicodedata.normalize("NFKD", text.translate(_FOLD).lower()).translate(_MARKS)


def normalize_form_code(match: re.Match) -> str:
    return f"mz{int(match.group(1)):02d}{match.group(2).lower()}"


def form_token(code: str) -> str:
    """The token of a form code ("MZ-29A" → "mz29a"), or "" when `code` is not one."""
    match = FORM_CODE.fullmatch(code.strip())
    return normalize_form_code(match) if match else ""


def prepare_thread() -> None:
    """Load this thread's analyser now (a web process's request threads, at start: helpdesk.speed.warm)."""
    _morfeusz()


def _morfeusz(generate: bool = False):
    name = "generator" if generate else "analyser"
    instance = getattr(_local, name, None)
    if instance is None:
        import morfeusz2

        instance = morfeusz2.Morfeusz(analyse=not generate, generate=generate, expand_tags=False)
        setattr(_local, name, instance)
    return instance


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> tuple[str, ...]:
    """Folded lemmas Morfeusz gives for `word` (as written, with or without diacritics); () if unknown."""
    found = set()
    for _start, _end, (_form, lemma, tag, *_rest) in _morfeusz().analyse(word):
        if tag == "ign" or tag.startswith("interp") or tag.startswith("dig"):
            continue
        folded = fold(lemma.split(":", 1)[0])
        if folded.isalnum():
            found.add(folded[:MAX_TOKEN])
    return tuple(sorted(found))


@lru_cache(maxsize=50_000)
def forms_of(lemma_with_diacritics: str) -> tuple[str, ...]:
    """Every inflected form of a lemma, folded ("hasło" → "hasla", "hasel", "hasle", …)."""
    try:
        generated = _morfeusz(generate=True).generate(lemma_with_diacritics)
    except RuntimeError:  # not a lemma Morfeusz can generate from
        return ()
    return tuple(sorted({fold(item[0]) for item in generated if fold(item[0]).isalnum()}))


@lru_cache(maxsize=200_000)
def raw_lemmas(word: str) -> tuple[str, ...]:
    """Lemmas of `word` with their diacritics (for the generator)."""
    found = set()
    for _start, _end, (_form, lemma, tag, *_rest) in _morfeusz().analyse(word):
        if tag != "ign" and not tag.startswith("interp"):
            found.add(lemma.split(":", 1)[0].lower())
    return tuple(sorted(found))


def words(text: str) -> list[str]:
    """The words of `text`, with every form code turned into its single token first."""
    text = FORM_CODE.sub(lambda m: " " + normalize_form_code(m) + " ", text or "")
    return _WORD.findall(text)


@lru_cache(maxsize=200_000)
def word_tokens(word: str) -> tuple[str, ...]:
    """Index tokens of one word: its folded lemmas plus the folded word itself."""
    folded = fold(word)[:MAX_TOKEN]
    if folded in STOP_WORDS or not folded:
        return ()
    if folded.isdigit() or FORM_CODE.fullmatch(folded):
        return (folded,)
    return tuple(sorted({folded, *lemmas(word.lower())}))


def tokens(text: str) -> list[str]:
    """Index tokens of a text, in order, several per word where Morfeusz gives several lemmas."""
    out: list[str] = []
    for word in words(text):
        out.extend(word_tokens(word))
    return out


def index_text(text: str) -> str:
    return " ".join(tokens(text))


def vocabulary_pairs(text: str) -> set[tuple[str, str]]:
    """(folded form, folded lemma) for every inflected form of every lemma in `text`."""
    pairs: set[tuple[str, str]] = set()
    for word in set(words(text)):
        lowered = word.lower()
        if fold(lowered) in STOP_WORDS or lowered.isdigit():
            continue
        for raw in raw_lemmas(lowered):
            folded_lemma = fold(raw)[:MAX_TOKEN]
            if not folded_lemma.isalnum():
                continue
            pairs.add((folded_lemma, folded_lemma))
            for form in forms_of(raw):
                if len(form) <= MAX_TOKEN:
                    pairs.add((form, folded_lemma))
    return pairs


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces in front and one behind."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of both words."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0
