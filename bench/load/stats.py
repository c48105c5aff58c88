"""Locust event hooks that keep every response time per request name and per group ("public", "agent"), and write
them, summarised, to LOAD_OUT when locust stops (exact percentiles per group, which locust's CSV cannot give)."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import Counter, defaultdict

from locust import events

_times: dict[str, list[float]] = defaultdict(list)
_failures: dict[str, int] = Counter()
_errors: Counter = Counter()
_span: list[float] = []


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    now = time.time()
    if not _span:
        _span.extend([now, now])
    _span[1] = now
    group = name.split(":", 1)[0]
    for key in (name, f"{group} (all)"):
        _times[key].append(response_time)
        if exception is not None:
            _failures[key] += 1
    if exception is not None:
        _errors[f"{name}: {str(exception)[:120]}"] += 1


@events.quitting.add_listener
def _write(environment, **kwargs):
    path = os.environ.get("LOAD_OUT")
    if not path:
        return
    seconds = max(_span[1] - _span[0], 1e-9) if _span else 0.0
    summary = {
        name: {
            "requests": len(values),
            "failures": _failures[name],
            "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(_percentile(values, 0.95), 1),
            "p99_ms": round(_percentile(values, 0.99), 1),
            "per_second": round(len(values) / seconds, 1) if seconds else 0.0,
        }
        for name, values in sorted(_times.items())
    }
    with open(path, "w") as out:
        json.dump({"seconds": round(seconds, 1), "requests": summary, "errors": _errors.most_common(10)}, out)
