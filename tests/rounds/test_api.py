"""`/api/rounds`: the office opens a round; a unit reads its form (with the prefill of its
last answer) and submits it with a token; the office sees every submission, a unit its own;
return, 一键催报, the punctuality ranking; errors 403/404/409/422 in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from duban.core.actors import SystemActor
from duban.ledger.services import problem_create
from duban.orgs.services import token_create
from duban.plan import services as plan
from duban.projects import services as projects
from duban.projects.models import Stage
from duban.rounds.models import Chase, Line, Punctuality, Round, Submission, SubmissionStatus

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")


@pytest.fixture
def world(tree, users, campaign):
    """平安镇 leads a task (洮河镇 co-responsible) and owns a problem; 洮河镇 owns a project."""
    aspect = plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign, new=plan.NewItem(title="优化营商环境", lead_unit=tree["root"]))
    task = plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign,
                            new=plan.NewItem(title="压缩审批时限", lead_unit=tree["town_a"], co_units=[tree["town_b"]], parent=aspect,
                                             deadline=dt.date(2030, 6, 30)))
    problem = problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="集贸市场占道经营", unit=tree["town_a"],
                             deadline=dt.date(2030, 1, 1))
    project = projects.project_create(actor=TESTER, skip_checks=True, campaign=campaign, new=projects.NewProject(
        name="农产品冷链物流园", unit=tree["town_b"], stage=Stage.STARTED, started_on=dt.date(2026, 3, 1),
        total_wan="20000", annual_plan_wan="5000", planned_finish=dt.date(2027, 12, 31)))
    return {"task": task, "problem": problem, "project": project}


def _bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=TESTER, user=user)}")


def _due(hours: float) -> str:
    return (timezone.localtime() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S")


def _open(c, **kw) -> dict:
    body = {"name": "第50周工作进展", "due_at": _due(72), **kw}
    r = c.post("/api/rounds", body, content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()


def test_office_opens_a_round_and_units_see_only_their_own(tree, users, campaign, world, client_for):
    office = _bearer(users["office"])
    rnd = _open(office, instructions="请各单位于周五下午5点前报送本周进展")
    assert rnd["expected"] == 2 and rnd["status"] == "open" and rnd["kind_label"] == "常规调度"
    assert rnd["whole"] is True and rnd["progress"]["missing"] == ["平安镇", "洮河镇"] and rnd["may"]["run"] is True
    # A due time without an offset is Beijing time.
    assert abs(dt.datetime.fromisoformat(rnd["due_at"]) - (timezone.now() + dt.timedelta(hours=72))) < dt.timedelta(minutes=1)
    # Only the office opens rounds; a past due time is refused in Chinese.
    r = _bearer(users["liaison_a"]).post("/api/rounds", {"name": "x", "due_at": _due(5)}, content_type="application/json")
    assert r.status_code == 403 and r.json()["detail"] == "只有本活动的推进办可以组织调度报送"
    r = office.post("/api/rounds", {"name": "x", "due_at": _due(-1)}, content_type="application/json")
    assert r.status_code == 422 and r.json()["detail"] == "截止时间须晚于现在"
    # Chosen units by name.
    chosen = _open(office, name="重点调度", kind="key", scope="units", units=["一村"])
    assert chosen["expected"] == 1 and chosen["progress"]["missing"] == ["一村"]

    lb = client_for(users["liaison_b"])
    listed = lb.get("/api/rounds").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == rnd["id"]  # not asked in the 一村 round (平安镇's village)
    assert client_for(users["office"]).get("/api/rounds?kind=key").json()["count"] == 1
    assert client_for(users["outsider"]).get(f"/api/rounds/{rnd['id']}").status_code == 404
    mine = lb.get(f"/api/rounds/{rnd['id']}").json()
    assert mine["whole"] is False and mine["progress"] is None and mine["summary"] is None and mine["may"]["run"] is False
    assert [m["unit"] for m in mine["mine"]] == ["洮河镇"]
    subs = lb.get(f"/api/rounds/{rnd['id']}/submissions").json()
    assert subs["count"] == 1 and subs["items"][0]["unit"] == "洮河镇"
    assert client_for(users["office"]).get(f"/api/rounds/{rnd['id']}/submissions").json()["count"] == 2
    assert lb.get(f"/api/rounds/{rnd['id']}/submissions/{tree['town_a'].pk}").json() == {"detail": "未找到该单位在本轮的报送或无权查看"}


def test_a_unit_fills_its_form_and_submits_with_a_token(tree, users, campaign, world):
    rnd = _open(_bearer(users["office"]))
    lb = _bearer(users["liaison_b"])
    url = f"/api/rounds/{rnd['id']}/submissions"
    form = lb.get(f"{url}/{tree['town_b'].pk}").json()
    assert [(i["kind"], i["lead"]) for i in form["items"]] == [("task", False), ("project", True)]
    assert form["may_submit"] is True and form["status"] == "pending" and all(i["line"] is None and i["last"] is None for i in form["items"])
    task, project = world["task"], world["project"]
    lines = [{"kind": "task", "object_id": task.pk, "done": "洮河镇窗口已改造"},
             {"kind": "project", "object_id": project.pk, "progress": 35, "done": "冷库主体完工", "invested_wan": "800.50",
              "problems": "电力增容慢", "next_steps": "设备安装"}]
    # A draft first (the unit is the caller's one unit: no unit_id needed).
    r = lb.post(url, {"lines": lines[:1], "summary": "总体平稳"}, content_type="application/json")
    assert r.status_code == 200, r.content
    draft = r.json()
    assert draft["status"] == "draft" and draft["lines"] == 1
    # Submitting with an item unanswered is refused; a stale version is a conflict.
    r = lb.post(url, {"lines": lines[:1], "submit": True}, content_type="application/json")
    assert r.status_code == 422 and "还有1项未填写本期工作" in r.json()["detail"]
    r = lb.post(url, {"lines": lines, "submit": True, "version": draft["version"] - 1}, content_type="application/json")
    assert r.status_code == 409 and "已被修改" in r.json()["detail"]
    # Money on a task line, an item not the unit's, another unit's form.
    r = lb.post(url, {"lines": [{**lines[0], "invested_wan": "5"}]}, content_type="application/json")
    assert r.status_code == 422 and "不是项目" in r.json()["detail"]
    r = lb.post(url, {"lines": [{"kind": "problem", "object_id": world["problem"].pk, "done": "x"}]}, content_type="application/json")
    assert r.status_code == 422 and "不是本单位本轮需要报送的事项" in r.json()["detail"]
    r = lb.post(url, {"unit_id": tree["town_a"].pk, "lines": []}, content_type="application/json")
    assert r.status_code == 404
    r = lb.post(url, {"unit": "洮河镇", "lines": lines, "submit": True, "version": draft["version"]}, content_type="application/json")
    assert r.status_code == 200, r.content
    done = r.json()
    assert done["status"] == "submitted" and done["punctuality"] == "on_time" and done["punctuality_label"] == "按时" and done["lines"] == 2
    project.refresh_from_db()
    assert project.progress == 35  # applied through the project's own service
    r = lb.post(url, {"lines": lines, "submit": True}, content_type="application/json")
    assert r.status_code == 409 and r.json()["detail"] == "已报送；如需修改请联系推进办退回"
    form = lb.get(f"{url}/{tree['town_b'].pk}").json()
    assert form["items"][1]["line"]["invested_wan"] == "800.50" and form["items"][1]["line"]["applied"] is True
    # The office's view of the round counts it.
    detail = _bearer(users["office"]).get(f"/api/rounds/{rnd['id']}").json()
    assert detail["progress"] == {"expected": 2, "submitted": 1, "on_time": 1, "late": 0, "missing": ["平安镇"]}
    assert detail["summary"]["lines"] == 2 and detail["summary"]["invested_wan"] == 800.5

    # The next round's form is prefilled from this answer.
    nxt = _open(_bearer(users["office"]), name="第51周工作进展", due_at=_due(24 * 8))
    form = lb.get(f"/api/rounds/{nxt['id']}/submissions/{tree['town_b'].pk}").json()
    assert form["items"][1]["last"]["done"] == "冷库主体完工" and form["items"][1]["line"] is None
    # 无新进展 takes one click per item.
    r = lb.post(f"/api/rounds/{nxt['id']}/submissions", {"submit": True, "lines": [
        {"kind": i["kind"], "object_id": i["object_id"], "unchanged": True} for i in form["items"]]}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert not Line.objects.filter(submission__round_id=nxt["id"], applied=True).exists()


def test_return_remind_and_punctuality(tree, users, campaign, world, client_for):
    office = _bearer(users["office"])
    rnd = _open(office)
    lb = _bearer(users["liaison_b"])
    url = f"/api/rounds/{rnd['id']}/submissions"
    form = lb.get(f"{url}/{tree['town_b'].pk}").json()
    lines = [{"kind": i["kind"], "object_id": i["object_id"], "done": "已推进"} for i in form["items"]]
    assert lb.post(url, {"lines": lines, "submit": True}, content_type="application/json").status_code == 200
    back = f"{url}/{tree['town_b'].pk}/return"
    assert lb.post(back, {"reason": "数据不全"}, content_type="application/json").status_code == 403
    r = office.post(back, {"reason": ""}, content_type="application/json")
    assert r.status_code == 422
    r = office.post(back, {"reason": "投资数据不全"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "returned" and r.json()["return_reason"] == "投资数据不全"
    assert office.post(back, {"reason": "再退"}, content_type="application/json").status_code == 409  # not submitted now
    # 一键催报 reaches the units that have not submitted (the returned one included).
    assert lb.post(f"/api/rounds/{rnd['id']}/remind").status_code == 403
    r = office.post(f"/api/rounds/{rnd['id']}/remind")
    assert r.status_code == 200, r.content
    assert r.json()["units"] == 2 and r.json()["level_label"] == "联络员"
    assert Chase.objects.filter(round_id=rnd["id"]).count() == 1
    # Resubmitted after the due time: still on time (the first submission counts).
    Submission.objects.filter(round_id=rnd["id"], unit=tree["town_b"]).update(submitted_at=timezone.now() - dt.timedelta(hours=2))
    Round.objects.filter(pk=rnd["id"]).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert lb.post(url, {"lines": lines, "submit": True}, content_type="application/json").json()["punctuality"] == "on_time"
    assert Submission.objects.get(round_id=rnd["id"], unit=tree["town_b"]).status == SubmissionStatus.SUBMITTED
    # The ranking: 洮河镇 on time, 平安镇 missing so far; a unit sees its own subtree's rows.
    page = client_for(users["office"]).get("/api/rounds/punctuality").json()
    assert [(r["rank"], r["unit"], r["on_time"], r["missing"], r["rate"]) for r in page["items"]] == [
        (1, "洮河镇", 1, 0, 1.0), (2, "平安镇", 0, 1, 0.0)]
    assert page["trend"] == [{"round": "第50周工作进展", "due": timezone.localtime(Round.objects.get(pk=rnd["id"]).due_at).date().isoformat(),
                              "expected": 2, "submitted": 1, "on_time": 1, "rate": 0.5}]
    own = client_for(users["liaison_a"]).get("/api/rounds/punctuality").json()
    assert [r["unit"] for r in own["items"]] == ["平安镇"] and own["trend"] == []
    assert Submission.objects.filter(round_id=rnd["id"], punctuality=Punctuality.MISSING).count() == 1


def test_session_writes_need_the_csrf_token(tree, users, campaign, world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["office"])
    r = c.post("/api/rounds", {"name": "第50周", "due_at": _due(72)}, content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert not Round.objects.exists()
    assert Client().get("/api/rounds").json() == {"detail": "未登录或 API 令牌无效"}
