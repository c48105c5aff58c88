"""The Celery app. Tasks are thin: they take ids and call an action (see helpdesk/tasks.py)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _settle_heap(**kwargs) -> None:
    """Each worker process, once started: its start-up objects out of the collector's full passes."""
    from helpdesk.speed import heap

    heap.settle()
