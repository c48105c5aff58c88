"""Recording submission statuses in bulk: the engine behind the file import, the API push and the staff UI.

`StatusBatch.apply(rows)` validates raw rows (REGON, form, year, status, changed_at), then upserts the valid ones
with one `INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING` per chunk (PostgreSQL and SQLite alike) and
appends a history row for every status that actually changed. The rule that makes feeds idempotent and safe to
replay in any order: a row changes a submission only when its `changed_at` is newer than the recorded one (or
equally new with another status); the same or an older change is "unchanged".

Callers own the transaction (`transaction.atomic()` around a whole import or API request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import identifiers, tabular
from contacts.models import ReportingUnit, StatisticalForm, Submission, SubmissionChange, SubmissionStatus
from helpdesk import inputs, public_cache
from helpdesk.speed import bulk

CHUNK = 5000  # rows per upsert statement (helpdesk.speed.bulk.insert splits further for SQLite)
MIN_YEAR = 2000

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"

COLUMNS = {
    "regon": ("nr regon", "numer regon", "regon jednostki"),
    "form": ("formularz", "symbol", "symbol formularza", "kod formularza"),
    "year": ("rok", "rok sprawozdawczy", "okres"),
    "status": ("stan", "status sprawozdania"),
    "changed_at": ("data zmiany", "data", "zmiana", "data statusu", "changed"),
    "note": ("uwagi", "komentarz"),
}
REQUIRED = ("regon", "form", "year", "status", "changed_at")


@dataclass(frozen=True)
class StatusRow:
    key: int | str  # line number in a file, or item index in an API batch
    unit_id: int
    form_id: int
    year: int
    status_id: int
    changed_at: dt.datetime
    note: str = ""


@dataclass
class Outcome:
    """What happened to each row: `results[key]` is created/updated/unchanged/rejected; `errors[key]` says why."""

    results: dict[int | str, str] = field(default_factory=dict)
    errors: dict[int | str, dict[str, list[str]]] = field(default_factory=dict)

    def count(self) -> dict[str, int]:
        totals = dict.fromkeys((CREATED, UPDATED, UNCHANGED, REJECTED), 0)
        for result in self.results.values():
            totals[result] += 1
        return totals


def normalize_form_code(value: object) -> str:
    """'mz 88', 'MZ88', 'Mz-88' → 'MZ-88'."""
    text = "".join(str(value or "").upper().split()).replace("_", "-")
    if text.startswith("MZ") and not text.startswith("MZ-"):
        text = "MZ-" + text[2:]
    return text


class StatusBatch:
    """Validates and records status rows from one source (an import run, an API client, a member of staff)."""

    def __init__(self, *, source: str, actor=None, import_run=None, now: dt.datetime | None = None):
        self.source, self.actor, self.import_run = source, actor, import_run
        self.now = now or timezone.now()
        self.forms = {normalize_form_code(f.code): f.pk for f in StatisticalForm.objects.all()}
        self.statuses: dict[str, int] = {}
        for status in SubmissionStatus.objects.all():
            self.statuses[status.code.lower()] = status.pk
            self.statuses[status.name.lower()] = status.pk
        self.max_year = timezone.localdate(self.now).year + 1
        self._regons: dict[str, str] = {}  # REGONs as written in the file → validated, normalised

    # --- validation ----------------------------------------------------------------------------------------

    def _check(self, values: dict) -> tuple[dict, dict[str, list[str]]]:
        errors: dict[str, list[str]] = {}
        clean: dict = {}
        if "__error__" in values:
            return clean, {"__all__": [str(values["__error__"])]}
        nul = tabular.nul_problem(values)
        if nul:
            return clean, nul
        raw = values.get("regon")
        regon = self._regons.get(raw) if isinstance(raw, str) else None
        if regon is None:
            try:
                regon = identifiers.normalize_regon(identifiers.spreadsheet_regon(raw))
            except ValidationError as exc:
                errors["regon"] = exc.messages
            else:
                if isinstance(raw, str):
                    if len(self._regons) > 250_000:  # a unit's rows come together; keep memory bounded
                        self._regons.clear()
                    self._regons[raw] = regon
        if regon is not None:
            clean["regon"] = regon
        code = normalize_form_code(values.get("form"))
        if code in self.forms:
            clean["form_id"] = self.forms[code]
        else:
            errors["form"] = [_("Nieznany formularz „%(form)s”.") % {"form": str(values.get("form") or "")[:30]}]
        year = inputs.ascii_int(str(values.get("year") or "").strip().removesuffix(".0"), minimum=MIN_YEAR)
        if year is not None and year <= self.max_year:  # ASCII digits only: "²" and "٣" are no year
            clean["year"] = year
        else:
            errors["year"] = [
                _("Rok sprawozdawczy musi być liczbą od %(min)s do %(max)s.") % {"min": MIN_YEAR, "max": self.max_year}
            ]
        status = str(values.get("status") or "").strip().lower()
        if status in self.statuses:
            clean["status_id"] = self.statuses[status]
        else:
            errors["status"] = [_("Nieznany status „%(status)s”.") % {"status": status[:40]}]
        try:
            moment = tabular.parse_datetime(values.get("changed_at"))
        except ValueError as exc:
            errors["changed_at"] = [str(exc)]
        else:
            if moment > self.now + dt.timedelta(days=1):
                errors["changed_at"] = [_("Data zmiany jest w przyszłości.")]
            clean["changed_at"] = moment
        clean["note"] = str(values.get("note") or "")[:500]
        return clean, errors

    def apply(self, rows: Iterable[tuple[int | str, dict]], outcome: Outcome | None = None) -> Outcome:
        """Validate and record `(key, raw values)` rows; returns (or extends) the per-row outcome."""
        outcome = outcome or Outcome()
        checked = []
        for key, values in rows:
            clean, errors = self._check(values)
            if errors:
                outcome.results[key], outcome.errors[key] = REJECTED, errors
            else:
                checked.append((key, clean))
        units = dict(
            bulk.select_in(ReportingUnit, "regon", list({clean["regon"] for _k, clean in checked}), ["regon", "id"])
        )
        latest: dict[tuple, StatusRow] = {}
        for key, clean in checked:
            unit_id = units.get(clean["regon"])
            if unit_id is None:
                outcome.results[key] = REJECTED
                outcome.errors[key] = {
                    "regon": [_("REGON %(regon)s nie występuje w katalogu jednostek.") % {"regon": clean["regon"]}]
                }
                continue
            row = StatusRow(key, unit_id, clean["form_id"], clean["year"], clean["status_id"], clean["changed_at"])
            row = StatusRow(**{**row.__dict__, "note": clean["note"]})
            ident = (unit_id, row.form_id, row.year)
            earlier = latest.get(ident)
            if earlier is None or row.changed_at >= earlier.changed_at:
                if earlier is not None:
                    outcome.results[earlier.key] = UNCHANGED  # superseded by a later row of the same batch
                latest[ident] = row
            else:
                outcome.results[key] = UNCHANGED
        rows_to_write = list(latest.values())
        for start in range(0, len(rows_to_write), CHUNK):
            self._upsert(rows_to_write[start : start + CHUNK], outcome)
        written = {row.unit_id for row in rows_to_write if outcome.results[row.key] in (CREATED, UPDATED)}
        if written:  # the public lookup of these units is answered afresh (now and once the caller commits)
            public_cache.statuses_changed(regon for regon, unit_id in units.items() if unit_id in written)
        return outcome

    # --- writing -------------------------------------------------------------------------------------------

    def _upsert(self, rows: list[StatusRow], outcome: Outcome) -> None:
        table = connection.ops.quote_name(Submission._meta.db_table)
        adapt = connection.ops.adapt_datetimefield_value
        now = adapt(self.now)
        values = [
            [row.unit_id, row.form_id, row.year, row.status_id, adapt(row.changed_at), self.source, now, now]
            for row in rows
        ]
        returned = bulk.insert(
            Submission,
            ["unit_id", "form_id", "year", "status_id", "changed_at", "source", "created_at", "updated_at"],
            values,
            tail=(
                "ON CONFLICT (unit_id, form_id, year) DO UPDATE SET status_id = excluded.status_id, "
                "changed_at = excluded.changed_at, source = excluded.source, updated_at = excluded.updated_at "
                f"WHERE {table}.changed_at < excluded.changed_at "
                f"OR ({table}.changed_at = excluded.changed_at AND {table}.status_id <> excluded.status_id)"
            ),
            returning=f"id, unit_id, form_id, year, {table}.created_at = {table}.updated_at",
        )
        written = {(unit, form, year): (pk, bool(new)) for pk, unit, form, year, new in returned}
        history = []
        actor_id = self.actor.pk if self.actor is not None else None
        run_id = self.import_run.pk if self.import_run is not None else None
        for row in rows:
            hit = written.get((row.unit_id, row.form_id, row.year))
            if hit is None:
                outcome.results[row.key] = UNCHANGED
                continue
            submission_id, created = hit
            outcome.results[row.key] = CREATED if created else UPDATED
            history.append(
                [submission_id, row.status_id, adapt(row.changed_at), now, self.source, actor_id, run_id, row.note]
            )
        bulk.insert(
            SubmissionChange,
            ["submission_id", "status_id", "changed_at", "recorded_at", "source", "actor_id", "import_run_id", "note"],
            history,
        )
