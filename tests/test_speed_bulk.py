"""helpdesk.speed.bulk: COPY stores, for every model the batched write paths write with it, what bulk_create stores.

The COPY tests need PostgreSQL: the suite's own database when it runs on PostgreSQL, or, when it runs on SQLite
(CI's first pass), the second database KB_COMPARE_DATABASE_URL points at (as tests/test_kb_backends_agree.py
does). With neither, they skip, and fail under CI=true."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import IntegrityError, NotSupportedError, connections, transaction
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from contacts.models import (
    Person,
    PersonEmail,
    PersonPhone,
    ReportingUnit,
    StatisticalForm,
    Submission,
    SubmissionChange,
    SubmissionStatus,
    UnitMembership,
)
from helpdesk.models import OutboxMessage
from helpdesk.speed import bulk
from inbox_ingest.models import Mailbox, RawMessage, SentMessage
from knowledge_base.models import Posting
from tests.conftest import need_server
from tickets.models import (
    Attachment,
    Channel,
    Entry,
    Priority,
    Queue,
    SlaTimer,
    Status,
    StoredFile,
    Ticket,
    TicketEvent,
)

OTHER = "kb_compare"
pytestmark = pytest.mark.django_db(databases=["default", OTHER] if OTHER in settings.DATABASES else ["default"])

MOMENT = dt.datetime(2026, 3, 2, 8, 15, 30, 123456, tzinfo=dt.UTC)
WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
TEXTS = [
    "",
    "Zażółć gęślą jaźń — „cudzysłów” ŻÓŁĆ",
    "tab\there\tand there",
    "new\nline\r\nCRLF\rCR",
    "back\\slash \\N \\. \\t \\\\",
    "quote ' \" {brace} [x] %s %(x)s $1",
    "emoji 🙂, nbsp\u00a0, ß, ǅ, 𝔸",
    "  spaces around  ",
    "\\N",
]
JSON = [
    {},
    [],
    {"to": ["a@example.pl"], "subject": 'Zgłoszenie "pilne" — żółć', "nested": {"q": '\\"', "n": [1, None, True]}},
    ["tab\t", "line\n", "back\\slash", {"ключ": "wartość"}],
    {"": "", "null": None, "number": 1.5, "big": 2**53},
]


@pytest.fixture
def pg() -> str:
    """The alias of a PostgreSQL database of this run."""
    for alias in ("default", OTHER):
        if alias in settings.DATABASES and connections[alias].vendor == "postgresql":
            return alias
    need_server("PostgreSQL", False, "run on PostgreSQL, or set KB_COMPARE_DATABASE_URL=postgres://… on SQLite")
    raise AssertionError("unreachable")


@pytest.fixture
def world(pg):
    """What the rows refer to, in that database; the clock stopped (auto_now_add gives both writes one time)."""
    with time_machine.travel(MOMENT, tick=False):
        queue = Queue.objects.using(pg).get(slug="centralna")
        ticket = Ticket(reference="ZG/1/2026", subject="świat", queue=queue, created_at=MOMENT, updated_at=MOMENT)
        ticket.save(using=pg)
        entry = Entry(ticket=ticket, kind=Entry.Kind.INBOUND, created_at=MOMENT)
        entry.save(using=pg)
        stored = StoredFile(sha256="f" * 64, size=3, content="attachments/2026/03/x.bin")
        stored.save(using=pg)
        mailbox = Mailbox(name="b", email_address="b@localhost", host="127.0.0.1", queue=queue)
        mailbox.save(using=pg)
        yield {"alias": pg, "queue": queue, "ticket": ticket, "entry": entry, "file": stored, "mailbox": mailbox}


def when(n: int) -> dt.datetime:
    moment = MOMENT + dt.timedelta(days=n, microseconds=n)
    return moment.astimezone(WARSAW) if n % 2 else moment  # aware in either zone


def tickets(world, side):
    return [
        Ticket(
            reference=f"ZG/{side}{n}/2026",
            subject=text,
            status=[Status.NEW, Status.OPEN, Status.RESOLVED][n % 3],
            priority=[Priority.NORMAL, 4, Priority.HIGH][n % 3],
            channel=Channel.EMAIL,
            queue=world["queue"],
            requester_name=text,
            requester_email="anna.nowak@szpital.example.pl" if n % 2 else "",
            requester_phone="+48 22 123 45 67" if n == 3 else "",
            created_at=when(n),
            updated_at=when(n + 1),
            first_response_at=None if n % 2 else when(n + 2),
            sla_due_at=when(n + 3) if n == 4 else None,
            tags=["a", 'b "c"', text] if n % 2 else [],
            unit_candidates=JSON[n % len(JSON)],
            related_to=world["ticket"] if n == 2 else None,
        )
        for n, text in enumerate(TEXTS)
    ]


def entries(world, side):
    return [
        Entry(
            ticket=world["ticket"],
            kind=[Entry.Kind.INBOUND, Entry.Kind.OUTBOUND, Entry.Kind.NOTE][n % 3],
            sender_name=text[:200],
            sender_email="jan@example.pl",
            to=["a@example.pl", text] if n % 2 else [],
            cc=JSON[n % len(JSON)],
            subject=text,
            body_text=text * 3,
            body_html=f"<p>{text}</p>",
            visible_text=text,
            message_id=f"<{side}{n}@example.pl>",
            call_duration_seconds=None if n % 2 else n * 60,
            outside_hours=bool(n % 2),
            created_at=when(n),
        )
        for n, text in enumerate(TEXTS)
    ]


def attachments(world, side):
    return [
        Attachment(
            entry=world["entry"],
            file=world["file"],
            filename=f"{side}{n} {text}.pdf".replace("/", "_"),
            content_type="application/pdf",
            is_inline=bool(n % 2),
            content_id=text,
        )
        for n, text in enumerate(TEXTS)
    ]


def sla_timers(world, side):
    return [
        SlaTimer(
            ticket=world["ticket"],
            kind=f"{side}{n}",
            target_seconds=3600 * n,
            state=[SlaTimer.State.RUNNING, SlaTimer.State.PAUSED][n % 2],
            consumed_seconds=-n,
            running_since=when(n) if n % 2 else None,
            due_at=when(n + 1),
            next_check_at=None,
        )
        for n in range(len(TEXTS))
    ]


def events(world, side):
    return [
        TicketEvent(
            ticket=world["ticket"], kind=f"{side}{n}", data=JSON[n % len(JSON)], reason=text, created_at=when(n)
        )
        for n, text in enumerate(TEXTS)
    ]


def outbox_messages(world, side):
    return [
        OutboxMessage(
            kind=[OutboxMessage.Kind.EMAIL, OutboxMessage.Kind.PUSH][n % 2],
            payload={"side": side, "text": text, "more": JSON[n % len(JSON)]},
            next_attempt_at=when(n),
            last_error=text,
        )
        for n, text in enumerate(TEXTS)
    ]


def raw_messages(world, side):
    return [
        RawMessage(
            mailbox=world["mailbox"] if n % 2 else None,
            uidvalidity=2**40 + n if n % 2 else None,
            uid={"c": 1000, "i": 2000}[side] + n if n % 2 else None,
            source=text,
            raw=bytes(range(256)) * n + text.encode(),
            size=n,
            sha256=f"{n:064d}",
            message_id=text,
            dedupe_key=f"mid:<{side}{n}@x>" if n % 3 else None,
            subject=text,
            sender=text,
            reason=text,
            oversized=n == 4,
            ticket=world["ticket"] if n == 5 else None,
            processed_at=when(n) if n % 2 else None,
        )
        for n, text in enumerate(TEXTS)
    ]


def sent_messages(world, side):
    return [
        SentMessage(ticket=world["ticket"], message_id=f"<{side}{n}-{text}@example.pl>", to_email=f"x{n}@example.pl")
        for n, text in enumerate(TEXTS)
    ]


# every model the batched write paths hand to helpdesk.speed.bulk (grep bulk.create), with its fields that must
# differ between the two writes (unique ones, or ones carrying the side: compared separately)
WRITTEN = {
    "tickets": (tickets, ["reference"]),
    "entries": (entries, ["message_id"]),
    "attachments": (attachments, ["filename"]),
    "sla_timers": (sla_timers, ["kind"]),
    "events": (events, ["kind"]),
    "outbox_messages": (outbox_messages, ["payload"]),
    "raw_messages": (raw_messages, ["uid", "dedupe_key"]),
    "sent_messages": (sent_messages, ["message_id"]),
}


def stored(objs, alias: str, leave_out=()) -> list[dict]:
    """The rows of `objs` as read back, in order, without their keys (and without `leave_out`)."""
    model = type(objs[0])
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key and f.name not in leave_out]
    rows = model._base_manager.using(alias).filter(pk__in=[obj.pk for obj in objs]).order_by("pk").values(*names)
    return [{name: bytes(v) if isinstance(v, memoryview) else v for name, v in row.items()} for row in rows]


def given(objs, leave_out=()) -> list[dict]:
    """The objects' own values (after the write: auto_now_add applied), as the rows should hold them."""
    fields = [f for f in type(objs[0])._meta.concrete_fields if not f.primary_key and f.name not in leave_out]
    return [{f.attname: getattr(obj, f.attname) for f in fields} for obj in objs]


@pytest.mark.parametrize("written", WRITTEN, ids=list(WRITTEN))
def test_copy_stores_what_bulk_create_stores_and_what_was_given(world, written):
    build, differing = WRITTEN[written]
    alias = world["alias"]
    with time_machine.travel(MOMENT, tick=False):
        copied = bulk.copy(build(world, "c"), using=alias)
        inserted = type(copied[0])._base_manager.using(alias).bulk_create(build(world, "i"))
    assert stored(copied, alias, differing) == stored(inserted, alias, differing)
    assert stored(copied, alias) == given(copied)
    assert stored(inserted, alias) == given(inserted)
    assert all(obj.pk and not obj._state.adding and obj._state.db == alias for obj in copied)
    assert len({obj.pk for obj in copied}) == len(copied)


def test_values_of_another_type_are_converted_by_the_field_as_bulk_create_converts_them(world):
    """Only the exact types PLAIN lists go to COPY as they are: a bool in an integer column, an int in a boolean
    one, a number in a text column, a lazy translation, memoryview bytes, a Decimal, a naive datetime (made aware
    with Django's warning) all go through the field's own get_db_prep_save."""
    alias = world["alias"]

    def build(side):
        return [
            RawMessage(
                uidvalidity=True,
                uid=Decimal(n),
                source=gettext_lazy("Zgłoszenie"),
                raw=memoryview(b"\x00\\x\tbytes"),
                size=n > 0,
                sha256=n,
                subject=side,
                oversized=n,
                attempts=Priority.HIGH,
                processed_at=dt.datetime(2026, 3, 2, 9, 0, n),
            )
            for n in range(2)
        ]

    with time_machine.travel(MOMENT, tick=False), pytest.warns(RuntimeWarning, match="naive datetime"):
        copied = bulk.copy(build("c"), using=alias)
        inserted = RawMessage.objects.using(alias).bulk_create(build("i"))
    assert stored(copied, alias, ["subject"]) == stored(inserted, alias, ["subject"])
    first = stored(copied, alias)[1]
    assert [first[name] for name in ("uidvalidity", "uid", "size", "sha256", "oversized")] == [1, 1, 1, "1", True]
    assert (first["source"], first["raw"], first["attempts"]) == ("Zgłoszenie", b"\x00\\x\tbytes", Priority.HIGH)


def test_an_sql_expression_is_refused_naming_the_field(world):
    with pytest.raises(TypeError, match=r"inbox_ingest\.RawMessage\.subject holds an SQL expression"):
        bulk.copy([RawMessage(raw=b"x", sha256="a" * 64, subject=Value("x"))], using=world["alias"])
    assert not RawMessage.objects.using(world["alias"]).exists()


def test_a_unique_violation_is_djangos_integrity_error_and_writes_nothing(world):
    alias, box = world["alias"], world["mailbox"]
    RawMessage(mailbox=box, uidvalidity=1, uid=7, raw=b"x", size=1, sha256="b" * 64).save(using=alias)
    with pytest.raises(IntegrityError), transaction.atomic(using=alias):
        bulk.copy(
            [
                RawMessage(mailbox=box, uidvalidity=1, uid=8, raw=b"y", size=1, sha256="c" * 64),
                RawMessage(mailbox=box, uidvalidity=1, uid=7, raw=b"x", size=1, sha256="b" * 64),
            ],
            using=alias,
        )
    assert RawMessage.objects.using(alias).count() == 1


def test_without_ids_the_rows_are_written_and_the_objects_stay_unnumbered(world):
    alias = world["alias"]
    messages = [OutboxMessage(kind=OutboxMessage.Kind.PUSH, payload={"n": n}, next_attempt_at=MOMENT) for n in range(4)]
    bulk.copy(messages, ids=False, using=alias)
    assert all(message.pk is None for message in messages)
    payloads = OutboxMessage.objects.using(alias).values_list("payload", flat=True)
    assert sorted(row["n"] for row in payloads) == [0, 1, 2, 3]


def test_keys_given_are_written_as_given_and_the_others_numbered(world):
    alias = world["alias"]
    top = OutboxMessage.objects.using(alias).order_by("-pk").values_list("pk", flat=True).first() or 0
    messages = [
        OutboxMessage(pk=top + 1000 + n if n % 2 else None, kind="push", payload={"n": n}, next_attempt_at=MOMENT)
        for n in range(4)
    ]
    bulk.copy(messages, ids=False, using=alias)
    assert [message.pk for message in messages][1::2] == [top + 1001, top + 1003]
    stored_rows = OutboxMessage.objects.using(alias).filter(pk__in=[message.pk for message in messages])
    assert sorted(row.payload["n"] for row in stored_rows) == [0, 1, 2, 3]


def test_create_copies_a_large_batch_and_inserts_a_small_one(world):
    """A single row is one INSERT … RETURNING (one round trip, not two); from COPY_FROM rows on it is COPY."""
    alias = world["alias"]
    connection = connections[alias]
    with CaptureQueriesContext(connection) as small:
        bulk.create(events(world, "s")[:1], using=alias)
    many = [TicketEvent(ticket=world["ticket"], kind=f"m{n}", created_at=when(n)) for n in range(bulk.COPY_FROM)]
    with CaptureQueriesContext(connection) as large:
        bulk.create(many, using=alias)
    assert [query["sql"].split()[0] for query in small.captured_queries] == ["INSERT"]
    assert [query["sql"].split()[0] for query in large.captured_queries] == ["SELECT"]  # the keys; COPY is not logged
    assert TicketEvent.objects.using(alias).filter(kind__startswith="m").count() == bulk.COPY_FROM


def test_a_model_whose_keys_come_from_no_sequence_is_written_by_bulk_create(world):
    """COPY numbers rows from the table's sequence; a model with keys of its own (a token) is refused by copy()
    and written by create() with bulk_create."""
    alias = world["alias"]
    rows = [Posting(token=f"zz-speed-{n}", title=b"\x00\x01", version=n) for n in range(3)]
    with pytest.raises(NotSupportedError, match=r"knowledge_base\.Posting"):
        bulk.copy(rows, using=alias)
    bulk.create(rows, using=alias)
    stored_rows = Posting.objects.using(alias).filter(token__startswith="zz-speed-").order_by("token")
    assert [(row.token, bytes(row.title), row.version) for row in stored_rows] == [
        (f"zz-speed-{n}", b"\x00\x01", n) for n in range(3)
    ]


def test_copy_refuses_sqlite_and_create_falls_back_to_bulk_create_there():
    alias = next((a for a in ("default", OTHER) if a in settings.DATABASES and connections[a].vendor == "sqlite"), None)
    if alias is None:
        pytest.skip("no SQLite database in this run")
    rows = [OutboxMessage(kind=OutboxMessage.Kind.PUSH, payload={"n": n}, next_attempt_at=MOMENT) for n in range(30)]
    with pytest.raises(NotSupportedError):
        bulk.copy(rows, using=alias)
    bulk.create(rows, using=alias)
    assert OutboxMessage.objects.using(alias).count() == 30 and all(row.pk for row in rows)


def test_an_empty_list_is_nothing():
    assert bulk.create([]) == [] and bulk.copy([]) == []


def test_update_writes_what_save_with_update_fields_writes(central, open_email_ticket):
    """bulk.update: one UPDATE … FROM unnest() on PostgreSQL, executemany on SQLite; either way each row gets its
    own values, None included, and the fields not named stay as they were."""
    ticket = open_email_ticket(central)
    rows = bulk.create(
        [RawMessage(raw=b"x%d" % n, size=2, sha256=f"{n}" * 64, source="test", subject=f"s{n}") for n in range(3)]
    )
    when = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    for n, row in enumerate(rows):
        row.status, row.outcome = RawMessage.Status.DONE, RawMessage.Outcome.CREATED
        row.reason = "tab\there, 'quote' \"double\" {brace} \\ żółć" if n == 1 else ""
        row.oversized, row.attempts = n == 2, n
        row.ticket = ticket if n != 1 else None
        row.duplicate_of = rows[0] if n == 2 else None
        row.dedupe_key = f"mid:<{n}@x>" if n != 0 else None
        row.processed_at = when + dt.timedelta(seconds=n)
        row.subject = "not saved"
    bulk.update(rows, ["status", "outcome", "reason", "oversized", "attempts", "ticket", "duplicate_of",
                       "dedupe_key", "processed_at"])  # fmt: skip
    for n, row in enumerate(rows):
        stored_row = RawMessage.objects.get(pk=row.pk)
        assert (stored_row.status, stored_row.outcome, stored_row.reason) == (row.status, row.outcome, row.reason)
        assert (stored_row.oversized, stored_row.attempts) == (n == 2, n)
        assert stored_row.processed_at == when + dt.timedelta(seconds=n)
        assert stored_row.ticket_id == (ticket.pk if n != 1 else None)
        assert stored_row.duplicate_of_id == (rows[0].pk if n == 2 else None)
        assert stored_row.dedupe_key == (f"mid:<{n}@x>" if n else None)
        assert stored_row.subject == f"s{n}" and bytes(stored_row.raw) == b"x%d" % n


def test_update_of_nothing_is_nothing():
    assert bulk.update([], ["status"]) is None


# --- bulk.insert: the imports' rows (database values) into the models contacts.units_import and
# contacts.submissions write with it; the same rows through bulk_create must read back the same.


def _units(alias, side):
    columns = ["regon", "name", "nip", "rpwdl", "kind", "voivodeship_id", "teryt", "address", "is_active"]
    columns += ["email_domain", "created_at", "updated_at"]
    more = [[bool(n % 2), "szpital.example.pl" if n % 2 else "", when(n), when(n + 1)] for n in range(len(TEXTS))]
    rows = [
        [f"{side}{n:08d}" if n % 3 else None, text or "—", f"{n:010d}", "", "hospital", "14", "1465011", text, *more[n]]
        for n, text in enumerate(TEXTS)
    ]
    return ReportingUnit, columns, rows


def _people(alias, side):
    return Person, ["name", "notes", "created_at"], [[text[:200], text * 2, when(n)] for n, text in enumerate(TEXTS)]


def _person(alias):
    return Person.objects.using(alias).create(name="Anna Nowak")


def _unit(alias):
    """The unit both sides' rows belong to (the first side creates it)."""
    defaults = {"name": "Szpital", "voivodeship_id": "14"}
    return ReportingUnit.objects.using(alias).get_or_create(regon="000000001", defaults=defaults)[0]


def _emails(alias, side):
    person = _person(alias)
    return PersonEmail, ["person_id", "email"], [[person.pk, f"{side}{n}.żółć@example.pl"] for n in range(len(TEXTS))]


def _phones(alias, side):
    person = _person(alias)
    return PersonPhone, ["person_id", "number"], [[person.pk, f"+4822{side}{n:07d}"] for n in range(len(TEXTS))]


def _memberships(alias, side):
    unit = _unit(alias)
    people = [_person(alias) for _text in TEXTS]
    return (
        UnitMembership,
        ["person_id", "unit_id", "role"],
        [[p.pk, unit.pk, t[:200]] for p, t in zip(people, TEXTS, strict=True)],
    )


def _submissions(alias, side):
    unit = _unit(alias)
    forms = list(StatisticalForm.objects.using(alias).order_by("pk")[: len(TEXTS)])
    status = SubmissionStatus.objects.using(alias).order_by("pk").first()
    columns = ["unit_id", "form_id", "year", "status_id", "changed_at", "source", "created_at", "updated_at"]
    year = {"c": 2025, "i": 2026}[side]
    return (
        Submission,
        columns,
        [[unit.pk, f.pk, year, status.pk, when(n), "file", when(0), when(n)] for n, f in enumerate(forms)],
    )


def _changes(alias, side):
    model, columns, rows = _submissions(alias, side)
    written = bulk.insert(model, columns, rows, returning="id", using=alias)
    columns = ["submission_id", "status_id", "changed_at", "recorded_at", "source", "actor_id", "import_run_id", "note"]
    return (
        SubmissionChange,
        columns,
        [
            [pk, rows[0][3], when(n), when(0), "api", None, None, TEXTS[n % len(TEXTS)]]
            for n, (pk,) in enumerate(written)
        ],
    )


INSERTED = {
    "units": _units,
    "people": _people,
    "emails": _emails,
    "phones": _phones,
    "memberships": _memberships,
    "submissions": _submissions,
    "changes": _changes,
}


def _aliases():
    return ["default", OTHER] if OTHER in settings.DATABASES else ["default"]


@pytest.mark.parametrize("alias", _aliases())
@pytest.mark.parametrize("returning", ["id", ""], ids=["returning", "plain"])
@pytest.mark.parametrize("written", INSERTED, ids=list(INSERTED))
def test_insert_stores_what_bulk_create_stores_and_what_was_given(alias, returning, written):
    """bulk.insert() on either database, plain (COPY on PostgreSQL) or with RETURNING (INSERT … unnest): the rows
    read back are the values given, and the same values given to bulk_create() as model instances read back the
    same (the keys aside)."""
    connection = connections[alias]
    model, columns, rows = INSERTED[written](alias, "c")
    last = model._base_manager.using(alias).order_by("-pk").values_list("pk", flat=True).first() or 0
    adapted = [
        [connection.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v for v in row] for row in rows
    ]
    ids = [pk for (pk,) in bulk.insert(model, columns, adapted, returning=returning, using=alias)]
    if not returning:
        ids = list(model._base_manager.using(alias).filter(pk__gt=last).values_list("pk", flat=True))
    assert len(ids) == len(rows)
    _model, _columns, other = INSERTED[written](alias, "i")
    with time_machine.travel(MOMENT, tick=False):  # auto_now(_add) of bulk_create: compared apart
        objs = model._base_manager.using(alias).bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in other]
        )
    read = list(model._base_manager.using(alias).filter(pk__in=ids).order_by("pk").values_list(*columns))
    assert [list(row) for row in read] == rows
    if connection.features.can_return_rows_from_bulk_insert:
        read_back = model._base_manager.using(alias).filter(pk__in=[o.pk for o in objs]).order_by("pk")
        assert [list(row) for row in read_back.values_list(*columns)] == [
            [
                MOMENT if c in ("created_at", "updated_at") and _auto(model, c) else v
                for c, v in zip(columns, row, strict=True)
            ]
            for row in other
        ]


def _auto(model, column: str) -> bool:
    field = model._meta.get_field(column)
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def test_insert_returns_the_rows_of_an_upsert_and_select_in_finds_them():
    person = Person.objects.create(name="Anna")
    numbers = [f"+48221{n:06d}" for n in range(5)]
    ids = bulk.insert(PersonPhone, ["person_id", "number"], [[person.pk, number] for number in numbers], returning="id")
    assert len(ids) == 5
    found = bulk.select_in(PersonPhone, "number", [*numbers, "+48000"], ["number", "person_id"])
    assert sorted(found) == [(number, person.pk) for number in numbers]
    assert bulk.insert(PersonPhone, ["person_id", "number"], []) == []
    assert bulk.select_in(PersonPhone, "number", [], ["number"]) == []
