"""Which attachments the ticket page previews, and how the download view serves them.

Only types a browser displays without running anything are shown inline: raster images (not SVG, which can
carry script) and PDF. The declared type comes from whoever sent the file, so the download view adds
`X-Content-Type-Options: nosniff` and a CSP; anything else is served as a download.
"""

from __future__ import annotations

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


def served_type(content_type: str) -> str:
    """The Content-Type to serve: the normalised type for previewable files, the declared one otherwise (a
    download), and never anything the browser could take for a page of ours."""
    kind = preview_kind(content_type)
    if kind is not None:
        return _normalise(content_type)
    base = _normalise(content_type)
    if not base or "/" not in base or base.startswith(("text/html", "application/xhtml", "image/svg")):
        return "application/octet-stream"
    return base
