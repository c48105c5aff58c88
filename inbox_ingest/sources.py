"""Messages from files: single .eml/.box files, directories, mbox files and Maildirs."""

from __future__ import annotations

import mailbox
import re
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


# A Maildir file's unique name: "<seconds>.<delivery id>.<host>", the delivery id of Python, Dovecot and Postfix
# carrying the microseconds (M), the process (P) and a counter (Q) as decimal numbers of no fixed width
_MAILDIR_NAME = re.compile(r"^(\d+)\.([^.]*)")
_MAILDIR_PART = re.compile(r"([MPQ])(\d+)")


def delivery_order(key: str) -> tuple:
    """A Maildir key's place in delivery order: its seconds, then the microseconds and counter of its delivery id,
    as numbers. The names sorted as text put "M10" before "M9" within a second, so a reply could be read before
    the message it answers and open a ticket of its own. Names of another form come after, in text order."""
    found = _MAILDIR_NAME.match(key)
    if found is None:
        return (1, 0, 0, 0, key)
    parts = dict(_MAILDIR_PART.findall(found[2]))
    return (0, int(found[1]), int(parts.get("M", 0)), int(parts.get("Q", 0)), key)


def messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(source description, raw bytes) of every message under `path`, in a stable order (a Maildir's in the
    order it was delivered)."""
    if is_maildir(path):
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.keys(), key=delivery_order):
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
