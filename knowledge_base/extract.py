"""Text out of attached files (PDF, DOCX, plain text), so that a manual's original file is searchable.

A file that cannot be read raises ValidationError with a Polish message naming the file; nothing is stored.
"""

from __future__ import annotations

import codecs
import io
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from helpdesk import zipguard

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
    from tickets.previews import sniff

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
        if kind == "pdf":
            text = _pdf(content)
        elif kind == "docx":
            text = _docx(content)
        elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = content.decode("utf-16")
        else:
            text = content.decode("utf-8-sig")
        return text.replace("\x00", "")[:MAX_TEXT]  # PostgreSQL cannot store NUL (a PDF's text may hold some)
    except UnicodeDecodeError:
        raise ValidationError(_("Plik %(name)s nie jest tekstem w UTF-8.") % {"name": filename}) from None
    except Exception:  # pypdf/python-docx raise many types on broken files
        raise ValidationError(
            _("Nie udało się odczytać pliku %(name)s: plik jest uszkodzony albo zabezpieczony hasłem.")
            % {"name": filename}
        ) from None


def _pdf(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        raise ValueError("encrypted")
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _docx(content: bytes) -> str:
    import docx

    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ValueError("not a zip")
    document = docx.Document(io.BytesIO(content))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)
