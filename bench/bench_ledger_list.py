"""The ledger list page at N problems (default 3,000,000) on PostgreSQL.

Figure: p95 of the whole page (`GET /ledger/?unit=…&status=…`, Django test client: view,
scoping rule, filters, status counts, page count, template) for a unit-subtree + status
filter, as the office and as a town liaison. Floor, same run, per case: p95 of a
hand-written SQL for the same 50 rows (the county by its region column, the town by its
unit ids written out), nothing else of the page. Target: p95 ≤ 100 ms.

The data (a 临汾-shaped tree, N problems) is generated once by INSERT … SELECT into the
database duban_ledger_bench_<N> and kept for the next run.

    .venv/bin/python bench/bench_ledger_list.py --db pg --rows 3000000
"""

from __future__ import annotations

import os

from bench_ledger_common import args, generate_pg, setup, world
from common import p95_ms, result

from duban.core.actors import SystemActor


def users(campaign):
    from django.contrib.auth import get_user_model

    from duban.orgs.models import OrgUnit, Role
    from duban.orgs.services import membership_set

    User = get_user_model()
    town = OrgUnit.objects.filter(path__startswith=campaign.unit.path, kind="town").order_by("id").first()
    out = {}
    for name, unit, role in (("bench_office", campaign.unit, Role.OFFICE), ("bench_town", town, Role.LIAISON)):
        u, created = User.objects.get_or_create(username=name)
        if created:
            membership_set(actor=SystemActor("bench"), user=u, unit=unit, role=role)
        out[name] = u
    return out, town



def main() -> None:
    a = args(3_000_000, default_db="pg")
    setup(a.db, pg_name=f"_{a.rows}", fresh=False)
    campaign = world()
    if a.db == "pg":
        generate_pg(a.rows, campaign)
    from django.db import connection
    from django.test import Client

    from duban.orgs.models import OrgUnit

    us, town = users(campaign)
    county = town.parent
    office, liaison = Client(), Client()
    office.force_login(us["bench_office"])
    liaison.force_login(us["bench_town"])
    town_units = list(OrgUnit.objects.filter(path__startswith=town.path).values_list("id", flat=True))
    cols = "p.*, u.name, a.name"
    join = "FROM ledger_problem p JOIN orgs_orgunit u ON u.id = p.unit_id LEFT JOIN campaigns_focusarea a ON a.id = p.focus_area_id"
    county_sql = (f"SELECT {cols} {join} WHERE p.region_id = %s AND p.status = %s ORDER BY p.id DESC LIMIT 50", [county.pk, "in_progress"])
    # The town's rows fenced off first (a plain ORDER BY id DESC LIMIT 50 over them is planned
    # as a backward primary-key scan of the whole table: seconds).
    fenced = (f"WITH p AS MATERIALIZED (SELECT * FROM ledger_problem WHERE unit_id = ANY(%s) AND status = %s) "
            f"SELECT {cols} FROM p JOIN orgs_orgunit u ON u.id = p.unit_id LEFT JOIN campaigns_focusarea a ON a.id = p.focus_area_id "
            "ORDER BY p.id DESC LIMIT 50")
    town_sql = (fenced, [town_units, "signed_off"])
    town_open_sql = (fenced, [town_units, "in_progress"])
    deadline_sql = (f"SELECT {cols} {join} WHERE p.region_id = %s AND p.status = %s ORDER BY p.deadline, p.id LIMIT 50", [county.pk, "in_progress"])
    # A county without a status: its 50 newest ids from the (region, id, campaign) index, then the rows.
    county_all_sql = (f"SELECT {cols} {join} WHERE p.id IN (SELECT id FROM ledger_problem WHERE region_id = %s AND campaign_id = %s "
                      "ORDER BY id DESC LIMIT 50) ORDER BY p.id DESC", [county.pk, campaign.pk])
    landing_sql = (f"SELECT {cols} {join} WHERE p.campaign_id = %s ORDER BY p.id DESC LIMIT 50", [campaign.pk])
    cases = [
        ("office, county subtree + 整改中", office, f"/ledger/?unit={county.pk}&status=in_progress", county_sql),
        ("office, county subtree, all statuses", office, f"/ledger/?unit={county.pk}", county_all_sql),
        ("office, whole ledger (landing page)", office, "/ledger/", landing_sql),
        ("office, town subtree + 已销号", office, f"/ledger/?unit={town.pk}&status=signed_off", town_sql),
        ("town liaison, own scope + 整改中", liaison, "/ledger/?status=in_progress", town_open_sql),
        ("office, county + 整改中, sorted by deadline", office, f"/ledger/?unit={county.pk}&status=in_progress&sort=deadline", deadline_sql),
    ]

    def raw(sql, params):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()

    n_county = OrgUnit.objects.filter(path__startswith=county.path).count()
    print(f"county {county.name}: {n_county} units; town {town.name}: {len(town_units)} units; load average {os.getloadavg()[0]:.2f}")
    for label, client, url, (sql, params) in cases:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        bare = p95_ms(lambda s=sql, p=params: raw(s, p), a.repeat)
        figure = p95_ms(lambda c=client, u=url: c.get(u), a.repeat)
        result(f"ledger list page p95 at {a.rows} rows ({a.db}) — {label}", figure, "ms", bare, "hand-written SQL of the 50 rows, p95", target="p95 ≤ 100 ms")


if __name__ == "__main__":
    main()
