"""The inbox's bigram search index: GIN on PostgreSQL, FTS5 (+ triggers) on SQLite,
filled from the rows already there. See core/textsearch.py."""

from django.db import migrations


def forwards(apps, schema_editor):
    from duban.intake.search import INDEX

    INDEX.create(schema_editor, rebuild=True)


def backwards(apps, schema_editor):
    from duban.intake.search import INDEX

    INDEX.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("intake", "0009_suggestion_search_terms_fill")]
    operations = [migrations.RunPython(forwards, backwards)]
