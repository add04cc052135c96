"""The rounds' pages (issue 13): each route as the office, a leader, 平安镇's liaison, 洮河镇's
liaison and an outsider; the unit's form posts, applies and refuses bad input naming the row;
stale and locked forms; returns; 一键催报; cadences; punctuality; the xlsx summary; CSRF;
the nav entry, the 我的待办 section and the home card."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from duban.core import workcalendar
from duban.core.actors import SystemActor
from duban.ledger.services import problem_create
from duban.orgs.models import Role
from duban.orgs.services import membership_set
from duban.plan import services as plan
from duban.plan.models import PlanItem
from duban.projects import services as projects
from duban.projects.models import Project, Stage
from duban.rounds import services
from duban.rounds.models import (
    Cadence,
    Chase,
    Line,
    LineKind,
    Punctuality,
    Round,
    RoundStatus,
    Submission,
    SubmissionStatus,
)

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")
ROLES = ("office", "leader", "liaison_a", "liaison_b", "outsider")


@pytest.fixture(autouse=True)
def _calendar():
    workcalendar.calendar_import(years=workcalendar.parse_file(), by="测试")


@pytest.fixture
def world(tree, users, campaign):
    """平安镇 leads 压缩审批时限 (洮河镇 co) and owns 集贸市场占道经营; 洮河镇 owns the project
    农产品冷链物流园 (区财政局 its department); 一村 an overdue problem. One open round."""
    aspect = plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign, new=plan.NewItem(title="优化营商环境", lead_unit=tree["root"]))
    task = plan.item_create(actor=TESTER, skip_checks=True, campaign=campaign,
                            new=plan.NewItem(title="压缩审批时限", lead_unit=tree["town_a"], co_units=[tree["town_b"]], parent=aspect,
                                             deadline=dt.date(2030, 6, 30)))
    problem = problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="集贸市场占道经营", unit=tree["town_a"],
                             deadline=dt.date(2030, 1, 1))
    problem_create(actor=TESTER, skip_checks=True, campaign=campaign, description="村道破损未修", unit=tree["village_a1"],
                   deadline=dt.date(2024, 1, 1))
    project = projects.project_create(actor=TESTER, skip_checks=True, campaign=campaign, new=projects.NewProject(
        name="农产品冷链物流园", unit=tree["town_b"], department=tree["dept"], stage=Stage.STARTED, started_on=dt.date(2026, 3, 1),
        total_wan="20000", annual_plan_wan="5000", planned_finish=dt.date(2027, 12, 31)))
    rnd = services.round_open(actor=TESTER, skip_checks=True, campaign=campaign, name="第50周工作进展",
                              due_at=timezone.now() + dt.timedelta(days=3), instructions="请各单位于周五下午5点前报送本周进展")
    subs = {u: Submission.objects.get(round=rnd, unit=tree[u]) for u in ("town_a", "town_b", "dept", "village_a1")}
    return {"task": task, "problem": problem, "project": project, "round": rnd, "subs": subs}


def _who(users, name) -> Client:
    c = Client()
    c.force_login(users[name])
    return c


def _text(r) -> str:
    return r.content.decode()


def _key(kind, obj) -> str:
    return f"{kind}-{obj.pk}"


def _form_a(world, **over) -> dict:
    """平安镇's form: its task and its problem, both answered."""
    t, p = _key("task", world["task"]), _key("problem", world["problem"])
    data = {"action": "submit", "version": world["subs"]["town_a"].version,
            f"{t}-progress": "40", f"{t}-done": "窗口改造完成", f"{t}-problems": "", f"{t}-next_steps": "系统上线",
            f"{p}-progress": "", f"{p}-done": "已清理摊点12处", f"{p}-problems": "", f"{p}-next_steps": ""}
    data.update(over)
    return data


# ------------------------------------------------------------------ who opens what

GETS = {
    #                        office leader liaison_a liaison_b outsider
    "rounds:index":          (200, 200, 200, 200, 200),
    "rounds:round_new":      (200, 403, 403, 403, 404),
    "rounds:round":          (200, 200, 200, 200, 404),
    "rounds:summary_xlsx":   (200, 200, 403, 403, 404),
    "rounds:submission":     (200, 200, 200, 404, 404),  # 平安镇's form
    "rounds:cadences":       (200, 200, 403, 403, 404),
    "rounds:cadence_new":    (200, 403, 403, 403, 404),
    "rounds:punctuality":    (200, 200, 200, 200, 404),
}


@pytest.mark.parametrize("name", sorted(GETS))
def test_each_route_answers_each_role(users, world, name):
    kwargs = {}
    if name in ("rounds:round", "rounds:summary_xlsx"):
        kwargs = {"pk": world["round"].pk}
    elif name == "rounds:submission":
        kwargs = {"pk": world["subs"]["town_a"].pk}
    for role, expected in zip(ROLES, GETS[name], strict=True):
        r = _who(users, role).get(reverse(name, kwargs=kwargs))
        assert r.status_code == expected, (name, role, r.status_code)


def test_the_round_page_shows_every_unit_to_the_office_and_only_its_own_to_a_unit(users, world):
    url = reverse("rounds:round", kwargs={"pk": world["round"].pk})
    office = _text(_who(users, "office").get(url))
    for name in ("平安镇", "洮河镇", "区财政局", "一村", "一键催报", "下载汇总", "本轮汇总", "催报记录", "请各单位于周五下午5点前报送本周进展"):
        assert name in office
    leader = _text(_who(users, "leader").get(url))
    assert "洮河镇" in leader and "一键催报" not in leader and "本轮汇总" in leader
    # 平安镇's liaison sees its own and its village's rows, no summary, no other town.
    mine = _text(_who(users, "liaison_a").get(url))
    assert "平安镇" in mine and "一村" in mine and "洮河镇" not in mine and "本轮汇总" not in mine and "一键催报" not in mine
    # 洮河镇 has one form in the round: its own row, with the way to its form (no redirect: the
    # round's page is the same address for everyone, and a crawler or a bookmark finds a page).
    theirs = _text(_who(users, "liaison_b").get(url))
    assert "洮河镇" in theirs and "平安镇" not in theirs
    assert reverse("rounds:submission", kwargs={"pk": world["subs"]["town_b"].pk}) in theirs


def test_the_lists_show_the_office_its_rounds_and_a_unit_what_waits_on_it(users, world):
    office = _text(_who(users, "office").get(reverse("rounds:index")))
    assert "第50周工作进展" in office and "组织的调度" in office and "发起调度" in office
    mine = _text(_who(users, "liaison_a").get(reverse("rounds:index")))
    assert "待本单位报送" in mine and "组织的调度" not in mine and "发起调度" not in mine
    assert reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk}) in mine
    assert reverse("rounds:submission", kwargs={"pk": world["subs"]["town_b"].pk}) not in mine
    assert "待本单位报送" not in _text(_who(users, "outsider").get(reverse("rounds:index")))


# ------------------------------------------------------------------ the form


def test_the_form_lists_each_item_prefilled_from_the_last_round(users, world, campaign):
    c = _who(users, "liaison_a")
    url = reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk})
    page = _text(c.get(url))
    assert "压缩审批时限" in page and "集贸市场占道经营" in page and "农产品冷链物流园" not in page
    assert "无新进展" in page and "保存草稿" in page and "报送" in page
    assert c.post(url, _form_a(world, **{f"{_key('task', world['task'])}-problems": "资金不足"})).status_code == 302
    # The next round opens prefilled: progress, problems and next steps from this one.
    nxt = services.round_open(actor=TESTER, skip_checks=True, campaign=campaign, name="第51周工作进展",
                              due_at=timezone.now() + dt.timedelta(days=10))
    sub2 = Submission.objects.get(round=nxt, unit=users["liaison_a"].memberships.first().unit)
    page2 = _text(c.get(reverse("rounds:submission", kwargs={"pk": sub2.pk})))
    t = _key("task", world["task"])
    assert f'name="{t}-progress" value="40"' in page2
    assert ">资金不足</textarea>" in page2 and ">系统上线</textarea>" in page2
    assert "上期本期工作" in page2 and "窗口改造完成" in page2
    # One click for an item with nothing new: 无新进展 stands in for 本期工作.
    p = _key("problem", world["problem"])
    data = _form_a(world, version=sub2.version, **{f"{t}-done": "", f"{t}-unchanged": "on", f"{p}-done": "", f"{p}-unchanged": "on"})
    assert c.post(reverse("rounds:submission", kwargs={"pk": sub2.pk}), data).status_code == 302
    sub2.refresh_from_db()
    assert sub2.status == SubmissionStatus.SUBMITTED
    assert set(Line.objects.filter(submission=sub2).values_list("unchanged", "applied")) == {(True, False)}


def test_submitting_applies_each_line_through_its_item(users, world):
    c = _who(users, "liaison_b")
    sub = world["subs"]["town_b"]
    t, pr = _key("task", world["task"]), _key("project", world["project"])
    data = {"action": "submit", "version": sub.version, f"{t}-done": "洮河镇窗口已改造", f"{pr}-progress": "35",
            f"{pr}-done": "冷库主体完工", f"{pr}-invested_wan": "800.5", f"{pr}-problems": "电力增容慢", f"{pr}-next_steps": "设备安装",
            "summary": "本周总体顺利"}
    r = c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), data)
    assert r.status_code == 302
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.SUBMITTED and sub.punctuality == Punctuality.ON_TIME and sub.summary == "本周总体顺利"
    assert Project.objects.get(pk=world["project"].pk).progress == 35
    assert world["project"].records.filter(progress_note__contains="冷库主体完工").exists()
    assert Line.objects.get(submission=sub, kind=LineKind.PROJECT).invested_wan == pytest.approx(800.5)
    assert Line.objects.filter(submission=sub, applied=True).count() == 2
    # Submitted: the form is read-only and says so; another post is refused.
    page = _text(c.get(reverse("rounds:submission", kwargs={"pk": sub.pk})))
    assert "如需修改请联系推进办退回" in page and 'name="action"' not in page and "冷库主体完工" in page
    assert c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), data).status_code == 400


def test_a_draft_keeps_what_was_typed_and_stays_open(users, world):
    c = _who(users, "liaison_a")
    sub = world["subs"]["town_a"]
    t = _key("task", world["task"])
    r = c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), {"action": "draft", "version": sub.version, f"{t}-done": "半截话"})
    assert r.status_code == 302
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.DRAFT
    assert PlanItem.objects.get(pk=world["task"].pk).progress == 0  # a draft applies nothing
    assert ">半截话</textarea>" in _text(c.get(reverse("rounds:submission", kwargs={"pk": sub.pk})))


BAD = [
    ("progress", "101", "进度须在0到100之间"),
    ("progress", "abc", "进度须为0到100之间的整数"),
    ("done", "有\x00空字符", "含有不可见的空字符"),
    ("done", "长" * 5001, "不能超过5000字"),
    ("next_steps", "长" * 5001, "不能超过5000字"),
]


@pytest.mark.parametrize("field,value,message", BAD)
def test_bad_input_is_refused_with_the_row_named(users, world, field, value, message):
    c = _who(users, "liaison_a")
    sub = world["subs"]["town_a"]
    t = _key("task", world["task"])
    r = c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), _form_a(world, **{f"{t}-{field}": value}))
    assert r.status_code == 400
    text = _text(r)
    assert message in text
    # The message sits in the task's own row, which is marked.
    row = text[text.index(f'id="row-{t}"'):]
    row = row[: row.index("</section>")]
    assert message in row and "压缩审批时限" in row and "has-errors" in text[text.index(f'id="row-{t}"') - 40: text.index(f'id="row-{t}"')]
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.PENDING and not Line.objects.filter(submission=sub).exists()


def test_money_is_for_projects_and_never_negative(users, world):
    c = _who(users, "liaison_b")
    sub = world["subs"]["town_b"]
    t, pr = _key("task", world["task"]), _key("project", world["project"])
    base = {"action": "submit", "version": sub.version, f"{t}-done": "x", f"{pr}-done": "y"}
    url = reverse("rounds:submission", kwargs={"pk": sub.pk})
    r = c.post(url, {**base, f"{pr}-invested_wan": "-5"})
    assert r.status_code == 400 and "本期完成投资不能为负数" in _text(r)
    r = c.post(url, {**base, f"{pr}-invested_wan": "一百"})
    assert r.status_code == 400 and "本期完成投资须为数字" in _text(r)
    r = c.post(url, {**base, f"{t}-invested_wan": "5"})
    assert r.status_code == 400 and "只有项目填写本期完成投资" in _text(r)
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.PENDING


def test_submitting_with_a_row_unanswered_names_it(users, world):
    c = _who(users, "liaison_a")
    sub = world["subs"]["town_a"]
    p = _key("problem", world["problem"])
    r = c.post(reverse("rounds:submission", kwargs={"pk": sub.pk}), _form_a(world, **{f"{p}-done": ""}))
    assert r.status_code == 400
    text = _text(r)
    row = text[text.index(f'id="row-{p}"'):]
    assert "请填写本期工作，或勾选“无新进展”" in row[: row.index("</section>")]
    assert "还有1项未填写本期工作" in text


def test_a_liaison_cannot_see_or_post_another_units_form(users, world):
    other = world["subs"]["town_b"]
    c = _who(users, "liaison_a")
    url = reverse("rounds:submission", kwargs={"pk": other.pk})
    assert c.get(url).status_code == 404
    assert c.post(url, {"action": "submit"}).status_code == 404
    # A leader reads a unit's form but may not fill it.
    leader = _who(users, "leader")
    own = reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk})
    page = _text(leader.get(own))
    assert "压缩审批时限" in page and 'name="action"' not in page
    assert leader.post(own, _form_a(world)).status_code == 403
    assert _who(users, "outsider").post(own, _form_a(world)).status_code == 404
    other.refresh_from_db()
    assert other.status == SubmissionStatus.PENDING and world["subs"]["town_a"].lines.count() == 0


def test_a_stale_form_is_refused(users, world):
    c = _who(users, "liaison_a")
    sub = world["subs"]["town_a"]
    old_version = sub.version
    url = reverse("rounds:submission", kwargs={"pk": sub.pk})
    assert c.post(url, _form_a(world, action="draft")).status_code == 302
    r = c.post(url, _form_a(world, version=old_version))
    assert r.status_code == 409 and "请刷新后再保存" in _text(r)
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.DRAFT


def test_after_the_lock_time_the_form_is_read_only(users, world):
    rnd = world["round"]
    Round.objects.filter(pk=rnd.pk).update(status=RoundStatus.LOCKED)
    c = _who(users, "liaison_a")
    url = reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk})
    page = _text(c.get(url))
    assert "截止，不能再报送" in page and 'name="action"' not in page
    r = c.post(url, _form_a(world))
    assert r.status_code == 400 and "不能再报送" in _text(r)
    # A round past its lock time but not yet locked by the worker reads the same.
    Round.objects.filter(pk=rnd.pk).update(status=RoundStatus.OPEN, due_at=timezone.now() - dt.timedelta(days=3),
                                           lock_at=timezone.now() - dt.timedelta(hours=1))
    assert 'name="action"' not in _text(c.get(url))


def test_a_late_answer_is_taken_until_the_lock_and_counted_late(users, world):
    Round.objects.filter(pk=world["round"].pk).update(due_at=timezone.now() - dt.timedelta(hours=2),
                                                      lock_at=timezone.now() + dt.timedelta(hours=20))
    c = _who(users, "liaison_a")
    url = reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk})
    assert "前可补报（记为迟报）" in _text(c.get(url))
    assert c.post(url, _form_a(world)).status_code == 302
    assert Submission.objects.get(pk=world["subs"]["town_a"].pk).punctuality == Punctuality.LATE


def test_the_office_returns_a_submission_with_a_reason(users, world):
    sub = world["subs"]["town_a"]
    a = _who(users, "liaison_a")
    url = reverse("rounds:submission", kwargs={"pk": sub.pk})
    assert a.post(url, _form_a(world)).status_code == 302
    ret = reverse("rounds:return", kwargs={"pk": sub.pk})
    assert a.post(ret, {"reason": "自己退回"}).status_code == 403
    assert _who(users, "leader").post(ret, {"reason": "领导退回"}).status_code == 403
    office = _who(users, "office")
    assert office.post(ret, {"reason": ""}).status_code == 302
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.SUBMITTED  # no reason, no return
    r = office.post(ret, {"reason": "进度与实际不符，请核实", "next": "round"})
    assert r.status_code == 302 and r["Location"] == reverse("rounds:round", kwargs={"pk": sub.round_id})
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.RETURNED
    page = _text(a.get(url))
    assert "进度与实际不符，请核实" in page and 'name="action"' in page
    assert "进度与实际不符" in _text(a.get(reverse("ledger:my_items")))  # and in 我的待办


def test_one_click_chase_reminds_the_units_that_have_not_submitted(users, world):
    rnd = world["round"]
    url = reverse("rounds:chase", kwargs={"pk": rnd.pk})
    assert _who(users, "liaison_a").post(url).status_code == 403
    assert _who(users, "leader").post(url).status_code == 403
    assert not Chase.objects.filter(round=rnd).exists()
    a = _who(users, "liaison_a")
    assert a.post(reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk}), _form_a(world)).status_code == 302
    r = _who(users, "office").post(url, follow=True)
    assert "已向3个未报送单位发出催报" in _text(r)
    chase = Chase.objects.get(round=rnd)
    assert chase.units == 3 and chase.point.startswith("manual:")
    assert "催报记录" in _text(r) and "3个单位" in _text(r)


def test_the_office_opens_a_round_by_hand(users, world, tree):
    office = _who(users, "office")
    due = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    r = office.post(reverse("rounds:round_new"), {"name": "疑难问题专项调度", "kind": "key", "due_at": due, "scope": "units",
                                                 "units": "平安镇、洮河镇", "instructions": "只报疑难问题"})
    assert r.status_code == 302
    rnd = Round.objects.get(name="疑难问题专项调度")
    assert set(rnd.submissions.values_list("unit__name", flat=True)) == {"平安镇", "洮河镇"} and rnd.kind == "key"
    # Bad input is a form error, nothing opened.
    for data, message in ((dict(name="x", kind="routine", due_at="2020-01-01T17:00", scope="responsible"), "截止时间须晚于现在"),
                          (dict(name="x", kind="routine", due_at=due, scope="units", units=""), "请指定报送单位"),
                          (dict(name="x", kind="routine", due_at=due, scope="units", units="不存在的镇"), "不存在的镇"),
                          (dict(name="x\x00", kind="routine", due_at=due, scope="responsible"), "空字符"),
                          (dict(name="x", kind="routine", due_at="明天", scope="responsible"), "请填写截止时间")):
        r = office.post(reverse("rounds:round_new"), data)
        assert r.status_code == 400 and message in _text(r), (data, message)
    assert Round.objects.count() == 2
    assert _who(users, "liaison_a").post(reverse("rounds:round_new"), {"name": "x", "due_at": due, "scope": "responsible",
                                                                      "kind": "routine"}).status_code == 403


def test_cadences_are_set_and_switched_by_the_office(users, world):
    office = _who(users, "office")
    data = {"name": "每周工作进展", "kind": "routine", "rule": "weekly", "weekday": "4", "every_n": "5", "month_day": "25",
            "due_time": "17:00", "open_workdays": "4", "grace_hours": "48", "scope": "responsible", "active": "on"}
    assert office.post(reverse("rounds:cadence_new"), data).status_code == 302
    c = Cadence.objects.get(name="每周工作进展")
    assert c.active and timezone.localtime(c.next_due_at).weekday() == 4 and timezone.localtime(c.next_due_at).hour == 17
    page = _text(office.get(reverse("rounds:cadences")))
    assert "每周工作进展" in page and "周五" in page and "停用" in page
    r = office.post(reverse("rounds:cadence_new"), {**data, "grace_hours": "999"})
    assert r.status_code == 400 and "补报宽限须在0到336之间" in _text(r)
    assert office.post(reverse("rounds:cadence_edit", kwargs={"pk": c.pk}), {**data, "name": "每周进展", "rule": "monthly",
                                                                            "month_day": "20"}).status_code == 302
    c.refresh_from_db()
    assert c.name == "每周进展" and timezone.localtime(c.next_due_at).day == 20
    toggle = reverse("rounds:cadence_toggle", kwargs={"pk": c.pk})
    assert _who(users, "leader").post(toggle).status_code == 403
    assert _who(users, "liaison_a").post(toggle).status_code == 403
    assert office.post(toggle).status_code == 302
    c.refresh_from_db()
    assert not c.active and c.next_due_at is None
    assert _who(users, "leader").get(reverse("rounds:cadence_edit", kwargs={"pk": c.pk})).status_code == 403


def test_punctuality_ranks_units_and_draws_the_trend(users, world):
    a = _who(users, "liaison_a")
    assert a.post(reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk}), _form_a(world)).status_code == 302
    Round.objects.filter(pk=world["round"].pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    page = _text(_who(users, "office").get(reverse("rounds:punctuality")))
    data = json.loads(re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', page).group(1))
    assert [(t["round"], t["expected"], t["on_time"]) for t in data] == [("第50周工作进展", 4, 1)]
    ranking = page[page.index('id="ranking"'):]
    assert ranking.index("平安镇") < ranking.index("洮河镇")
    assert "100%" in ranking and "0%" in ranking
    # A unit sees its own place in the whole ranking, not the others.
    mine = _text(a.get(reverse("rounds:punctuality")))
    mine_rank = mine[mine.index('id="ranking"'):]
    assert "平安镇" in mine_rank and "洮河镇" not in mine_rank and "1 / 4" in mine_rank
    # A period with no round is empty; bad dates are ignored.
    assert "所选时间内没有到期的调度" in _text(a.get(reverse("rounds:punctuality") + "?since=2020-01-01&until=2020-02-01"))
    assert _who(users, "office").get(reverse("rounds:punctuality") + "?since=abc&period=%00").status_code == 200


def test_the_summary_downloads_as_xlsx_with_who_reported_and_their_lines(users, world):
    import python_calamine

    a = _who(users, "liaison_a")
    assert a.post(reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk}), _form_a(world)).status_code == 302
    r = _who(users, "office").get(reverse("rounds:summary_xlsx", kwargs={"pk": world["round"].pk}))
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content)))
    assert book.sheet_names == ["报送情况", "报送内容", "进度变化", "汇总"]
    status = book.get_sheet_by_name("报送情况").to_python()
    rows = {row[0]: row for row in status[1:]}
    assert rows["平安镇"][1] == "已报送" and rows["平安镇"][2] == "按时" and rows["洮河镇"][1] == "未报送"
    lines = book.get_sheet_by_name("报送内容").to_python()
    assert {(row[0], row[4]) for row in lines[1:]} == {("平安镇", "窗口改造完成"), ("平安镇", "已清理摊点12处")}


def test_posts_need_the_csrf_token(users, world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["liaison_a"])
    url = reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk})
    assert c.post(url, _form_a(world)).status_code == 403
    office = Client(enforce_csrf_checks=True)
    office.force_login(users["office"])
    assert office.post(reverse("rounds:chase", kwargs={"pk": world["round"].pk})).status_code == 403
    assert world["subs"]["town_a"].lines.count() == 0 and not Chase.objects.exists()


# ------------------------------------------------------------------ nav, 我的待办, home


def test_nav_todo_and_home_card(users, world, tree):
    rounds_url = reverse("rounds:index")
    for role in ("office", "leader", "liaison_a"):
        assert f'href="{rounds_url}"' in _text(_who(users, role).get(reverse("home"))), role
    assert f'href="{rounds_url}"' not in _text(_who(users, "outsider").get(reverse("home")))
    # 我的待办: 平安镇's liaison has its own and 一村's forms waiting; 洮河镇's only its own.
    todo_a = _text(_who(users, "liaison_a").get(reverse("ledger:my_items")))
    assert "待报送的调度" in todo_a
    assert reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk}) in todo_a
    assert reverse("rounds:submission", kwargs={"pk": world["subs"]["village_a1"].pk}) in todo_a
    assert reverse("rounds:submission", kwargs={"pk": world["subs"]["town_b"].pk}) not in todo_a
    # The office does not find every town's form in its own to-do: the round's page tracks them.
    assert "待报送的调度" not in _text(_who(users, "office").get(reverse("ledger:my_items")))
    # Once submitted, the form leaves the to-do.
    a = _who(users, "liaison_a")
    assert a.post(reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk}), _form_a(world)).status_code == 302
    assert reverse("rounds:submission", kwargs={"pk": world["subs"]["town_a"].pk}) not in _text(a.get(reverse("ledger:my_items")))
    # The home card: the office's open round with its counts; a liaison what waits on its unit.
    home = _text(_who(users, "office").get(reverse("home")))
    card = home[home.index('id="rounds-card"'):]
    assert "第50周工作进展" in card and "应报 <b>4</b>" in card and "已报 <b>1</b>" in card
    home_b = _text(_who(users, "liaison_b").get(reverse("home")))
    assert "待本单位报送" in home_b[home_b.index('id="rounds-card"'):]


def test_a_dept_liaison_reports_a_project_it_is_the_department_of(users, world, tree):
    from django.contrib.auth import get_user_model

    dept = get_user_model().objects.create_user(username="dept", password="pw-dept")
    membership_set(actor=TESTER, user=dept, unit=tree["dept"], role=Role.LIAISON)
    c = Client()
    c.force_login(dept)
    page = _text(c.get(reverse("rounds:submission", kwargs={"pk": world["subs"]["dept"].pk})))
    assert "农产品冷链物流园" in page and "本期完成投资（万元）" in page
