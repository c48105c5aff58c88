"""Which attachments the ticket page previews, and how every stored file is served (ticket attachments, the
knowledge base's files, the requester's private link): one function, `file_response`.

Only types a browser displays without running anything are shown inline: raster images (not SVG, which can
carry script) and PDF, and only when the file's own first bytes say so (`sniff`): the declared type comes from
whoever sent the file ("image/png, text/html" on an HTML page) and is never trusted, also for rows stored before
this rule. Everything is served with `X-Content-Type-Options: nosniff` and a CSP (a sandbox for all but PDF,
which the ticket page frames); anything else is a download (`Content-Disposition: attachment`).
"""

from __future__ import annotations

import re

IMAGE = "image"
PDF = "pdf"

SAFE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"})
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


def _normalise(content_type: str) -> str:
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def preview_kind(content_type: str) -> str | None:
    """IMAGE, PDF, or None (no preview, served as a download)."""
    base = _normalise(content_type)
    if base in SAFE_IMAGE_TYPES:
        return IMAGE
    if base == "application/pdf":
        return PDF
    return None


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"%PDF-", "application/pdf"),
)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_NEVER_SERVED = ("text/html", "application/xhtml", "image/svg", "text/xml", "application/xml", "text/javascript",
                 "application/javascript", "application/ecmascript", "text/ecmascript", "multipart/")  # fmt: skip
HEAD = 16


def sniff(head: bytes) -> str | None:
    """The allow-listed type (a raster image or PDF) that the file's first bytes prove, or None."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "image/avif"
    return None


def served_type(content_type: str, head: bytes = b"") -> str:
    """The Content-Type to serve: the type the content proves for previewable files; for the rest the declared
    one when it is a single well-formed type a browser cannot take for a page of ours (and does not claim a
    previewable type the content disproves), application/octet-stream otherwise."""
    sniffed = sniff(head)
    if sniffed is not None:
        return sniffed
    base = _normalise(content_type)
    if not _TOKEN.fullmatch(base) or base.startswith(_NEVER_SERVED) or preview_kind(base) is not None:
        return "application/octet-stream"
    return base


def file_response(handle, *, filename: str, declared_type: str, download: bool = False):
    """The response serving a stored file (`handle`: an open binary file, e.g. FieldFile.open("rb")): inline
    only for a raster image or a PDF proven by its content (never when `download`), else a download; always
    nosniff and a CSP."""
    from django.http import FileResponse

    head = handle.read(HEAD)
    handle.seek(0)
    content_type = served_type(declared_type, head)
    kind = None if download else preview_kind(sniff(head) or "")
    response = FileResponse(handle, as_attachment=kind is None, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if kind == PDF:
        # the ticket page shows the PDF in a frame: allow framing by our own pages only (X_FRAME_OPTIONS is DENY)
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'; img-src 'self'"
        response["X-Frame-Options"] = "SAMEORIGIN"
    else:
        response["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
        )
    return response
