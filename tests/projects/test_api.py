"""/api/projects: scoping (an owner sees and writes only its projects), create and edit by
the office with versions, stage moves on the workflow, dispatch records with blockers that
land in the ledger, nodes, figures; token writes and CSRF for session writes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from duban.core.actors import SystemActor
from duban.ledger.models import Problem
from duban.projects import services
from duban.projects.api import ProjectDetail, ProjectFiguresOut, ProjectPage, ProjectRecordPage
from duban.projects.models import Stage

pytestmark = pytest.mark.django_db
TESTER = SystemActor("测试")


def _post(c: Client, url: str, body: dict, **headers):
    return c.post(url, json.dumps(body), content_type="application/json", **headers)


def _patch(c: Client, url: str, body: dict):
    return c.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def lib(campaign, tree, users):
    def make(name, unit, **kw):
        return services.project_create(actor=TESTER, skip_checks=True, campaign=campaign,
                                       new=services.NewProject(name=name, unit=unit, **kw))

    return {
        "a": make("乙醇生产线", tree["town_a"], total_wan="25000", annual_plan_wan="8000", stage=Stage.SIGNED, department=tree["dept"],
                  planned_start=dt.date(2026, 3, 1), planned_finish=dt.date(2027, 12, 31)),
        "b": make("水厂改造", tree["town_b"], total_wan="900", industry="水利"),
    }


def test_a_liaison_sees_and_writes_only_its_projects(lib, users, client_for):
    a, b = client_for(users["liaison_a"]), client_for(users["liaison_b"])
    body = a.get("/api/projects").json()
    ProjectPage.model_validate(body)
    assert (body["count"], [p["name"] for p in body["items"]]) == (1, ["乙醇生产线"])
    assert b.get(f"/api/projects/{lib['a'].pk}").status_code == 404
    assert _patch(b, f"/api/projects/{lib['a'].pk}", {"name": "改名"}).status_code == 404
    assert _post(b, f"/api/projects/{lib['a'].pk}/records", {"progress": 10, "progress_note": "x"}).status_code == 404
    assert _post(b, f"/api/projects/{lib['a'].pk}/stage", {"stage": "started"}).status_code == 404
    # a liaison of the project's own unit sees it but does not edit it (an office does)
    r = _patch(a, f"/api/projects/{lib['a'].pk}", {"name": "改名"})
    assert r.status_code == 403 and "只能修改" in r.json()["detail"]
    assert _post(a, "/api/projects", {"name": "新项目", "unit": "平安镇"}).status_code == 403
    office = client_for(users["office"]).get("/api/projects?light=&industry=水利").json()
    assert [p["name"] for p in office["items"]] == ["水厂改造"]


def test_detail_and_the_department_owner(lib, users, client_for, tree):
    from duban.orgs.models import Role
    from tests.conftest import _user

    finance = client_for(_user("finance", tree["dept"], Role.LIAISON))
    r = finance.get(f"/api/projects/{lib['a'].pk}")
    assert r.status_code == 200
    d = ProjectDetail.model_validate(r.json())
    assert d.department.name == "区财政局" and [o.role for o in d.owners] == ["department"] and d.major and d.total_wan == 25000
    assert "start" in d.transitions and d.may.report and not d.may.edit  # the 责任部门 moves the stage


def test_office_creates_and_edits_with_versions(lib, users, client_for):
    office = client_for(users["office"])
    r = _post(office, "/api/projects", {"name": "物流园", "unit": "平安镇", "department": "区财政局", "total_wan": 3000.5,
                                        "stage": "negotiating", "sanzao": True, "planned_start": "2026-09-01"})
    assert r.status_code == 201, r.content
    d = r.json()
    assert (d["stage"], d["total_wan"], d["department"]["name"], d["sanzao"]) == ("negotiating", 3000.5, "区财政局", True)
    url = f"/api/projects/{d['id']}"
    r = _patch(office, url, {"total_wan": 3200, "version": d["version"]})
    assert r.status_code == 200 and r.json()["total_wan"] == 3200
    r = _patch(office, url, {"total_wan": 1, "version": d["version"]})
    assert r.status_code == 409
    assert _patch(office, url, {"name": None}).status_code == 422
    assert _patch(office, url, {"planned_finish": "2026-01-01"}).status_code == 422  # before the planned start
    assert _post(office, "/api/projects", {"name": "x", "unit": "平按镇"}).status_code == 422


def test_stage_moves_are_audited_and_versioned(lib, users, client_for):
    from duban.audit.models import AuditEvent

    office = client_for(users["office"])
    url = f"/api/projects/{lib['a'].pk}/stage"
    v = office.get(f"/api/projects/{lib['a'].pk}").json()["version"]
    r = _post(office, url, {"stage": "started", "date": "2026-03-05", "version": v})
    assert r.status_code == 200, r.content
    assert (r.json()["stage"], r.json()["started_on"]) == ("started", "2026-03-05")
    assert AuditEvent.objects.filter(verb="project.start").count() == 1
    assert _post(office, url, {"stage": "completed", "version": v}).status_code == 409  # stale
    assert _post(office, url, {"stage": "planning"}).status_code == 409  # back more than one stage
    assert _post(office, url, {"stage": "signed", "transition": "sign"}).status_code == 422
    r = _post(office, url, {"transition": "step_back", "reason": "手续未齐"})
    assert r.status_code == 200 and r.json()["stage"] == "signed"
    assert _post(client_for(users["liaison_a"]), url, {"transition": "step_back", "reason": "x"}).status_code == 403


def test_a_record_with_a_blocker_lands_in_the_ledger(lib, users, client_for, tree):
    a = client_for(users["liaison_a"])
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    r = _post(a, f"/api/projects/{lib['a'].pk}/records", {
        "progress": 30, "progress_note": "主体施工", "invested_wan": 1200.5,
        "blockers": [{"kind": "power", "description": "施工用电未接入", "unit": "区财政局", "deadline": deadline}]})
    assert r.status_code == 201, r.content
    rec = r.json()
    assert (rec["progress"], rec["invested_wan"], rec["done_year_wan"], len(rec["blockers"])) == (30, 1200.5, 1200.5, 1)
    problem = Problem.objects.get(project_blocker__project=lib["a"])
    assert (problem.unit, problem.deadline.isoformat()) == (tree["dept"], deadline) and "施工用电未接入" in problem.description
    page = a.get(f"/api/projects/{lib['a'].pk}/records").json()
    ProjectRecordPage.model_validate(page)
    assert page["count"] == 1 and page["items"][0]["year_rate"] == pytest.approx(1200.5 / 8000)
    d = a.get(f"/api/projects/{lib['a'].pk}").json()
    assert d["period"]["recorded"] and d["blockers"][0]["open"] and d["blockers"][0]["unit"] == "区财政局"
    r = _post(a, f"/api/projects/{lib['a'].pk}/blockers", {"kind": "land", "description": "用地指标", "unit_id": tree["dept"].pk,
                                                           "deadline": "2000-01-01"})
    assert r.status_code == 422
    r = _post(a, f"/api/projects/{lib['a'].pk}/blockers", {"kind": "land", "description": "用地指标", "unit_id": tree["dept"].pk,
                                                           "deadline": deadline})
    assert r.status_code == 201 and r.json()["status"] == "pending"


def test_nodes_and_figures(lib, users, client_for, campaign):
    services.nodes_set(actor=TESTER, skip_checks=True, project=lib["a"], nodes=[
        services.NewNode(title="立项", kind="approval", allowed_days=120, accepted_on=dt.date(2025, 1, 6), done_on=dt.date(2025, 2, 14)),
        services.NewNode(title="开工", kind="start", planned_on=dt.date(2026, 3, 1))])
    office = client_for(users["office"])
    nodes = office.get(f"/api/projects/{lib['a'].pk}/nodes").json()
    first = nodes["items"][0]
    assert nodes["count"] == 2 and first["taken_days"] == 25 and first["saved_days"] == 95  # 春节 falls in between
    fig = office.get(f"/api/projects/figures?campaign={campaign.pk}").json()
    ProjectFiguresOut.model_validate(fig)
    assert (fig["total"], fig["investment_total_wan"], fig["by_stage"]["signed"]) == (2, 25900.0, 1)
    assert {u["name"] for u in fig["by_unit"]} == {"平安镇", "洮河镇"}
    liaison = client_for(users["liaison_b"]).get("/api/projects/figures").json()
    assert liaison["total"] == 1


def test_a_token_writes_and_a_session_write_needs_its_csrf_token(lib, users):
    from duban.orgs.services import token_create

    url = f"/api/projects/{lib['a'].pk}/records"
    token = token_create(actor=TESTER, user=users["liaison_a"])
    r = _post(Client(enforce_csrf_checks=True), url, {"progress": 5, "progress_note": "令牌填报"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content
    session = Client(enforce_csrf_checks=True)
    session.force_login(users["liaison_a"])
    r = _post(session, url, {"progress": 6, "progress_note": "无令牌"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert session.get(f"/api/projects/{lib['a'].pk}").status_code == 200


def test_the_red_yellow_list_puts_red_first(lib, users, client_for, campaign):
    from duban.projects import queries
    from duban.projects.models import Project

    # the smaller project red, the larger yellow: by the light first, not by the word ("-light" sorted yellow first)
    Project.objects.filter(pk=lib["a"].pk).update(light="yellow")
    Project.objects.filter(pk=lib["b"].pk).update(light="red")
    assert [p.name for p in queries.red_yellow(users["office"], campaign)] == ["水厂改造", "乙醇生产线"]
    body = client_for(users["office"]).get("/api/projects?light=red_yellow").json()
    assert [p["light"] for p in body["items"]] == ["red", "yellow"]
