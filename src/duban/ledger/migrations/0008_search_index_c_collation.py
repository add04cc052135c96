"""The PostgreSQL bigram index compares bytewise (COLLATE "C"): faster to build, same
answers (bigrams are only tested for equality). See ledger/search.py."""

from django.db import migrations


def forwards(apps, schema_editor):
    from duban.ledger.search import PG_CREATE, PG_DROP

    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_DROP + PG_CREATE:
            schema_editor.execute(sql)
        # Statistics of the new index expression (without them a rare word is estimated at
        # 0.5% of the rows and PostgreSQL scans the primary key looking for it).
        schema_editor.execute("ANALYZE ledger_problem")


def backwards(apps, schema_editor):
    from duban.ledger.search import PG_CREATE_0002, PG_DROP

    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_DROP + PG_CREATE_0002:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_problem_region_id_idx")]
    operations = [migrations.RunPython(forwards, backwards)]
