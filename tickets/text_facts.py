"""What opening a ticket reads in its text, as one value: `text_facts(TicketText)` gives the `TextFacts` of a new
ticket's text (the routing rules' stems and form codes, the identifiers written in it, the sanitised HTML, the
search tokens of the requester's part and of the first entry), a pure function of that text (no database).

The planner (tickets.opening.open_tickets) computes them from the request it is given, with the name and sender
it ends up writing (`TicketText.of`); a caller that computed them before for the same request may hand them over
on it (`NewTicket.facts`): e-mail ingestion does it in its parsing workers (inbox_ingest.pipeline), so the
ingesting process, the bottleneck, does not. Given facts are used only when they were computed for the very
text the planner writes (`TextFacts.text == TicketText.of(...)`); any other facts are ignored and computed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contacts.identify import Numbers, find_numbers
from helpdesk.html import sanitize_html
from tickets import checks, rules, search

if TYPE_CHECKING:
    from tickets.requests import NewTicket


@dataclass(frozen=True)
class TicketText:
    """A new ticket's text as the planner writes it: the subject (cleaned), the first entry's message, the
    requester's name and address, and who the first entry is from."""

    subject: str
    text: str
    html: str = ""  # as given, not sanitised yet
    visible_text: str = ""
    name: str = ""  # the requester's name on the ticket (at most 200 characters)
    email: str = ""  # the requester's address as given
    sender_name: str = ""  # the first entry's sender (the requester, or the member of staff who opens it)
    sender_email: str = ""

    @classmethod
    def of(cls, request: NewTicket, *, name: str | None = None, actor: object | None = None) -> TicketText:
        """The text of `request` as opened by `actor` (None: the system) with the requester's name `name` (None:
        the request's own; the planner may take an identified person's name instead). Raises ValidationError for
        a subject that cannot be a ticket's (checks.clean_subject)."""
        name = (request.requester.name if name is None else name)[:200]
        email = request.requester.email
        return cls(
            subject=checks.clean_subject(request.subject),
            text=request.message.text,
            html=request.message.html,
            visible_text=request.message.visible_text,
            name=name,
            email=email,
            sender_name=(name if actor is None else str(actor))[:200],
            sender_email=email if actor is None else getattr(actor, "email", ""),
        )

    @property
    def routing_text(self) -> str:
        """What routing, identification and the form deadlines read: the subject and the message."""
        return f"{self.subject}\n{self.text}"


@dataclass(frozen=True)
class TextFacts:
    """What opening a ticket needs from its text (`text`: the text they were computed from)."""

    text: TicketText
    stems: Sequence[str]  # rules.stems of the routing text
    form_codes: frozenset[str]  # rules.form_codes of it
    numbers: Numbers  # contacts.identify.find_numbers of it
    html: str  # the first entry's HTML, sanitised
    requester_tokens: frozenset[str]  # search tokens of the ticket's subject, requester's name and address
    entry_tokens: frozenset[str]  # search tokens of the first entry

    def fits(self, text: TicketText) -> bool:
        return self.text == text


def text_facts(text: TicketText) -> TextFacts:
    """The facts of a new ticket's text: what tickets.opening would compute from it, in one place."""
    routing = text.routing_text
    html = sanitize_html(text.html or "")
    requester = search.requester_text(text.subject, text.name, (text.email or "").strip().lower())
    entry = search.entry_text_of(
        text.subject, text.sender_name, text.sender_email, text.visible_text or text.text, html
    )
    return TextFacts(
        text=text,
        stems=tuple(rules.stems(routing)),
        form_codes=frozenset(rules.form_codes(routing)),
        numbers=find_numbers(routing),
        html=html,
        requester_tokens=frozenset(search.document_tokens(requester)),
        entry_tokens=frozenset(search.document_tokens(entry)),
    )


def facts_for(request: NewTicket, *, name: str | None = None, actor: object | None = None) -> TextFacts:
    """The request's facts as opened by `actor` with the requester's name `name` (see TicketText.of): those it
    carries when they were computed for that very text, else computed now."""
    text = TicketText.of(request, name=name, actor=actor)
    given = request.facts
    return given if given is not None and given.fits(text) else text_facts(text)
