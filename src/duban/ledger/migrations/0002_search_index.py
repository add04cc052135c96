"""The bigram search index: GIN on PostgreSQL, FTS5 (+ triggers) on SQLite. See ledger/search.py."""

from django.db import migrations


def forwards(apps, schema_editor):
    from duban.ledger.search import create_index

    create_index(schema_editor)


def backwards(apps, schema_editor):
    from duban.ledger.search import drop_index

    drop_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
