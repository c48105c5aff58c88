"""The web application and each worker process leave their start-up objects out of the garbage collector's full
passes (helpdesk.speed.heap): a full pass at a million tickets cost one list request in sixty 120-150 ms."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_loading_the_asgi_application_freezes_what_start_up_made():
    code = "import gc, helpdesk.asgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = {"DJANGO_SETTINGS_MODULE": "helpdesk.test_settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    frozen, tracked = map(int, out.stdout.split())
    assert frozen > 50_000 and tracked < frozen / 10  # a full pass now walks a small rest


def test_a_worker_process_settles_its_heap_when_it_starts(monkeypatch):
    from celery.signals import worker_process_init

    from helpdesk import celery  # noqa: F401  (connects the receiver)
    from helpdesk.speed import heap

    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append(1))
    worker_process_init.send(sender=None)
    assert calls == [1]
