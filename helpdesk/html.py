"""Untrusted HTML (e-mail bodies, Markdown output) made safe to show inside our pages."""

import nh3

_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def sanitize_html(html: str) -> str:
    if not html:
        return ""
    return _clean(html)


def _clean(html: str, attribute_filter=None) -> str:
    return nh3.clean(
        html,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


BLOCKED_IMAGE = "img/obraz-zablokowany.svg"  # the placeholder (a static file) shown instead of a remote image


def without_remote_images(html: str, placeholder: str) -> tuple[str, int]:
    """Sanitised e-mail HTML as the ticket page shows it by default: every image that the browser would fetch
    (from another site, or by a relative address) points at `placeholder` instead, so that opening a message
    tells its sender nothing. Returns (html, how many images were blocked). `cid:` images, parts of the
    message itself, stay. The HTML is cleaned again on the way (an attribute filter of the sanitiser, never a
    text substitution), so rows sanitised by any earlier version come out the same way."""
    if not html:
        return "", 0
    blocked = 0

    def keep_local(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if tag == "img" and attribute == "src" and value.strip() and not value.strip().lower().startswith("cid:"):
            blocked += 1
            return placeholder
        return value

    cleaned = _clean(html, keep_local)
    return cleaned, blocked
