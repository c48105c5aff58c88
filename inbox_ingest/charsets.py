"""Bytes of a declared (often wrong) charset to text, never failing: the labels mail clients write that Python's
codecs do not know, fallbacks in order, and a guess for raw 8-bit header bytes (inbox_ingest.parsing)."""

from __future__ import annotations

# Labels mail clients write that Python's codecs do not know, or that name a subset of what is really sent.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "x-user-defined": "windows-1252",
    "us-ascii": "windows-1252",  # 8-bit bytes in "ASCII" mail are nearly always Windows-1252
    "ascii": "windows-1252",
    "ansi_x3.4-1968": "windows-1252",
    "iso-8859-1": "windows-1252",  # the superset browsers use too
    "latin1": "windows-1252",
    "iso-8859-2": "iso-8859-2",
    "cp-850": "cp850",
    "utf8": "utf-8",
    "utf-16": "utf-16",
}


def decode_bytes(data: bytes, charset: str | None, hint: str | None = None) -> str:
    """Bytes of a declared charset to text, never failing: unknown or wrong labels fall back sensibly. NUL
    characters are left out: no text column of PostgreSQL can hold one (the message went to quarantine)."""
    return _decode_bytes(data, charset, hint).replace("\x00", "")


def _decode_bytes(data: bytes, charset: str | None, hint: str | None) -> str:
    candidates = []
    for label in (charset, "utf-8", hint, "windows-1250"):
        label = (label or "").strip().strip('"').lower()
        if label:
            label = CHARSET_ALIASES.get(label, label)
            if label not in candidates:
                candidates.append(label)
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    for candidate in candidates:
        try:
            return data.decode(candidate, errors="replace")
        except LookupError:
            continue
    return data.decode("utf-8", errors="replace")


def guess_8bit(data: bytes, hint: str | None) -> str:
    """Raw 8-bit header bytes: UTF-8 if valid; East Asian encodings when nearly every byte is high
    (Polish text in Windows-1250/ISO-8859-2 has only a few); otherwise the message's declared charset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    high = sum(byte >= 0x80 for byte in data)
    if high * 2 > len(data.strip()):
        asian = ["shift_jis", "euc-jp"] if (hint or "").lower().startswith("iso-2022-jp") else ["gb18030", "big5"]
        for candidate in asian:
            try:
                return data.decode(candidate)
            except UnicodeDecodeError:
                continue
    return decode_bytes(data, hint)
