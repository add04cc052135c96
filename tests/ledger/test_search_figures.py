"""Bigram search (both databases), deadlines, rates and the stats contract, query counts."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from duban.core import workcalendar
from duban.core.actors import SystemActor
from duban.core.dates import today
from duban.ledger import queries, services
from duban.ledger.models import Problem, Status
from duban.ledger.search import bigrams, terms_text
from duban.ledger.tally import tally_rebuild

pytestmark = pytest.mark.django_db


def test_bigrams():
    assert bigrams("优化营商环境") == ["优化", "化营", "营商", "商环", "环境"]
    assert terms_text("供暖，A级 2022") == "供暖 a级 20 02 22"


@pytest.fixture
def texts(make_problem, tree):
    for desc in ["优化营商环境，审批环节多", "环境卫生脏乱差，营商投诉", "冬季供暖温度不达标", "供水管网老化", "整改不彻底"]:
        make_problem(tree["village_a1"], description=desc)


@pytest.mark.parametrize("q, expected", [
    ("营商环境", {"优化营商环境，审批环节多"}),
    ("营商", {"优化营商环境，审批环节多", "环境卫生脏乱差，营商投诉"}),
    ("供暖", {"冬季供暖温度不达标"}),
    ("供", {"冬季供暖温度不达标", "供水管网老化"}),
    ("环境 审批", {"优化营商环境，审批环节多"}),
    ("整改", {"整改不彻底"}),
    ("不存在", set()),
])
def test_search(texts, users, q, expected):
    f = queries.ProblemFilter(q=q)
    got = set(queries.problem_list(users["office"], f).values_list("description", flat=True))
    assert got == expected


def test_search_follows_edits(texts, users):
    p = Problem.objects.get(description="供水管网老化")
    services.problem_update(actor=users["office"], problem=p, description="排水管网老化")
    assert not queries.problem_list(users["office"], queries.ProblemFilter(q="供水")).exists()
    assert queries.problem_list(users["office"], queries.ProblemFilter(q="排水")).count() == 1


def test_deadline_states(make_problem, tree, settings):
    settings.DUBAN_DUE_SOON_DAYS = 5
    t = today()
    over = make_problem(deadline=t - dt.timedelta(days=1))
    # working days on the calendar: five working days on is due soon, the day after is not
    soon = make_problem(deadline=workcalendar.add_workdays(t, 5))
    later = make_problem(deadline=workcalendar.add_workdays(t, 5) + dt.timedelta(days=1))
    assert [queries.deadline_state(p) for p in (over, soon, later)] == ["overdue", "due_soon", "open"]
    Problem.objects.filter(pk=over.pk).update(status=Status.SIGNED_OFF, completed_on=t)
    assert queries.deadline_state(Problem.objects.get(pk=over.pk)) == "late"
    assert Problem.objects.filter(queries.due_soon_q()).count() == 1
    assert Problem.objects.filter(queries.overdue_q()).count() == 0


def test_rates_and_stats_contract(campaign, make_problem, tree, users):
    areas = list(campaign.focus_areas.order_by("position"))
    t = today()
    for i in range(10):
        p = make_problem(tree["village_a1"] if i < 6 else tree["dept"], focus_area=areas[i % 2], deadline=t - dt.timedelta(days=1))
        if i < 7:
            Problem.objects.filter(pk=p.pk).update(status=Status.SIGNED_OFF, completed_on=t - dt.timedelta(days=2 if i < 5 else 0))
    tally_rebuild()  # the raw updates above bypass the services: recount the roll-ups
    out = StringIO()
    call_command("stats", "--json", stdout=out)
    data = json.loads(out.getvalue())["problems"]
    assert data["total"] == 10 and data["rectified"] == 7 and data["rate"] == 0.7 and data["overdue"] == 3
    assert data["by_area"][areas[0].name] == {"total": 5, "rectified": 4, "rate": 0.8, "overdue": 1, "on_time_rate": 0.75}
    assert data["on_time_rate"] == round(5 / 7, 4)
    units = {r["label"]: r for r in queries.rates(users["office"], campaign=campaign, by="unit")}
    assert units["平安镇"]["total"] == 6 and units["区财政局"]["total"] == 4
    assert sum(r["total"] for r in queries.rates(users["office"], by="source")) == 10
    assert sum(r["total"] for r in queries.rates(users["office"], by="month")) == 10
    # A liaison's figures count its own subtree only.
    assert queries.totals(users["liaison_a"])["total"] == 6 and queries.totals(users["liaison_b"])["total"] == 0


def test_list_filters(campaign, make_problem, tree, users):
    make_problem(tree["village_a1"], description="甲", source="enterprise")
    make_problem(tree["village_b1"], description="乙", deadline=dt.date(2020, 1, 1))
    office = users["office"]

    def got(**params):
        f, errors = queries.ProblemFilter.from_params(params)
        assert not errors
        return set(queries.problem_list(office, f).values_list("description", flat=True))

    assert got(unit=str(tree["town_a"].pk)) == {"甲"}
    assert got(overdue="1") == {"乙"}
    assert got(source="enterprise") == {"甲"}
    assert got(deadline_to="2020年1月31日") == {"乙"}
    assert got(status="pending", sort="deadline") == {"甲", "乙"}
    _, errors = queries.ProblemFilter.from_params({"status": "bogus", "deadline_from": "明天"})
    assert len(errors) == 2
    assert queries.status_counts(office, queries.ProblemFilter())["pending"] == 2


def test_query_count_baselines(campaign, make_problem, tree, users, client_for, django_assert_max_num_queries, png):
    for i in range(30):
        make_problem(tree["village_a1"] if i % 2 else tree["village_b1"], description=f"问题{i}")
    p = Problem.objects.filter(unit=tree["village_a1"]).first()
    services.problem_add_evidence(actor=SystemActor("t"), skip_checks=True, problem=p, name="a.png", data=png)
    services.problem_note(actor=SystemActor("t"), skip_checks=True, problem=p, note="进展")
    c = client_for(users["office"])
    # Pages: +1 since the header shows the inbox's unread count (one indexed COUNT).
    with django_assert_max_num_queries(15):
        assert c.get(reverse("ledger:problem_list")).status_code == 200
    with django_assert_max_num_queries(15):
        assert c.get(reverse("ledger:problem_list") + "?q=问题&sort=deadline").status_code == 200
    with django_assert_max_num_queries(19):
        assert c.get(reverse("ledger:problem_detail", args=[p.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert c.get("/api/problems?limit=50").status_code == 200
    with django_assert_max_num_queries(12):
        assert c.get(f"/api/problems/{p.pk}").status_code == 200


def test_pages_render(campaign, make_problem, tree, users, client_for, strict_templates):
    from tests.crawler import MARKER

    p = make_problem()
    c = client_for(users["office"])
    for url, heading in [(reverse("ledger:problem_list"), "<h1>问题整改台账"), (reverse("ledger:my_items"), "<h1>我的待办"),
                         (reverse("ledger:problem_create"), "<h1>登记问题"), (reverse("ledger:problem_edit", args=[p.pk]), f"<h1>修改问题（序号 {p.seq}）"),
                         (reverse("ledger:problem_import"), "<h1>导入问题整改台账")]:
        r = c.get(url)
        assert r.status_code == 200 and heading in r.content.decode() and MARKER not in r.content.decode(), url
    for by in ("area", "unit", "source", "month"):
        assert "整改率" in c.get(reverse("ledger:summary") + f"?by={by}").content.decode()
    assert c.get(reverse("ledger:problem_list"), HTTP_HX_REQUEST="true").content.decode().count("<html") == 0
    resp = c.post(reverse("ledger:problem_create"), {"description": "新问题：路灯不亮", "unit": "平安镇/一村", "source": "self_check", "kind": "deadline", "deadline": "2030年1月1日"})
    assert resp.status_code == 302 and Problem.objects.filter(description="新问题：路灯不亮", deadline=dt.date(2030, 1, 1)).exists()
    resp = c.post(reverse("ledger:problem_create"), {"description": "x", "unit": "平安真", "source": "self_check", "kind": "deadline", "deadline": "2030-01-01"})
    assert "最接近的单位：平安镇" in resp.content.decode()
    resp = c.post(reverse("ledger:problem_edit", args=[p.pk]), {"description": p.description, "unit": "一村", "owner": "赵六", "source": "self_check", "kind": "deadline", "deadline": p.deadline.isoformat()})
    assert resp.status_code == 302 and Problem.objects.get(pk=p.pk).owner == "赵六"


def test_api_create_update_list(campaign, tree, users, client_for):
    c = client_for(users["liaison_a"])
    r = c.post("/api/problems", data=json.dumps({"description": "路面破损", "unit_id": tree["village_a1"].pk, "deadline": "2030-01-01"}), content_type="application/json")
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    r = c.post("/api/problems", data=json.dumps({"description": "x", "unit_id": tree["village_b1"].pk, "deadline": "2030-01-01"}), content_type="application/json")
    assert r.status_code == 404
    r = c.patch(f"/api/problems/{pid}", data=json.dumps({"owner": "钱七"}), content_type="application/json")
    assert r.status_code == 200 and r.json()["owner"] == "钱七"
    r = c.patch(f"/api/problems/{pid}", data=json.dumps({"deadline": "2031-01-01"}), content_type="application/json")
    assert r.status_code == 403
    data = c.get("/api/problems?q=路面&status=pending").json()
    assert data["count"] == 1 and data["items"][0]["status_label"] == "待认领"
    assert c.get("/api/problems?status=bogus").status_code == 422
    assert c.get("/api/openapi.json").json()["paths"]["/api/problems"]


def test_api_list_body_matches_its_schema_and_the_detail(client_for, users, make_problem, tree):
    from duban.ledger.api import ProblemPage

    p = make_problem(tree["village_a1"], focus_area=None)
    c = client_for(users["office"])
    body = c.get("/api/problems", {"limit": 1}).json()
    page = ProblemPage.model_validate(body)  # the hand-written JSON keeps the declared schema
    assert page.count == 1 and page.items[0].id == p.pk
    detail = c.get(f"/api/problems/{p.pk}").json()
    for k, v in body["items"][0].items():
        assert detail[k] == v, k
    assert c.get("/api/problems", {"limit": 0, "offset": -5}).status_code == 200
    assert "/api/problems" in c.get("/api/openapi.json").json()["paths"]
