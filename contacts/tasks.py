"""Celery tasks of contacts: thin wrappers that take ids and call contacts.imports.

In the embedded default (Celery eager, no worker) an import uploaded in the admin runs in a thread of the web
process instead, so the upload returns at once and the progress page can show the import advancing; a thread that
dies marks its run failed.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections

from contacts import imports
from contacts.models import ImportRun

log = logging.getLogger(__name__)

RUNNERS = {ImportRun.Kind.UNITS: imports.import_units, ImportRun.Kind.SUBMISSIONS: imports.import_submissions}


@shared_task(ignore_result=True)
def run_import(run_id: int, stored_name: str) -> None:
    """Import a file uploaded in the admin (kept in the file storage, so any worker machine can read it)."""
    try:
        _run(ImportRun.objects.get(pk=run_id), stored_name)
    except Exception as exc:
        imports.mark_failed(run_id, exc)  # e.g. the stored file is gone: the run must not stay "running"
        raise


@shared_task(ignore_result=True)
def fail_stale_imports() -> int:
    return imports.fail_stale_runs()


def _run(run: ImportRun, stored_name: str) -> None:
    suffix = Path(stored_name).suffix
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / f"import{suffix}"
        try:
            with default_storage.open(stored_name, "rb") as source, local.open("wb") as target:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    target.write(chunk)
            RUNNERS[run.kind](local, actor=run.started_by, run=run)
        finally:
            default_storage.delete(stored_name)


def queue_import(run_id: int, stored_name: str) -> threading.Thread | None:
    """Start the import of an uploaded file: a Celery task, or a thread when Celery runs tasks eagerly."""
    if not (settings.CELERY_TASK_ALWAYS_EAGER and settings.CONTACTS_IMPORT_IN_THREAD):
        run_import.delay(run_id, stored_name)
        return None
    thread = threading.Thread(
        target=_run_in_thread, args=(run_id, stored_name), name=f"contacts-import-{run_id}", daemon=True
    )
    thread.start()
    return thread


def _run_in_thread(run_id: int, stored_name: str) -> None:
    try:
        run_import(run_id, stored_name)
    except Exception:
        log.exception("import %s failed in its thread", run_id)
    finally:
        connections.close_all()  # the thread's own connections
