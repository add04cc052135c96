"""Projects of the test district, made through the services (the demo's are another helper's)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.actors import SystemActor
from duban.projects import services
from duban.projects.models import Stage

TESTER = SystemActor("测试")
LEADER_NAME = "李明"
SECRETARY_NAME = "王芳"


def make_project(campaign, name, unit, **kw):
    return services.project_create(actor=TESTER, skip_checks=True, campaign=campaign, new=services.NewProject(name=name, unit=unit, **kw))


@pytest.fixture
def projects(tree, users, campaign):
    """乙醇项目 of 平安镇 (责任部门 区财政局, 包保领导 李明 = the leader's account, 项目秘书 王芳 =
    平安镇's liaison), 亿元以上, signed, with nodes; 河道治理 of 洮河镇, planned to start long ago and
    not started (red); a small 村部 project of 平安镇 in planning."""
    users["leader"].first_name = LEADER_NAME
    users["leader"].save()
    users["liaison_a"].first_name = SECRETARY_NAME
    users["liaison_a"].save()
    today = dt.date.today()
    pool = services.pools_set(actor=TESTER, skip_checks=True, campaign=campaign, names=["招商引资项目库", "储备签约开工项目库"])
    ethanol = make_project(campaign, "燃料乙醇项目", tree["town_a"], seq="1", department=tree["dept"], leader_name=LEADER_NAME,
                           secretary_name=SECRETARY_NAME, total_wan="120000", annual_plan_wan="30000", stage=Stage.SIGNED,
                           industry="化工", pool=pool[1], sanzao=True, planned_start=today + dt.timedelta(days=40),
                           planned_finish=today + dt.timedelta(days=400))
    services.nodes_set(actor=TESTER, skip_checks=True, project=ethanol, nodes=[
        services.NewNode(title="立项", kind="approval", unit=tree["dept"], planned_on=today - dt.timedelta(days=30),
                         accepted_on=today - dt.timedelta(days=60), done_on=today - dt.timedelta(days=20), allowed_days=120),
        services.NewNode(title="用地", kind="land", unit=tree["town_a"], planned_on=today - dt.timedelta(days=3)),
    ])
    river = make_project(campaign, "河道治理工程", tree["town_b"], seq="2", total_wan="5000", industry="水利",
                         planned_start=dt.date(today.year - 1, 1, 10), planned_finish=today + dt.timedelta(days=200), pool=pool[0])
    village = make_project(campaign, "村部改造", tree["town_a"], seq="3", total_wan="300")
    ethanol.refresh_from_db()
    return {"ethanol": ethanol, "river": river, "village": village, "pools": pool}
