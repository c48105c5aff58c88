"""What the write path is asked to do: frozen, keyword-only values for opening tickets (`NewTicket`) and adding
conversation entries (`NewEntry`), handed as lists to tickets.opening.open_tickets() and
tickets.entries.add_entries(). One ticket or entry is a list of one.

Grouped by what a caller knows: who wrote (`Requester`, `Sender`), what they wrote (`Message`), where it goes
(`Routing`), and what the channel adds (`EmailHeaders`, `CallDetails`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tickets.models import Entry, Priority

if TYPE_CHECKING:
    from contacts.models import Person, ReportingUnit
    from tickets.models import Category, Queue, Ticket
    from tickets.text_facts import TextFacts


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    is_inline: bool = False
    content_id: str = ""


@dataclass(frozen=True, kw_only=True)
class Message:
    """What was written: plain text, the sanitised-later HTML, the part a reader sees first (quotes folded)
    and the files."""

    text: str = ""
    html: str = ""
    visible_text: str = ""
    attachments: Sequence[NewAttachment] = ()


@dataclass(frozen=True, kw_only=True)
class Requester:
    """Who asks. Without `unit` the address, the numbers in the text and the phone identify the reporting unit
    (contacts.identify); `person`, when known, is the contact person."""

    name: str = ""
    email: str = ""
    phone: str = ""
    person: Person | None = None
    unit: ReportingUnit | None = None


@dataclass(frozen=True, kw_only=True)
class Sender:
    """Who wrote an inbound entry (empty: the ticket's requester, or the acting member of staff)."""

    name: str = ""
    email: str = ""


@dataclass(frozen=True, kw_only=True)
class EmailHeaders:
    """The e-mail the entry came in as (`mailbox`: the address it was sent to, which routing rules may name)."""

    message_id: str = ""
    in_reply_to: str = ""
    to: Sequence[str] = ()
    cc: Sequence[str] = ()
    mailbox: str = ""


@dataclass(frozen=True, kw_only=True)
class CallDetails:
    """A phone call the entry records (its entry kind is then `call`)."""

    direction: str
    duration_seconds: int | None = None
    call_id: str = ""
    caller_number: str = ""
    outside_hours: bool = False


@dataclass(frozen=True, kw_only=True)
class Routing:
    """Where the ticket goes. Without `queue` the routing rules decide queue, category, priority, tags and
    assignee (tickets.rules); `fallback_queue` (e.g. a mailbox's) when no rule names one; `related_to`: an
    earlier ticket this one refers to."""

    queue: Queue | None = None
    fallback_queue: Queue | None = None
    category: Category | None = None
    priority: int = Priority.NORMAL
    related_to: Ticket | None = None


@dataclass(frozen=True, kw_only=True)
class NewTicket:
    """A ticket to open with its first conversation entry (a call when `call` is given, else an inbound
    message). `facts`: what the planner reads in its text, when the caller computed them already
    (tickets.text_facts; used only if computed for the text the ticket ends up with)."""

    channel: str
    subject: str
    message: Message = field(default_factory=Message)
    requester: Requester = field(default_factory=Requester)
    routing: Routing = field(default_factory=Routing)
    email: EmailHeaders = field(default_factory=EmailHeaders)
    call: CallDetails | None = None
    facts: TextFacts | None = None

    @property
    def entry_kind(self) -> str:
        return Entry.Kind.CALL if self.call is not None else Entry.Kind.INBOUND


@dataclass(frozen=True, kw_only=True)
class NewEntry:
    """An entry to add to `ticket` (read afresh under a lock; a merged ticket's entry lands in the final
    target): an inbound message, a reply (sent by e-mail after commit), an internal note or a call.

    `reopen=False` for automatic inbound mail (out-of-office answers, bounces): recorded, never changing the
    ticket's status. `via="email"`: staff wrote it from their mailbox (an answer to a notice).
    `submission_key`: the acting member of staff's one-time key of this submission (the ticket page's hidden
    token, the API's Idempotency-Key): the same submission again gets the entry written first
    (tickets.submissions)."""

    ticket: Ticket
    kind: str
    message: Message = field(default_factory=Message)
    sender: Sender = field(default_factory=Sender)
    email: EmailHeaders = field(default_factory=EmailHeaders)
    call: CallDetails | None = None
    reopen: bool = True
    via: str = ""
    submission_key: str = ""
