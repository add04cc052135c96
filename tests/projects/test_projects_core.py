"""The project library's core: three-level owners through the permission layer, stage moves
on the engine, dispatch records with exact investment sums, blockers as ledger problems,
lights by 银川's rules, reminders to every owner, the figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duban.audit.models import AuditEvent
from duban.core import workcalendar
from duban.core.actors import SystemActor
from duban.core.workflow import TransitionError, TransitionForbidden
from duban.ledger import services as ledger
from duban.ledger.models import Source
from duban.ledger.models import Status as ProblemStatus
from duban.orgs.models import OwnerRole, Role
from duban.orgs.services import membership_set
from duban.projects import lights, queries, services
from duban.projects.models import Light, NodeKind, Project, Stage
from duban.projects.periods import period_label, period_of

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TODAY = dt.date(2026, 12, 7)  # a Monday


@pytest.fixture(autouse=True)
def _calendar():
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Today is TODAY for the services (lights, "not in the future"): the rules read dates."""
    from django.utils import timezone

    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: TODAY if value is None else real(value, timezone))


@pytest.fixture
def people(tree, users):
    """A 包保领导 (副区长 王振华, at the district as leader) and a 项目秘书 (陈明, liaison of 洮河镇)."""
    from django.contrib.auth import get_user_model

    leader = get_user_model().objects.create_user(username="wzh", password="pw-wzh", first_name="王振华")
    membership_set(actor=TESTER, user=leader, unit=tree["root"], role=Role.LEADER)
    secretary = users["liaison_b"]
    secretary.first_name = "陈明"
    secretary.save()
    dept_office = get_user_model().objects.create_user(username="dept", password="pw-dept")
    membership_set(actor=TESTER, user=dept_office, unit=tree["dept"], role=Role.LIAISON)
    return {"leader": leader, "secretary": secretary, "dept": dept_office}


def _project(campaign, unit, **kw):
    kw.setdefault("name", "年产10万吨燃料乙醇项目")
    return services.project_create(actor=TESTER, skip_checks=True, campaign=campaign, new=services.NewProject(unit=unit, **kw))


def test_three_levels_see_and_answer_through_the_permission_layer(tree, users, campaign, people):
    p = _project(campaign, tree["town_a"], total_wan="250000", annual_plan_wan="60000", department=tree["dept"],
                 leader_name="王振华", secretary_name="陈明", planned_start=dt.date(2026, 3, 1), planned_finish=dt.date(2028, 6, 30))
    assert (p.leader, p.secretary) == (people["leader"], people["secretary"])
    page = queries.project_page(users["office"], p)
    assert page.department == tree["dept"]
    assert ("项目秘书", "洮河镇") in page.owners and ("责任部门", "区财政局") in page.owners
    # The project's town, the department and the secretary's town see it once; nobody else.
    for who in ("liaison_a", "liaison_b", "office", "leader"):
        assert list(queries.visible(users[who], campaign)) == [p], who
    assert list(queries.visible(people["dept"], campaign)) == [p]
    assert not queries.visible(users["outsider"], campaign).exists()
    mine = queries.mine(people["leader"], campaign)
    assert list(mine["leader"]) == [p] and not mine["secretary"].exists()
    assert list(queries.mine(people["secretary"], campaign)["secretary"]) == [p]
    assert list(queries.mine(people["dept"], campaign)["department"]) == [p]
    # The secretary records dispatch but does not move the stage; the department does.
    services.record_save(actor=people["secretary"], project=p, day=TODAY, progress=5, progress_note="完成土地平整")
    with pytest.raises(TransitionForbidden):
        services.project_transition(actor=people["secretary"], project=p, name="sign")
    services.project_transition(actor=people["dept"], project=p, name="sign")
    with pytest.raises(PermissionDenied):
        services.record_save(actor=users["outsider"], project=p, day=TODAY, progress=5, progress_note="x")
    # Editing the project is for an office over its unit, not for a liaison.
    with pytest.raises(PermissionDenied):
        services.project_update(actor=users["liaison_a"], project=p, changes={"name": "改名"})
    services.project_update(actor=users["office"], project=p, changes={"industry": "新能源"})


def test_stage_moves_on_the_engine_audited_with_dates(tree, users, campaign):
    p = _project(campaign, tree["town_a"], planned_start=dt.date(2026, 10, 1), planned_finish=dt.date(2027, 12, 31))
    # A forward move may skip a stage; 开工 needs its date and not a future one.
    p = services.project_move(actor=users["liaison_a"], project=p, stage=Stage.SIGNED)
    with pytest.raises(ValidationError):
        services.project_transition(actor=users["liaison_a"], project=p, name="start")
    with pytest.raises(ValidationError):
        services.project_transition(actor=users["liaison_a"], project=p, name="start", date=dt.date(2099, 1, 1))
    p = services.project_transition(actor=users["liaison_a"], project=p, name="start", date=dt.date(2026, 11, 2))
    assert (p.stage, p.started_on) == (Stage.STARTED, dt.date(2026, 11, 2))
    # Back is the office's, with a reason, one step at a time.
    with pytest.raises(TransitionForbidden):
        services.project_move(actor=users["liaison_a"], project=p, stage=Stage.SIGNED, reason="误操作")
    with pytest.raises(TransitionError):
        services.project_move(actor=users["office"], project=p, stage=Stage.PLANNING, reason="x")
    with pytest.raises(ValidationError):
        services.project_move(actor=users["office"], project=p, stage=Stage.SIGNED)
    p = services.project_move(actor=users["office"], project=p, stage=Stage.SIGNED, reason="开工手续未齐，退回")
    assert (p.stage, p.started_on) == (Stage.SIGNED, None)
    p = services.project_transition(actor=users["liaison_a"], project=p, name="start", date=dt.date(2026, 11, 9))
    p = services.project_transition(actor=users["liaison_a"], project=p, name="complete", date=TODAY)
    assert (p.stage, p.progress, p.light) == (Stage.COMPLETED, 100, Light.DONE)
    with pytest.raises(TransitionError):
        services.project_move(actor=users["liaison_a"], project=p, stage=Stage.COMPLETED)
    verbs = list(AuditEvent.objects.filter(object_id=str(p.pk), verb__startswith="project.").order_by("id").values_list("verb", flat=True))
    assert verbs == ["project.create", "project.sign", "project.start", "project.step_back", "project.start", "project.complete"]
    assert [e.action for e in p.events.order_by("id")] == ["create", "sign", "start", "step_back", "start", "complete"]


def test_records_keep_the_investment_exact_and_one_per_period(tree, users, campaign):
    p = _project(campaign, tree["town_a"], total_wan="1000", annual_plan_wan="300", stage=Stage.STARTED, started_on=dt.date(2026, 1, 5),
                 planned_finish=dt.date(2027, 12, 31), done_total_wan="100", done_year_wan="0")
    services.record_save(actor=users["liaison_a"], project=p, day=dt.date(2026, 11, 30), progress=10, progress_note="基础施工", invested_wan="0.1")
    services.record_save(actor=users["liaison_a"], project=p, day=TODAY, progress=12, progress_note="主体施工", invested_wan="0.2")
    p.refresh_from_db()
    assert (p.done_year_wan, p.done_total_wan, p.progress) == (Decimal("0.30"), Decimal("100.30"), 12)
    # The same week again corrects that week's record (by the difference), it does not add one.
    services.record_save(actor=users["liaison_a"], project=p, day=dt.date(2026, 12, 9), progress=15, progress_note="主体施工（更正）",
                         invested_wan="50")
    p.refresh_from_db()
    assert p.records.count() == 2
    assert (p.done_year_wan, p.done_total_wan, p.progress) == (Decimal("50.10"), Decimal("150.10"), 15)
    history = queries.record_history(p)
    assert [h["done_total_wan"] for h in history] == [100.1, 150.1]
    assert history[-1]["year_rate"] == pytest.approx(50.1 / 300)
    # Correcting an older period leaves the latest progress alone.
    services.record_save(actor=users["liaison_a"], project=p, day=dt.date(2026, 12, 1), progress=11, progress_note="基础施工（更正）", invested_wan="0")
    p.refresh_from_db()
    assert (p.progress, p.done_total_wan) == (15, Decimal("150.00"))
    for bad in ({"invested_wan": "-5"}, {"invested_wan": "abc"}, {"progress": 101}, {"day": dt.date(2099, 1, 1)}, {"progress_note": ""},
                {"progress_note": "x\x00y"}, {"progress_note": "长" * 5001}):
        kw = {"day": TODAY, "progress": 20, "progress_note": "正常", "invested_wan": "1"} | bad
        with pytest.raises(ValidationError):
            services.record_save(actor=users["liaison_a"], project=p, **kw)
    p.refresh_from_db()
    assert p.done_total_wan == Decimal("150.00")  # nothing of a refused record stuck


def test_a_blocker_is_a_ledger_problem_and_its_sign_off_shows_on_the_project(tree, users, campaign, people):
    p = _project(campaign, tree["town_a"], stage=Stage.STARTED, started_on=dt.date(2026, 6, 1), planned_finish=dt.date(2027, 6, 30),
                 secretary_name="陈明", in_statistics_on=dt.date(2026, 7, 1))
    record = services.record_save(actor=people["secretary"], project=p, day=TODAY, progress=50, progress_note="厂房封顶",
                                  blockers=[services.NewBlocker("power", "10千伏专线未接入", tree["dept"], dt.date(2026, 12, 18))])
    blocker = record.blockers.get()
    problem = blocker.problem
    assert (problem.source, problem.unit, problem.deadline, problem.campaign) == (Source.PROJECT, tree["dept"], dt.date(2026, 12, 18), campaign)
    assert problem.description.startswith("【年产10万吨燃料乙醇项目】用电：")
    assert problem.events.get().actor_name == "项目调度（liaison_b）"
    # The solving unit finds it in its ledger; the project lists it as open.
    from duban.ledger.queries import visible_problems

    assert problem in visible_problems(people["dept"])
    rows = queries.with_open_blockers(Project.objects.filter(pk=p.pk))
    assert rows.get().n_open_blockers == 1
    assert queries.filtered(users["office"], campaign, queries.Filters(blocked=True)).get() == p
    # Overdue by 10 working days → red by the default rule (yellow before that).
    services.projects_refresh(campaign=campaign, today=dt.date(2026, 12, 21))
    p.refresh_from_db()
    assert (p.light, p.light_reason) == (Light.YELLOW, "要素保障问题逾期未解决")
    services.projects_refresh(campaign=campaign, today=dt.date(2027, 1, 5))
    p.refresh_from_db()
    assert p.light == Light.RED and "逾期" in p.light_reason
    # Solved in the ledger (claimed, evidence, signed off by the office): the project shows it.
    ledger.problem_claim(actor=people["dept"], problem=problem)
    ledger.problem_submit(actor=people["dept"], problem=problem, files=[("接电.png", PNG)])
    ledger.problem_sign_off(actor=users["office"], problem=problem)
    assert queries.with_open_blockers(Project.objects.filter(pk=p.pk)).get().n_open_blockers == 0
    assert queries.project_page(users["office"], p).blockers[0].problem.status == ProblemStatus.SIGNED_OFF
    services.projects_refresh(campaign=campaign, today=dt.date(2027, 1, 5))
    p.refresh_from_db()
    assert p.light != Light.RED
    # Nobody outside the project raises blockers on it.
    with pytest.raises(PermissionDenied):
        services.blocker_add(actor=users["outsider"], project=p,
                             new=services.NewBlocker("land", "x", tree["dept"], dt.date(2026, 12, 31)))
    with pytest.raises(ValidationError):
        services.blocker_add(actor=people["secretary"], project=p, new=services.NewBlocker("land", "用地", tree["dept"], dt.date(2020, 1, 1)))


@pytest.mark.parametrize("facts,expected", [
    # Not started: yellow from the planned start month, red three months on.
    (dict(stage=Stage.SIGNED, planned_start=dt.date(2026, 12, 20)), (Light.YELLOW, "计划2026年12月开工，尚未开工")),
    (dict(stage=Stage.SIGNED, planned_start=dt.date(2027, 1, 10)), (Light.GREEN, "")),
    (dict(stage=Stage.SIGNED, planned_start=dt.date(2026, 9, 30)), (Light.RED, "计划2026年9月开工，超过3个月未开工")),
    (dict(stage=Stage.SIGNED, planned_start=dt.date(2026, 10, 1)), (Light.YELLOW, "计划2026年10月开工，尚未开工")),
    # Started: behind expected-to-date progress by 10–30 points yellow, more red.
    (dict(stage=Stage.STARTED, started_on=dt.date(2026, 1, 1), planned_finish=dt.date(2027, 12, 31), progress=20,
          in_statistics_on=dt.date(2026, 2, 1)), (Light.YELLOW, "落后序时进度27个百分点")),
    (dict(stage=Stage.STARTED, started_on=dt.date(2026, 1, 1), planned_finish=dt.date(2026, 12, 31), progress=50,
          in_statistics_on=dt.date(2026, 2, 1)), (Light.RED, "落后序时进度43个百分点")),
    (dict(stage=Stage.STARTED, started_on=dt.date(2026, 1, 1), planned_finish=dt.date(2027, 12, 31), progress=45,
          in_statistics_on=dt.date(2026, 2, 1)), (Light.GREEN, "")),
    # Started a month ago and not in the statistics database.
    (dict(stage=Stage.STARTED, started_on=dt.date(2026, 11, 7), progress=0), (Light.YELLOW, "开工满1个月未入统")),
    (dict(stage=Stage.STARTED, started_on=dt.date(2026, 11, 8), progress=0), (Light.GREEN, "")),
    (dict(stage=Stage.COMPLETED), (Light.DONE, "")),
])
def test_lights_follow_yinchuan_rules(facts, expected):
    base = dict(stage=Stage.PLANNING, planned_start=None, planned_finish=None, started_on=None, in_statistics_on=None, progress=0)
    assert lights.light_of(lights.Facts(**(base | facts)), lights.Rule(), TODAY) == expected


def test_the_office_sets_the_rules_and_every_light_follows(tree, users, campaign):
    p = _project(campaign, tree["town_a"], stage=Stage.SIGNED, planned_start=dt.date(2026, 11, 1))
    assert p.light == Light.YELLOW
    with pytest.raises(PermissionDenied):
        services.light_rule_set(actor=users["liaison_a"], campaign=campaign, start_yellow_months=0, start_red_months=1, behind_yellow=10,
                                behind_red=30, statistics_months=1, blocker_red_days=10)
    with pytest.raises(ValidationError):
        services.light_rule_set(actor=users["office"], campaign=campaign, start_yellow_months=2, start_red_months=1, behind_yellow=10,
                                behind_red=30, statistics_months=1, blocker_red_days=10)
    services.light_rule_set(actor=users["office"], campaign=campaign, start_yellow_months=0, start_red_months=1, behind_yellow=10,
                            behind_red=30, statistics_months=1, blocker_red_days=10)
    p.refresh_from_db()
    assert p.light == Light.RED


def test_nodes_measure_the_approval_time_saved(tree, users, campaign):
    p = _project(campaign, tree["town_a"])
    nodes = services.nodes_set(actor=users["office"], project=p, nodes=[
        services.NewNode("项目立项", NodeKind.APPROVAL, unit=tree["dept"], planned_on=dt.date(2026, 3, 31), allowed_days=120),
        services.NewNode("施工许可", NodeKind.PERMIT, unit=tree["dept"], planned_on=dt.date(2026, 6, 30), allowed_days=20),
    ])
    with pytest.raises(PermissionDenied):
        services.nodes_set(actor=users["liaison_a"], project=p, nodes=[])
    with pytest.raises(PermissionDenied):  # neither the project's side nor the node's unit
        services.node_done(actor=users["liaison_b"], node=nodes[0], done_on=dt.date(2026, 3, 2))
    # 容缺受理: accepted on 2026-01-05, approved 30 working days later (the 120 allowed).
    node = services.node_done(actor=users["office"], node=nodes[0], done_on=workcalendar.add_workdays(dt.date(2026, 1, 5), 30),
                              accepted_on=dt.date(2026, 1, 5))
    assert (node.taken_days, node.saved_days) == (30, 90)
    page = queries.project_page(users["office"], p)
    assert page.approval_saving == {"allowed": 120, "taken": 30, "saved": 90, "steps": 1}
    with pytest.raises(ValidationError):
        services.nodes_set(actor=users["office"], project=p, nodes=[services.NewNode("同名"), services.NewNode("同名")])
    # Kept by title, a done node keeps its dates when the list is edited.
    services.nodes_set(actor=users["office"], project=p, nodes=[services.NewNode("项目立项", NodeKind.APPROVAL, allowed_days=120)])
    assert (p.nodes.get().taken_days, p.nodes.get().done_on) == (30, node.done_on)


def test_reminders_reach_every_owner_and_the_secretary_for_missing_records(tree, users, campaign, people):
    red = _project(campaign, tree["town_a"], name="红灯项目", stage=Stage.SIGNED, planned_start=dt.date(2026, 6, 1), department=tree["dept"],
                   secretary_name="陈明")
    _project(campaign, tree["town_a"], name="绿灯项目", planned_start=dt.date(2027, 6, 1))
    assert red.light == Light.RED
    parts = {p.unit_id: p for p in queries.light_reminder_parts(TODAY)}
    assert set(parts) == {tree["town_a"].pk, tree["dept"].pk, tree["town_b"].pk}
    assert parts[tree["dept"].pk].count == 1 and "红灯项目" in parts[tree["dept"].pk].lines[0].text
    due = {p.unit_id: p for p in queries.record_due_parts(TODAY)}
    assert due[tree["town_b"].pk].count == 1  # the secretary's unit, for 红灯项目
    assert due[tree["town_a"].pk].count == 1  # no secretary: the project's unit, for 绿灯项目
    services.record_save(actor=people["secretary"], project=red, day=TODAY, progress=0, progress_note="正在办理开工手续")
    assert tree["town_b"].pk not in {p.unit_id for p in queries.record_due_parts(TODAY)}


def test_figures_count_started_money_and_rates(tree, users, campaign):
    _project(campaign, tree["town_a"], name="甲", total_wan="150000", annual_plan_wan="40000", done_year_wan="10000", done_total_wan="30000",
             stage=Stage.STARTED, started_on=dt.date(2026, 3, 1), planned_start=dt.date(2026, 3, 1))
    _project(campaign, tree["town_a"], name="乙", total_wan="6000", annual_plan_wan="2000", stage=Stage.COMPLETED,
             planned_start=dt.date(2025, 3, 1))
    _project(campaign, tree["town_b"], name="丙", total_wan="8000", annual_plan_wan="8000", stage=Stage.SIGNED, planned_start=dt.date(2026, 5, 1))
    _project(campaign, tree["town_b"], name="丁", total_wan="9000", stage=Stage.PLANNING, planned_start=dt.date(2027, 5, 1))
    f = queries.figures(campaign=campaign, today=TODAY)
    assert (f["total"], f["started"], f["major"]) == (4, 2, 1)
    assert f["investment_total_wan"] == 173000.0 and f["investment_done_wan"] == 30000.0
    assert f["start_rate"] == round(2 / 3, 3)  # 丙 was due to start and has not; 丁 is not due yet
    assert f["annual_rate"] == round(10000 / 50000, 3)
    assert f["by_stage"] == {"planning": 1, "negotiating": 0, "signed": 1, "started": 1, "completed": 1}
    by_unit = {r["name"]: r for r in queries.totals_by(users["office"], campaign, "unit")}
    assert (by_unit["平安镇"]["n"], by_unit["平安镇"]["started"], by_unit["平安镇"]["total_wan"]) == (2, 2, 156000.0)
    assert by_unit["洮河镇"]["annual_rate"] == 0.0
    # A town liaison's figures are its own projects only.
    assert queries.figures(user=users["liaison_b"], campaign=campaign, today=TODAY)["total"] == 2


def test_validation_refuses_bad_projects(tree, users, campaign):
    for bad in ({"name": ""}, {"name": "名" * 201}, {"total_wan": "-1"}, {"total_wan": "1e20"}, {"stage": "launched"},
                {"planned_start": dt.date(2027, 1, 1), "planned_finish": dt.date(2026, 1, 1)}, {"name": "a\x00b"},
                {"total_wan": "100", "done_total_wan": "500"}):
        with pytest.raises(ValidationError):
            _project(campaign, tree["town_a"], **({"name": "项目"} | bad))
    _project(campaign, tree["town_a"], seq="1")
    with pytest.raises(ValidationError):
        _project(campaign, tree["town_a"], seq="1", name="重号")
    with pytest.raises(PermissionDenied):
        services.project_create(actor=users["liaison_a"], campaign=campaign, new=services.NewProject(name="x", unit=tree["town_a"]))
    assert not AuditEvent.objects.filter(verb="project.create", object_repr="x").exists()


def test_periods_name_the_office_way():
    assert period_of(TODAY, "weekly") == (dt.date(2026, 12, 7), dt.date(2026, 12, 13))
    assert period_of(dt.date(2026, 2, 25), "xun") == (dt.date(2026, 2, 21), dt.date(2026, 2, 28))
    assert period_of(dt.date(2026, 2, 15), "monthly") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_label(dt.date(2026, 12, 11), "xun") == "2026年12月中旬"
    assert period_label(dt.date(2026, 12, 7), "weekly") == "2026年第50周"


def test_owner_roles_are_assignments(tree, campaign, people):
    from duban.orgs.models import Assignment
    from duban.orgs.scoping import assignment_type

    p = _project(campaign, tree["town_a"], department=tree["dept"], leader_name="王振华", secretary_name="陈明")
    roles = set(Assignment.objects.filter(content_type=assignment_type(Project), object_id=p.pk).values_list("unit__name", "role"))
    # The leader's unit is the district itself (the campaign's unit): it sees all anyway and is
    # kept as a leader assignment so reminders reach it.
    assert ("区财政局", OwnerRole.DEPARTMENT) in roles and ("洮河镇", OwnerRole.SECRETARY) in roles
