"""Export N problems (default 270,000) to xlsx in the import layout, streamed.

Figure: `duban.ledger.io.problems_export` (a server-side cursor / chunked fetch, unit and
area labels, XlsxWriter constant-memory). Floor, same run: a bare XlsxWriter
constant-memory dump of the same rows already in memory. Target ≤ 1.5×. Also prints the
peak RSS growth during the export (constant memory: it must not grow with N).

    .venv/bin/python bench/bench_ledger_export.py --db sqlite --rows 270000
"""

from __future__ import annotations

import resource
import tempfile
import time

from bench_ledger_common import args, ledger_xlsx, setup, world
from common import result

from duban.core.actors import SystemActor


def main() -> None:
    a = args(270_000)
    setup(a.db)
    campaign = world()
    from duban.core.xlsx import write_table
    from duban.ledger import io
    from duban.ledger.models import Problem

    io.problems_import(actor=SystemActor("bench"), skip_checks=True, source=ledger_xlsx(a.rows, campaign), campaign=campaign)
    qs = Problem.objects.filter(campaign=campaign)
    out = tempfile.mkdtemp(prefix="duban-bench-export-")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    n = io.problems_export(f"{out}/export.xlsx", qs)
    took = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert n == a.rows
    header, rows = io.export_rows(qs)
    rows = list(rows)  # the floor writes rows that are already in memory
    t0 = time.perf_counter()
    write_table(f"{out}/bare.xlsx", header, rows, sheet="问题整改台账")
    bare = time.perf_counter() - t0
    print(f"peak RSS growth during export: {(rss1 - rss0) / 1024:.0f} MB")
    result(f"ledger export {a.rows} rows ({a.db})", took, "s", bare, "bare XlsxWriter constant-memory dump of the same rows", target="≤ 1.5×")


if __name__ == "__main__":
    main()
