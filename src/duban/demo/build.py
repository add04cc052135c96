"""Run the demo builders in order."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.db import connection, transaction

from duban.audit.services import user_action
from duban.core.plugins import optional_import
from duban.demo.context import SCALES, DemoContext

# (module, function): each builder is skipped while its app does not exist yet.
BUILDERS: list[tuple[str, str]] = [
    ("duban.demo.orgs", "build"),
    ("duban.demo.campaign", "build"),
    ("duban.demo.campaign", "build_accounts"),
    ("duban.ledger.demo", "build"),
    ("duban.intake.demo", "build"),
    ("duban.triage.demo", "build"),
    ("duban.campaigns.demo", "build_plan"),
    ("duban.projects.demo", "build"),
]


def build_demo(scale: str = "district", *, seed: int = 20211109, today: dt.date | None = None, log=print) -> DemoContext:
    ctx = DemoContext(scale=SCALES[scale], rng=random.Random(seed), today=today or dt.date.today())
    with user_action():
        for module_name, fn_name in BUILDERS:
            module = optional_import(module_name)
            if module is None or not hasattr(module, fn_name):
                continue
            started = time.perf_counter()
            with transaction.atomic():
                getattr(module, fn_name)(ctx)
            log(f"  {module_name}.{fn_name}: {time.perf_counter() - started:.1f} s")
    # Fresh statistics for the planner: autovacuum may not have seen millions of new rows yet,
    # and SQLite has none until ANALYZE (without them it sorts a whole campaign for a list
    # page instead of walking the primary key: 2 s instead of 50 ms at city scale).
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return ctx
