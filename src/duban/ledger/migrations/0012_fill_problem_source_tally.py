"""Data migration, apart from the schema one: count existing problems into ProblemSourceTally
(by campaign, source, kind, region, registration month in Asia/Shanghai, status, state, deadline —
the same keys as ledger.tally.key_for), grouped in SQL so millions of rows give few groups."""

import datetime as dt

from django.db import migrations
from django.db.models import Case, DateField, F, Q, Sum, Value, When
from django.db.models.functions import TruncMonth

NO_DATE = dt.date(9999, 12, 31)
OPEN, ON_TIME, LATE, DONE_NO_DEADLINE = 0, 1, 2, 3


def fill(apps, schema_editor):
    Problem = apps.get_model("ledger", "Problem")
    Tally = apps.get_model("ledger", "ProblemSourceTally")
    state = Case(
        When(~Q(status="signed_off"), then=Value(OPEN)),
        When(deadline__isnull=True, then=Value(DONE_NO_DEADLINE)),
        When(completed_on__lte=F("deadline"), then=Value(ON_TIME)),
        default=Value(LATE),
    )
    deadline = Case(When(status="signed_off", then=Value(NO_DATE)), default=F("deadline"), output_field=DateField())
    rows = (
        Problem.objects.order_by()
        .annotate(st=state, dl=deadline, m=TruncMonth("created_at", output_field=DateField()))
        .values("campaign_id", "region_id", "source", "kind", "status", "st", "dl", "m")
        .annotate(c=Sum(1))
    )
    batch = []
    for r in rows.iterator(chunk_size=10_000):
        m = r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]
        batch.append(Tally(campaign_id=r["campaign_id"], region_id=r["region_id"] or 0, source=r["source"], kind=r["kind"],
                           month=m or NO_DATE, status=r["status"], state=r["st"], deadline=r["dl"] or NO_DATE, n=r["c"]))
        if len(batch) >= 5000:
            Tally.objects.bulk_create(batch)
            batch = []
    Tally.objects.bulk_create(batch)


def empty(apps, schema_editor):
    apps.get_model("ledger", "ProblemSourceTally").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0011_problem_source_tally")]
    operations = [
        migrations.RunPython(fill, empty),
        # Statistics for the planner (PostgreSQL may run with autovacuum off). Nothing to undo.
        migrations.RunSQL("ANALYZE ledger_problemsourcetally", migrations.RunSQL.noop, elidable=True),
    ]
