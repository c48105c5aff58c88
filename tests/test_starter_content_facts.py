"""The starter knowledge base states no deadline as a fact: deadlines change every year and the public reads
them only in the forms catalogue, which shows only those confirmed from the published programme (PBSSP)."""

import re

from knowledge_base import starter_content

MONTHS = "stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia"
A_DATE = re.compile(rf"\b(\d{{1,2}}\.? ?(?:{MONTHS})|(?:początk\w*|koń\w*|koniec) (?:{MONTHS})|luty\b)", re.I)
# The reporting date of the forms ("według stanu na 31 grudnia") is part of the form, not a deadline.
REFERENCE_DATE = re.compile(r"stan\w* na \**31 grudnia", re.I)


def texts():
    groups = (starter_content.FAQ, starter_content.MANUALS, starter_content.FORM_INSTRUCTIONS)
    for entry in (*[e for group in groups for e in group], *starter_content.ANNOUNCEMENTS):
        yield entry[0], "\n".join(part for part in entry if isinstance(part, str))


def test_no_starter_article_states_a_deadline_date():
    stated = {}
    for slug, text in texts():
        dates = [m.group(0) for m in A_DATE.finditer(REFERENCE_DATE.sub("", text))]
        dates = [d for d in dates if d.lower().strip("*") != "31 grudnia"]
        if dates:
            stated[slug] = dates
    assert stated == {}


def test_no_starter_article_calls_a_date_usual():
    assert [slug for slug, text in texts() if re.search(r"\bzwykle (do|od|razem|:)", text, re.I)] == []
