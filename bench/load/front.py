"""The shipped deploy/nginx.conf in front of the bench's daphne processes, on plain HTTP (no certificate): its
`location /` block (proxying, forwarding headers, retries, the edge cache) and its `proxy_cache_path`, with the
upstream's shipped server parameters and the bench's ports. Used by bench/load_test.py and bench/faults.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def nginx_binary() -> str | None:
    """NGINX_PATH, the copy .ci/run unpacks (/tmp/ci-nginx), or nginx on the PATH; None when there is none."""
    for candidate in (os.environ.get("NGINX_PATH"), "/tmp/ci-nginx/usr/sbin/nginx", shutil.which("nginx")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def writable(work: Path, name: str) -> Path:
    """A folder nginx's workers can write in: they run as `nobody` when nginx is started as root, and `work` (a
    mkdtemp) is closed to others. Made in a folder of its own beside it, open to them."""
    outer = work.parent / f"{work.name}-nginx"
    outer.mkdir(exist_ok=True)
    outer.chmod(0o755)
    folder = outer / name
    folder.mkdir(exist_ok=True)
    folder.chmod(0o777)
    return folder


def site_config(work: Path, ports: list[int], port: int) -> str:
    """nginx.conf for `work`: the shipped proxy block on 127.0.0.1:`port`, upstream `ports`."""
    shipped = (ROOT / "deploy" / "nginx.conf").read_text()
    https_server = shipped[shipped.index("    listen 443 ") :]  # after the port-80 server (only a redirect)
    location = https_server[https_server.index("    location / {") :].rsplit("}", 1)[0]
    shipped_upstream = shipped[shipped.index("upstream helpdesk {") :].split("}", 1)[0].splitlines()[1:]
    servers = [line.strip() for line in shipped_upstream if line.strip().startswith("server ")]
    assert len(servers) == len(ports), servers  # the shipped servers' parameters, our ports
    upstream = " ".join(f"server 127.0.0.1:{p} {s.split(None, 2)[2]}" for p, s in zip(ports, servers, strict=True))
    cache = next(line for line in shipped.splitlines() if line.startswith("proxy_cache_path "))
    cache = cache.replace("/var/cache/nginx/helpdesk ", f"{writable(work, 'edge-cache')} ")
    return f"""
daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  # the load client stands for the crowd behind a load balancer: trusted as docs/security.md and the shipped
  # file's comment say, so that each simulated unit's address (X-Forwarded-For) is the one the limits count
  set_real_ip_from 127.0.0.1; real_ip_header X-Forwarded-For; real_ip_recursive on;
  log_format edge '$upstream_cache_status $request_method $msec $request_time $status $uri';
  access_log {work}/nginx-access.log edge;
  client_body_temp_path {writable(work, "body")}; proxy_temp_path {writable(work, "proxy")};
  fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  {cache}
  upstream helpdesk {{ {upstream} }}
  server {{ listen 127.0.0.1:{port}; client_max_body_size 30m;
{location}
  }}
}}
"""


def start_nginx(binary: str, work: Path, ports: list[int], port: int) -> subprocess.Popen:
    """Start it (one worker process) and wait until it listens."""
    (work / "nginx.conf").write_text(site_config(work, ports, port))
    process = subprocess.Popen([binary, "-c", str(work / "nginx.conf"), "-p", str(work)])
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {(work / 'nginx-error.log').read_text()[-2000:]}") from None
            time.sleep(0.2)


def edge_counts(work: Path) -> dict[str, dict[str, int]]:
    """From its access log: answers per first path segment and cache status (HIT, STALE, UPDATING, MISS, BYPASS,
    EXPIRED, - for none: not cacheable or a POST)."""
    counts: dict[str, dict[str, int]] = {}
    for status, _method, _at, _seconds, _code, uri in _log(work):
        segment = "/" + uri.strip("/").split("/", 1)[0] if uri.strip("/") else "/"
        if segment == "/api":
            segment = "/" + "/".join(uri.strip("/").split("/")[:3])
        row = counts.setdefault(segment, {})
        row[status] = row.get(status, 0) + 1
    return counts


def timeline(work: Path, step: int = 10) -> list[tuple[int, int, float, float, int]]:
    """From its access log, per `step` seconds of the run: (start second, answers, median and p95 ms as nginx
    timed them, answers not 2xx/3xx). Websocket upgrades (held open for the run) are left out. Shows whether the
    slow answers come all through the run or in a burst (the e-mail backlog's first seconds, say)."""
    rows = [
        (float(at), 1000 * float(seconds), code)
        for _s, _m, at, seconds, code, uri in _log(work)
        if uri != "/ws/tickets/"
    ]
    if not rows:
        return []
    start = min(at for at, _ms, _code in rows)
    windows: dict[int, list[tuple[float, str]]] = {}
    for at, ms, code in rows:
        windows.setdefault(int((at - start) // step) * step, []).append((ms, code))
    out = []
    for second, answers in sorted(windows.items()):
        times = sorted(ms for ms, _code in answers)
        bad = sum(1 for _ms, code in answers if not code.startswith(("2", "3")))
        out.append(
            (second, len(times), times[len(times) // 2], times[min(len(times) - 1, int(0.95 * len(times)))], bad)
        )
    return out


def _log(work: Path) -> list[list[str]]:
    log = work / "nginx-access.log"
    if not log.exists():
        return []
    return [fields for line in log.read_text(errors="replace").splitlines() if len(fields := line.split(" ", 5)) == 6]
