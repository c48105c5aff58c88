"""The speed machinery, in one place, so that no domain module carries any of it.

- `bulk.create(objs, ids=…)`, `bulk.update(objs, fields)`: the bulk writer. New rows of one model as
  bulk_create() stores them, with PostgreSQL's COPY where that pays (speed/bulk.py lists the field types it takes
  as they are; every other value goes through the field's own conversion); updates of many rows in one statement.
- `bulk.insert(model, columns, rows, tail=…, returning=…)`, `bulk.select_in(…)`: rows given as database values,
  for the imports of contacts (units, people, submission statuses and their history): upserts and RETURNING as
  one array per column, plain new rows with COPY; look-ups of thousands of values as one array parameter.
- `files.save_all(saves)`: the new files of a batch saved side by side (their fsyncs or uploads overlap), all
  saved before it returns.
- `batch()`: the context of one batch of e-mail ingestion, entered by the adapters that run batches (the IMAP
  watcher, the ingest_mail command, the parsing workers): PostgreSQL's cached plans discarded before it, fewer
  cyclic garbage collections during it, its garbage collected after it (speed/batches.py says why). Nothing of
  it is set for the process at import, nor outside the batches.
- `forms.FormRenderer` (settings.FORM_RENDERER): every form and widget rendered with Django's Jinja2 versions of
  its form templates, the same HTML for less CPU; templates with no such version through the Django templates.

What the parsing workers compute for the planner is no part of it: an explicit value, the facts of a new
ticket's text (tickets.text_facts), passed on the request (NewTicket.facts).

It lives in `helpdesk`, the ground floor, because the writers of several apps (tickets, inbox_ingest, contacts, the
outbox and the event log) use it and it uses nothing of theirs.
"""

from helpdesk.speed import bulk
from helpdesk.speed.batches import batch

__all__ = ["batch", "bulk"]
