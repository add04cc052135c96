"""Rates (整改率, 按期率, overdue) by focus area at N problems: `duban.ledger.figures.figures`
(the `problems` section of `duban stats --json`) and `queries.rates(by=unit)`.

Floor, same run: one bare `SELECT focus_area_id, count(*) … GROUP BY` over the same rows.

    .venv/bin/python bench/bench_ledger_figures.py --db pg --rows 3000000
    .venv/bin/python bench/bench_ledger_figures.py --db sqlite --rows 270000
"""

from __future__ import annotations

import time

from bench_ledger_common import args, generate_pg, ledger_xlsx, setup, world
from common import p95, result


def sample(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return p95(times) * 1000


def main() -> None:
    a = args(270_000)
    if a.db == "pg":
        setup(a.db, pg_name=f"duban_ledger_bench_{a.rows}", fresh=False)
        campaign = world()
        generate_pg(a.rows, campaign)
    else:
        setup(a.db)
        campaign = world()
        from duban.ledger import io

        io.problems_import(actor="bench", source=ledger_xlsx(a.rows, campaign), campaign=campaign)
    from django.db import connection

    from duban.ledger import queries
    from duban.ledger.figures import figures

    def bare():
        with connection.cursor() as cur:
            cur.execute("SELECT focus_area_id, count(*) FROM ledger_problem WHERE campaign_id = %s GROUP BY focus_area_id", [campaign.pk])
            cur.fetchall()

    repeat = max(3, a.repeat // 10)
    floor = sample(bare, repeat)
    f = figures(user=None, campaign=campaign)
    print(f"total {f['total']}, rectified {f['rectified']}, rate {f['rate']}, overdue {f['overdue']}")
    result(f"ledger figures (stats problems section) at {a.rows} rows ({a.db})", sample(lambda: figures(user=None, campaign=campaign), repeat), "ms", floor, "bare GROUP BY count, p95")
    result(f"ledger rates by unit at {a.rows} rows ({a.db})", sample(lambda: queries.rates(None, campaign=campaign, by="unit"), repeat), "ms", floor, "bare GROUP BY count, p95")
    t0 = time.perf_counter()
    del t0


if __name__ == "__main__":
    main()
