"""The demo's project library: 通化's shape in the district (37 projects over ¥50M, ¥22.1bn,
32 started, the three owners on every one, 容缺受理, records, blockers in the ledger, lights by
rule) with 洮北's ethanol project on the plan's 23 tasks; the city's bulk library at a small
scale (pools, a year of weekly records whose totals add up)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from duban.audit.services import user_action
from duban.demo import campaign as demo_campaign
from duban.demo import orgs as demo_orgs
from duban.demo.context import SCALES, DemoContext
from duban.ledger import demo as ledger_demo
from duban.ledger.models import Problem, Status
from duban.orgs import permissions
from duban.orgs.models import Assignment, OwnerRole, UnitKind
from duban.orgs.scoping import assignment_type
from duban.plan import demo as plan_demo
from duban.plan.models import PlanItem
from duban.projects import demo, queries
from duban.projects.models import MAJOR_WAN, Blocker, Light, Node, Pool, Project, Record, Stage
from duban.projects.services import department_of

pytestmark = pytest.mark.django_db


def _build(scale) -> DemoContext:
    ctx = DemoContext(scale=scale, rng=random.Random(20211109), today=dt.date.today())
    with user_action():
        for step in (demo_orgs.build, demo_campaign.build, demo_campaign.build_accounts, ledger_demo.build, plan_demo.build, demo.build):
            with transaction.atomic():
                step(ctx)
    return ctx


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    """One district build for the module's tests (it takes seconds), rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        ctx = _build(SCALES["district"])
        yield ctx
        transaction.set_rollback(True)


def test_district_has_tonghuas_shape(district):
    ctx = district
    projects = Project.objects.filter(campaign=ctx.campaign)
    assert projects.count() == 37
    assert sum(projects.values_list("total_wan", flat=True)) == Decimal(2_210_000)
    assert projects.filter(stage__in=(Stage.STARTED, Stage.COMPLETED)).count() == 32
    assert not projects.filter(total_wan__lte=5000).exists()  # every one over ¥50M
    assert projects.filter(total_wan__gte=MAJOR_WAN).count() == 36  # 亿元以上: all but the 9,000 万元 秸秆 project
    f = queries.figures(campaign=ctx.campaign)
    assert (f["total"], f["started"], f["investment_total_wan"]) == (37, 32, 2_210_000)
    assert {"新能源", "装备制造", "医药健康", "文旅", "基础设施"} <= set(projects.values_list("industry", flat=True))


def test_every_project_has_the_three_owners(district):
    User = get_user_model()
    projects = list(Project.objects.filter(campaign=district.campaign).select_related("leader", "secretary"))
    ctype = assignment_type(Project)
    for p in projects:
        assert p.leader is not None and p.leader.first_name == p.leader_name, p.name
        assert p.secretary is not None and p.secretary.first_name == p.secretary_name, p.name
        dept = department_of(p)
        assert dept is not None and dept.kind == UnitKind.DEPARTMENT, p.name
        roles = set(Assignment.objects.filter(content_type=ctype, object_id=p.pk).values_list("role", flat=True))
        assert OwnerRole.LEADER in roles and OwnerRole.DEPARTMENT in roles, p.name
        # Each of the three sees the project through the permission layer.
        assert permissions.may_see(p.leader, p) and permissions.may_see(p.secretary, p), p.name
    # Several leaders with accounts, `leader` among them; the town liaisons are secretaries.
    assert len({p.leader_id for p in projects}) >= 5
    leader = User.objects.get(username="leader")
    assert 2 <= queries.mine(leader)["leader"].count() <= 5
    for name in ("unit1", "unit2"):
        user = User.objects.get(username=name)
        mine = queries.mine(user)
        assert mine["secretary"].exists(), name
        assert set(mine["secretary"].values_list("pk", flat=True)) <= set(queries.visible(user).values_list("pk", flat=True))


def test_the_ethanol_projects_23_nodes_are_the_plans_tasks(district):
    p = Project.objects.get(campaign=district.campaign, name=demo.ETHANOL_PROJECT)
    nodes = list(p.nodes.select_related("plan_item", "plan_item__parent__parent"))
    tasks = PlanItem.objects.filter(campaign=district.campaign, parent__parent__title=plan_demo.ETHANOL_TITLE)
    assert len(nodes) == 23 == tasks.count()
    assert {n.plan_item_id for n in nodes} == set(tasks.values_list("pk", flat=True))
    for n in nodes:
        assert n.title == n.plan_item.title and n.unit_id == n.plan_item.lead_unit_id and n.planned_on == n.plan_item.deadline
    assert p.leader.first_name == "王志强" and p.stage == Stage.SIGNED


def test_nodes_records_blockers_and_lights(district):
    campaign = district.campaign
    # 容缺受理: some projects' approvals took 30 of their 120 working days.
    fast = 0
    for p in Project.objects.filter(campaign=campaign).exclude(name=demo.ETHANOL_PROJECT):
        steps = [n for n in p.nodes.all() if n.is_approval and n.taken_days is not None]
        if steps and sum(n.allowed_days for n in steps) == 120 and sum(n.taken_days for n in steps) == 30:
            fast += 1
    assert fast >= 5
    assert Node.objects.filter(project__campaign=campaign, kind="start", done_on__isnull=False).count() == 32
    # Weekly records of recent weeks with investment; the totals kept exact.
    records = Record.objects.filter(project__campaign=campaign)
    assert records.count() > 100 and records.filter(invested_wan__gt=0).count() > 80
    for p in Project.objects.filter(campaign=campaign, stage=Stage.STARTED):
        last = p.records.order_by("-period_start").first()
        assert last.done_total_wan == p.done_total_wan and last.progress == p.progress, p.name
    assert queries.due_this_period(Project.objects.filter(campaign=campaign), district.today).exists()
    # Blockers are ledger problems of the project desk, two signed off.
    blockers = Blocker.objects.filter(project__campaign=campaign).select_related("problem")
    assert blockers.count() >= 6
    assert sum(b.problem.status == Status.SIGNED_OFF for b in blockers) == 2
    assert Problem.objects.filter(project_blocker__in=blockers, deadline__isnull=False).count() == blockers.count()
    # Lights derived by the rules: red and yellow with their reasons, done for the completed.
    lights = dict(Project.objects.filter(campaign=campaign).values_list("name", "light"))
    assert {Light.RED, Light.YELLOW, Light.GREEN, Light.DONE} <= set(lights.values())
    reasons = " ".join(Project.objects.filter(campaign=campaign).values_list("light_reason", flat=True))
    assert "落后序时进度" in reasons and "未开工" in reasons and "未入统" in reasons
    assert not Project.objects.filter(campaign=campaign, light__in=(Light.RED, Light.YELLOW), light_reason="").exists()


def test_city_library_in_bulk_at_a_small_scale():
    small = dataclasses.replace(SCALES["city"], counties=3, towns_per_county=2, villages_per_county=4, departments=6, problems=50,
                                projects=60)
    ctx = _build(small)
    projects = Project.objects.filter(campaign=ctx.campaign)
    assert projects.count() == 60
    assert sum(projects.values_list("total_wan", flat=True)) == Decimal(demo.CITY_TOTAL_WAN)
    assert list(Pool.objects.filter(campaign=ctx.campaign).values_list("name", flat=True)) == demo.POOLS
    assert projects.filter(pool__isnull=True).count() == 0 and len(set(projects.values_list("pool", flat=True))) == 3
    # A year of weekly records; each project's money is its records' running totals.
    records = Record.objects.filter(project__campaign=ctx.campaign)
    assert records.count() > 60 * 20
    for p in projects.filter(stage=Stage.STARTED):
        rows = list(p.records.order_by("period_start"))
        if rows:
            assert rows[-1].done_total_wan == p.done_total_wan
            assert sum((r.invested_wan for r in rows if r.period_start.year == ctx.today.year), Decimal(0)) == p.done_year_wan
    assert Assignment.objects.filter(content_type=assignment_type(Project), role=OwnerRole.DEPARTMENT,
                                     object_id__in=projects.values("pk")).count() == 60
    assert {Light.RED, Light.YELLOW, Light.GREEN} <= set(projects.values_list("light", flat=True))
    assert queries.mine(get_user_model().objects.get(username="leader"))["leader"].exists()


def test_the_red_list_puts_red_before_yellow(district):
    """queries.red_yellow: red first, then yellow, largest investment first (was "-light",
    which sorts the stored word "yellow" before "red")."""
    admin = get_user_model().objects.get(username="admin")
    rows = list(queries.red_yellow(admin, district.campaign).values_list("light", "total_wan"))
    assert {Light.RED, Light.YELLOW} <= {light for light, _ in rows}
    assert rows == sorted(rows, key=lambda r: (r[0] != Light.RED, -r[1]))
