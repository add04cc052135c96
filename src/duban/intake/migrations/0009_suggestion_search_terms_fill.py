"""Data: the search terms of the suggestions already stored (a schema-free step apart
from 0008's column and 0010's index)."""

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    from duban.intake.search import INDEX

    Suggestion = apps.get_model("intake", "Suggestion")
    last = 0
    while True:
        rows = list(Suggestion.objects.filter(pk__gt=last).order_by("pk").only("pk", "title", "body", "place")[:BATCH])
        if not rows:
            return
        for r in rows:
            r.search_terms = INDEX.terms(r.title, r.body, r.place)
        Suggestion.objects.bulk_update(rows, ["search_terms"], batch_size=500)
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("intake", "0008_suggestion_search_terms")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
