"""@mentions in internal notes: `@alice`, `@jan.kowalski` (a user name). An e-mail address in the text
(`rejestracja@przychodnia.pl`) is not a mention: the @ must start a word."""

from __future__ import annotations

import re

MENTION = re.compile(r"(?<![\w.@+-])@(\w(?:[\w.+-]*\w)?)")
MAX_MENTIONS = 20


def usernames_in(text: str) -> list[str]:
    """The user names mentioned in `text`, each once, in order of appearance (case as typed)."""
    seen: dict[str, str] = {}
    for match in MENTION.finditer(text or ""):
        seen.setdefault(match.group(1).lower(), match.group(1))
    return list(seen.values())[:MAX_MENTIONS]
