"""Data migration, apart from the schema one: count existing problems into ProblemStatusTally
(by campaign, region, focus area and status — the same keys as ledger.tally.key_for), grouped
in SQL so millions of rows give a few thousand groups."""

from django.db import migrations
from django.db.models import Count


def fill(apps, schema_editor):
    Problem = apps.get_model("ledger", "Problem")
    Tally = apps.get_model("ledger", "ProblemStatusTally")
    rows = Problem.objects.order_by().values("campaign_id", "region_id", "focus_area_id", "status").annotate(c=Count("*"))
    batch = []
    for r in rows.iterator(chunk_size=10_000):
        batch.append(Tally(campaign_id=r["campaign_id"], region_id=r["region_id"] or 0, area_id=r["focus_area_id"] or 0,
                           status=r["status"], n=r["c"]))
        if len(batch) >= 5000:
            Tally.objects.bulk_create(batch)
            batch = []
    Tally.objects.bulk_create(batch)


def empty(apps, schema_editor):
    apps.get_model("ledger", "ProblemStatusTally").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0015_problem_status_tally")]
    operations = [
        migrations.RunPython(fill, empty),
        # Statistics for the planner (PostgreSQL may run with autovacuum off). Nothing to undo.
        migrations.RunSQL("ANALYZE ledger_problemstatustally", migrations.RunSQL.noop, elidable=True),
    ]
