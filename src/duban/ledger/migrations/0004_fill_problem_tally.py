"""Data migration, apart from the schema one: count existing problems into ProblemTally."""

import datetime as dt
from collections import Counter

from django.db import migrations
from django.db.models import Count

NO_DATE = dt.date(9999, 12, 31)


def fill(apps, schema_editor):
    Problem = apps.get_model("ledger", "Problem")
    Tally = apps.get_model("ledger", "ProblemTally")
    counts = Counter()
    rows = Problem.objects.order_by().values("campaign_id", "region_id", "focus_area_id", "status", "deadline", "completed_on").annotate(c=Count("id"))
    for r in rows.iterator(chunk_size=10_000):
        if r["status"] == "signed_off":
            if r["deadline"] is None:
                state = 3
            else:
                state = 1 if r["completed_on"] is not None and r["completed_on"] <= r["deadline"] else 2
            key = (r["campaign_id"], r["region_id"] or 0, r["focus_area_id"] or 0, state, NO_DATE)
        else:
            key = (r["campaign_id"], r["region_id"] or 0, r["focus_area_id"] or 0, 0, r["deadline"] or NO_DATE)
        counts[key] += r["c"]
    Tally.objects.bulk_create(
        [Tally(campaign_id=k[0], region_id=k[1], area_id=k[2], state=k[3], deadline=k[4], n=n) for k, n in counts.items()],
        batch_size=5000,
    )


def empty(apps, schema_editor):
    apps.get_model("ledger", "ProblemTally").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_problem_tally")]
    operations = [migrations.RunPython(fill, empty)]
