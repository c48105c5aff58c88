"""API tokens of our own, stored as SHA-256 hashes (helpdesk.tokens), replacing rest_framework.authtoken, whose
table kept every key in plain text. Existing keys keep working: each is hashed into an ApiToken bound to its
owner's current password, and the old table is dropped so no plain key is left in the database."""

import datetime as dt
import hashlib

from django.db import migrations, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def _sha256(text: str) -> str:  # helpdesk.tokens.hash_token, frozen here as migrations must be
    return hashlib.sha256(text.encode()).hexdigest()


def _aware(created):
    created = parse_datetime(created) if isinstance(created, str) else created  # SQLite gives text
    if created is None:
        return timezone.now()
    return created if timezone.is_aware(created) else timezone.make_aware(created, dt.timezone.utc)


def hash_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("helpdesk", "ApiToken")
    User = apps.get_model("helpdesk", "User")
    db = connection.alias
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id, created FROM {OLD_TABLE}")
        rows = cursor.fetchall()
    passwords = dict(User.objects.using(db).filter(pk__in=[row[1] for row in rows]).values_list("pk", "password"))
    ApiToken.objects.using(db).bulk_create(
        ApiToken(
            user_id=user_id,
            key_sha256=_sha256(key),
            prefix=key[:8],
            password_stamp=_sha256(f"api-token:{passwords[user_id]}"),
            created_at=_aware(created),
        )
        for key, user_id, created in rows
        if user_id in passwords
    )
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0006_outbox_next_attempt_index_only_pending"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key_sha256", models.CharField(editable=False, max_length=64, unique=True)),
                ("prefix", models.CharField(editable=False, max_length=8, verbose_name="początek tokenu")),
                ("password_stamp", models.CharField(editable=False, max_length=64)),
                ("created_at", models.DateTimeField(editable=False, verbose_name="wydany")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=models.deletion.CASCADE,
                        related_name="api_tokens",
                        to="helpdesk.user",
                        verbose_name="konto",
                    ),
                ),
            ],
            options={"verbose_name": "token API", "verbose_name_plural": "tokeny API"},
        ),
        migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop),
    ]
