"""Problems made from suggestions used to copy the suggestion's tracking code into their
extra columns, where the handling unit could read it (and rate its own reply). Remove it.

No dependency on the ledger's migrations (intake links to the ledger by id only): on a
database where the ledger is not there yet there is nothing to clean.
"""

from django.db import migrations

KEY = "意见建议查询码"


def forwards(apps, schema_editor):
    try:
        Problem = apps.get_model("ledger", "Problem")
    except LookupError:
        return
    batch = []
    for p in Problem.objects.filter(extra__has_key=KEY).only("id", "extra").iterator(chunk_size=2000):
        p.extra.pop(KEY, None)
        batch.append(p)
        if len(batch) >= 2000:
            Problem.objects.bulk_update(batch, ["extra"])
            batch = []
    if batch:
        Problem.objects.bulk_update(batch, ["extra"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
