"""Messages from files: single .eml/.box files, directories, mbox files and Maildirs."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

SINGLE = {".eml", ".box", ".msg", ".txt"}


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() in (".mbox", ".mbx"):
        return True
    if path.suffix.lower() in SINGLE:
        return False
    with path.open("rb") as handle:
        head = handle.read(5)
    return head == b"From "


def messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(source description, raw bytes) of every message under `path`, in a stable order."""
    if is_maildir(path):
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.keys()):
            with box.get_file(key) as handle:
                yield f"{path}#{key}", handle.read()
        return
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir() or child.suffix.lower() in SINGLE | {".mbox", ".mbx"} or _is_mbox(child):
                yield from messages(child)
        return
    if _is_mbox(path):
        mbox = mailbox.mbox(path, factory=None, create=False)
        for index, key in enumerate(mbox.keys()):
            yield f"{path}#{index + 1}", mbox.get_bytes(key)
        return
    yield str(path), path.read_bytes()
