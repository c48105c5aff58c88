"""A web process does its one-time work before it takes requests, not in its first requests.

A fresh daphne paid, in its first requests: Morfeusz's dictionary (62 ms, then 5 ms for each further request
thread's analyser) and the compilation of the project's templates (50 templates, 132 ms of CPU), about 0.25 s of
CPU per process in all. On deadline day a process starts under the crowd (a deploy, or the supervisor restarting
one that died), and that CPU was taken from the requests waiting then. (Small beside a cold cache: in
bench/forty_clients.py's first 3 s, whose answers are all computed afresh, the difference is inside the noise.)

`helpdesk.asgi_handler` runs `thread` in each request thread and `process` once, while the application is built:
daphne listens only afterwards, so the other process (nginx's other upstream) answers meanwhile.

Nothing here needs the database or Redis: a process starts while either is away, as before.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.template import engines

from helpdesk import polish

log = logging.getLogger(__name__)

SUFFIXES = {".html", ".txt"}


def thread() -> None:
    """What each request thread keeps for itself (helpdesk.polish keeps one analyser per thread)."""
    polish.prepare_thread()


def process() -> int:
    """Compile the project's templates (the directories of both engines, `TEMPLATES`' DIRS), which the engines'
    loaders keep for the life of the process; returns how many. A template that does not compile is logged and
    left for its page to report, as without this."""
    compiled = 0
    every_dir = [Path(directory) for engine in engines.all() for directory in engine.dirs]
    for engine in engines.all():
        for directory in map(Path, engine.dirs):
            # the Django engine's directory holds the Jinja2 engine's (templates/jinja2): each compiles its own
            others = [other for other in every_dir if directory in other.parents]
            for path in sorted(directory.rglob("*")):
                if path.suffix not in SUFFIXES or any(other in path.parents for other in others):
                    continue
                try:
                    engine.get_template(path.relative_to(directory).as_posix())
                except Exception as exc:  # any: its page reports it when asked, as without this
                    log.warning("template %s not compiled at start: %s", path, exc)
                    continue
                compiled += 1
    return compiled
