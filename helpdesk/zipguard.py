"""Decompression bombs: limits on a zip-based file (DOCX, XLSX) checked on its central directory, before
anything is decompressed. Every reader of such files calls `check` first (knowledge_base.extract for DOCX,
contacts.tabular for XLSX).

A small file may inflate to gigabytes (a 133 KB DOCX held a 34 MB document.xml that took 51 s and 1 GB to read).
The sizes in the directory are binding: Python's zipfile, which python-docx and openpyxl read through, never
returns more than a member's declared size (and fails its CRC check if the data goes on). Refused: a member that
inflates more than MAX_RATIO times (the rule of Apache POI's ZipSecureFile, 1 : 100) once it is bigger than
RATIO_FLOOR, an XML member bigger than the reader's `max_xml_member` (XML is parsed, which costs many times its
size), a total bigger than `max_total`, more than MAX_MEMBERS members.
"""

from __future__ import annotations

import io
import zipfile

from django.utils.translation import gettext as _

MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # smaller members may compress better than that and do no harm
MAX_MEMBERS = 10_000
MIB = 1024 * 1024


class ZipBomb(ValueError):
    """The file would inflate beyond a limit; the message (Polish) names the file and the limit."""


def _mib(size: int) -> str:
    return f"{size / MIB:.1f}".replace(".", ",")


def check(
    source, *, name: str, max_total: int, max_xml_member: int, max_ratio: int = MAX_RATIO, floor: int = RATIO_FLOOR
) -> None:
    """Raise ZipBomb when the zip `source` (bytes or a seekable binary file, left at its start) breaks a limit.
    A file that is not a zip at all is left to the reader (its own "damaged file" message)."""
    handle = io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source
    start = handle.tell()
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    finally:
        handle.seek(start)
    if len(members) > MAX_MEMBERS:
        raise ZipBomb(
            _("Plik %(name)s zawiera za dużo części (%(count)s, limit %(limit)s); pliku nie przyjęto.")
            % {"name": name, "count": len(members), "limit": MAX_MEMBERS}
        )
    total = 0
    for member in members:
        size = member.file_size
        total += size
        ratio = size / max(member.compress_size, 1)
        if size > floor and ratio > max_ratio:
            raise ZipBomb(
                _(
                    "Plik %(name)s wygląda na „bombę dekompresyjną”: część %(member)s rozpakowuje się do "
                    "%(size)s MB, %(ratio)s razy więcej niż zajmuje (limit %(limit)s razy); pliku nie przyjęto."
                )
                % {
                    "name": name,
                    "member": member.filename[:100],
                    "size": _mib(size),
                    "ratio": int(ratio),
                    "limit": max_ratio,
                }
            )
        if member.filename.lower().endswith((".xml", ".rels")) and size > max_xml_member:
            raise ZipBomb(
                _(
                    "Plik %(name)s jest za duży po rozpakowaniu: część %(member)s ma %(size)s MB "
                    "(limit %(limit)s MB); podziel plik na mniejsze."
                )
                % {"name": name, "member": member.filename[:100], "size": _mib(size), "limit": _mib(max_xml_member)}
            )
    if total > max_total:
        raise ZipBomb(
            _("Plik %(name)s jest za duży po rozpakowaniu: %(size)s MB (limit %(limit)s MB); podziel plik na mniejsze.")
            % {"name": name, "size": _mib(total), "limit": _mib(max_total)}
        )
