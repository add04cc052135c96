"""Rates (整改率, 按期率, overdue) by focus area at N problems: `duban.ledger.figures.figures`
(the `problems` section of `duban stats --json`, read from the maintained roll-ups) for the
system and for a county office, and `queries.rates(by=unit)` counted from the ledger.

Floor, same run: one bare `SELECT focus_area_id, count(*) … GROUP BY` over the same rows.
Target (issue 5): headline figures ≤ 50 ms p95 at 3,000,000 problems on PostgreSQL.

    .venv/bin/python bench/bench_ledger_figures.py --db pg --rows 3000000
    .venv/bin/python bench/bench_ledger_figures.py --db sqlite --rows 270000
"""

from __future__ import annotations

import time

from bench_ledger_common import args, ledger_world
from common import p95_ms, result


def main() -> None:
    a = args(270_000)
    campaign = ledger_world(a)
    from django.db import connection

    from duban.ledger import queries
    from duban.ledger.figures import figures
    from duban.ledger.models import ProblemTally
    from duban.ledger.tally import tally_rebuild

    if not ProblemTally.objects.filter(campaign_id=campaign.pk).exists():
        # generate_pg writes the rows with one INSERT … SELECT, past the services: recount.
        t0 = time.perf_counter()
        tally_rebuild([campaign.pk])
        print(f"(roll-ups recounted in {time.perf_counter() - t0:.1f} s: {ProblemTally.objects.count()} rows)")
    county_office = county_office_user(campaign)

    def bare():
        with connection.cursor() as cur:
            cur.execute("SELECT focus_area_id, count(*) FROM ledger_problem WHERE campaign_id = %s GROUP BY focus_area_id", [campaign.pk])
            cur.fetchall()

    repeat = max(3, a.repeat // 10)
    floor = p95_ms(bare, repeat)
    f = figures(user=None, campaign=campaign)
    print(f"total {f['total']}, rectified {f['rectified']}, rate {f['rate']}, overdue {f['overdue']}")
    result(f"ledger figures (stats problems section) at {a.rows} rows ({a.db})", p95_ms(lambda: figures(user=None, campaign=campaign), repeat), "ms", floor, "bare GROUP BY count, p95")
    result(f"ledger figures for a county office at {a.rows} rows ({a.db})", p95_ms(lambda: figures(user=county_office, campaign=campaign), repeat), "ms", floor, "bare GROUP BY count, p95")
    result(f"ledger rates by unit at {a.rows} rows ({a.db})", p95_ms(lambda: queries.rates(None, campaign=campaign, by="unit"), repeat), "ms", floor, "bare GROUP BY count, p95")


def county_office_user(campaign):
    """An office member of the county with the most problems (created once)."""
    from django.contrib.auth import get_user_model

    from duban.ledger.models import Problem
    from duban.orgs.models import Membership, OrgUnit, Role

    m = Membership.objects.filter(user__username="bench-county", role=Role.OFFICE).select_related("user").first()
    if m:
        return m.user
    region = Problem.objects.filter(campaign=campaign).values_list("region_id", flat=True).first()
    user = get_user_model().objects.create_user("bench-county")
    Membership.objects.create(user=user, unit=OrgUnit.objects.get(pk=region), role=Role.OFFICE)
    return user


if __name__ == "__main__":
    main()
