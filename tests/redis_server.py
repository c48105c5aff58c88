"""A Redis server of the test's own (Debian's redis-server) on a free port of 127.0.0.1, which the test may stop
and start again to play an outage; never the shared one. Also used by bench/faults.py."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.clock_env import real_clock_env


def available() -> bool:
    return shutil.which("redis-server") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> RedisServer:
        """Start (again, on the same port): an empty server, as one restarted without persistence."""
        self.directory.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly",
                   "no", "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")]  # fmt: skip
        # On the real clock: under .ci/run's libfaketime pass, redis-server (jemalloc) cannot start with it preloaded
        # ("unexpected recursive calls to clock_gettime()"); what is tested is our code, which stays on fake time.
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=real_clock_env()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        """Stop at once (SIGKILL: no goodbye to the clients, as a crashed or unreachable server)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
