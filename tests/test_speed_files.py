"""helpdesk.speed.files.save_all: the new files of a batch saved side by side, all of them before it returns."""

from __future__ import annotations

import threading

import pytest

from helpdesk.speed import files


def test_every_file_is_saved_and_the_saves_overlap():
    started = threading.Barrier(3, timeout=10)  # three saves waiting for each other: only side by side they end
    saved = []

    def save(n: int):
        def run() -> None:
            started.wait()
            saved.append(n)

        return run

    files.save_all([save(n) for n in range(3)])
    assert sorted(saved) == [0, 1, 2]


def test_a_failure_is_raised_once_every_other_save_has_ended():
    ended = []

    def fails() -> None:
        raise OSError("disk full")

    def slow(n: int):
        def run() -> None:
            threading.Event().wait(0.05)
            ended.append(n)

        return run

    with pytest.raises(OSError, match="disk full"):
        files.save_all([slow(0), fails, slow(1), slow(2)])
    assert sorted(ended) == [0, 1, 2]


def test_one_save_runs_in_the_calling_thread():
    where = []
    files.save_all([lambda: where.append(threading.current_thread())])
    assert where == [threading.current_thread()]
