"""Issue 14.2: drop the vocabulary (TermForm rows) of words no article has any more, left by earlier versions
that never pruned it (typo correction offered the words of removed text). Rebuilding the postings prunes it."""

from django.db import migrations


def prune(apps, schema_editor):
    from knowledge_base import postings

    postings.rebuild(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0003_postings")]

    operations = [migrations.RunPython(prune, migrations.RunPython.noop)]
