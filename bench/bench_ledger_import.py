"""Import N rows (default 270,000) of the 问题整改台账 layout, all or nothing.

Figure: `duban.ledger.io.problems_import` end to end (calamine read, checks of every cell,
unit matching, bigram terms, COPY on PostgreSQL / executemany on SQLite, indexes incl. the
search index, audit). Floor, same run: python-calamine reading the same file plus a bare
COPY (PostgreSQL) / executemany (SQLite) of the same rows into an unindexed table.
Target ≤ 2×.

    .venv/bin/python bench/bench_ledger_import.py --db sqlite --rows 270000
    .venv/bin/python bench/bench_ledger_import.py --db pg --rows 270000
"""

from __future__ import annotations

import time

from bench_ledger_common import args, ledger_xlsx, setup, world
from common import result

from duban.core.actors import SystemActor


def floor(path, db: str) -> float:
    import python_calamine
    from django.db import connection, transaction

    t0 = time.perf_counter()
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1:]
    cols = "seq int, description text, area text, source text, unit text, owner text, measures text, deadline date, kind text, progress text, status text, completed date"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        cur.execute(f"CREATE TABLE bench_bare ({cols})")
        if db == "pg":
            with cur.cursor.copy("COPY bench_bare FROM STDIN") as cp:
                for r in rows:
                    cp.write_row([int(r[0]), *r[1:7], r[7] or None, *r[8:11], r[11] or None])
        else:
            cur.executemany("INSERT INTO bench_bare VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                            ([int(r[0]), *r[1:7], r[7] or None, *r[8:11], r[11] or None] for r in rows))
        cur.execute("DROP TABLE bench_bare")
    return time.perf_counter() - t0


def main() -> None:
    a = args(270_000)
    setup(a.db)
    campaign = world()
    path = ledger_xlsx(a.rows, campaign)
    from duban.ledger import io
    from duban.ledger.models import Problem

    bare = floor(path, a.db)
    t0 = time.perf_counter()
    plan = io.problems_import(actor=SystemActor("bench"), skip_checks=True, source=path, campaign=campaign)
    took = time.perf_counter() - t0
    assert plan.applied and Problem.objects.count() == a.rows, plan.summary()
    print(plan.summary())
    result(f"ledger import {a.rows} rows ({a.db})", took, "s", bare, "calamine read + bare " + ("COPY" if a.db == "pg" else "executemany"), target="≤ 2×")


if __name__ == "__main__":
    main()
