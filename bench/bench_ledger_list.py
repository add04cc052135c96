"""The ledger list page at N problems (default 3,000,000) on PostgreSQL.

Figure: p95 of the whole page (`GET /ledger/?unit=…&status=…`, Django test client: view,
scoping rule, filters, status counts, page count, template) for a unit-subtree + status
filter, as the office and as a town liaison. Floor, same run: p95 of the page's main
query alone as raw SQL (50 rows). Target: p95 ≤ 100 ms.

The data (a 临汾-shaped tree, N problems) is generated once by INSERT … SELECT into the
database duban_ledger_bench_<N> and kept for the next run.

    .venv/bin/python bench/bench_ledger_list.py --db pg --rows 3000000
"""

from __future__ import annotations

import time

from bench_ledger_common import args, generate_pg, setup, world
from common import p95, result


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
            membership_set(actor="bench", user=u, unit=unit, role=role)
        out[name] = u
    return out, town


def sample(fn, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return p95(times) * 1000


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
    cases = [
        ("office, county subtree + 整改中", office, f"/ledger/?unit={county.pk}&status=in_progress"),
        ("office, town subtree + 已销号", office, f"/ledger/?unit={town.pk}&status=signed_off"),
        ("town liaison, own scope + 整改中", liaison, "/ledger/?status=in_progress"),
        ("office, county + 整改中, sorted by deadline", office, f"/ledger/?unit={county.pk}&status=in_progress&sort=deadline"),
    ]

    def raw():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT p.* FROM ledger_problem p WHERE p.status = 'in_progress' AND p.unit_id IN "
                "(SELECT id FROM orgs_orgunit WHERE path LIKE %s) ORDER BY p.id DESC LIMIT 50",
                [county.path + "%"],
            )
            cur.fetchall()

    bare = sample(raw, a.repeat)
    n_county = OrgUnit.objects.filter(path__startswith=county.path).count()
    print(f"county {county.name}: {n_county} units; town {town.name}")
    for label, client, url in cases:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        figure = sample(lambda c=client, u=url: c.get(u), a.repeat)
        result(f"ledger list page p95 at {a.rows} rows ({a.db}) — {label}", figure, "ms", bare, "raw SQL of the main query, p95", target="p95 ≤ 100 ms")


if __name__ == "__main__":
    main()
