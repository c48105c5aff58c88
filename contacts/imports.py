"""File imports (submission statuses, reporting units): one ImportRun row, one transaction, a per-row report.

The ImportRun row is committed first (so the admin can show it), then the whole file is read and written inside a
single transaction: a file that turns out to be unreadable halfway (truncated JSON or XLSX, broken encoding)
rolls back everything and the run is marked failed with the reason. Rows with bad values are rejected one by one
and listed in the report; the others are imported. Progress is published in the shared cache for the admin's
progress bar (`progress(run_id)`), since the run's own row is invisible to others until the commit.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import submissions, tabular, units_import
from contacts.models import ImportRun, Submission
from helpdesk import exports, shared_cache

log = logging.getLogger(__name__)

BATCH = 5000
REJECTED_KEPT = 1000  # rejected rows stored on the run; the command's --report file gets them all
PROGRESS_TTL = 24 * 3600


def progress_key(run_id: int) -> str:
    return f"contacts:import-progress:{run_id}"


def progress(run_id: int) -> dict | None:
    return shared_cache.get(progress_key(run_id))


def _publish(run: ImportRun, fraction: float, rows: int) -> None:
    shared_cache.set(progress_key(run.pk), {"fraction": round(fraction, 4), "rows": rows}, PROGRESS_TTL)


def format_errors(errors: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
        for field, messages in errors.items()
    )


class RejectedRows:
    """Keeps the first REJECTED_KEPT rejected rows and streams all of them to an optional CSV report."""

    def __init__(self, report_path: str | Path | None):
        self.kept: list[dict] = []
        self.total = 0
        self._file = Path(report_path).open("w", newline="", encoding="utf-8") if report_path else None  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=";") if self._file else None
        if self._writer:
            self._writer.writerow(exports.csv_row([_("wiersz"), _("błędy")]))

    def add(self, line: int, errors: dict[str, list[str]]) -> None:
        self.total += 1
        text = tabular.saveable(format_errors(errors))
        if len(self.kept) < REJECTED_KEPT:
            self.kept.append({"line": line, "errors": text})
        if self._writer:
            self._writer.writerow(exports.csv_row([line, text]))

    def close(self) -> None:
        if self._file:
            self._file.close()


def start_run(kind: str, filename: str, actor) -> ImportRun:
    filename = tabular.saveable(filename)[:500]
    return ImportRun.objects.create(kind=kind, filename=filename, started_by=actor, started_at=timezone.now())


def import_submissions(
    path: str | Path,
    *,
    actor=None,
    run: ImportRun | None = None,
    report_path: str | Path | None = None,
    on_progress: Callable[[float, int], None] | None = None,
) -> ImportRun:
    """Import a CSV/XLSX/JSON/JSONL file of submission statuses; returns the finished (or failed) run."""
    run = run or start_run(ImportRun.Kind.SUBMISSIONS, Path(path).name, actor)
    rejected = RejectedRows(report_path)
    totals = dict.fromkeys((submissions.CREATED, submissions.UPDATED, submissions.UNCHANGED, submissions.REJECTED), 0)
    rows_read = 0
    try:
        with transaction.atomic(), tabular.Table(path, submissions.COLUMNS, submissions.REQUIRED) as table:
            batch = submissions.StatusBatch(source=Submission.Source.IMPORT, actor=actor, import_run=run)
            rows = table.rows()
            while chunk := list(itertools.islice(rows, BATCH)):
                outcome = batch.apply((row.line, row.values) for row in chunk)
                for result in outcome.results.values():
                    totals[result] += 1
                for row in chunk:
                    if row.line in outcome.errors:
                        rejected.add(row.line, outcome.errors[row.line])
                rows_read += len(chunk)
                _publish(run, table.fraction_done(), rows_read)
                if on_progress:
                    on_progress(table.fraction_done(), rows_read)
    except tabular.FileProblem as exc:
        return _fail(run, str(exc), rows_read)
    except Exception as exc:
        _fail(run, _crash_message(exc), rows_read)
        raise
    finally:
        rejected.close()
    return _finish(run, {"rows": rows_read, **totals}, rejected)


def import_units(
    path: str | Path,
    *,
    actor=None,
    run: ImportRun | None = None,
    report_path: str | Path | None = None,
    on_progress: Callable[[float, int], None] | None = None,
) -> ImportRun:
    """Import reporting units (CSV/XLSX/JSON/JSONL) with their contact people; returns the finished run."""
    run = run or start_run(ImportRun.Kind.UNITS, Path(path).name, actor)
    rejected = RejectedRows(report_path)
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    rows_read = 0
    try:
        with (
            transaction.atomic(),
            tabular.Table(path, units_import.COLUMNS, units_import.REQUIRED, units_import.ONE_OF) as table,
        ):
            batch = units_import.UnitBatch()
            rows = table.rows()
            while chunk := list(itertools.islice(rows, BATCH)):
                valid = []
                for row in chunk:
                    checked, errors = batch.check(row.line, row.values)
                    if errors:
                        rejected.add(row.line, errors)
                    else:
                        valid.append(checked)
                for name, value in batch.write(valid).items():
                    totals[name] += value
                rows_read += len(chunk)
                _publish(run, table.fraction_done(), rows_read)
                if on_progress:
                    on_progress(table.fraction_done(), rows_read)
    except tabular.FileProblem as exc:
        return _fail(run, str(exc), rows_read)
    except Exception as exc:
        _fail(run, _crash_message(exc), rows_read)
        raise
    finally:
        rejected.close()
    return _finish(run, {"rows": rows_read, **totals}, rejected)


def _crash_message(exc: Exception) -> str:
    """An unexpected error, named with its type (a bare KeyError says only 'x'); saveable (no NUL)."""
    return tabular.saveable(_("Błąd podczas importu: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"})


def mark_failed(run_id: int, exc: Exception) -> None:
    """Mark a run that died outside the import itself (a worker or thread failure) failed, if still running."""
    message = _crash_message(exc)
    ImportRun.objects.filter(pk=run_id, state=ImportRun.State.RUNNING).update(
        state=ImportRun.State.FAILED, error=message, finished_at=timezone.now()
    )
    rows = (progress(run_id) or {}).get("rows", 0)
    shared_cache.set(progress_key(run_id), {"fraction": 1.0, "rows": rows}, PROGRESS_TTL)


def fail_stale_runs(*, now=None) -> int:
    """Runs still "running" IMPORT_STALE_HOURS after they started: the process that ran them died (a worker or
    web process killed mid-import). An import writes in one transaction, so such a run wrote nothing: it is
    marked failed, with that said, so the admin's list and the progress page stop waiting. Returns how many."""
    now = now or timezone.now()
    stale = ImportRun.objects.filter(
        state=ImportRun.State.RUNNING, started_at__lt=now - dt.timedelta(hours=settings.IMPORT_STALE_HOURS)
    )
    ids = list(stale.values_list("pk", flat=True))
    message = _("Import przerwany: proces, który go wykonywał, zakończył się w trakcie. Nic nie zapisano.")
    for run_id in ids:
        ImportRun.objects.filter(pk=run_id, state=ImportRun.State.RUNNING).update(
            state=ImportRun.State.FAILED, error=message, finished_at=now
        )
        rows = (progress(run_id) or {}).get("rows", 0)
        shared_cache.set(progress_key(run_id), {"fraction": 1.0, "rows": rows}, PROGRESS_TTL)
    return len(ids)


def _fail(run: ImportRun, message: str, rows_read: int) -> ImportRun:
    message = tabular.saveable(message)  # a file's content quoted in a message may hold NULs
    run.state, run.error, run.finished_at = ImportRun.State.FAILED, message, timezone.now()
    run.counts = {"rows": rows_read}
    run.save(update_fields=["state", "error", "finished_at", "counts"])
    _publish(run, 1.0, rows_read)
    log.warning("import %s (%s) failed: %s", run.pk, run.filename, message)
    return run


def _finish(run: ImportRun, counts: dict, rejected: RejectedRows) -> ImportRun:
    counts["rejected"] = rejected.total
    run.state, run.counts, run.rejected, run.finished_at = ImportRun.State.DONE, counts, rejected.kept, timezone.now()
    run.save(update_fields=["state", "counts", "rejected", "finished_at"])
    _publish(run, 1.0, counts["rows"])
    return run
