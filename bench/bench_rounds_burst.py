"""The Friday burst (issue 13): N units (临汾's branches: 11,000) submit this week's round
within minutes through POST /api/rounds/{id}/submissions, each with its own liaison's API
token, on PostgreSQL, served by gunicorn on 127.0.0.1 and loaded by a bounded generator
of C concurrent clients (keep-alive connections, one request in flight each).

    DUBAN_DATABASE_URL=postgres://postgres@127.0.0.1/rounds_api_burst \\
        python bench/bench_rounds_burst.py [--units 11000] [--clients 16] [--workers 3] [--quick]

Each request submits the unit's whole form (a line per open problem of the unit, 2–3 on
average) and is applied through the ledger's service (a progress note per problem,
audited) — the real write path. Checked after: every unit submitted exactly once, the lines
are exactly those sent, one audit row per submission, no error response.
Reported: wall time (target: within 10 minutes), req/s, p50/p95/max latency; the floor is a
bare INSERT of the same rows (submission states and lines as executemany into scratch
tables of the same shape) in the same run, and the ratio wall ÷ floor.
The database is wiped (flush) at the start: its name must contain "burst" or "bench".
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import ROOT, machine, result, setup_django

HERE = Path(__file__).resolve().parent


def build_data(units: int, problems: int) -> tuple[int, list[tuple[int, str, list[int]]]]:
    """The city's org tree and campaign, `problems` problems over its villages, a round open
    to `units` of its branches; a liaison with a token for each. Returns the
    round's id and (unit id, token, problem ids) per submitting unit."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from duban.audit.services import user_action
    from duban.core.actors import SystemActor
    from duban.demo import campaign as demo_campaign
    from duban.demo import orgs as demo_orgs
    from duban.demo.context import SCALES, DemoContext
    from duban.ledger import demo as ledger_demo
    from duban.ledger.models import OPEN_STATUSES, Problem
    from duban.orgs.models import ApiToken, Membership, OrgUnit, Role
    from duban.rounds import services
    from duban.rounds.models import Scope, Submission

    call_command("flush", interactive=False, verbosity=0)
    ctx = DemoContext(scale=dataclasses.replace(SCALES["city"], problems=problems), rng=random.Random(13))
    t0 = time.perf_counter()
    with user_action():
        for step in (demo_orgs.build, demo_campaign.build, demo_campaign.build_accounts, ledger_demo.build):
            with transaction.atomic():
                step(ctx)
        # The round asks N of the city's branches (counties, departments, towns, villages, in tree order), each
        # about its open problems; a unit with none answers an empty form (its overall summary).
        chosen = list(OrgUnit.objects.filter(depth__gte=1).order_by("path")[:units])
        if len(chosen) < units:
            raise SystemExit(f"the city has only {len(chosen)} branches")
        with transaction.atomic():
            rnd = services.round_open(actor=SystemActor("bench"), skip_checks=True, campaign=ctx.campaign, name="第50周工作进展",
                                      due_at=timezone.now() + dt_hours(2), scope=Scope.UNITS, units=chosen)
    unit_ids = list(Submission.objects.filter(round=rnd).order_by("unit_id").values_list("unit_id", flat=True))
    open_by_unit: dict[int, list[int]] = {u: [] for u in unit_ids}
    for pk, unit in Problem.objects.filter(campaign=ctx.campaign, status__in=OPEN_STATUSES, unit_id__in=unit_ids).values_list("pk", "unit_id"):
        open_by_unit[unit].append(pk)
    # One liaison and token per unit, inserted directly: bench scaffolding, not a user action.
    user_model = get_user_model()
    users = user_model.objects.bulk_create([user_model(username=f"burst{u}", password="!") for u in unit_ids], batch_size=5000)
    Membership.objects.bulk_create([Membership(user=usr, unit_id=u, role=Role.LIAISON) for usr, u in zip(users, unit_ids, strict=True)],
                                   batch_size=5000)
    tokens = [secrets.token_urlsafe(24) for _ in unit_ids]
    expires = timezone.now() + dt_hours(24)
    ApiToken.objects.bulk_create([ApiToken(user=usr, digest=ApiToken.digest_of(t), expires_at=expires) for usr, t in zip(users, tokens, strict=True)],
                                 batch_size=5000)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"data: {len(ctx.villages)} villages, {problems} problems, round {rnd.pk} to {rnd.expected} units; "
          f"{units} liaisons with tokens in {time.perf_counter() - t0:.0f} s", flush=True)
    return rnd.pk, [(u, t, open_by_unit[u]) for u, t in zip(unit_ids, tokens, strict=True)]


def dt_hours(h: float):
    import datetime as dt

    return dt.timedelta(hours=h)


def body_of(unit: int, problem_ids: list[int]) -> bytes:
    lines = [{"kind": "problem", "object_id": p, "done": "本周完成现场核查，已督促整改到位", "problems": "部分村民不配合",
              "next_steps": "下周组织验收"} for p in problem_ids]
    return json.dumps({"unit_id": unit, "lines": lines, "summary": "本周各项工作按计划推进。", "submit": True}, ensure_ascii=False).encode()


def burst(port: int, round_id: int, work: list[tuple[int, str, list[int]]], clients: int) -> tuple[float, list[float], list[str]]:
    """`clients` threads, each with one keep-alive connection, take the next unit's
    submission from a shared queue until it is empty. Returns wall seconds, latencies, errors."""
    lock = threading.Lock()
    queue = list(reversed(work))
    latencies: list[float] = []
    errors: list[str] = []
    path = f"/api/rounds/{round_id}/submissions"

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                unit, token, problems = queue.pop()
            body = body_of(unit, problems)
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    errors.append(f"{unit}: {exc!r}")
                continue
            took = time.perf_counter() - t0
            with lock:
                latencies.append(took)
                if status != 200:
                    errors.append(f"{unit}: {status} {data[:200].decode(errors='replace')}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, errors


def workers_cpu(master: int) -> float:
    """CPU seconds (user + system) of the gunicorn workers so far: the app's own share of
    the machine, whatever else runs on it."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def floor_insert(round_id: int, work: list[tuple[int, str, list[int]]]) -> float:
    """A bare INSERT of the same rows: the submissions' states and their lines, executemany
    into scratch tables shaped like the real ones, one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from duban.rounds.models import Line, Submission

    now = timezone.now()
    sub_rows = [(round_id, u, "submitted", now, "on_time", "本周各项工作按计划推进。", now) for u, _, _ in work]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE floor_sub (LIKE {Submission._meta.db_table} INCLUDING DEFAULTS)")
        cur.execute(f"CREATE TEMP TABLE floor_line (LIKE {Line._meta.db_table} INCLUDING DEFAULTS)")
        t0 = time.perf_counter()
        cur.executemany("INSERT INTO floor_sub (id, round_id, unit_id, status, submitted_at, punctuality, summary, updated_at, return_reason, "
                        "chase_level) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', 0)",
                        [(i, *r) for i, r in enumerate(sub_rows, 1)])
        line_rows = [(i, "problem", p, "问题", "本周完成现场核查，已督促整改到位", "部分村民不配合", "下周组织验收")
                     for i, (_, _, problems) in enumerate(work, 1) for p in problems]
        cur.executemany("INSERT INTO floor_line (id, submission_id, kind, object_id, title, done, problems, next_steps, unchanged, applied, "
                        "files) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false, true, '[]')",
                        [(n, *r) for n, r in enumerate(line_rows, 1)])
        took = time.perf_counter() - t0
        transaction.set_rollback(True)
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=11_000)
    ap.add_argument("--problems", type=int, default=30_000, help="open problems over the villages (who is asked)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="500 units")
    args = ap.parse_args()
    if args.quick:
        args.units = 500
    url = os.environ.get("DUBAN_DATABASE_URL", "")
    if not url.startswith("postgres") or not any(w in url.rsplit("/", 1)[-1] for w in ("burst", "bench")):
        # It flushes the database: only one named for it (…/rounds_api_burst, …/duban_bench).
        print("SKIP bench_rounds_burst: set DUBAN_DATABASE_URL=postgres://…/<a database whose name has 'burst' or 'bench': it is wiped>")
        return
    data_dir = tempfile.mkdtemp(prefix="duban-bench-burst-")
    os.environ["DUBAN_DATA_DIR"] = data_dir
    setup_django(data_dir)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    round_id, work = build_data(args.units, args.problems)
    random.Random(5).shuffle(work)  # units answer in no particular order
    connections.close_all()

    port = 19000 + random.randrange(1000)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "--timeout", "120", "duban.wsgi:application"], env=env, cwd=str(HERE))
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        cpu0 = workers_cpu(server.pid)
        wall, lat, errors = burst(port, round_id, work, args.clients)
        cpu = workers_cpu(server.pid) - cpu0
    finally:
        server.terminate()
        server.wait(timeout=20)

    from duban.audit.models import AuditEvent
    from duban.rounds.models import Line, Submission

    sent_lines = sum(len(p) for _, _, p in work)
    submitted = Submission.objects.filter(round_id=round_id, status="submitted").count()
    distinct = Submission.objects.filter(round_id=round_id, status="submitted").values("unit_id").distinct().count()
    lines = Line.objects.filter(submission__round_id=round_id).count()
    applied = Line.objects.filter(submission__round_id=round_id, applied=True).count()
    audits = AuditEvent.objects.filter(verb="round.submit").count()
    floor = floor_insert(round_id, work)
    lat.sort()
    p50, p95 = statistics.median(lat) * 1000, lat[int(len(lat) * 0.95) - 1] * 1000
    print(f"machine: {machine()}; PostgreSQL; gunicorn {args.workers} sync workers; {args.clients} concurrent clients; "
          f"{args.units} units, {sent_lines} lines")
    print(f"burst: {len(lat)} requests in {wall:.1f} s = {len(lat) / wall:.1f} req/s; latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms; errors {len(errors)}")
    print(f"after: submitted {submitted} (distinct units {distinct}) of {args.units}; lines {lines} of {sent_lines} sent, applied {applied}; "
          f"audit round.submit {audits}")
    print(f"app CPU: {cpu:.1f} s in the gunicorn workers = {cpu / max(1, len(lat)) * 1000:.0f} ms per submission; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for e in errors[:5]:
        print("  error:", e)
    ok = not errors and submitted == distinct == args.units and lines == applied == sent_lines and audits == args.units
    print("integrity:", "nothing lost or duplicated ✓" if ok else "✗ MISMATCH")
    result("rounds_burst_wall", wall, "s", floor, "bare executemany INSERT of the same submission and line rows",
           target=f"≤ 600 s for {args.units} units")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
