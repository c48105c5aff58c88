"""HTML e-mail → readable plain text (stdlib parser: tolerant of the broken HTML mail clients write)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt",
}  # fmt: skip
SKIP = {"style", "script", "head", "title", "xml", "o:p"}


class _TextMaker(HTMLParser):
    def __init__(self, quote_blockquotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.quote_blockquotes = quote_blockquotes
        self.lines: list[str] = [""]
        self.depth = 0  # blockquote nesting
        self.skipping = 0
        self.pre = 0

    def _newline(self) -> None:
        if self.lines[-1].strip() or (len(self.lines) > 1 and self.lines[-2].strip()):
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skipping += 1
            return
        if tag == "br":
            self.lines.append("")
            return
        if tag in BLOCK:
            self._newline()
        if tag == "blockquote":
            self.depth += 1
        elif tag == "li":
            self.lines[-1] += "- "
        elif tag == "pre":
            self.pre += 1
        elif tag == "hr":
            self.lines[-1] = "________________________________"
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag == "blockquote":
            self.depth = max(0, self.depth - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in BLOCK:
            self._newline()
        elif tag in ("td", "th"):
            self.lines[-1] += " "

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
            if not self.lines[-1].strip():
                data = data.lstrip()
        prefix = "> " * self.depth if self.quote_blockquotes else ""
        chunks = data.split("\n")
        for index, chunk in enumerate(chunks):
            if index:
                self.lines.append("")
            if chunk and prefix and not self.lines[-1].startswith(prefix):
                self.lines[-1] = prefix + self.lines[-1]
            self.lines[-1] += chunk.replace("\xa0", " ")


def html_to_text(source: str, *, quote_blockquotes: bool = False) -> str:
    if not source:
        return ""
    maker = _TextMaker(quote_blockquotes)
    try:
        maker.feed(source)
        maker.close()
    except Exception:  # the parser is tolerant; this is belt and braces
        return html.unescape(re.sub(r"<[^>]*>", " ", source))
    text = "\n".join(line.rstrip() for line in maker.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
