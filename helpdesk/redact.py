"""Secrets that must not outlive their use: the requester's private-link token (`/zgloszenie/<token>/`) is known
only to the e-mail that carries it. After that e-mail is sent it is scrubbed from the outbox row
(`scrub_payload`), and it never reaches a log line (`MaskPrivateLinks`, a filter of every log handler) or the
admin's outbox page (`mask_private_links`)."""

from __future__ import annotations

import logging
import re

MASK = "***"  # as deploy/nginx.conf writes it in the access log
# the private page and its files: /zgloszenie/<token>/ and /zgloszenie/<token>/pliki/<n>
PRIVATE_LINK = re.compile(r"(/zgloszenie/)[^/\s?#\"'<>]+")


def mask_private_links(text: str) -> str:
    return PRIVATE_LINK.sub(r"\g<1>" + MASK, text)


def scrub_payload(payload: dict) -> dict:
    """The payload without the strings listed in its "secrets" (and without that list)."""
    secrets = [s for s in payload.get("secrets") or [] if s]

    def clean(value):
        if isinstance(value, str):
            for secret in secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, list):
            return [clean(item) for item in value]
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items() if key != "secrets"}
        return value

    return clean(payload)


class MaskPrivateLinks(logging.Filter):
    """Rewrites a record whose message holds a private link (e.g. Django's "Not Found: /zgloszenie/<token>/"
    for an expired link) with the token masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's business, not ours
            return True
        masked = mask_private_links(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
