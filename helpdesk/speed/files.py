"""Saving the new files of a batch side by side (`save_all`).

The local storage (helpdesk.storage) makes every file durable before it names it: write, fsync, link. The fsync
waits for the disk (~5 ms each on the bench machine), and the ingestion of a batch saved its new attachments one
after the other, the writer waiting for each in turn. Saved from a few threads, the waits overlap (the
filesystem commits several files' data in one journal flush, ~1 ms a file): the files are the same, each still
written in full and synced before its name appears, and the caller goes on only when every one is saved, so
what it writes afterwards (the rows naming the files) still finds them all on disk. A remote storage (S3) gains
the same way: its uploads overlap. No database in the threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

THREADS = 8  # files saved at once


def save_all(saves: Sequence[Callable[[], object]]) -> None:
    """Run every one of `saves` (each saves one file), up to THREADS at a time, and return when all have
    ended; the first failure (in the order given) is raised then, after the others ended. One or none is
    simply run here."""
    if len(saves) <= 1:
        for save in saves:
            save()
        return
    with ThreadPoolExecutor(min(THREADS, len(saves)), thread_name_prefix="file-save") as pool:
        futures = [pool.submit(save) for save in saves]
    for future in futures:  # all ended (the pool's exit waits): report the first that failed
        future.result()
