"""The recipe for a 2-core machine: two web processes from deploy/helpdesk-web@.service (instances 8000 and
8001) behind the shipped deploy/nginx.conf, whose upstream lists both. When one is killed (kill -9, as the OOM
killer or a crash would), reads keep being answered by the other while systemd restarts the dead one."""

import signal
import time
from pathlib import Path

import pytest

from tests.conftest import run_daphne, shipped_daphne_options
from tests.shipped_unit import INSTANCES, WEB_UNIT, web_command
from tests.test_overlong_address import ask, run_nginx

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[1]


def test_the_upstream_lists_one_server_per_instance_and_retries_only_what_is_idempotent():
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = site[site.index("upstream helpdesk {") :].split("}", 1)[0]
    assert [line.split()[1] for line in upstream.splitlines()[1:] if line.strip()] == [
        f"127.0.0.1:{port}" for port in INSTANCES
    ]
    assert all("max_fails=" in line and "fail_timeout=" in line for line in upstream.splitlines()[1:] if line.strip())
    assert "proxy_next_upstream error timeout;" in site and "non_idempotent" not in site.replace("`non_idempotent`", "")
    assert web_command(8001)[1:5] == ["-b", "127.0.0.1", "-p", "8001"]
    assert "Restart=always" in WEB_UNIT.read_text()
    enabled = "systemctl enable --now helpdesk-web@8000 helpdesk-web@8001"
    for page in ("README.md", "docs/operations.md"):
        assert enabled in (ROOT / page).read_text(), page
    assert not (ROOT / "deploy" / "helpdesk-web.service").exists()


@pytest.fixture
def two_behind_nginx(transactional_db, tmp_path):
    processes: list = []
    for first in run_daphne(shipped_daphne_options(), started=processes):
        for second in run_daphne(shipped_daphne_options(), started=processes):
            for nginx in run_nginx([first, second], tmp_path):
                yield nginx, processes


def test_killing_one_web_process_leaves_the_other_answering_every_read(two_behind_nginx):
    nginx, (first, _second) = two_behind_nginx
    for path in ("/", "/szukaj/?q=mz-03", "/", "/szukaj/?q=mz-03"):  # round robin: each process answers once
        assert ask(nginx, path)[0] == 200
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    statuses = [ask(nginx, path)[0] for _ in range(10) for path in ("/", "/szukaj/?q=mz-03", "/api/v1/kb/search?q=a")]
    assert set(statuses) == {200}, statuses
    # the dead one was tried, refused the connection, and the request went on to the other one
    deadline = time.monotonic() + 5
    error_log = nginx.directory / "error.log"
    while "Connection refused" not in error_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Connection refused" in error_log.read_text()
