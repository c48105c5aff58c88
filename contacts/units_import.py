"""Importing reporting units (an extract like the national register's): validation per row, upsert by REGON or
RPWDL register number, contact people by e-mail or phone, the unit's e-mail domain (which identifies mail from
its people: contacts.identify) from a domain column or its e-mail address, never a public provider's. Called by
contacts.imports.import_units inside one transaction, in batches: memory and queries per batch stay constant
whatever the file's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import identifiers, mail_domains, tabular
from contacts.models import (
    Person,
    PersonEmail,
    PersonPhone,
    ReportingUnit,
    UnitKind,
    UnitMembership,
    Voivodeship,
)
from helpdesk import inputs, public_cache
from helpdesk.speed import bulk

COLUMNS = {
    "regon": ("nr regon", "numer regon"),
    "nip": ("nr nip", "numer nip"),
    "rpwdl": ("numer ksiegi", "nr ksiegi", "numer ksiegi rejestrowej", "ksiega rejestrowa", "kod resortowy i"),
    "name": ("nazwa", "nazwa jednostki", "nazwa podmiotu"),
    "kind": ("rodzaj", "typ", "forma", "rodzaj podmiotu"),
    "teryt": ("kod teryt", "teryt gminy", "kod terytorialny"),
    "voivodeship": ("wojewodztwo", "woj"),
    "address": ("adres", "adres siedziby", "ulica"),
    "email": ("e-mail", "adres e-mail", "mail", "poczta"),
    "email_domain": ("domena", "domena e-mail", "domena poczty", "domena jednostki"),
    "phone": ("telefon", "tel", "nr telefonu"),
    "person": ("osoba", "osoba kontaktowa", "imie i nazwisko"),
    "role": ("funkcja", "stanowisko"),
    "active": ("aktywna", "czynna", "status jednostki", "stan jednostki"),
    "closed": ("data zakonczenia", "data zakonczenia dzialalnosci", "data wykreslenia", "zamknieta"),
}
REQUIRED = ("name",)
ONE_OF = (("regon", "rpwdl"), ("teryt", "voivodeship"))
UNIT_FIELDS = ("name", "nip", "rpwdl", "kind", "voivodeship_id", "teryt", "address", "is_active")
ACTIVE_WORDS = {"tak", "t", "1", "true", "yes", "aktywna", "aktywny", "czynna", "czynny", "active"}
NO_DOMAIN_WORDS = {"-", "brak", "nie", "none"}  # in the domain column: the unit has no domain of its own
CLOSED_WORDS = {"nie", "n", "0", "false", "no", "zamknieta", "zamkniety", "wykreslona", "nieaktywna", "closed"}
KIND_WORDS = [  # (word in the register's description, kind); the first match wins
    ("szpital", UnitKind.HOSPITAL),
    ("hospital", UnitKind.HOSPITAL),
    ("indywidualn", UnitKind.INDIVIDUAL_PRACTICE),
    ("individual", UnitKind.INDIVIDUAL_PRACTICE),
    ("grupow", UnitKind.GROUP_PRACTICE),
    ("group", UnitKind.GROUP_PRACTICE),
    ("ambulator", UnitKind.OUTPATIENT),
    ("przychodn", UnitKind.OUTPATIENT),
    ("outpatient", UnitKind.OUTPATIENT),
    ("podmiot", UnitKind.OUTPATIENT),
]


@dataclass
class UnitRow:
    line: int
    key: str  # "regon:…" or "rpwdl:…"
    regon: str | None
    values: dict
    email: str
    phone: str
    person: str
    role: str
    domain: str = ""  # the unit's e-mail domain: from the domain column, else from its e-mail address
    domain_said: bool = False  # written in the domain column (it replaces a known one; "-" clears it)


def _kind(value: str) -> str:
    text = tabular.header_key(value)
    if not text:
        return UnitKind.OUTPATIENT
    if value in UnitKind.values:
        return value
    for word, kind in KIND_WORDS:
        if word in text:
            return kind
    return UnitKind.OTHER


def _domain(said: str, email: str, errors: dict[str, list[str]]) -> tuple[str, bool]:
    """(the unit's e-mail domain, whether the file said it): the domain column wins ("-" or "brak": none),
    else the domain of the unit's e-mail address unless it is a public provider's (mail_domains)."""
    if not said:
        return mail_domains.unit_domain([email]), False
    if said.lower() in NO_DOMAIN_WORDS:
        return "", True
    domain = mail_domains.normalize(said)
    if not mail_domains.is_valid(domain):
        errors["email_domain"] = [_("Nieprawidłowa domena e-mail „%(value)s”.") % {"value": said[:100]}]
    elif mail_domains.is_public(domain):
        errors["email_domain"] = [
            _(
                "Domena „%(value)s” należy do publicznego dostawcy poczty i nie wskazuje jednostki: "
                "zostaw pole puste albo wpisz „-”."
            )
            % {"value": domain}
        ]
    return domain, True


class UnitBatch:
    def __init__(self):
        self.codes = set(Voivodeship.objects.values_list("code", flat=True))
        voivodeships = list(Voivodeship.objects.all())
        self.by_name = {tabular.header_key(v.name): v.code for v in voivodeships}
        self.names = {v.code: v.name for v in voivodeships}
        self.seen: dict[str, int] = {}  # key → line where it first appeared (duplicate rows in one file)
        self.now = timezone.now()

    def _voivodeship(self, teryt: str, name: str) -> tuple[str | None, str, str]:
        """(voivodeship code, 7-digit TERYT code or "", error) from the TERYT column and the voivodeship
        column; a code nobody has, a name nobody has, or the two columns naming different voivodeships is an
        error for the row (code None)."""
        from_teryt, seven = None, ""
        digits = inputs.ascii_digits_in(teryt)
        if digits:
            if len(digits) in (1, 3, 5, 6):  # a spreadsheet dropped the leading zero of "02…"
                digits = "0" + digits
            from_teryt, seven = digits[:2], digits if len(digits) == 7 else ""
        elif teryt:  # a name in the TERYT column
            name, teryt = name or teryt, ""
        from_name = self._voivodeship_named(name) if name else None
        if (teryt and from_teryt not in self.codes) or (name and from_name is None) or not (from_teryt or from_name):
            unknown = _("Nie rozpoznano województwa (TERYT „%(teryt)s”, województwo „%(name)s”).")
            hint = _("Podaj kod TERYT (np. 14) albo nazwę (np. mazowieckie).")
            return None, "", f"{unknown % {'teryt': teryt, 'name': name}} {hint}"
        if from_teryt and from_name and from_teryt != from_name:
            conflict = _("Kod TERYT „%(teryt)s” to województwo %(first)s, a kolumna województwa mówi „%(name)s”.")
            return None, "", conflict % {"teryt": teryt, "first": self.names[from_teryt], "name": name}
        return from_teryt or from_name, seven, ""

    def _voivodeship_named(self, value: str) -> str | None:
        """The code of the voivodeship written as its TERYT code ("14", " 14 ", "2" for "02", "PL-14"), its name
        ("mazowieckie", "Woj. Mazowieckie", "WOJEWÓDZTWO MAZOWIECKIE") or both ("14 – mazowieckie"); None if
        it names none or the code and the name disagree."""
        value = value.removesuffix(".0").strip()
        match = re.fullmatch(r"(?:PL[\s-]?)?(\d{1,2})(?:\s*[-–—:.]?\s*(\D.*))?", value, re.IGNORECASE)
        if match is None:
            return self._voivodeship_by_name(value)
        code = match[1].zfill(2)
        if code not in self.codes:
            return None
        if match[2] and self._voivodeship_by_name(match[2]) != code:
            return None
        return code

    def _voivodeship_by_name(self, value: str) -> str | None:
        key = tabular.header_key(value)
        for prefix in ("wojewodztwo", "woj"):
            if key.startswith(prefix) and key != prefix:
                key = key.removeprefix(prefix)
                break
        return self.by_name.get(key)

    def check(self, line: int, raw: dict) -> tuple[UnitRow | None, dict[str, list[str]]]:
        nul = tabular.nul_problem(raw)
        if nul:
            return None, nul
        errors: dict[str, list[str]] = {}
        text = {key: str(value).strip() if value is not None else "" for key, value in raw.items()}
        regon = rpwdl = nip = None
        if text.get("regon") or isinstance(raw.get("regon"), int | float):
            try:
                regon = identifiers.normalize_regon(identifiers.spreadsheet_regon(raw.get("regon")))
            except ValidationError as exc:
                errors["regon"] = exc.messages
        if text.get("rpwdl"):
            try:
                rpwdl = identifiers.normalize_rpwdl(text["rpwdl"].removesuffix(".0"))
            except ValidationError as exc:
                errors["rpwdl"] = exc.messages
        if text.get("nip"):
            try:
                nip = identifiers.normalize_nip(text["nip"].removesuffix(".0"))
            except ValidationError as exc:
                errors["nip"] = exc.messages
        if not regon and not rpwdl and "regon" not in errors and "rpwdl" not in errors:
            errors["regon"] = [_("Podaj REGON albo numer księgi RPWDL.")]
        name = " ".join(text.get("name", "").split())
        if not name:
            errors["name"] = [_("Brak nazwy jednostki.")]
        code, teryt, problem = self._voivodeship(text.get("teryt", "").removesuffix(".0"), text.get("voivodeship", ""))
        if problem:
            errors["voivodeship"] = [problem]
        email = text.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [_("Nieprawidłowy adres e-mail: %(value)s.") % {"value": email[:100]}]
        domain, domain_said = _domain(text.get("email_domain", ""), email, errors)
        phone = ""
        if text.get("phone"):
            try:
                phone = identifiers.normalize_phone(text["phone"].removesuffix(".0"))
            except ValidationError as exc:
                errors["phone"] = exc.messages
        is_active = ""  # not said by the file: a new unit is active, a known one keeps its state
        state = tabular.header_key(text.get("active", ""))
        if state in ACTIVE_WORDS:
            is_active = True
        elif state in CLOSED_WORDS:
            is_active = False
        elif state:
            errors["active"] = [_("Nie rozpoznano stanu jednostki „%(value)s” (tak/nie).") % {"value": text["active"]}]
        if text.get("closed") and text["closed"].lower() not in ("nie", "-", "brak"):
            is_active = False  # a closing date (or "tak") in the register closes the unit
        if errors:
            return None, errors
        key = f"regon:{regon}" if regon else f"rpwdl:{rpwdl}"
        if key in self.seen:
            return None, {
                "__all__": [
                    _("Ta sama jednostka co w wierszu %(line)s (%(key)s): pominięto powtórzenie.")
                    % {"line": self.seen[key], "key": key.replace(":", " ").upper()}
                ]
            }
        self.seen[key] = line
        values = {
            "name": name[:500],
            "nip": nip or "",
            "rpwdl": rpwdl or "",
            "kind": _kind(text.get("kind", "")),
            "voivodeship_id": code,
            "teryt": teryt,
            "address": " ".join(text.get("address", "").split())[:500],
            "is_active": is_active,
        }
        person, role = text.get("person", "")[:200], text.get("role", "")
        return UnitRow(line, key, regon, values, email, phone, person, role, domain, domain_said), {}

    def write(self, rows: list[UnitRow]) -> dict[str, int]:
        """Upsert one batch of valid rows; returns counts of created / updated / unchanged units."""
        regons = [row.regon for row in rows if row.regon]
        rpwdls = [row.values["rpwdl"] for row in rows if not row.regon]
        existing: dict[str, int] = {}
        current: dict[str, dict] = {}
        names = ["id", "regon", *UNIT_FIELDS, "email_domain"]
        found = bulk.select_in(ReportingUnit, "regon", regons, names)
        if rpwdls:  # a separate query: an OR with the REGON condition would not use the indexes
            found += bulk.select_in(ReportingUnit, "rpwdl", rpwdls, names, extra="regon IS NULL")
        for values in found:
            unit = dict(zip(names, values, strict=True))
            key = f"regon:{unit['regon']}" if unit["regon"] else f"rpwdl:{unit['rpwdl']}"
            existing[key], current[key] = unit["id"], unit
        changed: list[ReportingUnit] = []
        new_rows, counts = [], {"created": 0, "updated": 0, "unchanged": 0}
        for row in rows:
            known = current.get(row.key)
            if known is None:
                new_rows.append(row)
                continue
            # a domain taken from an address fills an empty one; only the domain column replaces a known one
            domain = row.domain if row.domain_said or not known["email_domain"] else known["email_domain"]
            if domain != known["email_domain"] or any(
                known[field] != value for field, value in row.values.items() if value != ""
            ):
                unit = ReportingUnit(pk=known["id"], regon=known["regon"], email_domain=domain, updated_at=self.now)
                for field in UNIT_FIELDS:
                    value = row.values[field]
                    setattr(unit, field, value if value != "" else known[field])  # an empty cell erases nothing
                changed.append(unit)
            else:
                counts["unchanged"] += 1
        now = connection.ops.adapt_datetimefield_value(self.now)
        ids = _insert(
            ReportingUnit,
            ["regon", *UNIT_FIELDS, "email_domain", "created_at", "updated_at"],
            [
                [
                    row.regon,
                    *(row.values[f] for f in UNIT_FIELDS[:-1]),
                    row.values["is_active"] is not False,
                    row.domain,
                    now,
                    now,
                ]
                for row in new_rows
            ],
            returning=True,
        )
        existing.update({row.key: pk for row, pk in zip(new_rows, ids, strict=True)})
        ReportingUnit.objects.bulk_update(changed, [*UNIT_FIELDS, "email_domain", "updated_at"], batch_size=1000)
        public_cache.statuses_changed(unit.regon for unit in changed if unit.regon)  # names shown by the lookup
        counts["created"], counts["updated"] = len(new_rows), len(changed)
        self._people([(row, existing[row.key]) for row in rows if row.email or row.phone])
        return counts

    def _people(self, pairs: list[tuple[UnitRow, int]]) -> None:
        """Find each row's contact person by e-mail or phone, or create one; link them to the unit."""
        if not pairs:
            return
        emails = [r.email for r, _u in pairs if r.email]  # lower-case already; the unique index is on lower(email)
        by_email = dict(bulk.select_in(PersonEmail, "LOWER(email)", emails, ["email", "person_id"]))
        by_email = {email.lower(): person for email, person in by_email.items()}
        phones = [r.phone for r, _u in pairs if r.phone]
        by_phone = dict(bulk.select_in(PersonPhone, "number", phones, ["number", "person_id"]))
        fresh: list[UnitRow] = []
        for row, _unit_id in pairs:
            known = (by_email.get(row.email) if row.email else None) or (by_phone.get(row.phone) if row.phone else None)
            if known is None:
                fresh.append(row)
                marker = ("new", len(fresh) - 1)
                if row.email:
                    by_email[row.email] = marker
                if row.phone:
                    by_phone[row.phone] = marker
        now = connection.ops.adapt_datetimefield_value(self.now)
        default_name = _("(kontakt jednostki)")
        ids = _insert(
            Person,
            ["name", "notes", "created_at"],
            [[r.person or default_name, "", now] for r in fresh],
            returning=True,
        )

        def person_of(row: UnitRow) -> int:
            known = (by_email.get(row.email) if row.email else None) or by_phone.get(row.phone)
            return ids[known[1]] if isinstance(known, tuple) else known

        _insert(PersonEmail, ["person_id", "email"], [[ids[n], r.email] for n, r in enumerate(fresh) if r.email])
        _insert(PersonPhone, ["person_id", "number"], [[ids[n], r.phone] for n, r in enumerate(fresh) if r.phone])
        _insert(
            UnitMembership,
            ["person_id", "unit_id", "role"],
            [[person_of(row), unit_id, row.role[:200]] for row, unit_id in pairs],
            ignore_conflicts=True,
        )


def _insert(model, columns: list[str], rows: list[list], *, returning: bool = False, ignore_conflicts=False) -> list:
    found = bulk.insert(
        model,
        columns,
        rows,
        tail="ON CONFLICT DO NOTHING" if ignore_conflicts else "",
        returning="id" if returning else "",
    )
    return [pk for (pk,) in found]
