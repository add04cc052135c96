"""Run the demo builders the apps declare, in their declared order."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection, transaction

from duban.audit.services import user_action
from duban.core.contributions import contributions, demo_order, resolve
from duban.demo.context import SCALES, DemoContext


def build_demo(scale: str = "district", *, seed: int = 20211109, today: dt.date | None = None, log=print) -> DemoContext:
    ctx = DemoContext(scale=SCALES[scale], rng=random.Random(seed), today=today or dt.date.today())
    with user_action():
        for builder in demo_order(contributions("demo_builders")):
            build = resolve(builder.build)
            started = time.perf_counter()
            with transaction.atomic():
                build(ctx)
            log(f"  {builder.build}: {time.perf_counter() - started:.1f} s")
    # Fresh statistics for the planner: autovacuum may not have seen millions of new rows yet,
    # and SQLite has none until ANALYZE (without them it sorts a whole campaign for a list
    # page instead of walking the primary key: 2 s instead of 50 ms at city scale).
    # On PostgreSQL also VACUUM: until the visibility map is set, a count over millions of
    # fresh rows cannot be an index-only scan (the province office's list tabs scanned 2.7M
    # rows, 0.8 s) — and autovacuum may be off or far behind. VACUUM cannot run inside a
    # transaction (a test's), where ANALYZE alone is done.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    return ctx
