"""The server action (flag, move, delete) recorded per mailbox, not per message.

The watcher did its server action for a batch and then updated `server_done_at` of each of its messages: a
second UPDATE of every raw row, never a HOT one (the column was indexed), so all the table's indexes got a new
entry for it (~1.8 kB of WAL a message). Batches go in UID order and the action follows the processing, so one
number says the same: WatcherState.server_done_uid, every stored message of the folder (with
server_done_uidvalidity) up to that UID has had its action. The watermark is taken from the rows here: below the
first message of the watcher's UIDVALIDITY still waiting for its action, or its highest UID.

`mailbox = …` (the foreign key has no index of its own) is served by raw_mailbox_status (mailbox, status) instead
of raw_server_pending, which goes with the column.
"""

from django.db import migrations, models
from django.db.models import Max, Min


def watermarks(apps, schema_editor):
    db = schema_editor.connection.alias
    WatcherState = apps.get_model("inbox_ingest", "WatcherState")
    RawMessage = apps.get_model("inbox_ingest", "RawMessage")
    for state in WatcherState.objects.using(db).exclude(uidvalidity=None):
        rows = RawMessage.objects.using(db).filter(mailbox_id=state.mailbox_id, uidvalidity=state.uidvalidity, uid__isnull=False)
        found = rows.aggregate(waiting=Min("uid", filter=models.Q(server_done_at=None)), top=Max("uid"))
        done = found["waiting"] - 1 if found["waiting"] is not None else (found["top"] or 0)
        WatcherState.objects.using(db).filter(pk=state.pk).update(server_done_uidvalidity=state.uidvalidity, server_done_uid=done)


class Migration(migrations.Migration):

    dependencies = [
        ('inbox_ingest', '0003_raw_message_write_cost'),
    ]

    operations = [
        migrations.AddField(
            model_name='watcherstate',
            name='server_done_uid',
            field=models.BigIntegerField(default=0, verbose_name='oznaczone na serwerze do UID'),
        ),
        migrations.AddField(
            model_name='watcherstate',
            name='server_done_uidvalidity',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(watermarks, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='rawmessage',
            index=models.Index(fields=['mailbox', 'status'], name='raw_mailbox_status'),
        ),
        migrations.RemoveIndex(
            model_name='rawmessage',
            name='raw_server_pending',
        ),
        migrations.RemoveField(
            model_name='rawmessage',
            name='server_done_at',
        ),
    ]
