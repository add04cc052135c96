"""The unit picker at province scale (issue 9 item 12): 111,601 units, searched by name.

Builds a province-shaped tree (1 province, 10 cities, 100 counties, 1,500 towns, 110,000
villages whose names repeat across towns, as real village names do), then times:

* `orgs.queries.unit_search` (what /units/search/ answers, with the parent paths) for a
  common prefix, an exact repeated name, a rare contained word and "上级/名称", as the
  province office (sees everything) and as a town liaison (a subtree);
* `orgs.matching.resolve_in` (the typed-name fallback of the form field);
* the form field's id check (`UnitField.resolve` with a picked id).

Floor: the bare indexed look-up of one unit by primary key, in the same run.

    python bench/bench_unit_picker.py [--db sqlite|pg] [--repeat 50]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import p95, result, setup_django  # noqa: E402

VILLAGE_NAMES = [f"{a}{b}村" for a in "新红东西南北前后上下大小" for b in ("华", "旗", "风", "光", "明", "兴", "胜", "利", "和", "平")]


def build() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from duban.orgs.models import Membership, OrgUnit, Role, UnitKind, path_segment

    rng = random.Random(9)
    rows, next_id = [], [1]

    def add(name, kind, parent):
        pk = next_id[0]
        next_id[0] += 1
        path = (parent["path"] if parent else "") + path_segment(pk)
        depth = 0 if parent is None else parent["depth"] + 1
        region = pk if depth <= 1 else parent["region"]
        u = {"id": pk, "name": name, "kind": kind, "parent": parent["id"] if parent else None, "path": path, "depth": depth, "region": region}
        rows.append(u)
        return u

    prov = add("吉林省", UnitKind.PROVINCE, None)
    towns = []
    for c in range(10):
        city = add(f"第{c + 1}市", UnitKind.CITY, prov)
        add(f"{city['name']}财政局", UnitKind.DEPARTMENT, city)
        for k in range(10):
            county = add(f"{city['name']}{k + 1}县", UnitKind.COUNTY, city)
            for t in range(15):
                towns.append(add(f"{county['name']}平安镇" if t == 0 else f"{county['name']}{t}镇", UnitKind.TOWN, county))
    per_town = (111_601 - len(rows)) // len(towns)
    for town in towns:
        for name in rng.sample(VILLAGE_NAMES, per_town):
            add(name, UnitKind.VILLAGE, town)
    while len(rows) < 111_601:
        add(f"补充村{len(rows)}", UnitKind.VILLAGE, towns[0])
    with transaction.atomic():
        OrgUnit.objects.bulk_create(
            [OrgUnit(id=u["id"], name=u["name"], kind=u["kind"], parent_id=u["parent"], path=u["path"], depth=u["depth"], region_id=u["region"]) for u in rows],
            batch_size=5000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT setval(pg_get_serial_sequence('orgs_orgunit', 'id'), %s)", [len(rows) + 1])
            cur.execute("ANALYZE orgs_orgunit")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    users = {}
    for username, unit_id, role in (("office", prov["id"], Role.OFFICE), ("liaison", towns[37]["id"], Role.LIAISON)):
        u = get_user_model().objects.create_user(username=username, password="x" * 12)
        Membership.objects.create(user=u, unit_id=unit_id, role=role)
        users[username] = u
    village = next(u for u in rows if u["depth"] == 4 and u["path"].startswith(towns[37]["path"]))
    return {"users": users, "units": len(rows), "town": towns[37], "village": village}


def samples(fn, repeat: int) -> list[float]:
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    if args.db == "pg":
        os.environ.setdefault("DUBAN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duban_uib")
    else:
        os.environ.pop("DUBAN_DATABASE_URL", None)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if args.db == "pg":
        import psycopg

        url = os.environ["DUBAN_DATABASE_URL"]
        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    world = build()
    print(f"{world['units']:,} units built in {time.perf_counter() - t0:.1f} s on {connection.vendor}")

    from duban.orgs.forms import UnitField
    from duban.orgs.matching import resolve_in
    from duban.orgs.models import OrgUnit
    from duban.orgs.queries import unit_paths, unit_search
    from duban.orgs.scoping import visible_units

    def search(user, q):
        def run():
            found = unit_search(user, q)
            return unit_paths(found)
        return run

    def picked(user, unit_id, text):
        def run():
            f = UnitField(user=user)
            return f.resolve(text, str(unit_id))
        return run

    office, liaison = world["users"]["office"], world["users"]["liaison"]
    village = world["village"]
    cases = {
        "search office 新华 (prefix, 1,500 matches)": search(office, "新华"),
        "search office 红旗村 (exact, repeated)": search(office, "红旗村"),
        "search office 财政 (contains only, 10)": search(office, "财政"),
        "search office 不存在 (no match: full contains scan)": search(office, "不存在"),
        "search office 平安镇/新华 (narrowed by parent)": search(office, "第3市2县平安镇/新华"),
        "search office empty (top of tree)": search(office, ""),
        "search liaison 新 (own town)": search(liaison, "新"),
        "typed name office 第3市2县平安镇/新华村": lambda: resolve_in(visible_units(office), "第3市2县平安镇/新华村"),
        "typed name office 新华村 (not unique)": lambda: resolve_in(visible_units(office), "新华村"),
        "typed name office 新华庄 (unknown: closest)": lambda: resolve_in(visible_units(office), "新华庄"),
        "picked id liaison": picked(liaison, village["id"], village["name"]),
        "picked id office": picked(office, village["id"], village["name"]),
    }
    floor_samples = samples(lambda: OrgUnit.objects.filter(pk=village["id"]).values_list("id", flat=True).first(), args.repeat)
    floor = p95(floor_samples)
    worst = 0.0
    for name, fn in cases.items():
        s = samples(fn, args.repeat)
        s.sort()
        print(f"{name:<52} p50 {s[len(s) // 2]:7.2f} ms  p95 {p95(s):7.2f} ms  max {s[-1]:7.2f} ms")
        worst = max(worst, p95(s))
    print(f"floor: one unit by primary key p95 {floor:.3f} ms")
    result(f"unit picker, {world['units']:,} units, {connection.vendor}, worst case p95", worst, "ms", floor, "one unit by primary key", target="p95 ≤ 50 ms")


if __name__ == "__main__":
    main()
