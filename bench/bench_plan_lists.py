"""The plan's red/yellow list (红黄灯清单) at city scale.

World: the city demo's tree (临汾: 17 counties, 238 towns, 10,472 villages) and its plan
(duban.plan.demo: ~6,100 items, lead and co-responsible units, lights of every colour),
built once per run in a throw-away data dir (or DUBAN_DATA_DIR / DUBAN_DATABASE_URL).

Figure: p95 of `GET /api/tasks?light=red_yellow` (and of the `plan:warnings` page when the
plan's pages are installed) (the first 100 rows and the count: the
scoping rule over lead and co-responsible units, the filter, red-first order, the co units
of the page, the JSON) through the Django test client, as the city office and as a town
liaison. Floor, same run, per case: p95 of one hand-written SELECT of the same 100 rows
(for the town: its subtree's units written out, lead or co), nothing else. Target: p95 ≤ 100 ms.

    .venv/bin/python bench/bench_plan_lists.py [--repeat 50] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from common import machine, p95_ms, result, setup_django


def build(scale: str):
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from duban.audit.services import user_action
    from duban.demo import campaign as demo_campaign
    from duban.demo import orgs as demo_orgs
    from duban.demo.context import SCALES, DemoContext
    from duban.plan import demo

    ctx = DemoContext(scale=SCALES[scale], rng=random.Random(20211109), today=dt.date.today())
    t0 = time.perf_counter()
    with user_action():
        for step in (demo_orgs.build, demo_campaign.build, demo_campaign.build_accounts):
            with transaction.atomic():
                step(ctx)
        t1 = time.perf_counter()
        with transaction.atomic():
            demo.build(ctx)
    print(f"world: {scale} tree and accounts {t1 - t0:.1f} s, plan {time.perf_counter() - t1:.1f} s — {ctx.notes[-1]}", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return ctx


def floor_sql(campaign_id: int, units: list[int] | None) -> tuple[str, list]:
    """The same rows as the API's first page, by hand: red then yellow, earliest deadline first."""
    cols = "i.id, i.seq, i.title, i.lead_unit_id, u.name, i.leader_name, i.deadline, i.progress, i.status, i.light, i.updated_at"
    where, params = "i.campaign_id = %s AND i.light IN ('red', 'yellow')", [campaign_id]
    if units is not None:
        marks = ", ".join(["%s"] * len(units))
        where += (f" AND (i.lead_unit_id IN ({marks}) OR i.id IN (SELECT a.object_id FROM orgs_assignment a"
                  f" WHERE a.unit_id IN ({marks}) AND a.role = 'co' AND a.content_type_id = %s))")
        params += units + units
    sql = (f"SELECT {cols} FROM plan_planitem i JOIN orgs_orgunit u ON u.id = i.lead_unit_id WHERE {where}"
           " ORDER BY CASE i.light WHEN 'red' THEN 0 ELSE 1 END, i.deadline, i.id LIMIT 100")
    return sql, params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--quick", action="store_true", help="the district's plan, 20 repeats")
    a = ap.parse_args()
    setup_django()
    scale = "district" if a.quick else "city"
    ctx = build(scale)
    repeat = 20 if a.quick else a.repeat
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test import Client

    from duban.orgs.models import OrgUnit
    from duban.plan.models import PlanItem

    ctype = ContentType.objects.get_for_model(PlanItem).pk
    town = ctx.towns[0]
    cases = [("office", ctx.users["admin"], None), (f"town liaison ({town.name})", ctx.users["unit1"],
             list(OrgUnit.objects.filter(path__startswith=town.path).values_list("id", flat=True)))]
    print(machine(), connection.vendor, flush=True)
    for label, user, units in cases:
        c = Client()
        c.force_login(user)
        url = "/api/tasks?light=red_yellow"
        body = c.get(url).json()
        sql, params = floor_sql(ctx.campaign.pk, units)
        if units is not None:
            params = params + [ctype]

        def bare(sql=sql, params=params):
            with connection.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()

        rows = bare()
        assert [r[0] for r in rows] == [r["id"] for r in body["items"]], "the floor reads other rows than the API"
        # Interleaved, so load on the machine weighs on both alike.
        figure = p95_ms(lambda c=c, url=url: c.get(url).content, repeat)
        floor = p95_ms(bare, repeat)
        total = PlanItem.objects.filter(campaign=ctx.campaign).count()
        result(f"red/yellow list /api/tasks?light=red_yellow, {label}, {body['count']} of {total} items, {connection.vendor}",
               figure, "ms p95", floor, "bare SELECT of the same 100 rows", target="≤ 100 ms p95")
        page = warnings_url()
        if page:  # the office's 红黄灯 page, where the plan's pages are installed
            assert c.get(page).status_code == 200
            figure = p95_ms(lambda c=c, page=page: c.get(page).content, repeat)
            result(f"red/yellow page {page}, {label}, {total} items, {connection.vendor}", figure, "ms p95", floor,
                   "bare SELECT of the same 100 rows", target="≤ 100 ms p95")


def warnings_url() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("plan:warnings")
    except NoReverseMatch:
        return ""


if __name__ == "__main__":
    main()
