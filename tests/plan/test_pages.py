"""The plan's pages (issue 11, items 1–3 in the UI and 7): each route as the office, a
leader, the lead town's liaison, a co-responsible town's liaison and an outsider — what
each may open and see, what each may do, CSRF, bad input as form errors, stale edits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from duban.core.actors import SystemActor
from duban.plan import services
from duban.plan.models import ItemEvent, Milestone, PlanItem, Status

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LEADER_NAME = "李明"


def _item(campaign, title, lead, co=(), parent=None, **kw):
    return services.item_create(actor=TESTER, skip_checks=True, campaign=campaign,
                                new=services.NewItem(title=title, lead_unit=lead, co_units=list(co), parent=parent, **kw))


@pytest.fixture
def plan(tree, users, campaign):
    """An aspect; 压缩审批时限 led by 平安镇 with 洮河镇 and 区财政局 responsible, led by 李明
    (the leader's account), with a node and evidence; 清理河道 led by 洮河镇 alone; an
    overdue item of 平安镇."""
    users["leader"].first_name = LEADER_NAME
    users["leader"].save()
    aspect = _item(campaign, "优化营商环境", tree["root"], seq="一")
    week_ago = dt.date.today() - dt.timedelta(days=7)
    shared = _item(campaign, "压缩审批时限", tree["town_a"], co=[tree["town_b"], tree["dept"]], parent=aspect, seq="1",
                   deadline=dt.date(2030, 6, 30), start_date=week_ago, leader_name=LEADER_NAME)
    services.milestones_set(actor=TESTER, skip_checks=True, item=shared,
                            milestones=[("窗口改造完成", dt.date(2030, 3, 31), tree["town_b"]), ("系统上线", dt.date(2030, 5, 31), tree["town_a"])])
    ev = services.evidence_add(actor=TESTER, skip_checks=True, item=shared, name="窗口照片.png", data=PNG, unit=tree["town_a"])
    other = _item(campaign, "清理河道", tree["town_b"], parent=aspect, seq="2", deadline=dt.date(2030, 9, 30), start_date=week_ago)
    late = _item(campaign, "修缮村部", tree["town_a"], parent=aspect, seq="3", start_date=dt.date(2024, 1, 2), deadline=dt.date(2024, 12, 31))
    shared.refresh_from_db()
    return {"aspect": aspect, "shared": shared, "other": other, "late": late, "evidence": ev}


def _who(users, name):
    c = Client()
    c.force_login(users[name])
    return c


def _text(r) -> str:
    return r.content.decode()


# ------------------------------------------------------------------ who opens what

ROLES = ("office", "leader", "liaison_a", "liaison_b", "outsider")
GETS = {
    #                      office leader liaison_a(lead) liaison_b(co) outsider
    "plan:item_list":      (200, 200, 200, 200, 200),
    "plan:mine":           (200, 200, 200, 200, 200),
    "plan:leader":         (200, 200, 200, 200, 200),
    "plan:warnings":       (200, 200, 200, 200, 200),
    "plan:item":           (200, 200, 200, 200, 404),
    "plan:item_edit":      (200, 403, 403, 403, 404),
    "plan:item_new":       (200, 403, 403, 403, 403),
    "plan:light_rule":     (200, 403, 403, 403, 403),
    "plan:evidence_download": (200, 200, 200, 200, 404),
}


@pytest.mark.parametrize("name", sorted(GETS))
def test_each_route_answers_each_role(users, plan, name):
    kwargs = {}
    if name in ("plan:item", "plan:item_edit"):
        kwargs = {"pk": plan["shared"].pk}
    elif name == "plan:evidence_download":
        kwargs = {"pk": plan["evidence"].pk}
    got = tuple(_who(users, r).get(reverse(name, kwargs=kwargs)).status_code for r in ROLES)
    assert got == GETS[name]
    anon = Client().get(reverse(name, kwargs=kwargs))
    assert anon.status_code == 302 and anon["Location"].startswith(reverse("login"))


def test_the_list_shows_each_unit_its_own_items_as_a_tree_with_lights(users, plan):
    office = _text(_who(users, "office").get(reverse("plan:item_list")))
    for title in ("优化营商环境", "压缩审批时限", "清理河道", "修缮村部"):
        assert title in office
    # tree order: the aspect, then its items by position
    assert office.index("优化营商环境") < office.index("压缩审批时限") < office.index("清理河道") < office.index("修缮村部")
    assert 'class="lvl1"' in office and 'class="lvl2"' in office
    assert '<span class="light red"><i></i>红灯</span>' in office  # the overdue item, a dot with its label
    shown = re.sub(r"<[^>]+>", " ", office)  # what is on screen: labels, never codes
    assert not {"in_progress", "pending", "red", "green"} & set(shown.split())
    # the lead town sees its items, not 洮河镇's own; the co town sees the shared one and its own
    a = _text(_who(users, "liaison_a").get(reverse("plan:item_list")))
    assert "压缩审批时限" in a and "修缮村部" in a and "清理河道" not in a
    b = _text(_who(users, "liaison_b").get(reverse("plan:item_list")))
    assert "压缩审批时限" in b and "清理河道" in b and "修缮村部" not in b
    out = _text(_who(users, "outsider").get(reverse("plan:item_list")))
    assert "压缩审批时限" not in out


def test_filters_and_light_tabs(users, plan, tree):
    c = _who(users, "office")
    red = _text(c.get(reverse("plan:item_list") + "?light=red"))
    assert "修缮村部" in red and "清理河道" not in red
    assert re.search(r'class="on"><span class="light red"><i></i>红灯</span> 1', red)
    assert "修缮村部" in _text(c.get(reverse("plan:item_list") + "?overdue=1"))
    assert "清理河道" not in _text(c.get(reverse("plan:item_list") + "?overdue=1"))
    co = _text(c.get(reverse("plan:item_list") + f"?unit={tree['town_b'].pk}&role=co"))
    assert "压缩审批时限" in co and "清理河道" not in co
    assert "清理河道" not in _text(c.get(reverse("plan:item_list") + f"?leader={LEADER_NAME}"))
    assert "压缩审批时限" in _text(c.get(reverse("plan:item_list") + "?q=审批"))
    lvl = _text(c.get(reverse("plan:item_list") + "?level=1"))
    assert "优化营商环境" in lvl and "清理河道" not in lvl
    # nonsense filters are ignored, never a 500
    assert c.get(reverse("plan:item_list") + "?light=purple&level=9&unit=x&page=abc&status=\x00").status_code == 200
    # htmx asks for the table alone
    frag = _text(c.get(reverse("plan:item_list") + "?light=red", HTTP_HX_REQUEST="true"))
    assert "<html" not in frag and "修缮村部" in frag


def test_mine_leader_and_warnings(users, plan):
    a = _text(_who(users, "liaison_a").get(reverse("plan:mine")))
    lead_block = a.split("本单位牵头的事项", 1)[1].split("本单位作为责任单位", 1)[0]
    assert "压缩审批时限" in lead_block and "修缮村部" in lead_block
    assert "等我办理" in a  # 签收 waits on the lead unit
    b = _text(_who(users, "liaison_b").get(reverse("plan:mine")))
    co_block = b.split("本单位作为责任单位配合的事项", 1)[1]
    assert "压缩审批时限" in co_block and "清理河道" not in co_block
    assert "清理河道" in b.split("本单位牵头的事项", 1)[1].split("本单位作为责任单位", 1)[0]
    # the leader's own items (分管领导 by account), and another leader's by name
    mine = _text(_who(users, "leader").get(reverse("plan:leader")))
    assert "压缩审批时限" in mine and "清理河道" not in mine
    assert "压缩审批时限" in _text(_who(users, "office").get(reverse("plan:leader") + f"?name={LEADER_NAME}"))
    warn = _text(_who(users, "office").get(reverse("plan:warnings")))
    assert "修缮村部" in warn and "清理河道" not in warn
    assert "修缮村部" not in _text(_who(users, "liaison_b").get(reverse("plan:warnings")))


# ------------------------------------------------------------------ one item


def test_the_item_page_shows_owners_dates_light_why_milestones_and_buttons(users, plan):
    r = _who(users, "liaison_a").get(reverse("plan:item", kwargs={"pk": plan["shared"].pk}))
    html = _text(r)
    assert "优化营商环境" in html.split("<h1>", 1)[0]  # breadcrumbs of ancestors
    for words in ("洮河镇", "区财政局", LEADER_NAME, "2030-06-30", "最迟开始", "机动时间", "窗口改造完成", "窗口照片.png", "领导批示"):
        assert words in html
    assert ">签收</button>" in html and ">申请延期</button>" in html  # the lead unit's steps
    assert 'name="progress"' in html  # the lead unit sets the %
    assert "录入批示" not in html  # only the office or the item's leader
    co = _text(_who(users, "liaison_b").get(reverse("plan:item", kwargs={"pk": plan["shared"].pk})))
    assert ">签收</button>" not in co and "填报进展" in co and 'name="progress"' not in co
    # 窗口改造完成 is 洮河镇's node: it may mark it done; 系统上线 is 平安镇's
    assert co.count(">完成</button>") == 1
    late = _text(_who(users, "office").get(reverse("plan:item", kwargs={"pk": plan["late"].pk})))
    assert "已逾期" in late and "个工作日" in late
    assert "录入批示" in late


def test_a_co_unit_reports_for_its_unit_but_may_not_move_the_item(users, plan, tree):
    item = plan["shared"]
    b = _who(users, "liaison_b")
    r = b.post(reverse("plan:item_report", kwargs={"pk": item.pk}), {"note": "洮河镇窗口已改造"})
    assert r.status_code == 302
    ev = ItemEvent.objects.filter(item=item, kind=ItemEvent.Kind.REPORT).latest("pk")
    assert ev.unit == tree["town_b"] and ev.note == "洮河镇窗口已改造"
    item.refresh_from_db()
    r = b.post(reverse("plan:item_transition", kwargs={"pk": item.pk, "name": "accept"}), {"version": item.version})
    assert r.status_code == 403 and "牵头单位" in _text(r)
    r = b.post(reverse("plan:item_report", kwargs={"pk": item.pk}), {"note": "全部完成", "progress": "100"})
    assert r.status_code == 403 and "进度百分比由牵头单位填报" in _text(r)
    item.refresh_from_db()
    assert item.status == Status.PENDING and item.progress == 0
    # another town's liaison, or an outsider, cannot even find it
    assert _who(users, "outsider").post(reverse("plan:item_report", kwargs={"pk": item.pk}), {"note": "x"}).status_code == 404


def test_the_workflow_through_the_pages(users, plan):
    item = plan["shared"]
    a = _who(users, "liaison_a")
    url = lambda name: reverse("plan:item_transition", kwargs={"pk": item.pk, "name": name})  # noqa: E731
    assert a.post(url("accept"), {"version": item.version}).status_code == 302
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert a.post(reverse("plan:item_report", kwargs={"pk": item.pk}), {"note": "过半", "progress": "60"}).status_code == 302
    item.refresh_from_db()
    assert item.progress == 60
    # a stale form is refused (409), the page says why
    r = a.post(url("request_extension"), {"version": 1, "reason": "资金未到位", "date": "2030-12-31"})
    assert r.status_code == 409 and "刷新" in _text(r)
    # an extension needs a reason: a form error, not a 500
    item.refresh_from_db()
    r = a.post(url("request_extension"), {"version": item.version, "date": "2030-12-31"})
    assert r.status_code == 400 and "理由" in _text(r)
    r = a.post(url("submit"), {"version": item.version, "files": [_upload()]})
    assert r.status_code == 302
    assert _who(users, "liaison_a").post(url("finish")).status_code == 403
    assert _who(users, "office").post(url("finish")).status_code == 302
    item.refresh_from_db()
    assert item.status == Status.DONE and item.progress == 100
    assert "已办结" in _text(_who(users, "office").get(reverse("plan:item", kwargs={"pk": item.pk})))


def _upload(name="现场.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_milestones_instructions_and_downloads(users, plan, tree):
    item = plan["shared"]
    node = Milestone.objects.get(item=item, title="窗口改造完成")
    other = Milestone.objects.get(item=item, title="系统上线")
    b = _who(users, "liaison_b")
    assert b.post(reverse("plan:milestone_done", kwargs={"pk": other.pk})).status_code == 403
    assert b.post(reverse("plan:milestone_done", kwargs={"pk": node.pk})).status_code == 302
    node.refresh_from_db()
    assert node.done_on is not None
    # instructions: the office and the item's own leader; nobody else
    assert _who(users, "liaison_a").post(reverse("plan:item_instruction", kwargs={"pk": item.pk}),
                                         {"author": "王书记", "text": "加快进度"}).status_code == 403
    assert _who(users, "leader").post(reverse("plan:item_instruction", kwargs={"pk": item.pk}),
                                      {"author": LEADER_NAME, "text": "本月底前完成窗口改造"}).status_code == 302
    r = _who(users, "office").post(reverse("plan:item_instruction", kwargs={"pk": item.pk}), {"author": "", "text": "x" * 6000})
    assert r.status_code == 400 and "请填写批示领导" in _text(r)
    html = _text(_who(users, "liaison_b").get(reverse("plan:item", kwargs={"pk": item.pk})))
    block = html.split("领导批示", 1)[1].split("节点", 1)[0]
    assert "本月底前完成窗口改造" in block
    # evidence downloads, scoped
    ev = plan["evidence"]
    r = _who(users, "liaison_b").get(reverse("plan:evidence_download", kwargs={"pk": ev.pk}))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"\x89PNG")
    other_ev = services.evidence_add(actor=TESTER, skip_checks=True, item=plan["other"], name="河道.png", data=PNG)
    assert _who(users, "liaison_a").get(reverse("plan:evidence_download", kwargs={"pk": other_ev.pk})).status_code == 404


def test_csrf_is_enforced_on_the_forms(users, plan):
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["liaison_b"])
    url = reverse("plan:item_report", kwargs={"pk": plan["shared"].pk})
    assert c.post(url, {"note": "无令牌"}).status_code == 403
    page = _text(c.get(reverse("plan:item", kwargs={"pk": plan["shared"].pk})))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert c.post(url, {"note": "带令牌", "csrfmiddlewaretoken": token}).status_code == 302
    assert ItemEvent.objects.filter(item=plan["shared"], note="带令牌").exists()
    assert not ItemEvent.objects.filter(item=plan["shared"], note="无令牌").exists()


# ------------------------------------------------------------------ the office's forms


def test_the_office_creates_an_item_with_co_units_milestones_and_a_predecessor(users, plan, tree):
    c = _who(users, "office")
    data = {
        "title": "建设政务服务中心", "parent": plan["aspect"].pk, "seq": "4", "lead_unit": "平安镇", "lead_unit_id": "",
        "co_units": "洮河镇、区财政局", "leader_name": LEADER_NAME, "start_date": "2026年3月1日", "deadline": "2030-12-31",
        "duration_days": "60", "frequency": "xun", "weight": "3", "predecessors": "1",
        "ms-TOTAL_FORMS": "3", "ms-INITIAL_FORMS": "0", "ms-MIN_NUM_FORMS": "0", "ms-MAX_NUM_FORMS": "60",
        "ms-0-title": "主体完工", "ms-0-due": "2030-10-31", "ms-0-unit": "洮河镇",
    }
    r = c.post(reverse("plan:item_new"), data)
    assert r.status_code == 302, _text(r)
    item = PlanItem.objects.get(title="建设政务服务中心")
    assert (item.level, item.parent, item.lead_unit, item.frequency, item.weight) == (2, plan["aspect"], tree["town_a"], "xun", 3)
    assert item.start_date == dt.date(2026, 3, 1) and item.leader == users["leader"]
    from duban.plan import queries

    assert [u.name for u in queries.co_units_of([item])[item.pk]] == ["洮河镇", "区财政局"]
    assert [(m.title, m.unit) for m in item.milestones.all()] == [("主体完工", tree["town_b"])]
    assert [d.predecessor for d in item.predecessor_links.all()] == [plan["shared"]]
    assert item.latest_start is not None
    # the co unit now sees it in 我的任务
    assert "建设政务服务中心" in _text(_who(users, "liaison_b").get(reverse("plan:mine")))


def test_bad_input_gives_form_errors_not_500(users, plan):
    c = _who(users, "office")
    base = {"ms-TOTAL_FORMS": "1", "ms-INITIAL_FORMS": "0", "ms-MIN_NUM_FORMS": "0", "ms-MAX_NUM_FORMS": "60"}
    r = c.post(reverse("plan:item_new"), {**base, "title": "", "lead_unit": "不存在的镇", "deadline": "明年", "weight": "500",
                                          "duration_days": "-3", "co_units": "洮河镇、火星", "predecessors": "99", "frequency": "daily",
                                          "ms-0-title": "节点", "ms-0-due": "2030-13-45", "ms-0-unit": ""})
    html = _text(r)
    assert r.status_code == 400
    for words in ("这个字段是必填项", "未知单位", "权重须在1到100之间", "工期须在1到2000个工作日之间", "没有序号为“99”的事项", "火星"):
        assert words in html, words
    r = c.post(reverse("plan:item_new"), {**base, "title": "x" * 400, "lead_unit": "平安镇", "deadline": "2030-01-01",
                                          "start_date": "2030-06-01", "weight": "1", "frequency": "weekly",
                                          "ms-0-title": "节点", "ms-0-due": "2030-01-01", "ms-0-unit": "洮河镇"})
    html = _text(r)
    assert r.status_code == 400 and "完成时限不能早于计划开始" in html and "不超过 300" in html
    # the milestone's unit must own the item
    r = c.post(reverse("plan:item_new"), {**base, "title": "新事项", "lead_unit": "平安镇", "weight": "1", "frequency": "weekly",
                                          "ms-0-title": "节点", "ms-0-due": "2030-01-01", "ms-0-unit": "洮河镇"})
    assert r.status_code == 400 and "不是该事项的牵头或责任单位" in _text(r)
    assert not PlanItem.objects.filter(title="新事项").exists()
    r = c.post(reverse("plan:light_rule"), {"due_soon_days": "5", "behind_yellow": "40", "behind_red": "20"})
    assert r.status_code == 400 and "红灯点数须大于黄灯点数" in _text(r)
    r = c.post(reverse("plan:light_rule"), {"due_soon_days": "abc", "behind_yellow": "0", "behind_red": "200"})
    assert r.status_code == 400
    r = _who(users, "liaison_a").post(reverse("plan:item_report", kwargs={"pk": plan["shared"].pk}), {"note": "", "progress": "150"})
    assert r.status_code == 400 and "请填写进展情况" in _text(r) and "进度须在0到100之间" in _text(r)


def test_the_edit_form_refuses_a_stale_save(users, plan, tree):
    item = plan["shared"]
    c = _who(users, "office")
    html = _text(c.get(reverse("plan:item_edit", kwargs={"pk": item.pk})))
    assert "洮河镇、区财政局" in html and "窗口改造完成" in html
    version = int(re.search(r'name="version" value="(\d+)"', html).group(1))
    data = {"title": "压缩审批时限至3个工作日", "parent": plan["aspect"].pk, "seq": "1", "lead_unit": "平安镇", "co_units": "洮河镇",
            "leader_name": LEADER_NAME, "start_date": item.start_date.isoformat(), "deadline": "2030-06-30", "frequency": "weekly", "weight": "1",
            "version": str(version), "ms-TOTAL_FORMS": "1", "ms-INITIAL_FORMS": "0", "ms-MIN_NUM_FORMS": "0", "ms-MAX_NUM_FORMS": "60",
            "ms-0-title": "窗口改造完成", "ms-0-due": "2030-03-31", "ms-0-unit": "洮河镇"}
    services.item_report(actor=users["liaison_a"], item=item, note="有人先保存了", progress=10)  # the version moves on
    r = c.post(reverse("plan:item_edit", kwargs={"pk": item.pk}), data)
    assert r.status_code == 409 and "已被他人修改" in _text(r)
    item.refresh_from_db()
    assert item.title == "压缩审批时限"
    data["version"] = str(item.version)
    assert c.post(reverse("plan:item_edit", kwargs={"pk": item.pk}), data).status_code == 302
    item.refresh_from_db()
    from duban.plan import queries

    assert item.title == "压缩审批时限至3个工作日" and [u.name for u in queries.co_units_of([item])[item.pk]] == ["洮河镇"]
    assert list(item.milestones.values_list("title", flat=True)) == ["窗口改造完成"]


def test_the_office_sets_the_light_thresholds(users, plan):
    c = _who(users, "office")
    assert c.post(reverse("plan:light_rule"), {"due_soon_days": "10", "behind_yellow": "5", "behind_red": "20"}).status_code == 302
    assert 'value="10"' in _text(c.get(reverse("plan:light_rule")))


# ------------------------------------------------------------------ menu and home


def test_menu_and_home_card(users, plan):
    from tests.test_nav import menu_links

    a = _text(_who(users, "liaison_a").get("/"))
    assert {"我的任务", "任务分工"} <= set(menu_links(a))
    leader = menu_links(_text(_who(users, "leader").get("/")))
    assert "任务分工" in leader and "我的任务" not in leader  # a leader reads; 我的任务 is a unit's
    assert "我的任务" not in menu_links(_text(_who(users, "outsider").get("/")))
    home = _text(_who(users, "office").get("/"))
    assert "查看红黄灯预警" in home and reverse("plan:warnings") in home
    assert "查看红黄灯预警" not in _text(_who(users, "outsider").get("/"))


def test_the_todo_page_lists_the_plan_items_waiting_on_me(users, plan):
    a = _text(_who(users, "liaison_a").get(reverse("ledger:my_items")))
    assert 'id="todo-plan"' in a and "压缩审批时限" in a.split('id="todo-plan"', 1)[1]  # 签收 waits on the lead town
    b = _text(_who(users, "liaison_b").get(reverse("ledger:my_items")))
    assert "压缩审批时限" not in b.split('id="todo-plan"', 1)[-1]  # the co town moves no step
    assert 'id="todo-plan"' not in _text(_who(users, "leader").get(reverse("ledger:my_items")))


def test_every_page_resolves_its_variables(users, plan, strict_templates):
    """As the crawl checks the demo: no `{{ }}` that fails to resolve, on any page, for anyone."""
    from tests.crawler import MARKER

    services.instruction_add(actor=users["office"], item=plan["shared"], author="王书记", text="抓紧")
    services.item_transition(actor=users["liaison_a"], item=plan["late"], name="accept")
    services.item_transition(actor=users["liaison_a"], item=plan["late"], name="request_extension", reason="雨季", date=dt.date(2031, 1, 1))
    urls = [reverse(n) for n in ("plan:item_list", "plan:mine", "plan:leader", "plan:warnings", "home", "ledger:my_items")]
    urls += [reverse("plan:item", kwargs={"pk": plan[k].pk}) for k in ("aspect", "shared", "other", "late")]
    urls += [reverse("plan:item_list") + "?light=red&overdue=1&late_start=1&role=co&level=2&status=in_progress", reverse("plan:leader") + f"?name={LEADER_NAME}"]
    for who in ROLES:
        c = _who(users, who)
        for url in urls + ([reverse("plan:item_new"), reverse("plan:item_edit", kwargs={"pk": plan["shared"].pk}), reverse("plan:light_rule")]
                           if who == "office" else []):
            r = c.get(url)
            assert MARKER not in _text(r) if r.status_code == 200 else r.status_code == 404, (who, url)
