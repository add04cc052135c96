"""API throughput: the scoped, paginated problems list (50 rows) through django-ninja,
against a hand-written Django view returning the same 50 rows as `.values()` JSON, both
served by gunicorn sync workers on 127.0.0.1 and loaded by wrk in the same run.

    python bench/bench_api.py [--rows 270600] [--seconds 10] [--quick]

Uses SQLite in a temp data dir, or PostgreSQL when DUBAN_DATABASE_URL is set (the
database is wiped). Target (DESIGN/issue 5): API ≥ 0.9× the floor.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, machine, result, setup_django

from duban.core.actors import SystemActor

HERE = Path(__file__).resolve().parent


def build_data(rows: int) -> str:
    """City-shaped org tree and campaign, `rows` problems; returns a liaison's token."""
    from django.core.management import call_command
    from django.db import transaction

    from duban.audit.services import user_action
    from duban.demo import campaign as demo_campaign
    from duban.demo import orgs as demo_orgs
    from duban.demo.context import SCALES, DemoContext
    from duban.ledger import demo as ledger_demo
    from duban.orgs.services import token_create

    call_command("flush", interactive=False, verbosity=0)
    ctx = DemoContext(scale=dataclasses.replace(SCALES["city"], problems=rows), rng=random.Random(7))
    t0 = time.perf_counter()
    with user_action():
        for step in (demo_orgs.build, demo_campaign.build, demo_campaign.build_accounts, ledger_demo.build):
            with transaction.atomic():
                step(ctx)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # as `duban demo` does after a build
    print(f"data: {rows} problems over {len(ctx.villages)} villages in {time.perf_counter() - t0:.0f} s", flush=True)
    return token_create(actor=SystemActor("bench"), user=ctx.users["unit1"])


def wrk(url: str, token: str, seconds: int) -> tuple[float, str]:
    out = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses\n{out}")
    return rps, p99.group(1) if p99 else "?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=270_600)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.seconds = 20_000, 3
    if not shutil.which("wrk"):
        print("SKIP bench_api: wrk is not installed (apt-get install wrk)")
        return
    data_dir = tempfile.mkdtemp(prefix="duban-bench-api-")
    os.environ["DUBAN_DATA_DIR"] = data_dir
    setup_django(data_dir)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    token = build_data(args.rows)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    from django.db import connections

    connections.close_all()

    port = 18000 + random.randrange(1000)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "api_floor_settings", "PYTHONPATH": f"{HERE}:{ROOT / 'src'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "duban.wsgi:application"],
        env=env, cwd=str(HERE),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/floor/hello", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        api_url, floor_url = base + "/api/problems?limit=50", base + "/floor/problems"
        req = urllib.request.Request(api_url, headers={"Authorization": f"Bearer {token}"})
        body = urllib.request.urlopen(req).read()
        assert b'"count"' in body, body[:200]
        for url in (api_url, floor_url, base + "/floor/hello"):
            wrk(url, token, 1)  # warm up every worker
        api, floor = [], []
        for _ in range(2):  # interleaved, best of two: the machine's noise hits both alike
            floor.append(wrk(floor_url, token, args.seconds))
            api.append(wrk(api_url, token, args.seconds))
        hello = wrk(base + "/floor/hello", token, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
    best_api, best_floor = max(api), max(floor)
    print(f"machine: {machine()}; database: {engine}; {args.rows} problems; gunicorn {args.workers} sync workers; wrk -t1 -c8 -d{args.seconds}s")
    print(f"bare hello: {hello[0]:.0f} req/s; api p99 {best_api[1]}, floor p99 {best_floor[1]}")
    result(f"api_problems_list_{engine}", best_api[0], "req/s", best_floor[0], "hand-written .values() view", higher_is_better=True, target="≥ 0.9×")


if __name__ == "__main__":
    main()
