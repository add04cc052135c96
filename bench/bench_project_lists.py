"""The project library at province scale (10,310 projects): the board, the red/yellow list and
the figures.

World: the demo's org tree (province: 10 cities, 111,601 units; `--tree city`: 临汾's 11,160
units holding the same 10,310 projects, quicker to build) and its project library
(duban.projects.demo in bulk: three pools, county bureaus as 责任部门, lights by rule, four
weeks of records), in a throw-away data dir (or DUBAN_DATA_DIR / DUBAN_DATABASE_URL).

Figures, as the province office and as a town liaison (its subtree and the projects it is
secretary of), p50 and p95 of what people call, through the test client (session, middleware,
template, the whole response): the board page `/projects/board/`, the red/yellow list
`/projects/warnings/`, `GET /api/projects?light=red_yellow` — target ≤ 100 ms p95 — and the
figures page `/projects/figures/` and the `projects` section of `duban stats`
(`queries.figures`, campaign-wide and per person) — target ≤ 50 ms p95 for the section; the
page adds the totals by unit, industry and pool. The queries the pages are built on are
timed too (red list, board data), and each page's query count is printed. Floors, same run:
a bare SELECT of the same 100 red/yellow rows (lists, pages); a bare COUNT + SUM over the
campaign (figures).

    .venv/bin/python bench/bench_project_lists.py [--db sqlite|pg] [--repeat 30] [--tree province|city] [--quick] [--keep]

--keep keeps the world between runs (SQLite: /tmp/duban-bench-projects-<tree>-<n>; PG: the
database projects_perf_bench_<tree>_<n>) and reuses it when it is there: the same rows
before and after a change, and no rebuild.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import statistics
import time
from types import SimpleNamespace

from common import machine, p95, result, setup_django

PG_BASE = os.environ.get("DUBAN_BENCH_PG", "postgres://postgres@127.0.0.1:5432")

BOARD_FIRST = 20
FIELDS = ("id", "seq", "name", "unit__name", "stage", "light", "light_reason", "total_wan", "progress", "leader_name")


def build(tree: str, projects: int):
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from duban.audit.services import user_action
    from duban.demo import campaign as demo_campaign
    from duban.demo import orgs as demo_orgs
    from duban.demo.context import SCALES, DemoContext
    from duban.projects import demo

    scale = dataclasses.replace(SCALES[tree], projects=projects)
    ctx = DemoContext(scale=scale, rng=random.Random(20211109), today=dt.date.today())
    t0 = time.perf_counter()
    with user_action():
        for step in (demo_orgs.build, demo_campaign.build, demo_campaign.build_accounts):
            with transaction.atomic():
                step(ctx)
        t1 = time.perf_counter()
        with transaction.atomic():
            demo.build(ctx)
    print(f"world: {tree} tree and accounts {t1 - t0:.1f} s, projects {time.perf_counter() - t1:.1f} s — {ctx.notes[-1]}", flush=True)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return ctx


def open_world(db: str, tree: str, projects: int, keep: bool) -> bool:
    """Point Django at the bench's database; True when a kept world is there to reuse."""
    tag = f"{tree}_{projects}"
    if db == "pg":
        import psycopg

        name = f"projects_perf_bench_{tag}"
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
            if exists and not keep:
                conn.execute(f"DROP DATABASE {name}")
                exists = False
            if not exists:
                conn.execute(f"CREATE DATABASE {name}")
        os.environ["DUBAN_DATABASE_URL"] = f"{PG_BASE}/{name}"
        setup_django()
    else:
        os.environ.pop("DUBAN_DATABASE_URL", None)
        if keep:
            path = f"/tmp/duban-bench-projects-{tag}"
            os.makedirs(path, exist_ok=True)
            os.environ["DUBAN_DATA_DIR"] = path
        setup_django()
    if not keep:
        return False
    from django.core.management import call_command

    from duban.projects.models import Project

    call_command("migrate", verbosity=0)
    try:
        return Project.objects.exists()
    except Exception:  # noqa: BLE001 — an empty database: build it
        return False


def kept_world():
    """The campaign and the two accounts of a kept world (what `build` returns)."""
    from django.contrib.auth import get_user_model

    from duban.orgs.scoping import home_unit
    from duban.projects.models import Project

    users = {u.username: u for u in get_user_model().objects.filter(username__in=("admin", "unit1"))}
    campaign = Project.objects.select_related("campaign").first().campaign
    return SimpleNamespace(campaign=campaign, users=users, towns=[home_unit(users["unit1"])])


def timings(fn, repeat: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), p95(times)


def floor_sql(campaign_id: int, units: list[int] | None, ctype: int) -> tuple[str, list]:
    """The red/yellow list's first 100 rows by hand: red first, largest investment first."""
    where, params = "p.campaign_id = %s AND p.light IN ('red', 'yellow')", [campaign_id]
    if units is not None:
        marks = ", ".join(["%s"] * len(units))
        where += (f" AND (p.unit_id IN ({marks}) OR p.id IN (SELECT a.object_id FROM orgs_assignment a"
                  f" WHERE a.unit_id IN ({marks}) AND a.content_type_id = %s))")
        params += units + units + [ctype]
    sql = ("SELECT p.id, p.seq, p.name, u.name, p.stage, p.light, p.light_reason, p.total_wan, p.progress, p.leader_name"
           f" FROM projects_project p JOIN orgs_orgunit u ON u.id = p.unit_id WHERE {where}"
           " ORDER BY CASE p.light WHEN 'red' THEN 0 ELSE 1 END, p.total_wan DESC, p.id LIMIT 100")
    return sql, params


def url_of(name: str) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--tree", choices=["province", "city"], default="province")
    ap.add_argument("--projects", type=int, default=10_310)
    ap.add_argument("--quick", action="store_true", help="city tree, 2,000 projects, 10 repeats")
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--keep", action="store_true", help="keep the world and reuse a kept one")
    a = ap.parse_args()
    if a.quick:
        a.tree, a.projects, a.repeat = "city", 2000, 10
    reuse = open_world(a.db, a.tree, a.projects, a.keep)
    ctx = kept_world() if reuse else build(a.tree, a.projects)
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test import Client

    from duban.orgs.models import OrgUnit
    from duban.projects import queries
    from duban.projects.models import Project

    ctype = ContentType.objects.get_for_model(Project).pk
    campaign = ctx.campaign
    total = Project.objects.filter(campaign=campaign).count()
    town = ctx.towns[0]
    cases = [("office", ctx.users["admin"], None),
             (f"town liaison ({town.name})", ctx.users["unit1"], list(OrgUnit.objects.filter(path__startswith=town.path).values_list("id", flat=True)))]
    print(machine(), connection.vendor, f"{total} projects", f"load {os.getloadavg()[0]:.1f}", flush=True)
    pages = [url_of("projects:board"), url_of("projects:warnings"),
             "/api/projects?light=red_yellow" if _api_has_projects() else "", url_of("projects:figures")]
    for label, user, units in cases:
        sql, params = floor_sql(campaign.pk, units, ctype)

        def bare(sql=sql, params=params):
            with connection.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()

        def red_list(user=user):
            qs = queries.red_yellow(user, campaign)
            return list(qs.values_list(*FIELDS)[:100]), qs.count()

        def board_data(user=user):
            qs = queries.filtered(user, campaign, queries.Filters())
            counts = queries.stage_counts(qs)
            columns = {s: list(qs.filter(stage=s).order_by(queries.LIGHT_RANK, "-total_wan", "id").values_list(*FIELDS)[:BOARD_FIRST])
                       for s in counts}
            return counts, columns, queries.light_counts(qs)

        rows, count = red_list()
        assert [r[0] for r in rows] == [r[0] for r in bare()], "the floor reads other rows than the red list"
        # Interleaved per case so load on the machine weighs on each alike.
        f50, f95 = timings(bare, a.repeat)
        r50, r95 = timings(red_list, a.repeat)
        b50, b95 = timings(board_data, a.repeat)
        floor = f"bare SELECT of the same 100 rows, p50 {f50:.2f} ms"
        result(f"red/yellow list (queries.red_yellow, 100 rows + count), {label}, {count} of {total}, {connection.vendor}, p50 {r50:.1f} ms",
               r95, "ms p95", f95, floor, target="≤ 100 ms p95")
        result(f"board data (filtered + stage_counts + light_counts + first {BOARD_FIRST} per stage), {label}, {total} projects, "
               f"{connection.vendor}, p50 {b50:.1f} ms", b95, "ms p95", f95, floor, target="≤ 100 ms p95")
        c = Client()
        c.force_login(user)
        for path in filter(None, pages):
            seen = []
            # A wrapper, not CaptureQueriesContext: request_started resets the queries log.
            with connection.execute_wrapper(lambda execute, sql, params, many, context, seen=seen: seen.append(sql) or execute(sql, params, many, context)):
                assert c.get(path).status_code == 200, path
            h50, h95 = timings(lambda c=c, path=path: c.get(path).content, a.repeat)
            goal = "≤ 50 ms p95 (the section; the page adds the totals)" if "figures" in path else "≤ 100 ms p95"
            result(f"GET {path}, {label}, {total} projects, {connection.vendor}, {len(seen)} queries, p50 {h50:.1f} ms", h95, "ms p95",
                   f95, floor, target=goal)
    # The figures: the stats section (every project) and the office's (its scope).
    count_sql = "SELECT COUNT(*), SUM(total_wan) FROM projects_project WHERE campaign_id = %s"

    def bare_count():
        with connection.cursor() as cur:
            cur.execute(count_sql, [campaign.pk])
            return cur.fetchall()

    c50, c95 = timings(bare_count, a.repeat)
    figcache = None
    if "figcache" in getattr(queries, "__dict__", {}):
        from duban.core import figcache
    for label, kwargs in (("stats section", {"campaign": campaign}), ("province office", {"campaign": campaign, "user": ctx.users["admin"]}),
                          ("town liaison", {"campaign": campaign, "user": ctx.users["unit1"]})):
        g50, g95 = timings(lambda kwargs=kwargs: queries.figures(**kwargs), a.repeat)
        result(f"project figures (queries.figures), {label}, {total} projects, {connection.vendor}, p50 {g50:.1f} ms", g95, "ms p95",
               c95, f"bare COUNT + SUM over the campaign, p50 {c50:.2f} ms", target="≤ 50 ms p95")
        if figcache is not None:
            # The first read after a write (the data version moved): the aggregate itself.
            k50, k95 = timings(lambda kwargs=kwargs: (figcache.bump(), queries.figures(**kwargs)), a.repeat)
            result(f"project figures after a write (cache missed), {label}, {total} projects, {connection.vendor}, p50 {k50:.1f} ms",
                   k95, "ms p95", c95, f"bare COUNT + SUM over the campaign, p50 {c50:.2f} ms", target="≤ 50 ms p95")


def _api_has_projects() -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/projects")
        return True
    except Resolver404:
        return False


if __name__ == "__main__":
    main()
    print(f"load {os.getloadavg()[0]:.1f} at the end", flush=True)
