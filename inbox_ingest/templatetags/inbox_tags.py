"""`{% mail_warnings_panel ticket %}`: what the e-mail channel knows about a ticket (bouncing addresses, messages
over the size limit), on the ticket page. A template tag, so the page is put together in the template and the
tickets app does not import the e-mail channel that sits above it."""

from django import template

from inbox_ingest import selectors

register = template.Library()


@register.inclusion_tag("inbox_ingest/_mail_warnings.html")
def mail_warnings_panel(ticket):
    return selectors.mail_warnings(ticket)
