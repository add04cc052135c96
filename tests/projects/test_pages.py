"""The project pages (issue 12, views): each route as the office, the 包保 leader, the owning
town's liaison (also the 项目秘书) and another town's liaison; what each may open and do, CSRF,
the record with a blocker into the ledger, the board's move audited, bad input refused with
its Chinese message, stale forms refused."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.ledger.models import Problem, Source
from duban.projects.models import Blocker, Light, Project, ProjectFile, Record, Stage
from tests.projects.conftest import TESTER

pytestmark = pytest.mark.django_db
NO_BLOCKERS = {"b-TOTAL_FORMS": "0", "b-INITIAL_FORMS": "0"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _who(users, name):
    c = Client()
    c.force_login(users[name])
    return c


def _text(r) -> str:
    return r.content.decode()


ROLES = ("office", "leader", "liaison_a", "liaison_b")
LISTS = ("projects:list", "projects:warnings", "projects:board", "projects:mine", "projects:figures")
ON_ETHANOL = {
    #                         office leader liaison_a liaison_b(another town)
    "projects:project":       (200, 200, 200, 404),
    "projects:record":        (200, 403, 200, 404),
    "projects:project_edit":  (200, 403, 403, 404),
    "projects:nodes":         (200, 403, 403, 404),
}


@pytest.mark.parametrize("name", LISTS)
def test_every_list_renders_for_each_role(users, projects, name, strict_templates):
    from tests.crawler import MARKER

    for role in ROLES:
        r = _who(users, role).get(reverse(name))
        assert r.status_code == 200, (role, name)
        assert MARKER not in _text(r), (role, name)
    anon = Client().get(reverse(name))
    assert anon.status_code == 302 and anon["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(ON_ETHANOL))
def test_project_routes_answer_each_role(users, projects, name, strict_templates):
    from tests.crawler import MARKER

    url = reverse(name, args=[projects["ethanol"].pk])
    got = tuple(_who(users, r).get(url).status_code for r in ROLES)
    assert got == ON_ETHANOL[name]
    assert MARKER not in _text(_who(users, "office").get(url))


def test_office_pages_are_the_offices(users, projects):
    for name in ("projects:light_rule", "projects:pools", "projects:project_new"):
        assert _who(users, "office").get(reverse(name)).status_code == 200
        assert _who(users, "liaison_b").get(reverse(name)).status_code == 403
    assert _who(users, "leader").get(reverse("projects:light_rule")).status_code == 403


def test_another_town_sees_nothing_of_the_project_and_cannot_post(users, projects, tree):
    p = projects["ethanol"]
    b = _who(users, "liaison_b")
    assert "燃料乙醇项目" not in _text(b.get(reverse("projects:list")))
    assert "燃料乙醇项目" not in _text(b.get(reverse("projects:board")))
    assert "河道治理工程" in _text(b.get(reverse("projects:list")))
    node = p.nodes.get(title="用地")
    posts = {
        reverse("projects:record", args=[p.pk]): {"progress": "10", "progress_note": "偷填"},
        reverse("projects:project_move", args=[p.pk]): {"stage": "started", "date": "2026-01-05"},
        reverse("projects:project_transition", args=[p.pk, "start"]): {"date": "2026-01-05"},
        reverse("projects:blocker_add", args=[p.pk]): {"blk-kind": "land", "blk-description": "x"},
        reverse("projects:project_edit", args=[p.pk]): {"name": "改名"},
        reverse("projects:nodes", args=[p.pk]): {},
        reverse("projects:project_delete", args=[p.pk]): {},
        reverse("projects:node_done", args=[node.pk]): {"done_on": "2026-01-05"},
    }
    for url, data in posts.items():
        assert b.post(url, data).status_code == 404, url
    assert b.post(reverse("projects:file_upload", args=[p.pk]), {"file": _png()}).status_code == 404
    p.refresh_from_db()
    assert p.stage == Stage.SIGNED and p.name == "燃料乙醇项目" and not p.records.exists()


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("工地.png", PNG, content_type="image/png")


def test_csrf_is_enforced(users, projects):
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["liaison_a"])
    p = projects["ethanol"]
    r = c.post(reverse("projects:project_move", args=[p.pk]), {"stage": "started", "date": dt.date.today().isoformat()},
               HTTP_ACCEPT="application/json")
    assert r.status_code == 403
    r = c.post(reverse("projects:record", args=[p.pk]), {"progress": "5", "progress_note": "x"})
    assert r.status_code == 403
    p.refresh_from_db()
    assert p.stage == Stage.SIGNED and not p.records.exists()


# ------------------------------------------------------------------ lists


def test_list_filters_light_tabs_money_and_blockers(users, projects):
    c = _who(users, "office")
    page = _text(c.get(reverse("projects:list")))
    assert "12亿元" in page and "5000万元" in page  # 120000 万元 the official way
    assert re.search(r"红黄灯</span> 1</a>", page)  # the river project, red: planned long ago, not started
    red = _text(c.get(reverse("projects:list") + "?light=red_yellow"))
    assert "河道治理工程" in red and "燃料乙醇项目" not in red and "计划" in red  # with its reason
    assert "燃料乙醇项目" in _text(c.get(reverse("projects:list") + "?major=1"))
    assert "河道治理工程" not in _text(c.get(reverse("projects:list") + "?major=1"))
    assert "村部改造" not in _text(c.get(reverse("projects:list") + "?sanzao=1"))
    assert "河道治理工程" in _text(c.get(reverse("projects:list") + "?industry=水利"))
    assert "燃料乙醇项目" not in _text(c.get(reverse("projects:list") + f"?pool={projects['pools'][0].pk}"))
    assert "燃料乙醇项目" in _text(c.get(reverse("projects:list") + "?stage=signed"))
    assert "村部改造" not in _text(c.get(reverse("projects:list") + f"?leader={users['leader'].pk}"))
    assert "燃料乙醇项目" in _text(c.get(reverse("projects:list") + "?q=乙醇"))
    # by unit: the 责任部门's subtree counts (区财政局 is the ethanol project's department)
    dept = _text(c.get(reverse("projects:list") + f"?unit={projects['ethanol'].campaign.unit.children.get(name='区财政局').pk}"))
    assert "燃料乙醇项目" in dept and "河道治理工程" not in dept
    assert "燃料乙醇项目" not in _text(c.get(reverse("projects:list") + "?blocked=1"))
    # nonsense filters are dropped, never a 500
    assert c.get(reverse("projects:list") + "?light=purple&stage=x&pool=abc&unit=\x00&page=zz&leader=-1").status_code == 200
    warnings = _text(c.get(reverse("projects:warnings")))
    assert "河道治理工程" in warnings and "燃料乙醇项目" not in warnings


def test_mine_by_level_and_what_is_due(users, projects):
    sec = _text(_who(users, "liaison_a").get(reverse("projects:mine")))
    due = sec.split("本期待我填报的调度记录", 1)[1].split("</table>", 1)[0]
    assert "燃料乙醇项目" in due and reverse("projects:record", args=[projects["ethanol"].pk]) in due
    assert "我担任项目秘书的项目" in sec and "本单位的项目" in sec
    lead = _text(_who(users, "leader").get(reverse("projects:mine")))
    assert "我包保的项目" in lead and "燃料乙醇项目" in lead.split("我包保的项目", 1)[1]
    assert "本期待我填报" not in lead
    # once recorded, nothing is due
    c = _who(users, "liaison_a")
    assert c.post(reverse("projects:record", args=[projects["ethanol"].pk]), {"progress": "5", "progress_note": "完成场平", **NO_BLOCKERS}).status_code == 302
    assert "本期待我填报" not in _text(c.get(reverse("projects:mine")))


def test_board_columns_cards_and_cap(users, projects, campaign, tree, monkeypatch):
    from duban.projects import views
    from tests.projects.conftest import make_project

    for i in range(4):
        make_project(campaign, f"储备项目{i}", tree["town_a"], total_wan=str(10 + i))
    monkeypatch.setattr(views, "COLUMN_CAP", 3)
    page = _text(_who(users, "office").get(reverse("projects:board")))
    cols = re.findall(r'<section class="column" data-stage="(\w+)"', page)
    assert cols == [s.value for s in Stage]
    planning = page.split('data-stage="planning"', 1)[1].split("</section>", 1)[0]
    assert planning.count('class="pcard') == 3 and "共 6 个，查看全部" in planning and "stage=planning" in planning
    signed = page.split('data-stage="signed"', 1)[1].split("</section>", 1)[0]
    assert "燃料乙醇项目" in signed and "12亿元" in signed


# ------------------------------------------------------------------ moves


def test_board_move_fires_is_audited_and_refusals_carry_the_engines_words(users, projects):
    p = projects["ethanol"]
    a = _who(users, "liaison_a")  # 平安镇: the project's unit, the lead side
    url = reverse("projects:project_move", args=[p.pk])
    today = dt.date.today().isoformat()
    r = a.post(url, {"stage": "started", "date": today, "version": p.version}, HTTP_ACCEPT="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["ok"] and body["stage"] == "started" and body["stage_label"] == "开工"
    p.refresh_from_db()
    assert p.stage == Stage.STARTED and p.started_on == dt.date.today()
    assert AuditEvent.objects.filter(verb="project.start", object_id=str(p.pk)).count() == 1
    assert p.events.filter(action="start").exists()
    # moving back is the office's: the liaison gets 403 with the reason in Chinese
    r = a.post(url, {"stage": "signed", "reason": "签约落空", "version": p.version}, HTTP_ACCEPT="application/json")
    assert r.status_code == 403 and "推进办" in r.json()["error"]
    # two columns back in one drop: 409 with the engine's words
    r = _who(users, "office").post(url, {"stage": "planning", "reason": "x"}, HTTP_ACCEPT="application/json")
    assert r.status_code == 409 and "逐级退回" in r.json()["error"]
    # a future date is refused (400) with its message
    r = _who(users, "office").post(reverse("projects:project_transition", args=[p.pk, "complete"]),
                                   {"date": (dt.date.today() + dt.timedelta(days=3)).isoformat()})
    assert r.status_code in (400, 409) and "日期不能晚于今天" in _text(r)
    # a stale version: 409
    r = a.post(url, {"stage": "completed", "date": today, "version": p.version - 1}, HTTP_ACCEPT="application/json")
    assert r.status_code == 409
    # the no-script form: redirect back to the board with the message
    r = a.post(url, {"stage": "completed", "date": today, "next": "board", "version": p.version})
    assert r.status_code == 302 and r["Location"] == reverse("projects:board")
    p.refresh_from_db()
    assert p.stage == Stage.COMPLETED and p.light == Light.DONE


def test_stage_buttons_on_the_page(users, projects):
    p = projects["ethanol"]
    page = _text(_who(users, "liaison_a").get(reverse("projects:project", args=[p.pk])))
    assert reverse("projects:project_transition", args=[p.pk, "start"]) in page
    assert reverse("projects:project_transition", args=[p.pk, "step_back"]) not in page
    office = _text(_who(users, "office").get(reverse("projects:project", args=[p.pk])))
    assert reverse("projects:project_transition", args=[p.pk, "step_back"]) in office
    r = _who(users, "office").post(reverse("projects:project_transition", args=[p.pk, "step_back"]), {"reason": ""})
    assert r.status_code in (400, 409)
    r = _who(users, "office").post(reverse("projects:project_transition", args=[p.pk, "step_back"]), {"reason": "合同未签成"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.stage == Stage.NEGOTIATING
    assert _who(users, "office").post(reverse("projects:project_transition", args=[p.pk, "fly"]), {}).status_code == 404


# ------------------------------------------------------------------ the project page


def test_project_page_shows_owners_nodes_saving_and_late(users, projects):
    p = projects["ethanol"]
    page = _text(_who(users, "office").get(reverse("projects:project", args=[p.pk])))
    for words in ("李明", "王芳", "区财政局", "平安镇", "12亿元", "招商", "容缺受理"):
        assert words in page or words == "招商", words
    assert "储备签约开工项目库" in page
    node = p.nodes.get(title="立项")
    assert f"120 / {node.taken_days}" in page and f"节省 {120 - node.taken_days} 个工作日" in page
    assert "已超期" in page  # 用地 planned three days ago, not done
    assert "已关联账号" in page


def test_record_with_a_blocker_creates_the_ledger_problem(users, projects, tree):
    p = projects["ethanol"]
    c = _who(users, "liaison_a")
    deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    form = _text(c.get(reverse("projects:record", args=[p.pk])))
    assert "b-TOTAL_FORMS" in form and "调度期" in form
    r = c.post(reverse("projects:record", args=[p.pk]), {
        "progress": "15", "invested_wan": "1,200.5", "progress_note": "完成场地平整", "problems": "用地指标未落实", "next_steps": "报批用地",
        "version": p.version,
        "b-TOTAL_FORMS": "3", "b-INITIAL_FORMS": "0", "b-MIN_NUM_FORMS": "0", "b-MAX_NUM_FORMS": "10",
        "b-0-kind": "land", "b-0-description": "用地指标30亩未落实", "b-0-unit": "区财政局", "b-0-deadline": deadline,
    })
    assert r.status_code == 302, _text(r)
    rec = Record.objects.get(project=p)
    assert rec.progress == 15 and str(rec.invested_wan) == "1200.50"
    b = Blocker.objects.get(project=p)
    problem = Problem.objects.get(pk=b.problem_id)
    assert problem.source == Source.PROJECT and problem.unit == tree["dept"] and problem.deadline.isoformat() == deadline
    assert "燃料乙醇项目" in problem.description
    page = _text(c.get(reverse("projects:project", args=[p.pk])))
    # the bureau's problem is not the town's to open: its number, not a link (tests/projects/test_polish.py)
    assert f"台账第{problem.seq}号" in page and problem.get_status_display() in page
    assert "完成场地平整" in page and 'id="record-history"' in page
    history = json.loads(page.split('id="record-history" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert history[0]["progress"] == 15 and history[0]["invested_wan"] == 1200.5
    listed = _text(c.get(reverse("projects:list") + "?blocked=1"))
    assert "燃料乙醇项目" in listed and "1 个待解决" in listed
    # a stale form (opened before that save) is refused
    r = c.post(reverse("projects:record", args=[p.pk]), {"progress": "20", "progress_note": "再填", "version": p.version,
                                                         "b-TOTAL_FORMS": "0", "b-INITIAL_FORMS": "0"})
    assert r.status_code == 409 and "刷新" in _text(r)


@pytest.mark.parametrize("data,words", [
    ({"progress": "101", "progress_note": "x"}, "须在0到100之间"),
    ({"progress": "10", "progress_note": "x", "invested_wan": "-5"}, "不能为负数"),
    ({"progress": "10", "progress_note": "x", "invested_wan": "很多"}, "须为数字"),
    ({"progress": "10", "progress_note": "进展\x00"}, "空字符"),
    ({"progress": "10", "progress_note": "长" * 5001}, "5000"),
    ({"progress": "10", "progress_note": "x", "day": "2099-01-01"}, "不能填报未来的调度期"),
    ({"progress": "10", "progress_note": ""}, "请填写进展情况"),
    ({"progress": "10", "progress_note": "x", "b-0-description": "缺电"}, "请选择要素类型"),
    ({"progress": "10", "progress_note": "x", "b-0-kind": "power", "b-0-description": "缺电", "b-0-unit": "区财政局",
      "b-0-deadline": "2001-01-01"}, "解决时限不能早于今天"),
])
def test_bad_record_input_is_refused_with_its_message(users, projects, data, words):
    p = projects["ethanol"]
    post = {"b-TOTAL_FORMS": "1", "b-INITIAL_FORMS": "0", **data}
    r = _who(users, "liaison_a").post(reverse("projects:record", args=[p.pk]), post)
    assert r.status_code == 400, data
    assert words in _text(r), (words, data)
    assert not Record.objects.filter(project=p).exists() and not Blocker.objects.exists()


# ------------------------------------------------------------------ the project form


def _project_post(**over):
    data = {"name": "新材料产业园", "unit": "平安镇", "kind": "new", "stage": "planning", "cadence": "weekly", "total_wan": "25000",
            "annual_plan_wan": "8000", "leader_name": "李明", "secretary_name": "", "department": "区财政局", "planned_start": "2030-03-01",
            "planned_finish": "2031-12-31"}
    data.update(over)
    return data


def test_office_registers_and_edits_a_project_with_its_owners(users, projects, tree):
    c = _who(users, "office")
    r = c.post(reverse("projects:project_new"), _project_post())
    assert r.status_code == 302, _text(r)
    p = Project.objects.get(name="新材料产业园")
    assert p.unit == tree["town_a"] and p.leader == users["leader"] and str(p.total_wan) == "25000.00"
    from duban.projects.services import department_of

    assert department_of(p) == tree["dept"]
    assert AuditEvent.objects.filter(verb="project.create", object_id=str(p.pk)).exists()
    form = _text(c.get(reverse("projects:project_edit", args=[p.pk])))
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    data = _project_post(name="新材料产业园（一期）", version=version)
    data.pop("stage")
    assert c.post(reverse("projects:project_edit", args=[p.pk]), data).status_code == 302
    p.refresh_from_db()
    assert p.name == "新材料产业园（一期）"
    # the same old form again: stale
    r = c.post(reverse("projects:project_edit", args=[p.pk]), {**data, "name": "再改"})
    assert r.status_code == 409 and "刷新" in _text(r)


@pytest.mark.parametrize("over,words", [
    ({"name": "名" * 201}, "200"),
    ({"name": ""}, "请填写项目名称"),
    ({"total_wan": "-1"}, "不能为负数"),
    ({"annual_plan_wan": "abc"}, "须为数字"),
    ({"planned_start": "2031-01-01", "planned_finish": "2030-01-01"}, "计划竣工不能早于计划开工"),
    ({"unit": "火星镇"}, "火星镇"),
    ({"location": "地\x00点"}, "空字符"),
    ({"planned_start": "明年"}, "日期"),
])
def test_bad_project_input_is_refused_with_its_message(users, projects, over, words):
    r = _who(users, "office").post(reverse("projects:project_new"), _project_post(**over))
    assert r.status_code == 400
    assert words in _text(r), words
    assert not Project.objects.filter(name__startswith="新材料").exists()


def test_town_office_cannot_register_for_another_town(users, projects, tree):
    from duban.orgs.models import Role
    from tests.conftest import _user

    town_office = _user("office_b", tree["town_b"], Role.OFFICE)
    c = Client()
    c.force_login(town_office)
    assert c.get(reverse("projects:project_new")).status_code == 200
    r = c.post(reverse("projects:project_new"), _project_post(unit="平安镇"))
    assert r.status_code in (400, 403) and not Project.objects.filter(name="新材料产业园").exists()
    # naming the county's leader would make the district an owner: only its office may
    r = c.post(reverse("projects:project_new"), _project_post(unit="洮河镇", department=""))
    assert r.status_code == 403 and "洮北区" in _text(r)
    assert c.post(reverse("projects:project_new"), _project_post(unit="洮河镇", department="", leader_name="")).status_code == 302
    assert Project.objects.get(name="新材料产业园").unit == tree["town_b"]


# ------------------------------------------------------------------ nodes, files, rules, pools


def test_nodes_editor_and_node_done(users, projects, tree):
    p = projects["ethanol"]
    c = _who(users, "office")
    form = _text(c.get(reverse("projects:nodes", args=[p.pk])))
    mark = re.search(r'name="mark" value="(\w+)"', form).group(1)
    data = {"mark": mark, "n-TOTAL_FORMS": "3", "n-INITIAL_FORMS": "2", "n-MIN_NUM_FORMS": "0", "n-MAX_NUM_FORMS": "60",
            "n-0-title": "立项", "n-0-kind": "approval", "n-0-unit": "区财政局", "n-0-planned_on": "", "n-0-allowed_days": "120",
            "n-0-accepted_on": (dt.date.today() - dt.timedelta(days=60)).isoformat(), "n-0-done_on": (dt.date.today() - dt.timedelta(days=20)).isoformat(),
            "n-1-title": "环评", "n-1-kind": "eia", "n-1-unit": "平安镇", "n-1-planned_on": "2030-05-01", "n-1-allowed_days": "30",
            "n-2-title": "", "n-2-kind": "other"}
    r = c.post(reverse("projects:nodes", args=[p.pk]), data)
    assert r.status_code == 302, _text(r)
    assert list(p.nodes.values_list("title", flat=True)) == ["立项", "环评"]
    assert AuditEvent.objects.filter(verb="project.nodes", object_id=str(p.pk)).exists()
    # the same form again: the nodes changed since, refused
    r = c.post(reverse("projects:nodes", args=[p.pk]), data)
    assert r.status_code == 409
    bad = _text(c.post(reverse("projects:nodes", args=[p.pk]), {**data, "mark": re.search(
        r'name="mark" value="(\w+)"', _text(c.get(reverse("projects:nodes", args=[p.pk])))).group(1), "n-1-allowed_days": "0"}))
    assert "时限须在1到2000个工作日之间" in bad
    # the owning town marks 环评 done with its 受理 date: working days counted
    node = p.nodes.get(title="环评")
    a = _who(users, "liaison_a")
    r = a.post(reverse("projects:node_done", args=[node.pk]), {"done_on": dt.date.today().isoformat(),
                                                               "accepted_on": (dt.date.today() - dt.timedelta(days=14)).isoformat()})
    assert r.status_code == 302
    node.refresh_from_db()
    assert node.done_on == dt.date.today() and node.taken_days and node.taken_days <= 15
    r = a.post(reverse("projects:node_done", args=[node.pk]), {"done_on": "2099-01-01"})
    assert r.status_code == 400 and "不能晚于今天" in _text(r)


def test_files_upload_as_thumbnails_and_download_by_permission(users, projects):
    p = projects["ethanol"]
    a = _who(users, "liaison_a")
    assert a.post(reverse("projects:file_upload", args=[p.pk]), {"file": _png()}).status_code == 302
    f = ProjectFile.objects.get(project=p)
    page = _text(a.get(reverse("projects:project", args=[p.pk])))
    assert f'<img src="{reverse("projects:file_download", args=[f.pk])}"' in page
    assert a.get(reverse("projects:file_download", args=[f.pk])).status_code == 200
    assert _who(users, "liaison_b").get(reverse("projects:file_download", args=[f.pk])).status_code == 404
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = a.post(reverse("projects:file_upload", args=[p.pk]), {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 10)})
    assert r.status_code == 400


def test_light_rule_and_pools(users, projects, campaign):
    c = _who(users, "office")
    rule = {"start_yellow_months": "0", "start_red_months": "3", "behind_yellow": "30", "behind_red": "10", "statistics_months": "1",
            "blocker_red_days": "10"}
    r = c.post(reverse("projects:light_rule"), rule)
    assert r.status_code == 400 and "红灯点数须大于黄灯点数" in _text(r)
    # 36 months before red: the river project (planned to start last January) turns yellow
    r = c.post(reverse("projects:light_rule"), {**rule, "behind_yellow": "10", "behind_red": "30", "start_red_months": "36"})
    assert r.status_code == 302
    projects["river"].refresh_from_db()
    assert projects["river"].light == Light.YELLOW
    assert _who(users, "liaison_a").post(reverse("projects:light_rule"), rule).status_code == 403
    # pools: a pool still holding projects may not go
    r = c.post(reverse("projects:pools"), {"names": "储备签约开工项目库\n在谈跟进项目库"})
    assert r.status_code == 400 and "还有项目" in _text(r)
    r = c.post(reverse("projects:pools"), {"names": "招商引资项目库\n储备签约开工项目库\n在谈跟进项目库"})
    assert r.status_code == 302
    assert "在谈跟进项目库" in _text(c.get(reverse("projects:pools")))
    assert c.post(reverse("projects:pools"), {"names": "库" * 61}).status_code == 400


def test_figures_home_card_nav_and_todo(users, projects):
    c = _who(users, "office")
    fig = _text(c.get(reverse("projects:figures")))
    assert "开工率" in fig and "年度投资完成率" in fig and "化工" in fig and "平安镇" in fig and "储备签约开工项目库" in fig
    home = _text(c.get(reverse("home")))
    assert reverse("projects:warnings") in home and "重点项目" in home
    sec = _who(users, "liaison_a")
    home = _text(sec.get(reverse("home")))
    assert reverse("projects:mine") in home  # 我的项目 in the menu
    todo = _text(sec.get(reverse("todo") if _has("todo") else reverse("home")))
    if _has("todo"):
        assert "本期待填报的项目调度" in todo and "燃料乙醇项目" in todo


def _has(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_english_switch(users, projects):
    from django.utils import translation

    c = _who(users, "office")
    c.cookies["django_language"] = "en"
    with translation.override("en"):
        page = _text(c.get(reverse("projects:board")))
    assert "¥1.2 billion" in page


def test_the_ledger_sign_off_shows_on_the_project(users, projects, tree):
    from duban.projects import services

    p = projects["ethanol"]
    b = services.blocker_add(actor=TESTER, skip_checks=True, project=p, new=services.NewBlocker(
        kind="power", description="缺少专变", unit=tree["dept"], deadline=dt.date.today() + dt.timedelta(days=5)))
    Problem.objects.filter(pk=b.problem_id).update(status="signed_off")
    page = _text(_who(users, "office").get(reverse("projects:project", args=[p.pk])))
    assert "已销号" in page
    assert "燃料乙醇项目" not in _text(_who(users, "office").get(reverse("projects:list") + "?blocked=1"))
