"""A real daphne process serving helpdesk.asgi on a free port of 127.0.0.1, configured as in production from the
environment (helpdesk.settings, not the test settings), on the test database the calling test uses, with Redis as
its channel layer under a prefix of its own (tests running at the same time do not hear each other's pushes)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from helpdesk.channel_layer import redis_channel_layer

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test process uses (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Daphne:
    def __init__(self, var_dir: Path, redis_url: str) -> None:
        self.port = _free_port()
        self.redis_url = redis_url
        # not starting with "asgi": channels-redis's flush() (tests/test_outbox.py) deletes "asgi*"
        self.channel_prefix = f"ssoz-test-{secrets.token_hex(6)}"
        self.var_dir = var_dir
        self.log = var_dir / "daphne.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DEBUG": "true",
            "HTTPS": "false",
            "SECRET_KEY": settings.SECRET_KEY,  # the sessions the test creates must be valid there
            "HELPDESK_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CHANNEL_LAYER_PREFIX": self.channel_prefix,
        }
        self.process: subprocess.Popen | None = None

    @property
    def channel_layers(self) -> dict:
        """CHANNEL_LAYERS for this process to push to the server's sockets (override_settings)."""
        return {"default": redis_channel_layer(self.redis_url, self.channel_prefix)}

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> Daphne:
        daphne = Path(sys.executable).with_name("daphne")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(daphne), "-b", "127.0.0.1", "-p", str(self.port), "helpdesk.asgi:application"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"daphne did not listen within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            keys = list(client.scan_iter(match=f"{self.channel_prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
