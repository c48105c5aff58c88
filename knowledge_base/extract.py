"""Text out of attached files (PDF, DOCX, plain text), so that a manual's original file is searchable.

A file that cannot be read raises ValidationError with a Polish message naming the file; nothing is stored.
"""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from helpdesk import zipguard
from tickets.previews import sniff

ROOT = Path(__file__).resolve().parents[1]  # where `python -m knowledge_base.extract_worker` is found
MAX_TEXT = 500_000
# A DOCX is a zip (helpdesk.zipguard): python-docx holds every part in memory and parses the XML ones; 10 MiB of
# document.xml is far more than MAX_TEXT of text.
DOCX_MAX_TOTAL = 64 * 1024 * 1024
DOCX_MAX_XML = 10 * 1024 * 1024

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_TYPES = ("text/plain", "text/markdown")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def kind_of(filename: str, content_type: str) -> str:
    name = filename.lower()
    if name.endswith(".pdf") or content_type == PDF:
        return "pdf"
    if name.endswith(".docx") or content_type == DOCX:
        return "docx"
    if name.endswith((".txt", ".md")) or content_type in TEXT_TYPES:
        return "text"
    if content_type in IMAGE_TYPES or name.endswith((".png", ".jpg", ".jpeg", ".gif", ".webp")):
        return "image"
    return ""


def stored_type(kind: str, content: bytes) -> str | None:
    """The type stored for an accepted file of `kind`: an image's type as its content proves it (None when it
    proves none), a fixed type for the others; never the uploader's declaration."""
    if kind == "image":
        return sniff(content[:64])
    return {"pdf": PDF, "docx": DOCX, "text": "text/plain"}[kind]


def extract_text(filename: str, content: bytes, content_type: str = "") -> str:
    kind = kind_of(filename, content_type)
    if not kind:
        raise ValidationError(
            _("Plik %(name)s ma nieobsługiwany format: dołącz PDF, DOCX, TXT albo obraz.") % {"name": filename}
        )
    if kind == "image":
        if stored_type(kind, content) not in IMAGE_TYPES:
            raise ValidationError(
                _("Plik %(name)s nie jest obrazem PNG, JPEG, GIF ani WebP (sprawdzono jego zawartość).")
                % {"name": filename}
            )
        return ""
    if kind == "docx":
        try:
            zipguard.check(content, name=filename, max_total=DOCX_MAX_TOTAL, max_xml_member=DOCX_MAX_XML)
        except zipguard.ZipBomb as exc:
            raise ValidationError(str(exc)) from None
    try:
        if kind in ("pdf", "docx"):
            text = _isolated(kind, content)
        elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = content.decode("utf-16")
        else:
            text = content.decode("utf-8-sig")
        return text.replace("\x00", "")[:MAX_TEXT]  # PostgreSQL cannot store NUL (a PDF's text may hold some)
    except UnicodeDecodeError:
        raise ValidationError(_("Plik %(name)s nie jest tekstem w UTF-8.") % {"name": filename}) from None
    except TooCostly:
        raise ValidationError(
            _("Odczyt tekstu z pliku %(name)s przekroczył limit pamięci albo czasu: plik jest zbyt złożony.")
            % {"name": filename}
        ) from None
    except Exception:  # pypdf/python-docx raise many types on broken files
        raise ValidationError(
            _("Nie udało się odczytać pliku %(name)s: plik jest uszkodzony albo zabezpieczony hasłem.")
            % {"name": filename}
        ) from None


class TooCostly(Exception):
    """Reading the file went past the worker's memory or time limit."""


def _isolated(kind: str, content: bytes) -> str:
    """The text of a PDF or DOCX, read by knowledge_base.extract_worker in a process of its own with a memory and
    CPU-time limit (KB_EXTRACT_MEMORY_MB, KB_EXTRACT_SECONDS) and a wall-clock timeout."""
    seconds, memory = settings.KB_EXTRACT_SECONDS, settings.KB_EXTRACT_MEMORY_MB
    command = [sys.executable, "-m", "knowledge_base.extract_worker", kind, str(memory), str(seconds)]
    try:
        done = subprocess.run(  # noqa: S603 (our own interpreter and module; `kind` is "pdf" or "docx")
            command, input=content, capture_output=True, timeout=seconds * 2 + 5, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        raise TooCostly from None
    if done.returncode == 2:
        raise ValueError("unreadable")
    if done.returncode != 0:  # killed by a limit (SIGXCPU, SIGKILL), or out of memory (3)
        raise TooCostly
    return done.stdout.decode("utf-8", "replace")
