"""Who is writing: the reporting unit and person behind a sender address, a number in the text, a phone.

`find_numbers(text)` is a plain function (no database): it finds REGON, NIP and RPWDL numbers as people write
them ("REGON: 123-456-785", "nip 526 000 12 46", "nr księgi 000000012345") and keeps only those that pass
their checksum, so a phone number is not taken for a REGON. A bare 9-digit number is never read as a REGON
(it is as likely to be a phone number); a bare 14-digit REGON or a dashed NIP is, after its checksum.

`identify(...)` then asks the directory, strongest evidence first:
1. numbers written in the subject or body (they name the unit the question is about),
2. the sender's address or the caller's phone number of a known person (their units),
3. the unit's e-mail domain (not for public mail providers).
One unit: identified. Several: the candidates are kept for the agent to choose. None: unidentified.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from contacts import identifiers, mail_domains
from contacts.models import Person, PersonEmail, ReportingUnit, UnitMembership

# Each pattern opens with a look-ahead at the character its matches start with (as the rest of the pattern says:
# it changes no match), which lets the regular-expression engine skip to the candidates instead of trying the
# whole pattern at every position: find_numbers() of a message's text took 50 µs, now 16 (a new ticket's text, in
# the parsing workers or the ingesting process).
_KEYWORD_NUMBER = re.compile(
    r"(?=[rnk])(?P<kw>regon|nip|rpwdl|ksi[eę]g[iaą]?\s+rejestrow\w*|nr\s+ksi[eę]gi)\W{0,12}?(?:nr\.?\s*|numer\s*)?"
    r"(?P<num>(?:PL)?\d(?:[\s\-.]?\d){3,15})",
    re.IGNORECASE,
)
_BARE_REGON14 = re.compile(r"(?=\d)(?<![\d\-])\d{14}(?![\d\-])")
_BARE_NIP = re.compile(r"(?=\d)(?<![\d\-])(\d{3}-\d{3}-\d{2}-\d{2}|\d{3}-\d{2}-\d{2}-\d{3})(?![\d\-])")


@dataclass(frozen=True)
class Numbers:
    regons: tuple[str, ...] = ()
    nips: tuple[str, ...] = ()
    rpwdls: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()  # numbers named as an identifier that failed their checksum

    def __bool__(self) -> bool:
        return bool(self.regons or self.nips or self.rpwdls)


def _add(found: list[str], value: str) -> None:
    if value not in found:
        found.append(value)


def find_numbers(text: str) -> Numbers:
    regons: list[str] = []
    nips: list[str] = []
    rpwdls: list[str] = []
    rejected: list[str] = []
    for match in _KEYWORD_NUMBER.finditer(text or ""):
        keyword, number = match["kw"].lower(), match["num"]
        try:
            if keyword == "regon":
                _add(regons, identifiers.normalize_regon(number))
            elif keyword == "nip":
                _add(nips, identifiers.normalize_nip(number))
            else:
                _add(rpwdls, identifiers.normalize_rpwdl(number))
        except ValidationError:
            _add(rejected, number.strip())
    for number in _BARE_REGON14.findall(text or ""):
        with contextlib.suppress(ValidationError):
            _add(regons, identifiers.normalize_regon(number))
    for number in _BARE_NIP.findall(text or ""):
        with contextlib.suppress(ValidationError):
            _add(nips, identifiers.normalize_nip(number))
    return Numbers(tuple(regons), tuple(nips), tuple(rpwdls), tuple(rejected))


@dataclass
class Identification:
    unit: ReportingUnit | None = None
    person: Person | None = None
    candidates: list[ReportingUnit] = field(default_factory=list)  # when several are possible
    method: str = ""  # "number", "sender", "phone", "domain" or ""
    numbers: Numbers = field(default_factory=Numbers)

    @property
    def state(self) -> str:
        if self.unit is not None:
            return "identified"
        return "ambiguous" if self.candidates else "unidentified"


def _units_by_numbers(numbers: Numbers) -> list:
    from django.db.models import Q

    query = Q()
    if numbers.regons:
        # a 14-digit local-unit REGON also names its parent entity's 9 digits
        query |= Q(regon__in=numbers.regons) | Q(regon__in=[regon[:9] for regon in numbers.regons if len(regon) == 14])
    if numbers.nips:
        query |= Q(nip__in=numbers.nips)
    if numbers.rpwdls:
        query |= Q(rpwdl__in=numbers.rpwdls)
    units = list(ReportingUnit.objects.filter(query, is_active=True).select_related("voivodeship").order_by("pk"))
    exact = [unit for unit in units if unit.regon in numbers.regons]
    return exact or units


def _person_by_email(email: str):
    return Person.objects.filter(emails__email__iexact=email).order_by("pk").first() if email else None


def _person_by_phone(phone: str):
    if not phone:
        return None
    try:
        number = identifiers.normalize_phone(phone)
    except ValidationError:
        return None
    return Person.objects.filter(phones__number=number).order_by("pk").first()


def _active_units(person) -> list:
    return list(person.units.filter(is_active=True).select_related("voivodeship").order_by("pk"))


def identify(
    *, sender_email: str = "", text: str = "", phone: str = "", numbers: Numbers | None = None
) -> Identification:
    """`numbers`: find_numbers(text) when the caller has it already (tickets.text_facts)."""
    sender_email = (sender_email or "").strip().lower()
    numbers = find_numbers(text) if numbers is None else numbers
    person = _person_by_email(sender_email)
    method = "sender" if person else ""
    if person is None:
        person = _person_by_phone(phone)
        method = "phone" if person else ""
    result = Identification(person=person, numbers=numbers)
    if numbers:
        units = _units_by_numbers(numbers)
        if units:
            return _settle(result, units, "number")
    if person is not None:
        units = _active_units(person)
        if units:
            return _settle(result, units, method)
    domain = mail_domains.domain_of(sender_email)
    if domain and not mail_domains.is_public(domain):
        units = list(
            ReportingUnit.objects.filter(email_domain__iexact=domain, is_active=True)
            .select_related("voivodeship")
            .order_by("pk")[:20]
        )
        if units:
            return _settle(result, units, "domain")
    return result


def _settle(result: Identification, units: list, method: str) -> Identification:
    result.method = method
    if len(units) == 1:
        result.unit = units[0]
    else:
        result.candidates = units
    return result


def identify_many(items: list[tuple[str, str | Numbers]]) -> list[Identification]:
    """identify(sender_email=…, text=…) for many (sender, text) pairs with three queries in all (people by
    address, units by the numbers written, units by e-mail domain) plus one for the people's units: the same
    answers as calling identify() for each (tests/test_batched_ingestion.py). No phone numbers here. In place
    of a text, its find_numbers() when the caller has it already (tickets.text_facts)."""
    from django.db.models import Q
    from django.db.models.functions import Upper

    senders = [(sender or "").strip().lower() for sender, _text in items]
    numbers = [text if isinstance(text, Numbers) else find_numbers(text) for _sender, text in items]
    people = {}
    wanted = {sender.upper() for sender in senders if sender}
    if wanted:
        rows = (
            PersonEmail.objects.annotate(upper=Upper("email"))
            .filter(upper__in=wanted)
            .select_related("person")
            .order_by("person_id")
        )
        for row in rows:
            people.setdefault(row.upper, row.person)
    regons = {regon for found in numbers for regon in found.regons}
    nips = {nip for found in numbers for nip in found.nips}
    rpwdls = {rpwdl for found in numbers for rpwdl in found.rpwdls}
    by_number: list = []
    if regons or nips or rpwdls:
        query = Q(regon__in=regons) | Q(regon__in={regon[:9] for regon in regons if len(regon) == 14})
        query |= Q(nip__in=nips) | Q(rpwdl__in=rpwdls)
        units = ReportingUnit.objects.filter(query, is_active=True).select_related("voivodeship")
        by_number = list(units.order_by("pk"))
    units_of: dict[int, list] = {}
    person_ids = {person.pk for person in people.values()}
    if person_ids:
        memberships = (
            UnitMembership.objects.filter(person_id__in=person_ids, unit__is_active=True)
            .select_related("unit__voivodeship")
            .order_by("unit_id")
        )
        for membership in memberships:
            units_of.setdefault(membership.person_id, []).append(membership.unit)
    domains = set()
    for sender in senders:
        domain = mail_domains.domain_of(sender)
        if domain and not mail_domains.is_public(domain):
            domains.add(domain.upper())
    by_domain: dict[str, list] = {}
    if domains:
        rows = (
            ReportingUnit.objects.annotate(upper=Upper("email_domain"))
            .filter(upper__in=domains, is_active=True)
            .select_related("voivodeship")
            .order_by("pk")
        )
        for unit in rows:
            by_domain.setdefault(unit.upper, []).append(unit)
    results = []
    for sender, found in zip(senders, numbers, strict=True):
        person = people.get(sender.upper()) if sender else None
        result = Identification(person=person, numbers=found, method="sender" if person else "")
        if found:
            nine = {regon[:9] for regon in found.regons if len(regon) == 14}
            units = [
                unit
                for unit in by_number
                if unit.regon in found.regons
                or unit.regon in nine
                or unit.nip in found.nips
                or unit.rpwdl in found.rpwdls
            ]
            exact = [unit for unit in units if unit.regon in found.regons]
            if exact or units:
                results.append(_settle(result, exact or units, "number"))
                continue
        if person is not None and units_of.get(person.pk):
            results.append(_settle(result, units_of[person.pk], "sender"))
            continue
        domain = mail_domains.domain_of(sender)
        if domain and not mail_domains.is_public(domain) and by_domain.get(domain.upper()):
            results.append(_settle(result, by_domain[domain.upper()][:20], "domain"))
            continue
        results.append(result)
    return results
