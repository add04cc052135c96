"""Bench: every page of the crawl, as the office, the leader and a town liaison, on a built demo.

Run (after `duban demo --scale city --no-serve` in that data dir):
    DUBAN_DATA_DIR=/path/to/data .venv/bin/python bench/bench_pages.py [--repeat 20] [--roles admin,leader,unit1]
With DUBAN_DATABASE_URL set it reads that PostgreSQL database instead (the province demo).

Each role logs in through the login form (CSRF enforced, Django's test client against the
real database), crawls what it can reach from the home page with tests/crawler.py (links,
htmx fragments, filter forms, a sample of detail pages with real ids; downloads are left
out — bench_ledger_export.py times those), then every distinct page is requested again
`--repeat` times in interleaved rounds. Pages are grouped by URL name (and htmx or not):
p50/p95/max per page and role, and the ratio of the p95 to the floor measured in the same
run: a bare `SELECT` of one page of problem rows (50 newest ids with their columns)
through Django's connection. Budget: p95 ≤ 150 ms per page.

`--cpu` adds the CPU time of each request (this process, and on PostgreSQL the server
backend of its connection, from /proc/<pid>/schedstat): on a machine shared with other
jobs, wall times wait for a CPU; the CPU time is the page's own cost.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import p95, result, setup_django  # noqa: E402

PASSWORD = "duban-demo"
BUDGET_MS = 150.0
# Downloads, not pages: the exports have their own benches (bench_ledger_export.py; a 项目库 of
# 10,310 projects is a ~1 s xlsx), files are served as stored.
SKIP_VIEWS = {"ledger:problem_export", "intake:export", "plan:export", "projects:export", "rounds:summary_xlsx", "ledger:evidence_download",
              "intake:photo", "projects:file_download", "plan:evidence_download", "static", "?"}


class Recorder:
    """The test client, remembering each request the crawl made (to replay it)."""

    def __init__(self, client) -> None:
        self.client = client
        self.calls: list[tuple[str, str, dict]] = []

    def get(self, url, headers=None):
        self.calls.append(("get", url, dict(headers or {})))
        return self.client.get(url, headers=headers)

    def post(self, url, headers=None):
        self.calls.append(("post", url, dict(headers or {})))
        return self.client.post(url, headers=headers)


def login(username: str):
    from django.test import Client

    c = Client(enforce_csrf_checks=True, raise_request_exception=False)
    page = c.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    r = c.post("/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    if r.status_code != 302:
        raise SystemExit(f"login as {username} failed: {r.status_code}")
    return c


def floor_ms(repeat: int) -> list[float]:
    """A bare SELECT of one list page of problems (the rows a ledger page shows)."""
    from django.db import connection

    from duban.ledger.models import Problem

    t = Problem._meta.db_table
    sql = f"SELECT * FROM {t} ORDER BY id DESC LIMIT 50"  # noqa: S608 - our table
    out = []
    with connection.cursor() as cur:
        cur.execute(sql)
        cur.fetchall()
        for _ in range(repeat):
            t0 = time.perf_counter()
            cur.execute(sql)
            cur.fetchall()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def cpu_clock():
    """A clock of CPU time spent on a request, in ms: this process's (the view, templates,
    the database driver) plus, on PostgreSQL, the server backend's for this connection
    (/proc/<pid>/schedstat, nanoseconds on a CPU). Unlike wall time it does not count the
    waiting for a CPU that other jobs on a shared machine cause."""
    from django.db import connection

    def backend_ns() -> int:
        if connection.vendor != "postgresql":
            return 0
        if connection.connection is None:
            connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        try:
            with open(f"/proc/{pid}/schedstat") as fh:
                return int(fh.read().split()[0])
        except OSError:  # a server on another machine: its CPU time is not counted
            return 0

    return lambda: time.process_time() * 1000 + backend_ns() / 1e6


def crawl(role: str, per_pattern: int, per_shape: int):
    from tests.crawler import Crawler

    client = login(role)
    rec = Recorder(client)
    crawler = Crawler(rec, samples={"q": ["供暖"]}, per_pattern=per_pattern, per_source=1, per_query_shape=per_shape,
                      per_view={v: 0 for v in SKIP_VIEWS}, max_requests=3000)
    t0 = time.perf_counter()
    visits = crawler.crawl("/")
    took = time.perf_counter() - t0
    pages: dict[str, list[tuple]] = defaultdict(list)
    for call, v in zip(rec.calls, visits, strict=True):
        if v.view in SKIP_VIEWS or v.status >= 400 or v.status in (301, 302):
            continue
        pages[v.view + (" [htmx]" if v.hx else "")].append(call)
    return client, pages, len(visits), took


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20, help="requests per page (spread over its crawled URLs)")
    ap.add_argument("--roles", default="admin,leader,unit1")
    ap.add_argument("--per-pattern", type=int, default=3, help="detail pages of one URL pattern per crawl")
    ap.add_argument("--per-shape", type=int, default=3, help="list pages with the same query names per crawl")
    ap.add_argument("--only", default="", help="only pages whose name contains this")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cpu", action="store_true", help="also CPU time per request (this process + the PostgreSQL backend)")
    args = ap.parse_args()
    if args.quick:
        args.repeat, args.per_pattern, args.per_shape = 5, 1, 1
    if not os.environ.get("DUBAN_DATA_DIR"):
        raise SystemExit("set DUBAN_DATA_DIR to the data dir of a built demo (duban demo --scale city --no-serve)")
    setup_django()
    from django.conf import settings
    from django.db import connection

    from duban.ledger.models import Problem

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    n = Problem.objects.count()
    print(f"database: {connection.vendor}, {n:,} problems", flush=True)

    rows: list[tuple[str, str, float, float, float, int]] = []
    cpu_rows: dict[tuple[str, str], tuple[float, float]] = {}
    floors: list[float] = []
    cpu = cpu_clock()
    for role in args.roles.split(","):
        client, pages, n_visits, took = crawl(role, args.per_pattern, args.per_shape)
        print(f"\n{role}: crawled {n_visits} requests in {took:.0f} s, {len(pages)} pages", flush=True)
        names = sorted(p for p in pages if args.only in p)
        times: dict[str, list[float]] = defaultdict(list)
        cpu_times: dict[str, list[float]] = defaultdict(list)
        for name in names:  # warm-up: one request each
            m, url, headers = pages[name][0]
            getattr(client, m)(url, headers=headers)
        for i in range(args.repeat):  # interleaved rounds, so a busy moment hits every page alike
            for name in names:
                m, url, headers = pages[name][i % len(pages[name])]
                c0 = cpu() if args.cpu else 0.0
                t0 = time.perf_counter()
                resp = getattr(client, m)(url, headers=headers)
                if getattr(resp, "streaming", False):
                    b"".join(resp.streaming_content)
                times[name].append((time.perf_counter() - t0) * 1000)
                if args.cpu:
                    cpu_times[name].append(cpu() - c0)
            floors += floor_ms(3)
        for name in names:
            t = sorted(times[name])
            rows.append((role, name, statistics.median(t), p95(t), t[-1], len(pages[name])))
            if args.cpu:
                c = sorted(cpu_times[name])
                cpu_rows[(role, name)] = (statistics.median(c), p95(c))
    floor = p95(floors)
    print(f"\nfloor: bare SELECT of 50 problem rows, p95 {floor:.2f} ms (p50 {statistics.median(floors):.2f} ms, {len(floors)} samples)")
    cpu_head = f" {'cpu p50':>8} {'cpu p95':>8}" if args.cpu else ""
    print(f"\n{'role':7} {'page':42} {'urls':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/floor':>9}  budget {BUDGET_MS:.0f} ms{cpu_head}")
    over = 0
    for role, name, p50, q95, mx, k in rows:
        ok = q95 <= BUDGET_MS
        over += not ok
        extra = "  {:8.1f} {:8.1f}".format(*cpu_rows[(role, name)]) if args.cpu else ""
        print(f"{role:7} {name:42} {k:4d} {p50:8.1f} {q95:8.1f} {mx:8.1f} {q95 / floor:8.0f}×  {'✓' if ok else '✗'}{extra}")
    worst = max(rows, key=lambda r: r[3])
    print(f"\n{len(rows) - over}/{len(rows)} pages within p95 ≤ {BUDGET_MS:.0f} ms; worst: {worst[0]} {worst[1]} {worst[3]:.1f} ms")
    result(f"pages, worst p95 ({worst[0]} {worst[1]}), {n:,} problems, {connection.vendor}", worst[3], "ms", floor,
           "bare SELECT of 50 problem rows", target=f"p95 ≤ {BUDGET_MS:.0f} ms every page")
    return 0 if over == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
