"""Start-up objects out of the garbage collector's full passes.

A web or worker process holds about 150,000 objects made at start-up (modules, Django's apps, URL patterns,
settings) that live as long as it does. Python's full (generation 2) collection walks every tracked object, so
in a list request at a million tickets one request in about sixty paid 120–150 ms for it (bench/RESULTS.md,
"capped view counts"). `settle()` collects once and moves what is alive into the permanent generation
(`gc.freeze()`): later full passes walk only what came after. Objects frozen are never collected, so call it
once, when start-up is done, not per request."""

from __future__ import annotations

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
