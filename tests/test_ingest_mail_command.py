"""manage.py ingest_mail PATH… [--json]: files, directories, mbox files and Maildirs."""

from __future__ import annotations

import io
import json
import mailbox as stdlib_mailbox

import pytest
from django.core.management import CommandError, call_command

from inbox_ingest import sources
from tests.mailtools import POLISH, corpus, message
from tickets.models import Ticket


def run(*args) -> list[dict]:
    out = io.StringIO()
    call_command("ingest_mail", *args, "--json", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_directory_of_polish_eml_files_gives_one_json_line_per_message(db, central):
    lines = run(str(POLISH))
    assert len(lines) == len(list(POLISH.glob("*.eml")))
    assert {line["outcome"] for line in lines} <= {"created", "appended", "autoreply"}
    assert all(set(line) == {"message_id", "outcome", "ticket", "reason"} for line in lines)


def test_running_again_reports_duplicates_and_creates_nothing(db, central):
    run(str(POLISH))
    count = Ticket.objects.count()
    assert {line["outcome"] for line in run(str(POLISH))} == {"duplicate"}
    assert Ticket.objects.count() == count


def test_mbox_and_maildir_are_read(db, central, tmp_path):
    box = stdlib_mailbox.mbox(tmp_path / "skrzynka.mbox")
    maildir = stdlib_mailbox.Maildir(tmp_path / "Maildir")
    for number in range(3):
        box.add(message(message_id=f"<mbox{number}@x>", subject=f"mbox {number}"))
        maildir.add(message(message_id=f"<md{number}@x>", subject=f"maildir {number}"))
    box.flush()
    lines = run(str(tmp_path / "skrzynka.mbox"), str(tmp_path / "Maildir"))
    assert [line["outcome"] for line in lines] == ["created"] * 6
    assert Ticket.objects.filter(subject__startswith="maildir").count() == 3


def test_a_maildir_is_read_in_delivery_order_so_a_reply_joins_the_message_it_answers(db, central, tmp_path):
    """Maildir names carry the delivery time's microseconds and a counter without a fixed width: as text
    "…M10…" sorts before "…M9…", and the reply, read first, opened a ticket of its own."""
    maildir = stdlib_mailbox.Maildir(tmp_path / "Maildir")
    original = message(message_id="<pytanie@x>", subject="Korekta MZ-06")
    reply = message(
        message_id="<odpowiedz@x>", subject="Re: Korekta MZ-06", headers={"In-Reply-To": "<pytanie@x>"}, body="Jeszcze"
    )
    for name, raw in [("1765100000.M9P100Q1.host", original), ("1765100000.M10P100Q2.host", reply)]:
        (tmp_path / "Maildir" / "new" / name).write_bytes(raw)
    assert sorted(maildir.keys()) == ["1765100000.M10P100Q2.host", "1765100000.M9P100Q1.host"]  # text order
    lines = run(str(tmp_path / "Maildir"))
    assert [line["outcome"] for line in lines] == ["created", "appended"]
    assert Ticket.objects.get().entries.count() == 2


def test_maildir_names_of_other_forms_are_read_after_in_text_order():
    keys = ["b", "1765100001.M1P1.host", "a", "1765100000.M20P1Q3.host", "1765100000.M20P1Q10.host"]
    assert sorted(keys, key=sources.delivery_order) == [
        "1765100000.M20P1Q3.host", "1765100000.M20P1Q10.host", "1765100001.M1P1.host", "a", "b",
    ]  # fmt: skip


def test_a_missing_path_is_refused_with_a_clear_message(db):
    with pytest.raises(CommandError, match="Nie ma takiego pliku"):
        run("/nie/ma/takiego")


def test_every_django_helpdesk_corpus_message_becomes_one_ticket_with_its_attachment(db, central):
    folder = corpus("django-helpdesk")
    lines = run(str(folder))
    assert len(lines) == 6 and all(line["outcome"] == "created" for line in lines), lines
    blank = Ticket.objects.get(reference=lines[1]["ticket"])  # blank-body-with-attachment.eml
    assert blank.entries.get().attachments.exists()


def test_every_zammad_message_reaches_an_outcome_and_only_unreadable_ones_are_quarantined(db, central):
    lines = run(str(corpus("zammad")))
    assert len(lines) >= 100
    assert all(line["outcome"] in {"created", "appended", "duplicate", "autoreply", "bounce"} for line in lines), [
        line for line in lines if line["outcome"] == "quarantined"
    ]


def test_the_same_file_twice_in_one_run_is_stored_once_and_reported_as_a_duplicate(db, central, tmp_path):
    (tmp_path / "a.eml").write_bytes(message())
    (tmp_path / "b.eml").write_bytes(message())
    assert [line["outcome"] for line in run(str(tmp_path))] == ["created", "duplicate"]
    from inbox_ingest.models import RawMessage

    assert RawMessage.objects.count() == 1 and Ticket.objects.count() == 1


def test_a_batch_with_one_unreadable_message_quarantines_only_that_one(db, central, tmp_path, monkeypatch):
    from inbox_ingest import parsing

    def broken(real):
        def parse(raw):
            if b"ZEPSUTA" in raw:
                raise ValueError("nie do odczytania")
            return real(raw)

        return parse

    # both ways a message is parsed: ahead of storing (pipeline.prepare) and the usual way (messages.ingest)
    monkeypatch.setattr(parsing, "parse", broken(parsing.parse))
    monkeypatch.setattr(parsing, "parse_with_headers", broken(parsing.parse_with_headers))
    for number in range(5):
        subject = "ZEPSUTA" if number == 2 else f"Dobra {number}"
        (tmp_path / f"{number}.eml").write_bytes(message(message_id=f"<b{number}@x>", subject=subject))
    outcomes = [line["outcome"] for line in run(str(tmp_path))]
    assert outcomes == ["created", "created", "quarantined", "created", "created"]
