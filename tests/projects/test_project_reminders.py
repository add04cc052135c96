"""A project that turns red reminds its owners through their (local) robots; the daily
schedule re-derives the lights; a secretary whose record is missing is chased."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from duban.core import workcalendar
from duban.core.actors import WORKER, SystemActor
from duban.projects import services
from duban.projects.models import Light, Project, Stage

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")


def _project(campaign, unit, **kw):
    return services.project_create(actor=TESTER, skip_checks=True, campaign=campaign, new=services.NewProject(unit=unit, **kw))


def test_a_red_project_reminds_its_unit_department_and_secretary_through_their_robots(tree, users, campaign, robots):
    from duban.notify.models import Channel, Delivery, DeliveryStatus, InboxItem
    from duban.notify.services import outbox_deliver_due, reminder_send, unit_channel_set

    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")
    secretary = users["liaison_b"]
    secretary.first_name = "陈明"
    secretary.save()
    today = dt.date.today()
    long_ago = dt.date(today.year - 1, 1, 1)
    _project(campaign, tree["town_a"], name="生物质热电联产项目", stage=Stage.SIGNED, planned_start=long_ago, department=tree["dept"],
             secretary_name="陈明", total_wan="80000")
    _project(campaign, tree["town_a"], name="远期储备项目", planned_start=dt.date(today.year + 2, 1, 1))
    for unit, token in ((tree["town_a"], "town-a"), (tree["town_b"], "town-b"), (tree["dept"], "dept")):
        robots.dingtalk[token] = f"SEC{token}0123456789"
        unit_channel_set(actor=TESTER, unit=unit, channel=Channel.DINGTALK, target=robots.dingtalk_url(token), secret=f"SEC{token}0123456789")
    report = reminder_send(actor=WORKER, key="project-lights", on=today)
    assert sorted(report.sent) == ["区财政局", "平安镇", "洮河镇"]
    outbox_deliver_due()
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 3
    text = "\n".join(json.dumps(p, ensure_ascii=False) for p in robots.posts)
    assert text.count("生物质热电联产项目（红灯：计划") == 3 and "远期储备项目" not in text
    subjects = [i.message.subject for i in InboxItem.objects.filter(user=secretary).select_related("message")]
    assert subjects == [f"洮河镇：重点项目亮灯提醒（{today:%Y-%m-%d}）"]
    # The record of this period is missing: the secretary's unit is chased for it.
    robots.posts.clear()
    report = reminder_send(actor=WORKER, key="project-records", on=today)
    assert "洮河镇" in report.sent
    # A closed campaign reminds nobody.
    type(campaign).objects.filter(pk=campaign.pk).update(is_active=False)
    from duban.projects.queries import light_reminder_parts, record_due_parts

    assert light_reminder_parts(today) == [] and record_due_parts(today) == []


def test_the_daily_schedule_re_derives_the_lights(tree, campaign):
    from duban.core.contributions import contributions  # noqa: F401 - the app's declarations are loaded
    from duban.core.schedules import resolve_task
    from duban.projects.apps import Config

    spec = {s.key: s for s in Config.schedules.fget(None)}["projects-refresh"]
    assert (spec.rule, spec.at) == ("daily", dt.time(5, 40))
    p = _project(campaign, tree["town_a"], name="储备项目", stage=Stage.SIGNED, planned_start=dt.date(2099, 1, 1))
    assert p.light == Light.GREEN
    Project.objects.filter(pk=p.pk).update(planned_start=dt.date(2020, 1, 1))  # as if the months had passed
    result = resolve_task(spec.task_path).enqueue()
    assert "个项目灯色已更新" in str(result.return_value)
    assert Project.objects.get(pk=p.pk).light == Light.RED
