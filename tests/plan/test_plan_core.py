"""The plan's core: items owned by a lead and co-responsible units, the workflow on the
engine, lights, backward scheduling with the critical chain, baselines with drift."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duban.audit.models import AuditEvent
from duban.core import workcalendar
from duban.core.actors import SystemActor
from duban.core.workflow import TransitionError, TransitionForbidden
from duban.plan import lights, queries, scheduling, services
from duban.plan.models import ItemEvent, Light, PlanItem, Status

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cal():
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")
    return workcalendar.calendar()


def _item(campaign, title, lead, co=(), parent=None, **kw):
    return services.item_create(actor=TESTER, skip_checks=True, campaign=campaign,
                                new=services.NewItem(title=title, lead_unit=lead, co_units=list(co), parent=parent, **kw))


def test_co_responsible_unit_sees_and_reports_but_only_the_lead_moves_it(tree, users, campaign):
    aspect = _item(campaign, "优化营商环境", tree["root"])
    item = _item(campaign, "压缩审批时限", tree["town_a"], co=[tree["town_b"], tree["dept"]], parent=aspect,
                 deadline=dt.date(2030, 6, 30))
    assert (aspect.level, item.level) == (1, 2)
    # Both the lead and a co-responsible unit see it, once each (no duplicate rows).
    assert list(queries.visible(users["liaison_b"], campaign)) == [item]
    assert list(queries.visible(users["liaison_a"], campaign)) == [item]
    assert queries.visible(users["office"], campaign).count() == 2
    # The co unit reports its part (note, evidence) but may not set the % nor accept the item.
    services.item_report(actor=users["liaison_b"], item=item, note="洮河镇已完成窗口改造")
    with pytest.raises(PermissionDenied):
        services.item_report(actor=users["liaison_b"], item=item, note="全部完成", progress=100)
    with pytest.raises(TransitionForbidden):
        services.item_transition(actor=users["liaison_b"], item=item, name="accept")
    # Someone outside sees nothing and may report nothing.
    with pytest.raises(PermissionDenied):
        services.item_report(actor=users["outsider"], item=item, note="x")
    # The lead unit accepts, reports a %, submits with evidence; the office signs off.
    services.item_transition(actor=users["liaison_a"], item=item, name="accept")
    services.item_report(actor=users["liaison_a"], item=item, note="进展过半", progress=60)
    with pytest.raises(ValidationError):
        services.item_transition(actor=users["liaison_a"], item=item, name="submit")  # no evidence yet
    services.item_transition(actor=users["liaison_a"], item=item, name="submit", files=[("现场.png", PNG)])
    with pytest.raises(TransitionForbidden):
        services.item_transition(actor=users["liaison_a"], item=item, name="finish")
    services.item_transition(actor=users["office"], item=item, name="return", reason="佐证不全")
    item.refresh_from_db()
    assert (item.status, item.return_reason) == (Status.RETURNED, "佐证不全")
    services.item_transition(actor=users["liaison_a"], item=item, name="submit")
    item = services.item_transition(actor=users["office"], item=item, name="finish")
    assert (item.status, item.progress, item.light) == (Status.DONE, 100, Light.DONE)
    verbs = list(AuditEvent.objects.filter(object_id=str(item.pk), verb__startswith="planitem.").values_list("verb", flat=True))
    assert verbs.count("planitem.submit") == 2 and "planitem.finish" in verbs and "planitem.return" in verbs
    steps = [e.action for e in item.events.filter(kind=ItemEvent.Kind.STEP)]
    assert steps == ["accept", "submit", "return", "submit", "finish"]
    with pytest.raises(ValidationError):
        services.item_report(actor=users["liaison_a"], item=item, note="再报")


def test_extension_moves_the_deadline_and_keeps_the_first(tree, users, campaign):
    aspect = _item(campaign, "基础设施", tree["root"])
    item = _item(campaign, "道路维修", tree["town_a"], parent=aspect, deadline=dt.date(2030, 3, 31))
    with pytest.raises(ValidationError):
        services.item_transition(actor=users["liaison_a"], item=item, name="request_extension", reason="雨季", date=dt.date(2030, 3, 1))
    services.item_transition(actor=users["liaison_a"], item=item, name="request_extension", reason="雨季", date=dt.date(2030, 5, 31))
    with pytest.raises(TransitionError):
        services.item_transition(actor=users["liaison_a"], item=item, name="request_extension", reason="再延", date=dt.date(2030, 6, 30))
    assert item in queries.waiting(users["office"], campaign)
    item = services.item_transition(actor=users["office"], item=item, name="approve_extension")
    assert (item.deadline, item.original_deadline, item.extension_to) == (dt.date(2030, 5, 31), dt.date(2030, 3, 31), None)


def test_only_the_office_builds_the_plan(tree, users, campaign):
    with pytest.raises(PermissionDenied):
        services.item_create(actor=users["liaison_a"], campaign=campaign, new=services.NewItem(title="x", lead_unit=tree["town_a"]))
    with pytest.raises(PermissionDenied):
        services.item_create(actor=users["leader"], campaign=campaign, new=services.NewItem(title="x", lead_unit=tree["town_a"]))
    item = services.item_create(actor=users["office"], campaign=campaign, new=services.NewItem(title="x", lead_unit=tree["town_a"]))
    with pytest.raises(ValidationError):
        services.item_update(actor=users["office"], item=item, changes={"status": "done"})
    with pytest.raises(ValidationError):  # more than three levels
        a = _item(campaign, "一", tree["root"])
        b = _item(campaign, "二", tree["root"], parent=a)
        c = _item(campaign, "三", tree["root"], parent=b)
        _item(campaign, "四", tree["root"], parent=c)


def test_instruction_by_the_office_or_the_items_leader(tree, users, campaign):
    users["leader"].first_name = "王副区长"
    users["leader"].save()
    item = _item(campaign, "招商引资", tree["dept"], leader_name="王副区长")
    assert item.leader == users["leader"]
    services.instruction_add(actor=users["leader"], item=item, author="王副区长", text="务必按期完成")
    with pytest.raises(PermissionDenied):
        services.instruction_add(actor=users["liaison_a"], item=item, author="某", text="x")
    page = queries.item_page(users["office"], item)
    assert [e.note for e in page.instructions] == ["务必按期完成"]
    assert list(queries.leader_items(users["leader"], campaign)) == [item]


def test_lights(cal):
    rule = lights.Thresholds(due_soon_days=5, behind_yellow=10, behind_red=30)
    start, deadline = dt.date(2026, 3, 2), dt.date(2026, 3, 27)  # 4 working weeks, no holiday

    def light(today, progress, status=Status.IN_PROGRESS):
        return lights.light_of(status=status, deadline=deadline, start=start, progress=progress, today=today, rule=rule, cal=cal)

    assert light(dt.date(2026, 3, 9), 25).light == Light.GREEN  # on 序时进度
    assert light(dt.date(2026, 3, 16), 35).light == Light.YELLOW  # 50% expected, 15 behind
    assert light(dt.date(2026, 3, 16), 10).light == Light.RED  # 40 behind
    assert light(dt.date(2026, 3, 23), 95).light == Light.YELLOW  # due within 5 working days
    assert light(dt.date(2026, 3, 30), 99).light == Light.RED  # overdue
    assert light(dt.date(2026, 3, 30), 99, Status.DONE).light == Light.DONE
    # 调休: working days count the 2026 Labour Day holiday out.
    assert lights.expected_progress(dt.date(2026, 4, 30), dt.date(2026, 5, 8), dt.date(2026, 5, 5), cal) == 0


def test_backward_schedule_critical_chain_and_cycles(cal):
    # A (5 days) → B (5 days) → C (5 days, due Fri 2026-03-27); D alone with room.
    steps = [scheduling.Step(1, None, 5), scheduling.Step(2, None, 5), scheduling.Step(3, dt.date(2026, 3, 27), 5),
             scheduling.Step(4, dt.date(2026, 6, 30), 5)]
    out = scheduling.schedule(steps, [(1, 2), (2, 3)], today=dt.date(2026, 3, 2), cal=cal)
    assert out[3].latest_start == dt.date(2026, 3, 23)
    assert out[2].latest_start == dt.date(2026, 3, 16)
    assert out[1].latest_start == dt.date(2026, 3, 9)
    assert out[1].slack == 5 and out[1].critical and out[2].critical and out[3].critical
    assert not out[4].critical
    with pytest.raises(scheduling.CycleError):
        scheduling.schedule(steps, [(1, 2), (2, 1)], today=dt.date(2026, 3, 2), cal=cal)
    assert scheduling.would_cycle([(1, 2), (2, 3)], (3, 1)) and not scheduling.would_cycle([(1, 2)], (1, 3))


def test_dependencies_refresh_and_baseline_drift(tree, users, campaign, cal):
    a = _item(campaign, "土地征收", tree["town_a"], duration_days=10)
    b = _item(campaign, "主体施工", tree["town_b"], duration_days=20, deadline=dt.date(2030, 6, 28))
    services.dependency_add(actor=users["office"], predecessor=a, successor=b)
    with pytest.raises(ValidationError):
        services.dependency_add(actor=users["office"], predecessor=b, successor=a)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.latest_start == cal.add_workdays(dt.date(2030, 6, 28), -19)
    assert a.latest_start == cal.add_workdays(cal.add_workdays(b.latest_start, -1), -9)
    base = services.baseline_freeze(actor=users["office"], campaign=campaign, name="年初计划")
    assert base.number == 1 and base.items == 2
    services.item_update(actor=users["office"], item=b, changes={"deadline": dt.date(2030, 7, 4)})
    rows = {r["item"].pk: r for r in queries.compare(users["office"], campaign, base)}
    days = cal.workdays_between(dt.date(2030, 6, 28), dt.date(2030, 7, 4))
    assert rows[b.pk]["text"] == f"较基线1推迟{days}个工作日"
    assert queries.item_page(users["office"], PlanItem.objects.get(pk=b.pk)).drift[0]["days"] == days
    for n in range(9):
        services.baseline_freeze(actor=users["office"], campaign=campaign, name=f"调整{n}")
    with pytest.raises(ValidationError):
        services.baseline_freeze(actor=users["office"], campaign=campaign, name="第十一个")


def test_progress_from_children_with_weights(tree, campaign):
    parent = _item(campaign, "重点任务", tree["root"], progress_from_children=True)
    c1 = _item(campaign, "措施一", tree["town_a"], parent=parent, weight=3)
    _item(campaign, "措施二", tree["town_b"], parent=parent, weight=1)
    services.item_report(actor=TESTER, skip_checks=True, item=c1, note="完成", progress=100)
    parent.refresh_from_db()
    assert parent.progress == 75
    assert queries.figures(campaign=campaign)["total"] == 2  # the top-level parent is a heading


def test_lights_and_schedule_set_on_create_and_moving_a_child_reweighs_both_parents(tree, users, campaign, cal):
    overdue = _item(campaign, "已逾期事项", tree["town_a"], deadline=dt.date(2020, 1, 6), duration_days=3)
    assert (overdue.light, overdue.latest_start) == (Light.RED, dt.date(2020, 1, 2))  # 1 January off
    p1 = _item(campaign, "任务一", tree["root"], progress_from_children=True)
    p2 = _item(campaign, "任务二", tree["root"], progress_from_children=True)
    child = _item(campaign, "措施", tree["town_a"], parent=p1)
    _item(campaign, "措施乙", tree["town_a"], parent=p1)
    services.item_report(actor=TESTER, skip_checks=True, item=child, note="完成", progress=100)
    p1.refresh_from_db()
    assert p1.progress == 50
    services.item_update(actor=users["office"], item=child, changes={"parent": p2})
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.progress, p2.progress) == (0, 100)


def test_a_change_in_one_chain_leaves_the_plan_as_a_full_refresh_would(tree, users, campaign, cal):
    a = _item(campaign, "征地", tree["town_a"], duration_days=10, deadline=dt.date(2030, 3, 1))
    b = _item(campaign, "施工", tree["town_b"], duration_days=20, deadline=dt.date(2030, 6, 28))
    c = _item(campaign, "验收", tree["dept"], duration_days=5, deadline=dt.date(2030, 7, 31))
    x = _item(campaign, "另一条链甲", tree["town_a"], duration_days=5, deadline=dt.date(2030, 5, 1))
    y = _item(campaign, "另一条链乙", tree["town_b"], duration_days=5, deadline=dt.date(2030, 5, 30))
    services.dependency_add(actor=users["office"], predecessor=a, successor=b)
    services.dependency_add(actor=users["office"], predecessor=b, successor=c)
    services.dependency_add(actor=users["office"], predecessor=x, successor=y)
    assert services.plan_refresh(campaign=campaign) == 0
    services.item_update(actor=users["office"], item=c, changes={"deadline": dt.date(2030, 7, 3)})
    services.dependency_remove(actor=users["office"], predecessor=a, successor=b)
    services.item_transition(actor=users["liaison_a"], item=x, name="request_extension", reason="雨季", date=dt.date(2030, 6, 1))
    services.item_transition(actor=users["office"], item=x, name="approve_extension")
    assert services.plan_refresh(campaign=campaign) == 0  # each step refreshed what it moved
    b.refresh_from_db()
    # 验收 now binds 施工: it must finish the working day before 验收's latest start
    assert b.latest_start == cal.add_workdays(cal.add_workdays(cal.add_workdays(dt.date(2030, 7, 3), -4), -1), -19)


def test_an_aspect_is_a_heading_that_waits_on_nobody(tree, users, campaign):
    aspect = _item(campaign, "优化营商环境", tree["town_a"], deadline=dt.date(2020, 1, 1))
    item = _item(campaign, "压缩审批时限", tree["town_a"], parent=aspect, deadline=dt.date(2020, 1, 1))
    assert list(queries.waiting(users["liaison_a"], campaign)) == [item]
    assert list(queries.reminder_items(campaign, today=dt.date(2026, 3, 2))) == [item]
    # a flat plan's top-level item (no children) is a work item: it waits, reminds, counts
    flat = _item(campaign, "燃料乙醇项目核准", tree["town_a"], deadline=dt.date(2020, 1, 1))
    assert set(queries.waiting(users["liaison_a"], campaign)) == {item, flat}
    assert queries.figures(campaign=campaign)["total"] == 2
