"""The functions a sampling profile of a web process spends its CPU in: py-spy's collapsed stacks (`py-spy record
--format raw`), summed per function, own time and inclusive time, as a share of all samples.

    .venv/bin/py-spy record --pid PID --rate 200 --nonblocking --format raw -o web0.txt --duration 30
    .venv/bin/python bench/load/spy_top.py web0.txt [--top 25] [--match helpdesk]

bench/load_test.py --profile does both for the first web process and prints this with its report. Without
py-spy's --idle the samples are of threads on the CPU (or wanting it): the shares say where CPU time goes.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    """`function (path/to/module.py:12)` → `function (module path after site-packages or the project)`."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3.11/", "/work/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def summarise(lines: list[str]) -> tuple[int, Counter, Counter]:
    """Total samples, own samples per function (the innermost frame), inclusive samples per function."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_short(frame) for frame in stack.split(";")]
        if frames and frames[0].startswith("process "):
            frames = frames[1:]  # py-spy's leading "process PID:..." pseudo-frame (with --subprocesses)
        if frames and frames[0].startswith("thread "):
            frames = frames[1:]
        if not frames:
            continue
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    return total, own, inclusive


def table(path: Path, top: int = 25, match: str = "") -> str:
    total, own, inclusive = summarise(path.read_text(errors="replace").splitlines())
    if not total:
        return f"(no samples in {path})"
    out = [f"{total} samples of threads on the CPU ({path.name})", "", "| own % | function |", "|--:|---|"]
    out += [f"| {100 * n / total:.1f} | `{name}` |" for name, n in own.most_common(top)]
    out += ["", "| inclusive % | function |", "|--:|---|"]
    chosen = [(name, n) for name, n in inclusive.most_common() if match in name][:top]
    out += [f"| {100 * n / total:.1f} | `{name}` |" for name, n in chosen]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only functions whose name or path contains this (inclusive)")
    args = parser.parse_args()
    print(table(args.raw, args.top, args.match))


if __name__ == "__main__":
    main()
