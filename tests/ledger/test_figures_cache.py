"""Cached ledger figures (core.figcache) equal a straight recount after every kind of write,
and the pages that show them answer in a pinned number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.actors import SystemActor
from duban.core.dates import today
from duban.ledger import figures, queries, services
from duban.ledger.models import Problem, Source

pytestmark = pytest.mark.django_db
BY = ("area", "unit", "source", "month")


def straight(user, campaign):
    """The same figures counted from the ledger, bypassing the cache."""
    on = today()
    under = None
    from duban.orgs.scoping import home_unit

    under = home_unit(user) if user is not None else None
    return {
        "rates": {by: _ordered(queries._rates_counted(user, campaign, by, under, on)) for by in BY if by != "unit" or under is not None},
        "totals": queries._totals_counted(user, campaign, on),
        "figures": figures._figures(user, campaign),
    }


def _ordered(rows):
    return sorted(rows, key=lambda r: (str(r["key"]), r["label"]))


def shown(user, campaign):
    """What the pages read (through the cache)."""
    from duban.orgs.scoping import home_unit

    under = home_unit(user) if user is not None else None
    return {
        "rates": {by: _ordered(queries.rates(user, campaign=campaign, by=by)) for by in BY if by != "unit" or under is not None},
        "totals": queries.totals(user, campaign=campaign),
        "figures": figures.figures(user=user, campaign=campaign),
    }


def assert_current(campaign, people):
    for user in people:
        first = shown(user, campaign)
        assert first == straight(user, campaign), user
        assert shown(user, campaign) == first  # the second read (a cache hit) is the same


def test_cached_figures_follow_every_write(campaign, tree, users, make_problem, png):
    from duban.campaigns.services import focus_area_create
    from duban.orgs.services import unit_update

    people = [None, users["office"], users["leader"], users["liaison_a"]]
    area = focus_area_create(actor=SystemActor("测试"), campaign=campaign, name="营商环境", position=1)
    a = make_problem(tree["village_a1"], focus_area=area, deadline=today() - dt.timedelta(days=2))
    make_problem(tree["village_b1"])
    assert_current(campaign, people)

    # A new problem, a change of source only (its tally key stays the same), a sign-off.
    make_problem(tree["dept"], deadline=None, kind="long_term")
    assert_current(campaign, people)
    services.problem_update(actor=users["office"], problem=a, source=Source.INSPECTION)
    assert_current(campaign, people)
    services.problem_claim(actor=SystemActor("测试"), skip_checks=True, problem=a)
    services.problem_submit(actor=SystemActor("测试"), skip_checks=True, problem=a, files=[("现场.png", png)])
    services.problem_sign_off(actor=SystemActor("测试"), skip_checks=True, problem=a)
    assert_current(campaign, people)
    # Labels come with the rows: a renamed town shows its new name in the rates by unit.
    unit_update(actor=SystemActor("测试"), unit=tree["town_a"], name="平安街道")
    assert any(r["label"] == "平安街道" for r in queries.rates(users["office"], campaign=campaign, by="unit"))
    assert_current(campaign, people)
    services.problem_bulk_extend(actor=users["office"], problem_ids=[p.pk for p in Problem.objects.all()], deadline=today() + dt.timedelta(days=3), reason="统一延期")
    assert_current(campaign, people)


def test_rates_from_tallies_equal_the_counted_rates(campaign, tree, users, make_problem, png):
    """Region-level views read rates by area and by unit from the roll-ups: the same rows,
    in the same order, as counting the ledger (and None for a town's view)."""
    from duban.campaigns.services import focus_area_create

    areas = [focus_area_create(actor=SystemActor("测试"), campaign=campaign, name=n, position=i) for i, n in enumerate(("营商环境", "民生保障"))]
    t = today()
    make_problem(tree["village_a1"], focus_area=areas[0], deadline=t - dt.timedelta(days=3))
    make_problem(tree["village_b1"], focus_area=areas[1])
    make_problem(tree["root"], deadline=None, kind="long_term")
    done = make_problem(tree["dept"], focus_area=areas[1], deadline=t + dt.timedelta(days=1))
    services.problem_claim(actor=SystemActor("测试"), skip_checks=True, problem=done)
    services.problem_submit(actor=SystemActor("测试"), skip_checks=True, problem=done, files=[("现场.png", png)])
    services.problem_sign_off(actor=SystemActor("测试"), skip_checks=True, problem=done)
    for user in (None, users["office"], users["leader"], users["liaison_a"]):
        from duban.orgs.scoping import home_unit

        under = home_unit(user) if user is not None else tree["root"]
        for by in ("area", "unit") if under.depth == 0 else ("area",):
            got = queries._rates_from_tallies(user, campaign, by, under, t)
            assert got is not None and got == queries._rates_counted(user, campaign, by, under, t), (user, by)
        assert queries._totals(user, campaign, t) == queries._totals_counted(user, campaign, t)
    assert {r["label"] for r in queries._rates_from_tallies(None, campaign, "unit", tree["root"], t)} == {"平安镇", "洮河镇", "区财政局", "洮北区（本级）"}
    # (a town is a region in this district tree: its liaison reads the roll-ups too)
    assert queries._rates_from_tallies(users["liaison_a"], campaign, "area", None, t) == queries._rates_counted(users["liaison_a"], campaign, "area", None, t)
    assert queries._rates_from_tallies(None, campaign, "unit", tree["town_a"], t) is None


def test_the_cache_is_used_and_only_a_write_service_moves_it(campaign, tree, users, make_problem):
    """The check above can fail: a change behind the services' back is not seen (the figures
    really are cached), the next service write makes them current again."""
    make_problem(tree["village_a1"])
    office = users["office"]
    before = queries.totals(office, campaign=campaign)["total"]
    Problem.objects.filter(pk__in=Problem.objects.values("pk")[:1]).delete()  # not a service: no bump
    assert queries.totals(office, campaign=campaign)["total"] == before
    make_problem(tree["village_b1"])
    assert queries.totals(office, campaign=campaign) == queries._totals(office, campaign, today())


def test_review_list_reads_submitted_and_extension_requests(campaign, tree, users, make_problem, png):
    """The review list (two indexes, a union of ids) holds exactly what the OR condition holds."""
    from django.db.models import Q

    a, b, c = make_problem(tree["village_a1"]), make_problem(tree["village_b1"]), make_problem(tree["village_a2"])
    services.problem_claim(actor=SystemActor("测试"), skip_checks=True, problem=a)
    services.problem_submit(actor=SystemActor("测试"), skip_checks=True, problem=a, files=[("现场.png", png)])
    services.problem_request_extension(actor=users["liaison_b"], problem=b, until=today() + dt.timedelta(days=60), reason="资金未到位")
    got = [p.pk for p in queries.my_items(users["office"])["review"]]
    want = list(Problem.objects.filter(Q(status="submitted") | Q(extension_to__isnull=False)).order_by("updated_at", "id").values_list("pk", flat=True))
    assert got == want and set(got) == {a.pk, b.pk} and c.pk not in got


def test_figure_pages_queries_are_pinned(campaign, tree, users, make_problem, client_for, django_assert_num_queries):
    """A second look at the rates page reads its figures from the cache: no scan of the ledger."""
    make_problem(tree["village_a1"])
    c = client_for(users["office"])
    # session, user, grants, campaign (view), top units (scope), version + rates, version +
    # totals, campaign and home unit (page shell), unread messages (notify badge), home unit
    # (menu); by unit also looks up the home unit first.
    for by, n in {"area": 13, "unit": 14, "source": 13, "month": 13}.items():
        assert c.get(f"/ledger/summary/?by={by}").status_code == 200
        with django_assert_num_queries(n):
            assert c.get(f"/ledger/summary/?by={by}").status_code == 200
    # the headline figures: version + value per cached section, and the plan's one count
    # (+7 on the home page and +5 on /api/stats: the projects' and the rounds' sections and cards)
    for url, n in {"/": 21, "/api/stats": 14}.items():
        assert c.get(url).status_code == 200
        with django_assert_num_queries(n):
            assert c.get(url).status_code == 200
