"""挂图作战 of a 5,000-item plan: the battle map's data endpoint against a bare SELECT.

Figure: p50/p95 of `GET /plan/map/data/` (Django test client: login session, scope, the
items, their aspects, milestones, links and the latest baseline's bars, JSON) as the
campaign office, grouped by aspect, lead unit and leader, and as a town liaison. Floor,
same run: p50/p95 of a bare SELECT of the same 5,000 rows (the columns the map reads,
nothing joined). Target: ≤ 300 ms.

The plan: 4 aspects, 196 key tasks, 4,800 measures over 12 towns and 30 departments, a
co-responsible unit on every third item, a milestone on every other, 600 finish-to-start
links, a frozen baseline; items bulk-inserted, then `plan_refresh` derives latest start,
slack, critical chain and lights, `baseline_freeze` takes the baseline (the services).

    .venv/bin/python bench/bench_plan_map.py [--db sqlite|pg] [--rows 5000] [--repeat 30]
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from bench_ledger_common import args, setup
from common import p95, result

from duban.core.actors import SystemActor

ACTOR = SystemActor("bench")


def build(rows: int):
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from duban.campaigns.services import campaign_create
    from duban.orgs.models import Assignment, OwnerRole, Role, UnitKind
    from duban.orgs.services import membership_set, unit_create
    from duban.plan import services
    from duban.plan.models import Dependency, Milestone, PlanItem

    rng = random.Random(11)
    county = unit_create(actor=ACTOR, name="江源区", kind=UnitKind.COUNTY)
    towns = [unit_create(actor=ACTOR, name=f"第{i + 1}镇", kind=UnitKind.TOWN, parent=county) for i in range(12)]
    depts = [unit_create(actor=ACTOR, name=f"区直部门{i + 1}", kind=UnitKind.DEPARTMENT, parent=county) for i in range(30)]
    owners = towns + depts
    campaign = campaign_create(actor=ACTOR, name="挂图作战测试", unit=county, start_date=dt.date(2026, 1, 5))
    User = get_user_model()
    office = User.objects.create_user(username="bench_office", first_name="推进办")
    membership_set(actor=ACTOR, user=office, unit=county, role=Role.OFFICE)
    liaison = User.objects.create_user(username="bench_town")
    membership_set(actor=ACTOR, user=liaison, unit=towns[0], role=Role.LIAISON)

    now = timezone.now()
    leaders = [f"副区长{i}" for i in range(8)]
    n_aspects, per_aspect = 4, 49  # 4 + 196 tasks + measures up to `rows`
    n_measures = max(0, rows - n_aspects - n_aspects * per_aspect)

    def item(**kw) -> PlanItem:
        return PlanItem(campaign=campaign, created_at=now, updated_at=now, **kw)

    aspects = PlanItem.objects.bulk_create([item(level=1, seq=str(a + 1), position=a + 1, title=f"方面{a + 1}", lead_unit=county)
                                            for a in range(n_aspects)])
    tasks = PlanItem.objects.bulk_create([
        item(level=2, parent=asp, seq=f"{a + 1}.{t + 1}", position=t + 1, title=f"重点任务{a + 1}.{t + 1}",
             lead_unit=owners[(a * per_aspect + t) % len(owners)], leader_name=leaders[t % len(leaders)],
             deadline=dt.date(2027, 6, 30) - dt.timedelta(days=rng.randrange(200)))
        for a, asp in enumerate(aspects) for t in range(per_aspect)], batch_size=500)
    today = dt.date.today()
    measures = []
    for k, task in enumerate(tasks):
        for m in range(n_measures // len(tasks) + (k < n_measures % len(tasks))):
            start = today - dt.timedelta(days=rng.randrange(-60, 180))
            measures.append(item(
                level=3, parent=task, seq=f"{task.seq}.{m + 1}", position=m + 1, title=f"具体措施{task.seq}.{m + 1}",
                lead_unit=rng.choice(owners), leader_name=task.leader_name, start_date=start if m % 3 else None,
                deadline=start + dt.timedelta(days=30 + rng.randrange(240)), duration_days=rng.choice([None, 10, 20, 40]),
                progress=rng.choice([0, 10, 30, 60, 100]), started_on=start if m % 2 else None))
    measures = PlanItem.objects.bulk_create(measures, batch_size=500)
    items = tasks + measures
    ct = ContentType.objects.get_for_model(PlanItem)
    Assignment.objects.bulk_create([Assignment(content_type=ct, object_id=i.pk, unit=rng.choice(owners), role=OwnerRole.CO)
                                    for i in items[::3]], batch_size=1000, ignore_conflicts=True)
    Milestone.objects.bulk_create([Milestone(item=i, title="节点", due=(i.deadline or today) - dt.timedelta(days=15))
                                   for i in items[::2]], batch_size=1000)
    links = set()
    for task in tasks:  # a chain through each key task's first measures
        kids = [m for m in measures if m.parent_id == task.pk][:4]
        links.update((a.pk, b.pk) for a, b in zip(kids, kids[1:], strict=False))
    Dependency.objects.bulk_create([Dependency(predecessor_id=a, successor_id=b) for a, b in sorted(links)][:600], batch_size=1000)
    t0 = time.perf_counter()
    services.plan_refresh(campaign=campaign)
    refresh_s = time.perf_counter() - t0
    services.baseline_freeze(actor=office, campaign=campaign, name="年初计划")
    return campaign, office, liaison, PlanItem.objects.filter(campaign=campaign).count(), refresh_s


def samples(fn, repeat: int) -> list[float]:
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    a = args(5000, extra=lambda p: p.set_defaults(repeat=30))
    setup(a.db, pg_name="duban_plan_map_bench")
    campaign, office, liaison, total, refresh_s = build(a.rows)
    from django.db import connection
    from django.test import Client

    print(f"plan: {total} items; plan_refresh {refresh_s:.2f} s")
    sql = ("SELECT id, parent_id, level, position, seq, title, lead_unit_id, leader_name, start_date, deadline, latest_start, "
           "slack_days, critical, started_on, finished_on, progress, light, status FROM plan_planitem "
           "WHERE campaign_id = %s AND level > 1")

    def bare():
        with connection.cursor() as cur:
            cur.execute(sql, [campaign.pk])
            return cur.fetchall()

    floor = samples(bare, a.repeat)
    floor_p50, floor_p95 = statistics.median(floor), p95(floor)
    print(f"floor: bare SELECT of {len(bare())} rows: p50 {floor_p50:.1f} ms, p95 {floor_p95:.1f} ms")
    clients = {}
    for name, user in (("office", office), ("town liaison", liaison)):
        c = Client()
        c.force_login(user)
        clients[name] = c
    cases = [("office", "aspect"), ("office", "unit"), ("office", "leader"), ("town liaison", "aspect")]
    for who, group in cases:
        c = clients[who]
        url = f"/plan/map/data/?campaign={campaign.pk}&group={group}"
        r = c.get(url)
        assert r.status_code == 200, r.status_code
        rows = sum(1 for x in r.json()["rows"] if isinstance(x, list))
        times = samples(lambda c=c, url=url: c.get(url), a.repeat)
        print(f"{who}, by {group}: {rows} rows, {len(r.content) / 1024:.0f} KiB JSON, p50 {statistics.median(times):.1f} ms")
        result(f"plan map data, {who}, by {group}, {rows} items ({a.db})", p95(times), "ms p95", floor_p95,
               "bare SELECT of the 5,000 rows, p95", target="≤ 300 ms")


if __name__ == "__main__":
    main()
