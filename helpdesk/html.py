"""Untrusted HTML (e-mail bodies, Markdown output) made safe to show inside our pages."""

import nh3

from helpdesk import ahead

_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


@ahead.pure  # e-mail ingestion computes it in its parsing workers
def sanitize_html(html: str) -> str:
    if not html:
        return ""
    return nh3.clean(
        html,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
