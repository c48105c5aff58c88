"""outboxmessage.next_attempt_at loses its index on the whole table: every query on it (the drain, the counts on
/healthz) asks for messages not sent yet, which the partial index outbox_pending serves. One index fewer written per
outbox row (1–2 per ingested e-mail)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('helpdesk', '0005_merge_password_and_working_hours'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxmessage',
            name='next_attempt_at',
            field=models.DateTimeField(),
        ),
    ]
