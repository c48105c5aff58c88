"""The timed waits of Python under libfaketime, as .ci/run's pass a year ahead runs the suite: libfaketime 0.9.10
fakes the monotonic clock but not the deadline of sem_clockwait(), so a lock's timed wait (Event.wait(timeout),
queue.get(timeout=…), a websocket's recv(timeout=…)) never timed out and the tests waiting on one hung.
.ci/faketime-clockwait.c, preloaded with libfaketime, fixes that; here it is built and tried as .ci/run does."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.clock_env import real_clock_env
from tests.conftest import need_server

SOURCE = Path(__file__).resolve().parents[1] / ".ci" / "faketime-clockwait.c"

WAITS = """
import queue, threading, time
assert time.gmtime().tm_year == 2030, time.gmtime()  # the faked clock
assert threading.Event().wait(0.2) is False
try:
    queue.Queue().get(timeout=0.2)
except queue.Empty:
    pass
lock = threading.Lock()
lock.acquire()
assert lock.acquire(timeout=0.2) is False
worker = threading.Thread(target=time.sleep, args=(30,), daemon=True)
worker.start()
worker.join(0.2)
assert worker.is_alive()
print("done")
"""


def test_timed_waits_end_under_faketime_with_the_ci_preload(tmp_path):
    faketime, gcc = shutil.which("faketime"), shutil.which("gcc")
    need_server("faketime", bool(faketime), "apt-get install faketime")
    need_server("gcc", bool(gcc), "apt-get install gcc libc6-dev")
    preload = tmp_path / "faketime-clockwait.so"
    subprocess.run(
        [gcc, "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o", str(preload), str(SOURCE), "-ldl"], check=True
    )
    env = {**real_clock_env(), "LD_PRELOAD": str(preload), "TZ": "UTC"}
    finished = subprocess.run(
        [faketime, "-f", "@2030-12-24 14:30:00", sys.executable, "-c", WAITS],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "done"
