"""helpdesk.polish.fold: lower case without diacritics, the folding of every search and routing token."""

from __future__ import annotations

import unicodedata

from helpdesk.polish import fold


def _by_character(text: str) -> str:
    """The definition: NFKD, then every combining mark left out (what fold() did one character at a time)."""
    text = text.translate(str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "ß": "ss"})).lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def test_fold_takes_the_diacritics_and_the_case_away():
    assert fold("Łódź") == "lodz"
    assert fold("ZAŻÓŁĆ GĘŚLĄ JAŹŃ") == "zazolc gesla jazn"
    assert fold("Straße MZ-88 ﬁ ½") == "strasse mz-88 fi 1⁄2"


def test_fold_is_the_character_by_character_definition_for_every_character():
    every = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    for start in range(0, len(every), 4096):
        text = "a" + "ą".join(every[start : start + 4096]) + "Ź"
        assert fold(text) == _by_character(text), f"from U+{ord(every[start]):04X}"
    assert fold("e\u0301\U0001d165x") == _by_character("e\u0301\U0001d165x")  # a combining mark outside the BMP, twice
    assert fold("e\u0301\U0001d165x") == "ex"
