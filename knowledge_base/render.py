"""Markdown → safe HTML with anchored headings and a table of contents.

The HTML Markdown produces is cleaned by helpdesk.html.sanitize_html (which drops every `id`), and only then
are heading anchors added, from slugs we compute ourselves: no author-supplied attribute survives.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import markdown
from django.utils.text import slugify

from helpdesk.html import sanitize_html
from helpdesk.polish import fold

_HEADING = re.compile(r"<h([2-4])>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|tr|pre|blockquote|div)>|<br\s*/?>")


@dataclass
class Rendered:
    html: str
    text: str
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, anchor, text)


def plain(fragment: str) -> str:
    text = _BLOCK_END.sub("\n", fragment)
    return html.unescape(_TAG.sub("", text))


def render(source: str) -> Rendered:
    raw = markdown.markdown(source or "", extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    clean = sanitize_html(raw)
    headings: list[tuple[int, str, str]] = []
    used: set[str] = set()

    def anchor(match: re.Match) -> str:
        level, inner = int(match.group(1)), match.group(2)
        text = " ".join(plain(inner).split())
        base = slugify(fold(text))[:60] or "sekcja"
        slug, n = base, 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        headings.append((level, slug, text))
        return f'<h{level} id="{slug}">{inner}</h{level}>'

    clean = _HEADING.sub(anchor, clean)
    text = re.sub(r"\n{3,}", "\n\n", plain(clean)).strip()
    return Rendered(html=clean, text=text, headings=headings)
