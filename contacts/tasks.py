"""Celery tasks of contacts: thin wrappers that take ids and call contacts.imports."""

from __future__ import annotations

import tempfile
from pathlib import Path

from celery import shared_task
from django.core.files.storage import default_storage

from contacts import imports
from contacts.models import ImportRun

RUNNERS = {ImportRun.Kind.UNITS: imports.import_units, ImportRun.Kind.SUBMISSIONS: imports.import_submissions}


@shared_task(ignore_result=True)
def run_import(run_id: int, stored_name: str) -> None:
    """Import a file uploaded in the admin (kept in the file storage, so any worker machine can read it)."""
    run = ImportRun.objects.get(pk=run_id)
    suffix = Path(stored_name).suffix
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / f"import{suffix}"
        with default_storage.open(stored_name, "rb") as source, local.open("wb") as target:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                target.write(chunk)
        try:
            RUNNERS[run.kind](local, actor=run.started_by, run=run)
        finally:
            default_storage.delete(stored_name)
