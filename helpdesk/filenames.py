"""File names as people see them: bidirectional control characters taken out.

`invoice\u202efdp.exe` shows as "invoiceexe.pdf": the right-to-left override (and its kin) make a name read
differently from what it is. `neutral_name` removes them; it is the one function used when a name comes in (e-mail
parsing, uploads, knowledge-base files) and, through `FileNameField`, whenever a stored name is read or set, so
rows written before it existed are shown and downloaded neutralised too (and a migration rewrites them).
"""

from __future__ import annotations

import re

from django.db import models
from django.db.models.query_utils import DeferredAttribute

# LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM; the Arabic letter mark
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def neutral_name(name: str) -> str:
    """`name` without bidirectional control characters (and without the spaces they leave at either end)."""
    if not name or not _BIDI.search(name):
        return name
    return _BIDI.sub("", name).strip()


class _NeutralNameAttribute(DeferredAttribute):
    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = neutral_name(value) if isinstance(value, str) else value


class FileNameField(models.CharField):
    """A CharField for file names: whatever is set on a model instance or loaded from the database reads
    without bidirectional controls, so it is also saved without them (lookups compare the text as given)."""

    descriptor_class = _NeutralNameAttribute
