"""The names of the channel groups live pushes go to: the only place they are spelled.

Who joins which group, and which groups a ticket's change goes to, is decided by tickets.ticket_access from
the same scope as the ticket lists; this module only names them. The names are also the keys the outbox
keeps pushes under (helpdesk.outbox.pushes_since), so renaming one loses the catch-up of pushes already queued.
"""

from __future__ import annotations

EVERY_TICKET = "tickets.all"  # the live lists of staff who see every voivodeship


def voivodeship(code: str) -> str:
    """The live lists of regional administrators of voivodeship `code` (TERYT code, e.g. "14")."""
    return f"tickets.v{code}"


def ticket(ticket_id: int) -> str:
    """The pages open on one ticket: its changes, who is viewing, who is typing."""
    return f"ticket.{ticket_id}"


def user(user_id: int) -> str:
    """Notices addressed to one member of staff (assigned to you, a mention, a call ringing), on every page."""
    return f"user.{user_id}"


def access(user_id: int) -> str:
    """Every websocket of one user, told when their access may have changed (helpdesk.access)."""
    return f"access.{user_id}"
