"""Bench: the ledger list filtered by 问题来源 / 整改类型 (alone, with a status, with a unit
subtree) and the cold rates by source and by month, on a built demo (issue 9 item 17).

Run (after `duban demo --scale city --no-serve` in that data dir; DUBAN_DATABASE_URL for
the province demo on PostgreSQL):
    DUBAN_DATA_DIR=/path/to/data .venv/bin/python bench/bench_ledger_filters.py [--repeat 10]

Each case is a whole page through Django's test client as a logged-in user (office `admin`,
`leader`, town liaison `unit1`); the list's counts are not cached, so every request pays
them. "cold" rates are read right after `figcache.bump()` (what the first reader after a
write pays). Floor: the bare SELECT of 50 problem rows of bench_pages.py, same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_pages import BUDGET_MS, floor_ms, login  # noqa: E402
from common import p95, result, setup_django  # noqa: E402


def cases(campaign_id: int) -> list[tuple[str, str, dict]]:
    from duban.ledger.models import Problem
    from duban.orgs.models import OrgUnit

    county = OrgUnit.objects.filter(depth=1, pk__in=Problem.objects.values("region_id")).order_by("id").first()
    town = OrgUnit.objects.filter(depth=2, path__startswith=county.path).order_by("id").first() if county else None
    c = f"campaign={campaign_id}"
    out = [
        ("list ?source=opinion", f"/ledger/?{c}&source=opinion", {}),
        ("list ?source=clue", f"/ledger/?{c}&source=clue", {}),
        ("list ?kind=deadline", f"/ledger/?{c}&kind=deadline", {}),
        ("list ?kind=long_term", f"/ledger/?{c}&kind=long_term", {}),
        ("list ?source&status=in_progress", f"/ledger/?{c}&source=opinion&status=in_progress", {}),
        ("list ?kind&status=signed_off", f"/ledger/?{c}&kind=immediate&status=signed_off", {}),
        ("list ?source&kind", f"/ledger/?{c}&source=self_check&kind=deadline", {}),
        ("list ?source [htmx] page 3", f"/ledger/?{c}&source=inspection&page=3", {"HX-Request": "true"}),
    ]
    if county is not None:
        out.append(("list ?source&unit=county", f"/ledger/?{c}&source=opinion&unit={county.pk}", {}))
        out.append(("list ?kind&status&unit=county", f"/ledger/?{c}&kind=deadline&status=pending&unit={county.pk}", {}))
    if town is not None:
        out.append(("list ?source&unit=town", f"/ledger/?{c}&source=self_check&unit={town.pk}", {}))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--roles", default="admin,leader,unit1")
    args = ap.parse_args()
    if not os.environ.get("DUBAN_DATA_DIR"):
        raise SystemExit("set DUBAN_DATA_DIR to the data dir of a built demo")
    setup_django()
    from django.conf import settings
    from django.db import connection

    from duban.campaigns.models import Campaign
    from duban.core import figcache
    from duban.ledger import queries
    from duban.ledger.models import Problem

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    n = Problem.objects.count()
    campaign = Campaign.objects.order_by("id").first()
    print(f"database: {connection.vendor}, {n:,} problems; load: {os.getloadavg()}", flush=True)
    rows, floors = [], []
    from django.contrib.auth import get_user_model

    for role in args.roles.split(","):
        client = login(role)
        user = get_user_model().objects.get(username=role)
        todo = cases(campaign.pk)
        times: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        for _name, url, headers in todo:  # warm-up, and the answer must be a page
            r = client.get(url, headers=headers)
            if r.status_code != 200:
                raise SystemExit(f"{role} {url}: {r.status_code}")
        for name in ("rates by source, cold", "rates by month, cold", "rates page ?by=source, cold"):
            times[name] = []
        for _ in range(args.repeat):
            for name, url, headers in todo:
                t0 = time.perf_counter()
                client.get(url, headers=headers)
                times[name].append((time.perf_counter() - t0) * 1000)
            for by in ("source", "month"):
                figcache.bump()
                t0 = time.perf_counter()
                queries.rates(user, campaign=campaign, by=by)
                times[f"rates by {by}, cold"].append((time.perf_counter() - t0) * 1000)
            figcache.bump()
            t0 = time.perf_counter()
            client.get(f"/ledger/summary/?campaign={campaign.pk}&by=source")
            times["rates page ?by=source, cold"].append((time.perf_counter() - t0) * 1000)
            floors += floor_ms(3)
        for name, t in times.items():
            t = sorted(t)
            rows.append((role, name, statistics.median(t), p95(t), t[-1]))
    floor = p95(floors)
    print(f"\nfloor: bare SELECT of 50 problem rows, p95 {floor:.2f} ms; load after: {os.getloadavg()}")
    print(f"\n{'role':7} {'case':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  budget {BUDGET_MS:.0f} ms")
    over = 0
    for role, name, p50, q95, mx in rows:
        over += q95 > BUDGET_MS
        print(f"{role:7} {name:36} {p50:8.1f} {q95:8.1f} {mx:8.1f}  {'✓' if q95 <= BUDGET_MS else '✗'}")
    worst = max(rows, key=lambda r: r[3])
    result(f"ledger filters by source/kind and cold rates, worst p95 ({worst[0]} {worst[1]}), {n:,} problems, {connection.vendor}",
           worst[3], "ms", floor, "bare SELECT of 50 problem rows", target=f"p95 ≤ {BUDGET_MS:.0f} ms")
    return 0 if over == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
