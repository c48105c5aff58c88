"""helpdesk.choices.label gives what get_FOO_display gives, in either language, for every choice field the pages
show, and for a value outside the choices."""

import pytest
from django.utils import translation

from helpdesk.choices import label
from tickets.models import Channel, Entry, Priority, SlaTimer, Status, Ticket


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_label_is_the_display_value_in_each_language(language):
    cases = [
        *(Ticket(status=value) for value in Status.values),
        *(Ticket(priority=value) for value in Priority.values),
        *(Ticket(channel=value) for value in Channel.values),
    ]
    with translation.override(language):
        for ticket in cases:
            for field in ("status", "priority", "channel"):
                assert label(ticket, field) == getattr(ticket, f"get_{field}_display")()
        for kind in Entry._meta.get_field("kind").flatchoices:
            entry = Entry(kind=kind[0])
            assert label(entry, "kind") == entry.get_kind_display()
        for kind in SlaTimer.Kind.values:
            timer = SlaTimer(kind=kind)
            assert label(timer, "kind") == timer.get_kind_display()


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert label(Ticket(status="nieznany"), "status") == Ticket(status="nieznany").get_status_display() == "nieznany"
