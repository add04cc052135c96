"""`/api/tasks`: who may call each route (the office, a leader, the lead unit, a co-responsible
unit, an outsider), token and session writes, input limits, the `tasks` figures, and the
due/overdue reminder of an item to its units' robots on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.test import Client

from duban.core import workcalendar
from duban.core.actors import WORKER, SystemActor
from duban.plan import queries, services
from duban.plan.api import TaskDetail, TaskPage
from duban.plan.models import ItemEvent, Light, PlanItem, Status

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")
LEADER_NAME = "张区长"
RECENT = dt.date.today() - dt.timedelta(days=10)  # started lately, due far off: green whatever the year


def _item(campaign, title, lead, co=(), parent=None, **kw):
    return services.item_create(actor=TESTER, skip_checks=True, campaign=campaign,
                                new=services.NewItem(title=title, lead_unit=lead, co_units=list(co), parent=parent, **kw))


@pytest.fixture
def plan(tree, users, campaign):
    """An aspect; a key task led by 平安镇 (liaison_a) with 洮河镇 (liaison_b) co-responsible,
    its leader the district leader; a task of the finance bureau that neither town owns."""
    users["leader"].first_name = LEADER_NAME
    users["leader"].save()
    aspect = _item(campaign, "优化营商环境", tree["root"])
    task = _item(campaign, "压缩企业开办时间", tree["town_a"], co=[tree["town_b"]], parent=aspect, leader_name=LEADER_NAME,
                 start_date=RECENT, deadline=dt.date(2099, 6, 30))
    other = _item(campaign, "财政资金直达基层", tree["dept"], parent=aspect, start_date=RECENT, deadline=dt.date(2099, 6, 30))
    return {"aspect": aspect, "task": task, "other": other}


def _post(c: Client, url: str, body: dict, **headers):
    return c.post(url, json.dumps(body), content_type="application/json", **headers)


def _patch(c: Client, url: str, body: dict):
    return c.patch(url, json.dumps(body), content_type="application/json")


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.ledger.demo import tiny_png

    return SimpleUploadedFile("现场.png", tiny_png(), content_type="image/png")


# ------------------------------------------------------------------ reads


def test_each_sees_the_items_of_its_units_lead_or_co(plan, users, client_for):
    t = plan["task"]
    titles = {who: {r["title"] for r in client_for(users[who]).get("/api/tasks").json()["items"]}
              for who in ("office", "leader", "liaison_a", "liaison_b", "outsider")}
    assert titles["office"] == titles["leader"] == {"优化营商环境", "压缩企业开办时间", "财政资金直达基层"}
    assert titles["liaison_a"] == titles["liaison_b"] == {"压缩企业开办时间"}  # lead and co; not the bureau's
    assert titles["outsider"] == set()
    for who in ("office", "leader", "liaison_a", "liaison_b"):
        r = client_for(users[who]).get(f"/api/tasks/{t.pk}")
        assert r.status_code == 200, who
        TaskDetail.model_validate(r.json())
    assert client_for(users["outsider"]).get(f"/api/tasks/{t.pk}").status_code == 404
    assert client_for(users["liaison_a"]).get(f"/api/tasks/{plan['other'].pk}").status_code == 404  # 404, never 403
    body = client_for(users["liaison_b"]).get(f"/api/tasks/{t.pk}").json()
    assert body["co_units"] == [{"id": t.lead_unit.parent.children.get(name="洮河镇").pk, "name": "洮河镇"}]
    assert (body["lead_unit"], body["status_label"], body["level_label"]) == ("平安镇", "待签收", "重点任务")
    assert body["transitions"] == []  # a co unit moves no step
    assert body["may"] == {"report": True, "set_progress": False, "plan": False, "instruct": False}
    assert client_for(users["liaison_a"]).get(f"/api/tasks/{t.pk}").json()["transitions"] == ["accept", "request_extension"]
    assert client_for(users["leader"]).get(f"/api/tasks/{t.pk}").json()["may"]["instruct"] is True  # the item's own leader


def test_list_filters_page_and_shape(plan, users, client_for, campaign, tree):
    c = client_for(users["office"])
    late = _item(campaign, "清理拖欠账款", tree["town_b"], parent=plan["aspect"], start_date=dt.date(2024, 1, 2), deadline=dt.date(2024, 3, 1))
    page = c.get("/api/tasks?limit=2").json()
    TaskPage.model_validate(page)
    assert page["count"] == 4 and len(page["items"]) == 2
    assert [r["id"] for r in c.get("/api/tasks?limit=2&offset=2").json()["items"]] == [plan["other"].pk, late.pk]
    assert [r["title"] for r in c.get("/api/tasks?light=red").json()["items"]] == ["清理拖欠账款"]
    assert c.get("/api/tasks?light=red").json()["items"][0]["light_label"] == "红灯"
    assert [r["id"] for r in c.get("/api/tasks?overdue=true").json()["items"]] == [late.pk]
    assert [r["id"] for r in c.get(f"/api/tasks?unit={tree['town_b'].pk}&role=co").json()["items"]] == [plan["task"].pk]
    assert {r["id"] for r in c.get(f"/api/tasks?unit={tree['town_b'].pk}").json()["items"]} == {plan["task"].pk, late.pk}
    assert [r["id"] for r in c.get(f"/api/tasks?leader={LEADER_NAME}").json()["items"]] == [plan["task"].pk]
    assert [r["id"] for r in c.get("/api/tasks?q=企业开办").json()["items"]] == [plan["task"].pk]
    assert [r["id"] for r in c.get("/api/tasks?level=1").json()["items"]] == [plan["aspect"].pk]
    assert c.get("/api/tasks?sort=light").json()["items"][0]["id"] == late.pk
    warn = _item(campaign, "年底前完成招商任务", tree["town_a"], parent=plan["aspect"], start_date=RECENT, deadline=dt.date.today() + dt.timedelta(days=2))
    assert [r["id"] for r in c.get("/api/tasks?light=red_yellow").json()["items"]] == [late.pk, warn.pk]  # red first
    # The liaison's "role=co" means its own units: 洮河镇 co-owns the task.
    assert [r["id"] for r in client_for(users["liaison_b"]).get("/api/tasks?role=co").json()["items"]] == [plan["task"].pk]
    assert [r["id"] for r in client_for(users["liaison_b"]).get("/api/tasks?role=lead").json()["items"]] == [late.pk]
    for bad in ("light=purple", "status=x", "level=4", "limit=abc", "unit=0", "sort=title", "q=" + "路" * 101):
        assert c.get(f"/api/tasks?{bad}").status_code == 422, bad
    assert client_for(users["liaison_a"]).get(f"/api/tasks?unit={tree['town_b'].pk}").status_code == 404  # a unit outside its scope


def test_overview_counts_by_light(plan, users, client_for, campaign, tree):
    _item(campaign, "清理拖欠账款", tree["town_b"], parent=plan["aspect"], deadline=dt.date(2024, 3, 1))
    body = client_for(users["office"]).get("/api/tasks/overview").json()
    assert body["campaign_id"] == campaign.pk
    assert body["total"]["red"] == 1 and sum(body["total"].values()) == 3  # the aspect is a heading, not counted
    assert body["aspects"][0]["title"] == "优化营商环境"
    assert body["units"][0]["name"] == "洮河镇"  # most red first
    mine = client_for(users["liaison_a"]).get("/api/tasks/overview").json()
    assert sum(mine["total"].values()) == 1
    assert client_for(users["outsider"]).get("/api/tasks/overview").json()["total"]["red"] == 0


# ------------------------------------------------------------------ writes: who may


def test_only_the_office_creates_and_changes_items(plan, users, client_for, campaign, tree):
    body = {"campaign_id": campaign.pk, "parent_id": plan["aspect"].pk, "title": "推行“一网通办”", "lead_unit": "平安镇",
            "co_units": ["洮河镇", "区财政局"], "deadline": "2030-09-30", "leader_name": LEADER_NAME, "frequency": "xun",
            "milestones": [{"title": "系统上线", "due": "2030-06-30", "unit_id": tree["town_b"].pk}]}
    assert _post(client_for(users["leader"]), "/api/tasks", body).status_code == 403
    assert _post(client_for(users["liaison_a"]), "/api/tasks", body).status_code == 403
    assert _post(client_for(users["liaison_b"]), "/api/tasks", body).status_code == 403
    assert _post(client_for(users["outsider"]), "/api/tasks", body).status_code == 404  # not its campaign
    assert PlanItem.objects.count() == 3
    r = _post(client_for(users["office"]), "/api/tasks", body)
    assert r.status_code == 201, r.content
    made = r.json()
    assert (made["level"], made["lead_unit"], made["frequency_label"]) == (2, "平安镇", "每旬")
    assert [u["name"] for u in made["co_units"]] == ["洮河镇", "区财政局"]
    assert [(m["title"], m["unit"]) for m in made["milestones"]] == [("系统上线", "洮河镇")]
    url = f"/api/tasks/{made['id']}"
    for who, code in (("leader", 403), ("liaison_a", 403), ("liaison_b", 403), ("outsider", 404)):
        assert _patch(client_for(users[who]), url, {"title": "改名"}).status_code == code, who
    office = client_for(users["office"])
    r = _patch(office, url, {"title": "全面推行“一网通办”", "deadline": "2030-10-31", "co_unit_ids": [tree["town_b"].pk],
                             "version": made["version"]})
    assert r.status_code == 200, r.content
    assert (r.json()["title"], r.json()["deadline"], [u["name"] for u in r.json()["co_units"]]) == ("全面推行“一网通办”", "2030-10-31", ["洮河镇"])
    # An outdated version: 409, nothing saved.
    stale = _patch(office, url, {"title": "再改", "version": made["version"]})
    assert stale.status_code == 409 and PlanItem.objects.get(pk=made["id"]).title == "全面推行“一网通办”"
    # null on a field that cannot be empty: 422; on a date: cleared.
    assert _patch(office, url, {"title": None}).status_code == 422
    assert _patch(office, url, {"deadline": None}).json()["deadline"] is None
    # A milestone owned by a unit that owns no part of the item: 422.
    assert _patch(office, url, {"milestones": [{"title": "验收", "due": "2030-10-01", "unit_id": tree["village_a1"].pk}]}).status_code == 422


def test_the_workflow_and_reports_by_side(plan, users, client_for):
    t = plan["task"]
    url = f"/api/tasks/{t.pk}"
    step = {"name": "accept"}
    for who, code in (("leader", 403), ("liaison_b", 403), ("outsider", 404)):
        assert _post(client_for(users[who]), f"{url}/transitions", step).status_code == code, who
    a = client_for(users["liaison_a"])
    r = _post(a, f"{url}/transitions", {**step, "version": 1})
    assert r.status_code == 409  # a stale version
    r = _post(a, f"{url}/transitions", {**step, "version": a.get(url).json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == Status.IN_PROGRESS
    assert _post(a, f"{url}/transitions", step).status_code == 409  # not from 办理中
    assert _post(a, f"{url}/transitions", {"name": "fly"}).status_code == 409
    assert _post(a, f"{url}/transitions", {"name": "submit"}).status_code == 422  # needs evidence first
    assert _post(a, f"{url}/transitions", {"name": "request_extension", "reason": "雨季"}).status_code == 422  # needs a date
    # Reports: the co unit its part (no %), the lead unit the %.
    b = client_for(users["liaison_b"])
    r = _post(b, f"{url}/reports", {"note": "洮河镇窗口已改造"})
    assert r.status_code == 201 and r.json()["unit"] == "洮河镇"
    assert _post(b, f"{url}/reports", {"note": "全部完成", "progress": 100}).status_code == 403
    assert _post(client_for(users["leader"]), f"{url}/reports", {"note": "看过"}).status_code == 403
    assert _post(client_for(users["outsider"]), f"{url}/reports", {"note": "x"}).status_code == 404
    assert _post(a, f"{url}/reports", {"note": "进展过半", "progress": 60}).status_code == 201
    assert _post(a, f"{url}/reports", {"note": "x", "progress": 101}).status_code == 422
    # Evidence: any owning unit; then the lead submits and the office signs off.
    assert client_for(users["leader"]).post(f"{url}/evidence", {"file": _png()}).status_code == 403
    assert client_for(users["outsider"]).post(f"{url}/evidence", {"file": _png()}).status_code == 404
    assert b.post(f"{url}/evidence", {"file": _png()}).status_code == 201
    assert a.post(f"{url}/evidence", {"file": io.BytesIO(b"MZ\x90\x00 not a picture")}).status_code == 422
    assert _post(a, f"{url}/transitions", {"name": "submit"}).status_code == 200
    assert _post(a, f"{url}/transitions", {"name": "finish"}).status_code == 403
    assert _post(client_for(users["office"]), f"{url}/transitions", {"name": "return"}).status_code == 422  # needs a reason
    r = _post(client_for(users["office"]), f"{url}/transitions", {"name": "finish"})
    assert r.status_code == 200 and (r.json()["status_label"], r.json()["light"], r.json()["progress"]) == ("已办结", Light.DONE, 100)
    assert [e["action"] for e in r.json()["timeline"] if e["kind"] == ItemEvent.Kind.STEP] == ["accept", "submit", "finish"]


def test_instructions_by_the_office_or_the_items_leader(plan, users, client_for):
    url = f"/api/tasks/{plan['task'].pk}/instructions"
    body = {"author": LEADER_NAME, "text": "务必于六月底前完成，每旬报送进展。", "given_on": "2026-03-02"}
    for who, code in (("liaison_a", 403), ("liaison_b", 403), ("outsider", 404)):
        assert _post(client_for(users[who]), url, body).status_code == code, who
    assert _post(client_for(users["leader"]), url, body).status_code == 201  # the item's own leader
    assert _post(client_for(users["leader"]), f"/api/tasks/{plan['other'].pk}/instructions", body).status_code == 403
    assert _post(client_for(users["office"]), url, {**body, "given_on": "1900-01-01"}).status_code == 422
    assert _post(client_for(users["office"]), url, {**body, "text": ""}).status_code == 422
    detail = client_for(users["liaison_b"]).get(f"/api/tasks/{plan['task'].pk}").json()
    assert [(i["author"], i["note"]) for i in detail["instructions"]] == [(LEADER_NAME, body["text"])]


def test_input_limits(plan, users, client_for, campaign, tree):
    office = client_for(users["office"])
    base = {"campaign_id": campaign.pk, "title": "x", "lead_unit_id": tree["town_a"].pk}
    for bad in ({"title": "长" * 301}, {"title": "a\x00b"}, {"weight": 0}, {"progress": 101}, {"duration_days": 0},
                {"frequency": "daily"}, {"deadline": "2030-02-30"}, {"deadline": "1999-12-31"},
                {"start_date": "2030-02-01", "deadline": "2030-01-01"}, {"co_unit_ids": list(range(1, 62))},
                {"lead_unit": "不存在的镇", "lead_unit_id": None}, {"lead_unit_id": None}, {"parent_id": 2**63},
                {"milestones": [{"title": "节点", "due": "2030-01-01"}] * 61}, {"leader_name": "名" * 61}):
        r = _post(office, "/api/tasks", {**base, **bad})
        assert r.status_code == 422, (bad, r.status_code, r.content[:200])
        assert r.json()["detail"]
    assert _post(office, "/api/tasks", {**base, "lead_unit_id": 2**62}).status_code == 404
    assert _post(office, "/api/tasks", {**base, "parent_id": plan["task"].pk + 1000}).status_code == 422
    assert office.post("/api/tasks", "{", content_type="application/json").status_code == 400
    assert PlanItem.objects.count() == 3
    url = f"/api/tasks/{plan['task'].pk}"
    assert _post(office, f"{url}/transitions", {"name": "return", "reason": "理" * 2001}).status_code == 422
    assert _post(office, f"{url}/reports", {"note": "进" * 5001}).status_code == 422
    assert office.get("/api/tasks/0").status_code == 422 and office.get(f"/api/tasks/{2**63}").status_code == 422


# ------------------------------------------------------------------ token and CSRF


def test_a_token_writes_and_a_session_write_needs_its_csrf_token(plan, users):
    from duban.orgs.services import token_create

    url = f"/api/tasks/{plan['task'].pk}/reports"
    token = token_create(actor=TESTER, user=users["liaison_b"])
    r = _post(Client(enforce_csrf_checks=True), url, {"note": "令牌填报"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content
    assert _post(Client(), url, {"note": "x"}, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    session = Client(enforce_csrf_checks=True)
    session.force_login(users["liaison_b"])
    r = _post(session, url, {"note": "无令牌"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    session.get("/ledger/new/")  # a page with a form sets the csrftoken cookie
    r = _post(session, url, {"note": "带令牌"}, HTTP_X_CSRFTOKEN=session.cookies["csrftoken"].value)
    assert r.status_code == 201
    assert list(ItemEvent.objects.filter(kind=ItemEvent.Kind.REPORT).values_list("note", flat=True)) == ["令牌填报", "带令牌"]
    assert session.get(f"/api/tasks/{plan['task'].pk}").status_code == 200  # reads need none


# ------------------------------------------------------------------ figures


def test_the_tasks_figures_in_stats_the_cli_and_the_snapshots(plan, users, client_for, campaign, tree):
    from django.core.management import call_command

    from duban.stats import take_snapshot

    _item(campaign, "清理拖欠账款", tree["town_b"], parent=plan["aspect"], deadline=dt.date(2024, 3, 1))
    tasks = client_for(users["office"]).get("/api/stats").json()["tasks"]
    assert {k: tasks[k] for k in ("total", "done", "overdue", "red", "yellow")} == {"total": 3, "done": 0, "overdue": 1, "red": 1, "yellow": 0}
    assert client_for(users["liaison_a"]).get("/api/stats").json()["tasks"]["total"] == 1
    assert client_for(users["outsider"]).get("/api/stats").json()["tasks"]["total"] == 0
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)
    assert json.loads(out.getvalue())["tasks"]["red"] == 1
    on = dt.date(2026, 11, 30)
    take_snapshot(on, actor=WORKER)
    recorded = client_for(users["office"]).get(f"/api/stats?date={on}").json()
    assert recorded["tasks"]["total"] == 3 and recorded["tasks"]["overdue"] == 1
    town_b = client_for(users["liaison_b"]).get(f"/api/stats?date={on}").json()
    assert town_b["tasks"]["total"] == 2  # its own (lead) and the co-owned one


# ------------------------------------------------------------------ reminders and the daily refresh




def test_an_overdue_item_reminds_its_lead_and_co_units_robots(plan, users, campaign, tree, robots):
    from duban.notify.models import Channel, Delivery, DeliveryStatus, InboxItem
    from duban.notify.services import outbox_deliver_due, reminder_send, unit_channel_set

    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")
    on = dt.date(2026, 9, 30)  # a Wednesday before 国庆 (1–7 Oct, 10 Oct a 调休 working day)
    _item(campaign, "集贸市场改造", tree["town_a"], co=[tree["town_b"]], parent=plan["aspect"], seq="1.3", deadline=dt.date(2026, 9, 28))
    _item(campaign, "背街小巷硬化", tree["town_b"], parent=plan["aspect"], deadline=dt.date(2026, 10, 10))  # the 调休 Saturday: 3 working days on
    _item(campaign, "农贸市场扩建", tree["town_b"], parent=plan["aspect"], deadline=dt.date(2026, 10, 15))  # 7 working days on
    _item(campaign, "远期事项", tree["town_b"], parent=plan["aspect"], deadline=dt.date(2026, 10, 12))  # 4: not yet
    for unit, token in ((tree["town_a"], "town-a"), (tree["town_b"], "town-b")):
        robots.dingtalk[token] = f"SEC{token}0123456789"
        unit_channel_set(actor=TESTER, unit=unit, channel=Channel.DINGTALK, target=robots.dingtalk_url(token), secret=f"SEC{token}0123456789")
    report = reminder_send(actor=WORKER, key="plan-due", on=on)
    assert sorted(report.sent) == ["平安镇", "洮河镇"]
    outbox_deliver_due()
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert sorted(p["token"] for p in robots.posts) == ["town-a", "town-b"]  # one digest to each unit's group
    text = "\n".join(json.dumps(p, ensure_ascii=False) for p in robots.posts)
    assert text.count("集贸市场改造") == 2  # the lead unit and the co-responsible unit
    assert "1.3 集贸市场改造（牵头，逾期 2 个工作日）" in text and "集贸市场改造（配合，逾期 2 个工作日）" in text
    assert "背街小巷硬化（牵头，10-10 到期，还有 3 个工作日）" in text and "远期事项" not in text
    assert "农贸市场扩建（牵头，10-15 到期，还有 7 个工作日）" in text
    subjects = [i.message.subject for i in InboxItem.objects.filter(user=users["liaison_b"]).select_related("message")]
    assert subjects == ["洮河镇：督办事项到期提醒（2026-09-30）"]
    # Done items remind nobody; nor does a closed campaign.
    PlanItem.objects.filter(title="集贸市场改造").update(status=Status.DONE)
    assert [p.unit_id for p in queries.due_reminder_parts(on)] == [tree["town_b"].pk]
    type(campaign).objects.filter(pk=campaign.pk).update(is_active=False)
    assert queries.due_reminder_parts(on) == []


def test_the_daily_schedule_refreshes_the_lights(plan, campaign, tree):
    from duban.core.contributions import contributions  # noqa: F401 - the app's declarations are loaded
    from duban.core.schedules import resolve_task
    from duban.plan.apps import Config

    spec = {s.key: s for s in Config.schedules.fget(None)}["plan-refresh"]
    assert (spec.rule, spec.at) == ("daily", dt.time(5, 30))
    item = _item(campaign, "年底前完成", tree["town_a"], parent=plan["aspect"], start_date=dt.date(2020, 1, 2), deadline=dt.date(2099, 12, 31))
    PlanItem.objects.filter(pk=item.pk).update(deadline=dt.date(2024, 1, 1))  # as if the calendar had moved on
    assert PlanItem.objects.get(pk=item.pk).light != Light.RED
    result = resolve_task(spec.task_path).enqueue()
    assert "项已更新" in str(result.return_value)
    assert PlanItem.objects.get(pk=item.pk).light == Light.RED
