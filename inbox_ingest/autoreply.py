"""Recognising automatic mail: out-of-office answers, other auto-replies and delivery-status reports."""

from __future__ import annotations

import re

# Subjects of out-of-office and other automatic answers, Polish and English (and the usual Outlook forms).
AUTO_SUBJECT = re.compile(
    r"^\s*(?:"
    r"auto(?:matic)?[ -]?(?:reply|response|answer)|autoreply|auto:|"
    r"out of (?:the )?office|ooo\b|i am (?:currently )?out of|i'm (?:currently )?out of|"
    r"odpowied[zź] automatyczna|automatyczna odpowied[zź]|wiadomo[sś][cć] automatyczna|"
    r"nieobecno[sś][cć]|jestem nieobecn[ya]|poza biurem|jestem poza biurem|urlop\s*[-:–]|"
    r"abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence"
    r")",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|delivery status notification|delivery (?:has )?failed|returned mail|"
    r"failure notice|mail delivery failed|nie dostarczono|niedostarczon|zwrot wiadomo|"
    r"unzustellbar|non remis|delivery failure)",
    re.IGNORECASE,
)
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@|^mailer-daemon$", re.IGNORECASE)


def automatic_reason(headers: dict[str, str], subject: str, sender: str) -> str:
    """Why this message was written by a machine, or "" when a person wrote it. `headers` has lower-case keys."""
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply"):
        if headers.get(name, "").strip():
            return f"{name}: {headers[name].strip()}"[:200]
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    suppress = headers.get("x-auto-response-suppress", "").strip().lower()
    if suppress and any(word in suppress for word in ("all", "oof", "autoreply")):
        return f"X-Auto-Response-Suppress: {suppress}"[:200]
    if AUTO_SUBJECT.match(subject or ""):
        return f"Subject: {subject}"[:200]
    if sender and BOUNCE_SENDERS.match(sender):
        return f"From: {sender}"
    return ""


def is_bounce(content_type: str, headers: dict[str, str], subject: str, sender: str) -> bool:
    if content_type == "multipart/report" and "delivery-status" in headers.get("content-type", "").lower():
        return True
    from_daemon = bool(sender and BOUNCE_SENDERS.match(sender)) or not sender
    return from_daemon and bool(BOUNCE_SUBJECT.search(subject or ""))


_FINAL_RECIPIENT = re.compile(r"^(?:final|original)-recipient:\s*(?:rfc822;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?", re.I | re.M)
_ACTION_FAILED = re.compile(r"^action:\s*failed", re.IGNORECASE | re.MULTILINE)
_ADDRESS_IN_TEXT = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>")


def failed_recipients(delivery_status: list[str], text: str) -> list[str]:
    """Addresses a delivery-status report says could not be reached."""
    found: list[str] = []
    for report in delivery_status:
        for block in re.split(r"\n\s*\n", report):
            if _ACTION_FAILED.search(block) or "action:" not in block.lower():
                found += [address.lower() for address in _FINAL_RECIPIENT.findall(block)]
    if not found:  # a plain-text bounce: the first <address> in the text
        found = [address.lower() for address in _ADDRESS_IN_TEXT.findall(text[:5000])[:1]]
    return list(dict.fromkeys(found))
