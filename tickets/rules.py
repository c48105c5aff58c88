"""Routing rules: which queue, category, priority, tags and assignee a new ticket gets, and why.

`evaluate(facts, rules)` is a plain function over plain values (a `Facts` and compiled rules) so thousands
of cases are cheap to test; `decide(facts)` loads the active rules. Rules are ordered by position; the first
that matches applies its actions and stops, unless it says to continue, in which case later matching rules
may fill in what it left open (a later rule never overrides an earlier rule's queue, category or assignee).

Words match Polish inflection by a light suffix-stripping stemmer over text folded to ASCII: "hasło",
"hasła", "hasłem", "haslo" all reduce to "hasl"; a phrase matches when its words appear consecutively.
It is a deliberate, measured compromise (see tests/test_routing_words.py): vowel alternations such as
"haseł" are not recognised, so rules list such forms explicitly when they matter.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from helpdesk.polish import fold
from tickets.models import RoutingRule

# --- text ----------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
# Inflectional endings, longest first; a stem keeps at least MIN_STEM letters.
_NOUN_ENDINGS = (
    "owaniami owaniach owaniem owania owanie owaniu aniami aniach aniem ania anie aniu eniem enia enie eniu "
    "ami ach ego emu ich imi ymi ych owi iem om ow ej ie ia iu em ym im an en a e i o u y"
)
# verbs: infinitive, past tense, participles ("zalogować", "zalogowałem", "zalogowany")
_VERB_ENDINGS = "owac owalem owalam owali owaly owala owal owany owana owane ac ic yc"
_SUFFIXES = sorted(f"{_NOUN_ENDINGS} {_VERB_ENDINGS}".split(), key=len, reverse=True)
MIN_STEM = 3


@functools.lru_cache(maxsize=65536)  # words repeat from message to message; a pure function
def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def stems(text: str) -> list[str]:
    return [stem(word) for word in _WORD.findall(fold(text or ""))]


def split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", value or "") if part.strip()]


_FORM_CODE = re.compile(r"\bMZ[\s_\-–]?(\d{1,3})([A-Z])?\b", re.IGNORECASE)
_FORM_CODE_EXACT = re.compile(r"^MZ-\d{1,3}[A-Z]?$")


def form_codes(text: str) -> set[str]:
    """Form symbols mentioned in `text`: "mz 88", "MZ-29a", "MZ_11" → {"MZ-88", "MZ-29A", "MZ-11"}."""
    return {f"MZ-{int(num):02d}{(letter or '').upper()}" for num, letter in _FORM_CODE.findall(text or "")}


# --- plain values ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What routing knows about a new ticket."""

    channel: str = ""
    mailbox: str = ""
    sender: str = ""
    unit_voivodeship: str | None = None  # TERYT code of the identified unit, None when unidentified
    category: str = ""  # slug
    subject: str = ""
    body: str = ""
    moment: dt.datetime | None = None


@dataclass(frozen=True)
class CompiledRule:
    pk: int
    name: str
    stop: bool = True
    channel: str = ""
    mailbox: str = ""
    senders: tuple[str, ...] = ()  # full addresses or "@domain"
    unit: str = ""
    voivodeship: str | None = None
    form_codes: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()  # each a sequence of stems
    category: str = ""
    time: str = ""
    schedule: object = None  # business_time.Schedule for the time condition
    # actions
    queue_id: int | None = None
    queue_of_unit_voivodeship: bool = False
    set_category: str = ""
    set_priority: int | None = None
    tags: tuple[str, ...] = ()
    assign_to_id: int | None = None
    auto_assign: bool = False
    reply_subject: str = ""
    reply_body: str = ""


@dataclass
class Decision:
    """The outcome of routing; `steps` say which rule set what (the "why is this ticket here?")."""

    queue_id: int | None = None
    voivodeship_queue_of: str | None = None  # set the queue of this voivodeship (resolved by the caller)
    category: str = ""
    priority: int | None = None
    tags: list[str] = field(default_factory=list)
    assign_to_id: int | None = None
    auto_assign: bool = False
    replies: list[tuple[str, str]] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.steps)


# --- matching -------------------------------------------------------------------------------------------


def _sender_matches(patterns: tuple[str, ...], sender: str) -> bool:
    sender = (sender or "").strip().lower()
    if not sender:
        return False
    domain = sender.rsplit("@", 1)[-1]
    for pattern in patterns:
        if pattern.startswith("@"):
            wanted = pattern[1:]
            if domain == wanted or domain.endswith("." + wanted):
                return True
        elif sender == pattern:
            return True
    return False


def _contains_phrase(text_stems: Sequence[str], phrase: tuple[str, ...]) -> bool:
    """Whether the stems of `phrase` appear consecutively (list.index finds each candidate start)."""
    size, start = len(phrase), 0
    while True:
        try:
            index = text_stems.index(phrase[0], start)
        except ValueError:
            return False
        if tuple(text_stems[index : index + size]) == phrase:
            return True
        start = index + 1


def matches(rule: CompiledRule, facts: Facts, text_stems: Sequence[str], codes: Set[str]) -> bool:
    if rule.channel and rule.channel != facts.channel:
        return False
    if rule.mailbox and rule.mailbox != (facts.mailbox or "").strip().lower():
        return False
    if rule.senders and not _sender_matches(rule.senders, facts.sender):
        return False
    if rule.unit == "identified" and facts.unit_voivodeship is None:
        return False
    if rule.unit == "unidentified" and facts.unit_voivodeship is not None:
        return False
    if rule.voivodeship and rule.voivodeship != facts.unit_voivodeship:
        return False
    if rule.form_codes and not (rule.form_codes & codes):
        return False
    if rule.phrases and not any(_contains_phrase(text_stems, phrase) for phrase in rule.phrases):
        return False
    if rule.category and rule.category != facts.category:
        return False
    if rule.time and rule.schedule is not None and facts.moment is not None:
        is_open = rule.schedule.is_open(facts.moment)
        if (rule.time == "outside") == is_open:
            return False
    return True


def evaluate(
    facts: Facts, rules: list[CompiledRule], *, text_stems: Sequence[str] | None = None, codes: Set[str] | None = None
) -> Decision:
    """The decision of the rules for `facts`; `text_stems` and `codes`: the stems and form codes of its subject
    and body when the caller has them already (tickets.text_facts), else computed here."""
    decision = Decision(category=facts.category)
    if text_stems is None:
        text_stems = stems(f"{facts.subject}\n{facts.body}")
    if codes is None:
        codes = form_codes(f"{facts.subject}\n{facts.body}")
    for rule in rules:
        if not matches(rule, facts, text_stems, codes):
            continue
        step: dict = {"rule": rule.pk, "rule_name": rule.name, "set": []}
        if decision.queue_id is None and decision.voivodeship_queue_of is None:
            if rule.queue_of_unit_voivodeship and facts.unit_voivodeship:
                decision.voivodeship_queue_of = facts.unit_voivodeship
                step["set"].append("queue")
            elif rule.queue_id:
                decision.queue_id = rule.queue_id
                step["set"].append("queue")
        if rule.set_category and decision.category == facts.category:
            decision.category = rule.set_category
            step["set"].append("category")
        if rule.set_priority and decision.priority is None:
            decision.priority = rule.set_priority
            step["set"].append("priority")
        new_tags = [tag for tag in rule.tags if tag not in decision.tags]
        if new_tags:
            decision.tags += new_tags
            step["set"].append("tags")
        if decision.assign_to_id is None and not decision.auto_assign:
            if rule.assign_to_id:
                decision.assign_to_id = rule.assign_to_id
                step["set"].append("assignee")
            elif rule.auto_assign:
                decision.auto_assign = True
                step["set"].append("assignee")
        if rule.reply_body:
            decision.replies.append((rule.reply_subject, rule.reply_body))
            step["set"].append("reply")
        decision.steps.append(step)
        if rule.stop:
            break
    return decision


# --- from the database ----------------------------------------------------------------------------------


def compile_rule(rule) -> CompiledRule:
    return CompiledRule(
        pk=rule.pk,
        name=rule.name,
        stop=rule.stop,
        channel=rule.channel,
        mailbox=rule.mailbox.strip().lower(),
        senders=tuple(part.lower() for part in split_list(rule.senders)),
        unit=rule.unit,
        voivodeship=rule.voivodeship_id,
        form_codes=frozenset(code.upper() for code in split_list(rule.form_codes)),
        phrases=tuple(tuple(stems(phrase)) for phrase in split_list(rule.words) if stems(phrase)),
        category=rule.category.slug if rule.category_id else "",
        time=rule.time,
        schedule=rule.calendar.schedule() if rule.time and rule.calendar_id else None,
        queue_id=rule.set_queue_id,
        queue_of_unit_voivodeship=rule.queue_of_unit_voivodeship,
        set_category=rule.set_category.slug if rule.set_category_id else "",
        set_priority=rule.set_priority,
        tags=tuple(split_list(rule.add_tags)),
        assign_to_id=rule.assign_to_id,
        auto_assign=rule.auto_assign,
        reply_subject=rule.reply_subject,
        reply_body=rule.reply_body,
    )


_compiled: dict[tuple, list[CompiledRule]] = {}


def active_rules() -> list[CompiledRule]:
    """The active rules, compiled. The rows are read every time (so every process sees an edit at once); the
    compiling (stemming the phrases) is reused while the rows, their category and calendar are unchanged."""
    rules = list(
        RoutingRule.objects.filter(is_active=True)
        .select_related("category", "set_category", "calendar")
        .order_by("position", "id")
    )
    key = tuple(
        (
            tuple(getattr(rule, field.attname) for field in rule._meta.concrete_fields),
            rule.category.slug if rule.category_id else "",
            rule.set_category.slug if rule.set_category_id else "",
            tuple(getattr(rule.calendar, f.attname) for f in rule.calendar._meta.concrete_fields)
            if rule.calendar_id
            else (),
        )
        for rule in rules
    )
    if key not in _compiled:
        _compiled.clear()  # one rule set at a time
        _compiled[key] = [compile_rule(rule) for rule in rules]
    return _compiled[key]


def decide(facts: Facts) -> Decision:
    return evaluate(facts, active_rules())


def validate_rule(rule) -> None:
    """Refuse a rule that could never work, with a message naming the field (called by RoutingRule.clean)."""
    errors: dict[str, str] = {}
    for sender in split_list(rule.senders):
        candidate = f"x{sender}" if sender.startswith("@") else sender
        try:
            validate_email(candidate)
        except ValidationError:
            errors["senders"] = _("„%(value)s” nie jest adresem e-mail ani domeną zapisaną jako @domena.") % {
                "value": sender
            }
    for code in split_list(rule.form_codes):
        if not _FORM_CODE_EXACT.match(code.upper()):
            errors["form_codes"] = _("„%(value)s” nie jest symbolem formularza (np. MZ-11, MZ-29A).") % {"value": code}
    for phrase in split_list(rule.words):
        if not stems(phrase):
            errors["words"] = _("„%(value)s” nie zawiera żadnego słowa.") % {"value": phrase}
    if rule.time and not rule.calendar_id:
        errors["calendar"] = _("Warunek czasu wymaga kalendarza pracy.")
    if rule.mailbox:
        try:
            validate_email(rule.mailbox.strip())
        except ValidationError:
            errors["mailbox"] = _("Skrzynka to adres e-mail.")
    if rule.set_queue_id and rule.queue_of_unit_voivodeship:
        errors["queue_of_unit_voivodeship"] = _("Wybierz jedną kolejkę: stałą albo województwa jednostki.")
    if rule.queue_of_unit_voivodeship and rule.unit == "unidentified":
        errors["unit"] = _("Niezidentyfikowana jednostka nie ma województwa: ta reguła nie może zadziałać.")
    if rule.assign_to_id and rule.auto_assign:
        errors["auto_assign"] = _("Wybierz jeden sposób przydziału: osobę albo tryb kolejki.")
    if rule.reply_subject and not rule.reply_body:
        errors["reply_body"] = _("Podaj treść odpowiedzi automatycznej.")
    has_action = any(
        (
            rule.set_queue_id,
            rule.queue_of_unit_voivodeship,
            rule.set_category_id,
            rule.set_priority,
            split_list(rule.add_tags),
            rule.assign_to_id,
            rule.auto_assign,
            rule.reply_body,
        )
    )
    if not has_action:
        errors["__all__"] = _("Reguła nic nie robi: wybierz przynajmniej jedno działanie.")
    if errors:
        raise ValidationError(errors)
