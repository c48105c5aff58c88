"""Hypothesis strategies for hostile input, shared by the suite: what an attacker types into any parameter.

NUL bytes (PostgreSQL refuses them), digits of other scripts ("²".isdigit() is true and int() fails; "٣" is 3
to int()), numbers too large for any column, lone surrogates (no database stores them; in a query string or a
form they arrive as invalid UTF-8, in JSON as "\\ud800"), RFC 2047 encoded words (`=?utf-8?q?…?=`, which must never
be decoded into an identity), formula starts and very long strings.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import strategies as st

NASTY = [
    "\x00",
    "SSOZ\x00",
    "1\x00",
    "\x00' OR 1=1 --",
    "²",
    "²⁰²⁵",
    "٣",
    "٢٠٢٥",
    "１２３",  # fullwidth digits
    "߁",  # NKo digit one
    "9" * 19,
    "9" * 40,
    "99999999999999999999999999999999999999999999",
    "-1",
    "-9223372036854775809",
    "1e999",
    "NaN",
    "0x10",
    "1_000",
    " 12 ",
    "\ud800",
    "a\udfffb",
    "=?utf-8?q?anna=2Enowak=40szpital=2Eexample?= <attacker@evil.example>",
    "=?utf-8?b?YW5uYS5ub3dha0BzenBpdGFsLmV4YW1wbGU=?=",
    "=?iso-8859-2?q?=A1=B1=00?=",
    '=HYPERLINK("http://evil.example/","x")',
    "SSOZ-2026-000001",
    "me",
    "none",
    "%00",
    "../../etc/passwd",
    "\u202eexe.pdf",
    "x" * 5000,
]

# A character an attacker likes, mixed into arbitrary text.
nasty_characters = st.sampled_from(["\x00", "²", "٣", "\ud800", "\udfff", "\u202e", "=", "?", "%", "\r", "\n", "\t"])

hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(alphabet=st.one_of(nasty_characters, st.characters(codec="utf-8")), max_size=30),
    st.builds(lambda digits, junk: digits + junk, st.sampled_from(["1", "2025", "9" * 25]), st.sampled_from(NASTY)),
)

# Values a JSON body may carry in place of a string.
hostile_json_value = st.one_of(
    hostile_text,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 1e308, -1e308, 0.5, True, False, None, [], {}]),
    st.lists(hostile_text, max_size=3),
    st.dictionaries(hostile_text, hostile_text, max_size=2),
)


def _quote(text: str) -> str:
    # a lone surrogate goes out as the invalid UTF-8 bytes a hostile client would send
    return quote(text, safe="", errors="surrogatepass")


def query_string(params: dict[str, str | list[str]]) -> str:
    """`a=1&b=2`, every value percent-encoded byte by byte (lone surrogates as invalid UTF-8)."""
    pairs = []
    for name, value in params.items():
        for each in value if isinstance(value, list) else [value]:
            pairs.append(f"{_quote(name)}={_quote(each)}")
    return "&".join(pairs)


def json_body(data) -> str:
    """JSON as a client would send it: lone surrogates as \\ud800 escapes, huge numbers as digits."""
    return json.dumps(data, ensure_ascii=True)


def parameters(names: list[str]):
    """A dict giving one or more of `names` a hostile value."""
    return st.dictionaries(st.sampled_from(names), hostile_text, min_size=1, max_size=len(names))


def json_parameters(names: list[str]):
    return st.dictionaries(st.sampled_from(names), hostile_json_value, min_size=1, max_size=len(names))
