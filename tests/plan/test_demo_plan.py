"""The demo's plan: 江源's shape and 洮北's ethanol project in the district, the accounts'
towns owning part of it, every light, a baseline with drift; the city's plan in bulk."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from duban.audit.services import user_action
from duban.demo import campaign as demo_campaign
from duban.demo import orgs as demo_orgs
from duban.demo.context import SCALES, DemoContext
from duban.orgs.models import Assignment, UnitKind
from duban.plan import demo, queries
from duban.plan.models import Baseline, Dependency, ItemEvent, Level, Light, PlanItem, Status

pytestmark = pytest.mark.django_db


def _build(scale: str) -> DemoContext:
    ctx = DemoContext(scale=SCALES[scale], rng=random.Random(20211109), today=dt.date.today())
    with user_action():
        for step in (demo_orgs.build, demo_campaign.build, demo_campaign.build_accounts, demo.build):
            step(ctx)
    return ctx


def test_district_plan_has_jiangyuans_shape_and_the_ethanol_project():
    from django.contrib.auth import get_user_model

    ctx = _build("district")
    items = PlanItem.objects.filter(campaign=ctx.campaign)
    ethanol = items.get(title=demo.ETHANOL_TITLE)
    jiangyuan = items.exclude(pk=ethanol.pk).exclude(parent=ethanol).exclude(parent__parent=ethanol)
    assert Counter(jiangyuan.values_list("level", flat=True)) == {Level.ASPECT: 4, Level.TASK: 41, Level.MEASURE: 26}
    works = jiangyuan.filter(level=Level.TASK)
    assert works.values("lead_unit").distinct().count() == 14
    assert works.filter(children__isnull=False).distinct().count() == 7
    co_depts = Assignment.objects.filter(object_id__in=works.values("id"), content_type__model="planitem", unit__kind=UnitKind.DEPARTMENT)
    assert co_depts.values("unit").distinct().count() == 30
    tasks = items.filter(parent__parent=ethanol)
    assert tasks.count() == 23 and not tasks.filter(leader_name="").exists()
    assert tasks.filter(milestones__isnull=False).distinct().count() == 23
    assert Dependency.objects.filter(successor__in=tasks).count() >= 8
    approval = items.get(parent=ethanol, title="项目核准")
    assert set(items.filter(parent=approval).values_list("deadline", flat=True)) == {approval.deadline}  # the hard deadline
    # Every light shows; some done; instructions; a baseline from the start with drift on some.
    lights = set(items.values_list("light", flat=True))
    assert {Light.RED, Light.YELLOW, Light.GREEN, Light.DONE} <= lights
    assert items.filter(status=Status.SUBMITTED).exists() and items.filter(status=Status.PENDING).exists()
    assert ItemEvent.objects.filter(kind=ItemEvent.Kind.INSTRUCTION).count() >= 3
    baseline = Baseline.objects.get(campaign=ctx.campaign)
    assert baseline.taken_at.date() < ctx.today
    assert any(d["days"] for i in items.filter(original_deadline__isnull=False) for d in queries.drift_of(i))
    # The demo accounts meet the plan: unit1's and unit2's towns lead or co-own items; the
    # leader (李建国) has items of his own.
    User = get_user_model()
    for name in ("unit1", "unit2"):
        mine = queries.mine(User.objects.get(username=name))
        assert mine["lead"].exists() and mine["co"].exists(), name
    assert queries.leader_items(User.objects.get(username="leader")).count() >= 3


@pytest.mark.slow
def test_city_plan_is_thousands_of_items_across_the_counties():
    ctx = _build("city")
    items = PlanItem.objects.filter(campaign=ctx.campaign)
    assert items.count() > 3000
    assert items.filter(level=Level.TASK).values("lead_unit__parent").distinct().count() == len(ctx.counties)
    assert Assignment.objects.filter(content_type__model="planitem").count() > 3000
    assert {Light.RED, Light.YELLOW, Light.GREEN, Light.DONE} <= set(items.values_list("light", flat=True))
