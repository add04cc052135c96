"""挂图作战, 倒排工期 and 基线 pages: the map's data (shape, grouping, baseline bars, links,
scope), its query count, the schedule page's dependency editing (cycles refused), the
baselines page (freeze, compare, limits) and who may do what."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duban.core.actors import SystemActor
from duban.plan import battlemap, services
from duban.plan.models import Baseline, Dependency, Light, PlanItem

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")
TODAY = dt.date(2030, 3, 1)


def _item(campaign, title, lead, *, parent=None, co=(), **kw):
    return services.item_create(actor=TESTER, skip_checks=True, campaign=campaign, refresh=False,
                                new=services.NewItem(title=title, lead_unit=lead, parent=parent, co_units=list(co), **kw))


@pytest.fixture
def plan(tree, campaign):
    """Two aspects; key tasks of 平安镇, 洮河镇 and 区财政局; a measure; links; milestones."""
    a1 = _item(campaign, "优化营商环境", tree["root"], seq="一")
    a2 = _item(campaign, "改善民生", tree["root"], seq="二")
    t1 = _item(campaign, "压缩审批时限", tree["town_a"], parent=a1, seq="1", leader_name="王副区长",
               start_date=dt.date(2030, 1, 2), deadline=dt.date(2030, 6, 30))
    t2 = _item(campaign, "建设政务大厅", tree["dept"], parent=a1, seq="2", co=[tree["town_a"]], leader_name="李副区长",
               deadline=dt.date(2030, 9, 30), duration_days=40)
    m1 = _item(campaign, "大厅选址", tree["dept"], parent=t2, seq="2.1", deadline=dt.date(2030, 4, 30), duration_days=20)
    t3 = _item(campaign, "道路硬化", tree["town_b"], parent=a2, seq="3", start_date=dt.date(2030, 2, 1),
               deadline=dt.date(2030, 12, 31))
    services.dependency_add(actor=TESTER, skip_checks=True, predecessor=t1, successor=t2)
    services.dependency_add(actor=TESTER, skip_checks=True, predecessor=t3, successor=m1)
    services.milestones_set(actor=TESTER, skip_checks=True, item=t1, milestones=[
        ("方案印发", dt.date(2030, 2, 15), tree["town_a"]), ("全面实施", dt.date(2030, 5, 31), None)])
    services.milestone_done(actor=TESTER, skip_checks=True, milestone=t1.milestones.get(title="方案印发"), done_on=dt.date(2030, 2, 14))
    services.plan_refresh(campaign=campaign, today=TODAY)
    return {"a1": a1, "a2": a2, "t1": t1, "t2": t2, "m1": m1, "t3": t3}


def _data(user, campaign, **kw):
    """map_data with its rows as objects (battlemap.expand, as the chart's script reads them)."""
    d = battlemap.map_data(user, campaign, battlemap.MapQuery(**kw), today=TODAY)
    json.dumps(d)  # plain JSON
    assert all(len(r) == len(d["fields"]) for r in d["rows"] if isinstance(r, list))
    return {**d, "rows": battlemap.expand(d)}


def _items(data):
    return [r for r in data["rows"] if r["kind"] == "item"]


def test_rows_grouped_by_aspect_in_plan_order_with_milestones_and_links(users, campaign, plan):
    d = _data(users["office"], campaign)
    assert [(r["kind"], r.get("label") or f'{r["seq"]} {r["title"]}') for r in d["rows"]] == [
        ("group", "一 优化营商环境"), ("item", "1 压缩审批时限"), ("item", "2 建设政务大厅"), ("item", "2.1 大厅选址"),
        ("group", "二 改善民生"), ("item", "3 道路硬化")]
    assert d["count"] == 4 and d["group"] == "aspect"
    t1 = _items(d)[0]
    assert (t1["start"], t1["deadline"], t1["unit"], t1["leader"]) == ("2030-01-02", "2030-06-30", "平安镇", "王副区长")
    assert t1["light"] in Light.values and d["statuses"][t1["status"]] == "待签收"
    assert {x["value"]: x["label"] for x in d["lights"]}[t1["light"]] == dict(Light.choices)[t1["light"]]
    assert t1["milestones"] == [
        {"title": "方案印发", "due": "2030-02-15", "done": True}, {"title": "全面实施", "due": "2030-05-31", "done": False}]
    # An item without a planned start is drawn from its latest start (倒排工期).
    t2 = _items(d)[1]
    assert t2["start"] == t2["latest_start"] and t2["start_is_latest"]
    pairs = {(plan["t1"].pk, plan["t2"].pk), (plan["t3"].pk, plan["m1"].pk)}
    assert {tuple(p) for p in d["links"]} == pairs
    assert d["rows"][0]["count"] == 3 and d["rows"][0]["start"] == "2030-01-02" and d["rows"][0]["deadline"] == "2030-09-30"
    assert d["range"][0] <= "2030-01-02" and d["range"][1] >= "2030-12-31"
    assert d["baseline"] is None  # none frozen yet


def test_grouping_by_unit_and_by_leader(users, campaign, plan):
    by_unit = _data(users["office"], campaign, group="unit")
    groups = [r["label"] for r in by_unit["rows"] if r["kind"] == "group"]
    assert sorted(groups) == sorted(["平安镇", "区财政局", "洮河镇"])
    dept = by_unit["rows"].index(next(r for r in by_unit["rows"] if r.get("label") == "区财政局"))
    assert [r["title"] for r in by_unit["rows"][dept + 1:dept + 3]] == ["建设政务大厅", "大厅选址"]
    by_leader = _data(users["office"], campaign, group="leader")
    groups = [r["label"] for r in by_leader["rows"] if r["kind"] == "group"]
    assert groups[-1] == "未定分管领导" and set(groups[:-1]) == {"王副区长", "李副区长"}


def test_filters_light_and_unit(tree, users, campaign, plan):
    t1 = plan["t1"]
    d = _data(users["office"], campaign, unit=tree["town_b"])
    assert [r["title"] for r in _items(d)] == ["道路硬化"]
    d = _data(users["office"], campaign, light=PlanItem.objects.get(pk=t1.pk).light)
    assert "压缩审批时限" in [r["title"] for r in _items(d)]
    assert all(r["light"] == PlanItem.objects.get(pk=t1.pk).light for r in _items(d))


def test_a_liaison_sees_only_its_items_and_their_links(users, campaign, plan):
    d = _data(users["liaison_a"], campaign)
    # 平安镇 leads t1 and is co-responsible for t2; the link t1 → t2 is among what it sees.
    assert [r["title"] for r in _items(d)] == ["压缩审批时限", "建设政务大厅"]
    assert d["links"] == [[plan["t1"].pk, plan["t2"].pk]]
    assert [r["label"] for r in d["rows"] if r["kind"] == "group"] == ["一 优化营商环境"]
    d = _data(users["liaison_b"], campaign)
    assert [r["title"] for r in _items(d)] == ["道路硬化"] and d["links"] == []
    # Through the endpoint as well: no other unit's item in the JSON.
    c = _client(users["liaison_b"])
    body = c.get(reverse("plan:map_data"), {"campaign": campaign.pk}).content.decode()
    assert "道路硬化" in body and "压缩审批时限" not in body and "大厅选址" not in body


def test_baseline_bars_and_drift(users, campaign, plan):
    services.baseline_freeze(actor=users["office"], campaign=campaign, name="年初计划")
    services.item_update(actor=users["office"], item=plan["t1"], changes={"deadline": dt.date(2030, 7, 5)})
    services.baseline_freeze(actor=users["office"], campaign=campaign, name="调整后")
    d = _data(users["office"], campaign, baseline=1)
    t1 = _items(d)[0]
    assert d["baseline"] == {"number": 1, "name": "年初计划"}
    assert t1["baseline"]["start"] == "2030-01-02" and t1["baseline"]["deadline"] == "2030-06-30"
    assert t1["baseline"]["days"] == 5 and t1["baseline"]["text"] == "较基线1推迟5个工作日"
    latest = _data(users["office"], campaign)  # by default the last frozen baseline
    assert latest["baseline"]["number"] == 2 and _items(latest)[0]["baseline"]["text"] == "与基线2一致"
    assert _data(users["office"], campaign, baseline=None)["baseline"] is None
    assert all(r["baseline"] is None for r in _items(_data(users["office"], campaign, baseline=None)))
    # The page's parameter: 0 is "none", a number picks one, nothing is the latest.
    q = battlemap.MapQuery.from_params({"baseline": "0"}, users["office"], campaign)
    assert q.baseline is None
    assert battlemap.MapQuery.from_params({}, users["office"], campaign).baseline == battlemap.LATEST
    assert battlemap.MapQuery.from_params({"baseline": "1", "group": "x", "light": "blue"}, users["office"], campaign) == \
        battlemap.MapQuery(baseline=1)


def test_late_start_flag_and_critical(tree, users, campaign):
    # 60 working days of work due in about a month: its latest start has passed.
    aspect = _item(campaign, "城市更新", tree["root"])
    late = _item(campaign, "拆迁安置", tree["town_a"], parent=aspect, seq="9", deadline=TODAY + dt.timedelta(days=30), duration_days=60)
    lone = _item(campaign, "独立事项", tree["town_a"], parent=aspect, seq="10", deadline=TODAY + dt.timedelta(days=30), duration_days=60)
    after = _item(campaign, "回迁安置", tree["town_b"], parent=aspect, seq="11", deadline=TODAY + dt.timedelta(days=90), duration_days=10)
    services.dependency_add(actor=users["office"], predecessor=late, successor=after)
    services.plan_refresh(campaign=campaign, today=TODAY)
    late.refresh_from_db()
    lone.refresh_from_db()
    assert late.latest_start < TODAY and late.critical
    # a lone late item is flagged by its passed latest start, not marked as a chain
    assert lone.latest_start < TODAY and not lone.critical
    row = {r["title"]: r for r in _items(_data(users["office"], campaign))}["拆迁安置"]
    assert row["late_start"] and row["critical"] and row["slack"] < 0


def _client(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def _plan_of(campaign, tree, n: int):
    aspect = _item(campaign, f"方面{n}", tree["root"])
    prev = None
    for k in range(n):
        unit = (tree["town_a"], tree["town_b"], tree["dept"])[k % 3]
        it = _item(campaign, f"事项{n}-{k}", unit, parent=aspect, co=[tree["village_a1"]] if k % 2 else (),
                   deadline=dt.date(2030, 6, 1) + dt.timedelta(days=k), duration_days=5, leader_name=f"领导{k % 2}")
        services.milestones_set(actor=TESTER, skip_checks=True, item=it, milestones=[(f"节点{k}", dt.date(2030, 5, 1), None)])
        if prev is not None:
            Dependency.objects.create(predecessor=prev, successor=it)
        prev = it


@pytest.mark.parametrize("group", ["aspect", "unit", "leader"])
def test_map_data_query_count_does_not_grow_with_items(tree, users, campaign, group):
    url = reverse("plan:map_data")
    counts = {}
    for n in (4, 12):
        _plan_of(campaign, tree, n)
        if n == 4:
            services.baseline_freeze(actor=users["office"], campaign=campaign, name="基线")
        services.plan_refresh(campaign=campaign)
        for who in ("office", "liaison_a"):
            c = _client(users[who])
            c.get(url, {"campaign": campaign.pk, "group": group})  # the session and the calendar
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(url, {"campaign": campaign.pk, "group": group})
            assert r.status_code == 200
            counts[(who, n)] = len(ctx.captured_queries)
    assert counts[("office", 4)] == counts[("office", 12)], counts
    assert counts[("liaison_a", 4)] == counts[("liaison_a", 12)], counts


def test_schedule_page_edits_dependencies_and_refuses_a_cycle(tree, users, campaign, plan):
    office = _client(users["office"])
    url = reverse("plan:schedule")
    r = office.get(url, {"campaign": campaign.pk})
    assert r.status_code == 200
    html = r.content.decode()
    assert "最迟开始" in html and "机动时间" in html and "前置事项序号" in html
    # 2 → 3 is fine; then 3 → 1 would close 1 → 2 → 3 → 1.
    add = reverse("plan:dependency_add")
    r = office.post(add, {"campaign": campaign.pk, "predecessor": "2", "successor": "3"}, follow=True)
    assert Dependency.objects.filter(predecessor=plan["t2"], successor=plan["t3"]).exists()
    r = office.post(add, {"campaign": campaign.pk, "predecessor": "3", "successor": "1"}, follow=True)
    assert not Dependency.objects.filter(predecessor=plan["t3"], successor=plan["t1"]).exists()
    assert "不能形成循环" in r.content.decode()
    r = office.post(add, {"campaign": campaign.pk, "predecessor": "99", "successor": "1"}, follow=True)
    assert "未找到序号为“99”的事项" in r.content.decode()
    r = office.post(add, {"campaign": campaign.pk, "predecessor": f"#{plan['t2'].pk}", "successor": "1"}, follow=True)
    assert "不能形成循环" in r.content.decode()
    # Removing a link.
    r = office.post(reverse("plan:dependency_remove"),
                    {"campaign": campaign.pk, "predecessor": plan["t2"].pk, "successor": plan["t3"].pk}, follow=True)
    assert not Dependency.objects.filter(predecessor=plan["t2"], successor=plan["t3"]).exists()
    # Others may look, not edit.
    for who in ("leader", "liaison_a"):
        c = _client(users[who])
        page = c.get(url, {"campaign": campaign.pk}).content.decode()
        assert "前置事项序号" not in page and "dependency/remove" not in page
        r = c.post(add, {"campaign": campaign.pk, "predecessor": "3", "successor": "2"})
        assert r.status_code == 403
        r = c.post(reverse("plan:dependency_remove"), {"campaign": campaign.pk, "predecessor": plan["t1"].pk, "successor": plan["t2"].pk})
        assert r.status_code == 403
    assert Dependency.objects.filter(predecessor=plan["t1"], successor=plan["t2"]).exists()


def test_schedule_page_flags_late_starts(tree, users, campaign, plan):
    late = _item(campaign, "拆迁安置", tree["town_a"], parent=plan["a2"], seq="9", deadline=dt.date.today() + dt.timedelta(days=20),
                 duration_days=60)
    services.plan_refresh(campaign=campaign)
    late.refresh_from_db()
    html = _client(users["office"]).get(reverse("plan:schedule"), {"campaign": campaign.pk, "late": "1"}).content.decode()
    assert "拆迁安置" in html and "已过最迟开始" in html and "压缩审批时限" not in html
    # A liaison of another town sees neither the item nor its row.
    html = _client(users["liaison_b"]).get(reverse("plan:schedule"), {"campaign": campaign.pk}).content.decode()
    assert "拆迁安置" not in html and "道路硬化" in html


def test_baselines_page_freezes_compares_and_keeps_them(users, campaign, plan):
    office = _client(users["office"])
    url = reverse("plan:baselines")
    assert "还没有基线" in office.get(url, {"campaign": campaign.pk}).content.decode()
    r = office.post(reverse("plan:baseline_freeze"), {"campaign": campaign.pk, "name": "年初计划"}, follow=True)
    assert Baseline.objects.get(campaign=campaign).name == "年初计划"
    services.item_update(actor=users["office"], item=plan["t1"], changes={"deadline": dt.date(2030, 7, 5)})
    html = office.get(url, {"campaign": campaign.pk, "baseline": 1}).content.decode()
    assert "较基线1推迟5个工作日" in html and "在挂图上显示" in html and "道路硬化" in html
    # Only what moved since the baseline.
    html = office.get(url, {"campaign": campaign.pk, "baseline": 1, "changed": "1"}).content.decode()
    assert "较基线1推迟5个工作日" in html and "道路硬化" not in html and "共 1 项" in html
    # Blank names and the eleventh baseline are refused, with the reason.
    r = office.post(reverse("plan:baseline_freeze"), {"campaign": campaign.pk, "name": " "}, follow=True)
    assert "基线名称不能为空" in r.content.decode()
    for k in range(9):  # (one frozen by the system: no person to name)
        services.baseline_freeze(actor=users["office"] if k else TESTER, skip_checks=not k, campaign=campaign, name=f"第{k + 2}版")
    r = office.post(reverse("plan:baseline_freeze"), {"campaign": campaign.pk, "name": "再来"}, follow=True)
    assert Baseline.objects.filter(campaign=campaign).count() == 10 and "最多保存10个基线" in r.content.decode()
    # Immutable: the page offers neither edit nor delete, and no route exists for them.
    assert "delete" not in r.content.decode().lower()
    # Only the office freezes; everyone who sees items may compare.
    for who in ("leader", "liaison_a", "outsider"):
        c = _client(users[who])
        assert c.post(reverse("plan:baseline_freeze"), {"campaign": campaign.pk, "name": "x"}).status_code == 403
        page = c.get(url, {"campaign": campaign.pk})
        assert page.status_code == 200 and "冻结新基线" not in page.content.decode()
    html = _client(users["liaison_b"]).get(url, {"campaign": campaign.pk, "baseline": 1}).content.decode()
    assert "道路硬化" in html and "压缩审批时限" not in html


def test_map_page_for_each_role_and_the_menu(users, campaign, plan):
    for who in ("office", "leader", "liaison_a"):
        c = _client(users[who])
        r = c.get(reverse("plan:map"))
        html = r.content.decode()
        assert r.status_code == 200 and 'id="map-chart"' in html and "echarts.min.js" in html
        assert "挂图作战" in html and f'href="{reverse("plan:map")}"' in html  # the menu entry
        assert "各方面红黄绿灯" in html and "各牵头单位红黄绿灯" in html
        assert "@page" not in html  # the print layout is in the stylesheet
    # The overview counts what the user sees.
    html = _client(users["liaison_b"]).get(reverse("plan:map")).content.decode()
    assert "洮河镇" in html and "区财政局" not in html
    # No units, no menu entry; the page itself is empty for them.
    outsider = _client(users["outsider"])
    assert f'href="{reverse("plan:map")}"' not in outsider.get("/").content.decode()
    assert outsider.get(reverse("plan:map")).status_code == 200
    assert json.loads(outsider.get(reverse("plan:map_data")).content)["rows"] == []


def test_print_stylesheet_is_a3_landscape():
    from pathlib import Path

    import duban

    css = (Path(duban.__file__).parent / "static" / "duban" / "plan-map.css").read_text()
    assert "@page { size: A3 landscape;" in css and "@media print" in css


def test_the_office_creates_an_item_with_co_units_as_itself(tree, users, campaign):
    """services.item_create by a person (not a system actor) with co-responsible units: the
    owners are set under the office's own rights (it used to raise TypeError)."""
    item = services.item_create(actor=users["office"], campaign=campaign, new=services.NewItem(
        title="招商引资", lead_unit=tree["dept"], co_units=[tree["town_a"], tree["town_b"]]))
    assert list(battlemap.queries.visible(users["liaison_b"], campaign)) == [item]
    services.item_update(actor=users["office"], item=item, changes={}, co_units=[tree["town_a"]])
    assert list(battlemap.queries.visible(users["liaison_b"], campaign)) == []
