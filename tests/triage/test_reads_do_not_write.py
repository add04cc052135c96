"""Issue 8 item 10 (second half): showing the inbox or a suggestion writes nothing.

The router's predictions are stored when an item arrives and when a router is trained;
GET only reads them.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.core.actors import SystemActor

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)

ROADS = ["路灯不亮", "道路坑洼", "马路积水", "人行道破损", "桥梁裂缝", "路面塌陷"]
JOBS = ["拖欠工资", "社保缴纳", "养老金发放", "失业补助", "劳动合同", "工伤认定"]


def _writes(ctx: CaptureQueriesContext) -> list[str]:
    # The figures cache (core/figcache.py, a table of the database cache) may be filled by a
    # read; data may not.
    return [q["sql"] for q in ctx.captured_queries if WRITE.match(q["sql"]) and "duban_cache" not in q["sql"]]


@pytest.fixture
def routed(users, tree, campaign):
    """A trained unit/label router over the office's routed history, and a new item."""
    from duban.intake import services as intake
    from duban.triage import services

    for i in range(12):
        for words, unit, label in ((ROADS, tree["town_a"], "交通运输"), (JOBS, tree["dept"], "劳动和社会保障")):
            w = words[i % len(words)]
            s = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title=f"关于{w}的问题", body=f"我们这里{w}已经很久了，请处理。")
            services.route_confirm(actor=users["office"], suggestion=s, unit=unit, label=label)
    for target in ("unit", "label"):
        services.train_from_history(actor=users["office"], campaign=campaign, target=target, cv=0)
    return intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title="公司拖欠工资", body="公司拖欠工资半年，社保也不交。")


def test_new_item_gets_its_predictions_when_it_arrives(routed, tree):
    from duban.triage.models import Prediction

    tops = {p.target: p.top for p in Prediction.objects.filter(suggestion=routed)}
    assert set(tops) == {"unit", "label"}
    assert tops["unit"][0]["id"] == tree["dept"].pk and tops["label"][0]["label"] == "劳动和社会保障"


def test_items_waiting_when_a_router_is_trained_get_predictions(users, tree, campaign, routed):
    from duban.intake import services as intake
    from duban.triage import services
    from duban.triage.models import Prediction

    Prediction.objects.all().delete()  # as if they had arrived before any router existed
    waiting = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title="路灯不亮", body="村口路灯不亮已经一个月了。")
    Prediction.objects.filter(suggestion=waiting).delete()
    services.train_from_history(actor=users["office"], campaign=campaign, target="unit", cv=0)
    assert Prediction.objects.filter(suggestion__in=[routed, waiting], target="unit").count() == 2


@pytest.mark.parametrize("url", ["/intake/", "/intake/?status=", "/intake/{pk}/", "/api/triage/predictions/{pk}", "/api/suggestions/{pk}"])
def test_get_writes_nothing(users, client_for, routed, url):
    from duban.triage.models import Prediction

    # Also when the stored predictions are missing: the page shows none rather than making them.
    Prediction.objects.filter(suggestion=routed, target="label").delete()
    office = client_for(users["office"])
    office.get("/")  # the session is settled before we count
    with CaptureQueriesContext(connection) as ctx:
        r = office.get(url.format(pk=routed.pk))
    assert r.status_code == 200
    assert _writes(ctx) == []
    assert not Prediction.objects.filter(suggestion=routed, target="label").exists()


def test_inbox_shows_stored_predictions(users, client_for, routed, tree):
    page = client_for(users["office"]).get("/intake/").content.decode()
    assert f'value="{tree["dept"].pk}"' in page and "确认分拣" in page
