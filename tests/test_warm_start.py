"""A web process does its one-time work while the application is built, before daphne listens
(helpdesk.speed.warm): every project template compiled, each request thread's Morfeusz analyser loaded."""

import threading
from pathlib import Path

from django.conf import settings
from django.template import engines

from helpdesk import polish
from helpdesk.asgi_handler import OneThreadASGIHandler
from helpdesk.speed import warm


def test_every_template_of_both_engines_compiles_at_start():
    django_dir, jinja_dir = (Path(engine["DIRS"][0]) for engine in settings.TEMPLATES)
    expected = [p for p in django_dir.rglob("*") if p.suffix in warm.SUFFIXES and jinja_dir not in p.parents]
    expected += [p for p in jinja_dir.rglob("*") if p.suffix in warm.SUFFIXES]
    assert warm.process() == len(expected) > 40
    # the engines' cached loaders hold them now: the next lookup compiles nothing
    loader = engines["django"].engine.template_loaders[0]
    assert "tickets/detail.html" in {key.split("-")[0] for key in loader.get_template_cache}


def test_a_broken_template_is_logged_not_fatal(tmp_path, monkeypatch, caplog):
    (tmp_path / "zly.html").write_text("{% if %}")
    (tmp_path / "dobry.html").write_text("{% if True %}tak{% endif %}")
    monkeypatch.setattr(engines["django"], "dirs", [tmp_path])
    monkeypatch.setattr(engines["django"].engine, "dirs", [tmp_path])  # where its loader looks
    monkeypatch.setattr(engines["jinja2"], "dirs", [])
    with caplog.at_level("WARNING", logger="helpdesk.speed.warm"):
        assert warm.process() == 1
    assert any("zly.html" in record.getMessage() for record in caplog.records)


def test_the_request_threads_are_started_with_their_analyser_before_any_request(settings):
    settings.WEB_REQUEST_THREADS = 3
    loaded: list[str] = []
    prepare = polish.prepare_thread

    def recording() -> None:
        loaded.append(f"{threading.current_thread().name}:{threading.get_ident()}")
        prepare()

    polish.prepare_thread = recording
    try:
        handler = OneThreadASGIHandler()
    finally:
        polish.prepare_thread = prepare
    assert len(handler._ready) == 3 and len(set(loaded)) == 3
    assert all(name.startswith("request") for name in loaded)
    for thread in handler._ready:
        thread.shutdown()
