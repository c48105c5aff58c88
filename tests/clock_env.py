"""The environment of a program started by a test or a bench script that must run on the real clock. No Django
imports here: bench scripts use it before settings exist."""

from __future__ import annotations

import os


def real_clock_env(env: dict | None = None) -> dict[str, str]:
    """The environment for a program that must run on the real clock when the suite runs under libfaketime
    (.ci/run's pass a year ahead): browsers, whose launchers break under it. Our own code stays on fake time."""
    env = dict(os.environ if env is None else env)
    preload = [lib for lib in env.pop("LD_PRELOAD", "").split() if "faketime" not in lib]
    if preload:
        env["LD_PRELOAD"] = " ".join(preload)
    return {key: value for key, value in env.items() if not key.startswith("FAKETIME")}
