"""CPU time spent on the bench's own work, for figures that other load on a shared machine distorts less than
wall-clock time: this process's CPU (time.process_time: Django, templates, the product's Python) and the CPU of
the PostgreSQL backends serving this process's database (utime + stime from /proc/PID/stat of every backend
connected to it; a connection pool may hand out more than one).

Both count only work done for this process: time spent waiting for a core that another engineer's process holds
is not in them. The backends are found through pg_stat_activity on a connection of this module's own (its own
backend is left out), so none of the measured requests' queries change.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)


class Meter:
    """`start()` and `stop()` around a batch of requests; `stop()` returns (process CPU s, database CPU s)."""

    def __init__(self, dbname: str, conninfo: dict):
        import psycopg

        self.dbname = dbname
        self.side = psycopg.connect(dbname="postgres", autocommit=True, **conninfo)
        self.own = self.side.info.backend_pid

    def _backends(self) -> dict[int, float]:
        rows = self.side.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s", [self.dbname, self.own]
        ).fetchall()
        found = {}
        for (pid,) in rows:
            cpu = _proc_cpu(pid)
            if cpu is not None:
                found[pid] = cpu
        return found

    def start(self) -> None:
        self.before = self._backends()
        self.process_before = time.process_time()

    def stop(self) -> tuple[float, float]:
        process = time.process_time() - self.process_before
        after = self._backends()
        database = sum(cpu - self.before.get(pid, 0.0) for pid, cpu in after.items())
        return process, database

    def close(self) -> None:
        self.side.close()


def meter_for_default_database() -> Meter | None:
    """A Meter for Django's default database when it is PostgreSQL on this machine (else None: no /proc)."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql" or (settings.get("HOST") or "127.0.0.1") not in ("127.0.0.1", "localhost"):
        return None
    conninfo = {
        key: value
        for key, value in (
            ("host", settings.get("HOST") or None),
            ("port", settings.get("PORT") or None),
            ("user", settings.get("USER") or None),
            ("password", settings.get("PASSWORD") or None),
        )
        if value
    }
    return Meter(settings["NAME"], conninfo)
