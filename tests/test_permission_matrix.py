"""The permission matrix: every route × every kind of person, with the answer each must get.

Generated from the URLconf (NetBox's view test cases are the model): a route that is not in
`MATRIX` fails `test_every_route_is_in_the_matrix`, so a new page or API call cannot ship
without someone deciding who may use it. The people, all around one problem and one
suggestion owned by 平安镇 (town A):

    office    the district's campaign office (推进办)        sees and runs everything
    leader    a district leader: reads everything, changes nothing
    owner     the liaison of 平安镇, the owning unit
    other     the liaison of 洮河镇, another town              → 404 on 平安镇's objects, never 403
    outsider  logged in, member of no unit
    anon      not logged in                                  → 302 to the login page (API: 401)

Besides the status, a response to `other` or `outsider` must never contain 平安镇's
private text (the problem's description, the suggestion's body, the evidence's name):
that catches lists, exports and search that leak rows while answering 200.

`DUBAN_MATRIX_RECORD=1 pytest tests/test_permission_matrix.py -k answers -s` prints the
answers as they are, in the table's own layout, when a route is added.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from duban.core.actors import SystemActor

ROLES = ("office", "leader", "owner", "other", "outsider", "anon")
SECRET_DESCRIPTION = "一村自来水管道漏水机密甲"
SECRET_BODY = "一村路灯损坏没人修机密乙"
SECRET_EVIDENCE = "机密丙现场照片.png"
SECRET_PLAN = "平安镇机密丁督办事项"
SECRET_PROJECT = "平安镇机密戊产业园项目"
SECRETS = (SECRET_DESCRIPTION, SECRET_BODY, SECRET_EVIDENCE, SECRET_PLAN, SECRET_PROJECT)


@dataclass
class Case:
    """One route: how to call it and the answer for each role (ROLES order)."""

    expect: str
    method: str = "GET"
    kwargs: Callable[[dict], dict] = field(default=lambda w: {})
    data: Callable[[dict], dict] | None = None
    json: bool = False  # send `data` as a JSON body (the API)
    query: str = ""
    htmx: bool = False
    public: bool = False  # reached with a tracking code: shows that submission to whoever holds it
    # who may change something (default: the roles with a 2xx/3xx answer to a non-GET call;
    # given where a redirect also answers a refusal); for everyone else nothing may change
    writes: str | None = None

    def answers(self) -> dict[str, set[int]]:
        parts = self.expect.split()
        assert len(parts) == len(ROLES), f"{self.expect!r}: one answer per role {ROLES}"
        return {role: {int(x) for x in part.split("|")} for role, part in zip(ROLES, parts, strict=True)}

    def writers(self) -> set[str]:
        if self.method == "GET":
            return set()
        if self.writes is not None:
            return set(self.writes.split())
        return {r for r, codes in self.answers().items() if any(c < 400 for c in codes) and not (r == "anon" and codes == {302})}


def p(w):
    return {"pk": w["problem"].pk}


def s(w):
    return {"pk": w["suggestion"].pk}


def api_p(w):
    return {"problem_id": w["problem"].pk}


def api_s(w):
    return {"suggestion_id": w["suggestion"].pk}


def api_t(w):
    return {"item_id": w["item"].pk}


def _png(name: str = "现场.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.ledger.demo import tiny_png

    return SimpleUploadedFile(name, tiny_png(), content_type="image/png")


def _xlsx(name: str, header: list[str], rows: list[list]):
    import tempfile
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.xlsx_util import make_xlsx

    with tempfile.TemporaryDirectory() as tmp:
        data = make_xlsx(Path(tmp) / "f.xlsx", header, rows).read_bytes()
    return SimpleUploadedFile(name, data)


def item(w):
    return {"pk": w["plan_item"].pk}


CADENCE_FORM = {"name": "每周工作进展", "kind": "routine", "rule": "weekly", "weekday": "4", "every_n": "5", "month_day": "25",
                "due_time": "17:00", "open_workdays": "4", "grace_hours": "48", "scope": "responsible", "active": "on"}


def _in_days(n: int) -> str:
    from django.utils import timezone

    return (timezone.localtime() + dt.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M")


def proj(w):
    return {"pk": w["project"].pk}


def api_proj(w):
    return {"project_id": w["project"].pk}


PROJECT_HEADER = ["序号", "项目名称", "建设单位", "所属单位", "行业", "项目阶段", "总投资（万元）", "年度计划投资（万元）", "已完成投资（万元）",
                  "是否三早", "包保领导", "责任部门", "项目秘书", "计划开工", "计划竣工"]


def _project_row(name: str, unit: str) -> list:
    return [9, name, "", unit, "化工", "谋划", 3000, 1000, 0, "否", "", "", "", "2030-03-01", "2031-06-30"]


def _projects_xlsx(w):
    return _xlsx("projects.xlsx", PROJECT_HEADER, [_project_row("新材料产业园", "平安镇")])


PROJECT_FORM = {"name": "新登记的项目", "unit": "平安镇", "kind": "new", "stage": "planning", "cadence": "weekly", "total_wan": "25000",
                "annual_plan_wan": "8000", "leader_name": "", "secretary_name": "", "department": "区财政局",
                "planned_start": "2030-03-01", "planned_finish": "2031-12-31"}
PROJECT_LIGHTS = {"start_yellow_months": "0", "start_red_months": "3", "behind_yellow": "10", "behind_red": "30", "statistics_months": "1",
                  "blocker_red_days": "10"}


def _today() -> str:
    return dt.date.today().isoformat()


def _later(days: int = 30) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


PLAN_FORM = {"title": "新的督办事项", "lead_unit": "一村", "co_units": "二村", "deadline": "2030-06-30", "frequency": "weekly", "weight": "1",
             "ms-TOTAL_FORMS": "1", "ms-INITIAL_FORMS": "0", "ms-MIN_NUM_FORMS": "0", "ms-MAX_NUM_FORMS": "60",
             "ms-0-title": "", "ms-0-due": "", "ms-0-unit": ""}


def _ledger_xlsx(w):
    header = ["序号", "问题描述", "聚焦领域", "问题来源", "责任单位", "责任人", "整改措施", "整改时限", "整改类型", "整改进展", "状态", "完成时间"]
    return _xlsx("台账.xlsx", header, [[900, "二村道路破损", "", "自查", "二村", "王五", "修路", "2030-03-31", "限期整改", "", "未整改", ""]])


PLAN_HEADER = ["序号", "方面", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限", "进展情况"]


def _plan_xlsx(w):
    return _xlsx("任务分工表.xlsx", PLAN_HEADER, [[1, "优化营商环境", "压缩审批时限", "一窗受理", "平安镇", "二村、洮河镇", "2030-03-31", ""]])


def _units_xlsx(w):
    return _xlsx("单位.xlsx", ["单位名称", "上级单位", "单位类型"], [["四村", "平安镇", "村"]])


def _suggestions_xlsx(w):
    return _xlsx("意见.xlsx", ["留言主题", "留言详情", "渠道", "提交时间"], [["路灯", "二村路灯坏了", "热线", "2026-11-01"]])


P_WRITE_FORM = {"description": "改过的描述", "unit": "一村", "deadline": "2030-06-30", "source": "self_check", "kind": "deadline"}

#                                                        office leader owner other outsider anon
MATRIX: dict[str, Case] = {
    # ------------------------------------------------------------------ shell
    "home": Case("200 200 200 200 200 302"),
    "healthz": Case("200 200 200 200 200 200"),
    "favicon": Case("301|302 301|302 301|302 301|302 301|302 301|302"),
    "login": Case("200 200 200 200 200 200"),
    "logout": Case("302 302 302 302 302 302", method="POST"),
    "set_language": Case("302 302 302 302 302 302", method="POST", data=lambda w: {"language": "en", "next": "/"}),
    "account:tokens": Case("200 200 200 200 200 302"),
    "account:token_revoke": Case("404 404 302 404 404 302", method="POST", kwargs=lambda w: {"pk": w["token"].pk}),
    # ------------------------------------------------------------------ notify: one's inbox; the units' channels
    "notify:inbox": Case("200 200 200 200 200 302"),
    "notify:inbox_read": Case("302 302 302 302 302 302", method="POST", data=lambda w: {"all": "1"}, writes="office leader owner other outsider"),
    "notify:channels": Case("200 200 200 200 200 302"),
    "notify:channel_edit": Case("200 200 200 404 404 302", kwargs=lambda w: {"unit_pk": w["tree"]["town_a"].pk}),
    # ------------------------------------------------------------------ orgs, campaigns, audit
    "orgs:unit_list": Case("302 302 302 302 403 302"),  # to the person's own unit
    "orgs:unit_import": Case("302|200 403 403 403 403 302", method="POST", data=lambda w: {"file": _units_xlsx(w)}),
    "orgs:unit_search": Case("200 200 200 200 200 302", query="?q=村"),
    "orgs:unit_detail": Case("200 200 200 404 404 302", kwargs=lambda w: {"pk": w["tree"]["town_a"].pk}),
    "campaigns:list": Case("200 200 200 200 200 302"),
    "campaigns:detail": Case("200 200 200 200 404 302", kwargs=lambda w: {"pk": w["campaign"].pk}),
    "audit:list": Case("200 403 403 403 403 302"),
    # ------------------------------------------------------------------ office settings: calendar, background work
    "office:calendar": Case("200 403 403 403 403 302"),
    "office:background": Case("200 403 403 403 403 302"),
    "office:schedule_edit": Case("302 403 403 403 403 302", method="POST", kwargs=lambda w: {"pk": w["schedule"].pk},
                                 data=lambda w: {"rule": "weekly", "weekday": "4", "at": "17:00", "enabled": "on"}),
    # ------------------------------------------------------------------ ledger
    "ledger:problem_list": Case("200 200 200 200 200 302", query="?q=一村"),
    "ledger:problem_export": Case("200 200 200 200 200 302"),
    "ledger:problem_create": Case("302 403 302 400 403 302", method="POST", data=lambda w: {**P_WRITE_FORM, "unit": "二村"}, writes="office owner"),
    "ledger:my_items": Case("200 200 200 200 200 302"),
    "ledger:summary": Case("200 200 200 200 200 302"),
    "ledger:problem_bulk": Case(
        "302 302 302 302 302 302", method="POST", writes="office",
        data=lambda w: {"action": "extend", "ids": [w["problem"].pk], "deadline": "2031-01-01", "reason": "雨季"},
    ),
    "ledger:problem_import": Case("200 403 403 403 403 302", method="POST", data=lambda w: {"file": _ledger_xlsx(w)}),
    "ledger:problem_import_apply": Case("302 403 403 403 403 302", writes="office", method="POST", kwargs=lambda w: {"token": w["import_token"]}),
    "ledger:problem_import_errors": Case("200 404 404 404 404 302", kwargs=lambda w: {"token": w["import_error_token"]}),
    "ledger:problem_detail": Case("200 200 200 404 404 302", kwargs=p),
    "ledger:problem_edit": Case("302 403 302 404 404 302", method="POST", kwargs=p, data=lambda w: {**P_WRITE_FORM, "version": w["problem"].version}),
    "ledger:problem_transition": Case("302 403 302 404 404 302", method="POST", kwargs=lambda w: {"pk": w["problem"].pk, "name": "claim"}),
    "ledger:problem_note": Case("302 403 302 404 404 302", method="POST", kwargs=p, data=lambda w: {"note": "已完成一半"}),
    "ledger:evidence_upload": Case("302 302 302 404 404 302", writes="office owner", method="POST", kwargs=p, data=lambda w: {"file": _png()}),
    "ledger:evidence_download": Case("200 200 200 404 404 302", kwargs=lambda w: {"pk": w["evidence"].pk}),
    # ------------------------------------------------------------------ plan: the 任务分工表 in and out
    "plan:import": Case("200 403 403 403 403 302", method="POST", data=lambda w: {"file": _plan_xlsx(w)}),
    "plan:import_apply": Case("302 403 403 403 403 302", writes="office", method="POST", kwargs=lambda w: {"token": w["plan_import_token"]}),
    "plan:import_errors": Case("200 404 404 404 404 302", kwargs=lambda w: {"token": w["plan_import_error_token"]}),
    "plan:export": Case("200 200 200 200 200 302"),
    # ------------------------------------------------------------------ plan (任务分工): the item is 平安镇's, led by it alone
    "plan:item_list": Case("200 200 200 200 200 302"),
    "plan:mine": Case("200 200 200 200 200 302"),
    "plan:leader": Case("200 200 200 200 200 302"),
    "plan:warnings": Case("200 200 200 200 200 302"),
    "plan:light_rule": Case("302 403 403 403 403 302", method="POST", data=lambda w: {"due_soon_days": "3", "behind_yellow": "15", "behind_red": "40"}),
    "plan:item_new": Case("302 403 403 403 403 302", method="POST", data=lambda w: PLAN_FORM),
    "plan:item": Case("200 200 200 404 404 302", kwargs=item),
    "plan:item_edit": Case("302 403 403 404 404 302", method="POST", kwargs=item,
                           data=lambda w: {**PLAN_FORM, "title": "改过的事项", "version": w["plan_item"].version}),
    "plan:item_transition": Case("302 403 302 404 404 302", method="POST", kwargs=lambda w: {"pk": w["plan_item"].pk, "name": "accept"}),
    "plan:item_report": Case("302 403 302 404 404 302", method="POST", kwargs=item, data=lambda w: {"note": "已完成一半"}),
    "plan:item_instruction": Case("302 403 403 404 404 302", method="POST", kwargs=item, data=lambda w: {"author": "李明", "text": "抓紧推进"}),
    "plan:milestone_done": Case("302 403 302 404 404 302", method="POST", kwargs=lambda w: {"pk": w["milestone"].pk}),
    "plan:evidence_download": Case("200 200 200 404 404 302", kwargs=lambda w: {"pk": w["plan_evidence"].pk}),
    # ------------------------------------------------------------------ intake
    "intake:inbox": Case("200 200 200 200 200 302", query="?q=路灯"),
    "intake:new": Case("302 403 302 302 403 302", method="POST", data=lambda w: {"channel": "hotline", "kind": "issue", "body": "三村的路灯坏了"}),
    "intake:import": Case("200|302 403 403 403 403 302", method="POST", data=lambda w: {"file": _suggestions_xlsx(w)}),
    "intake:export": Case("200 200 200 200 200 302"),
    "intake:channels": Case("200 200 200 200 200 302"),
    "intake:detail": Case("200 200 200 404 404 302", kwargs=s),
    "intake:reply": Case("302 403 302 404 404 302", method="POST", kwargs=s, data=lambda w: {"reply": "已安排维修，三日内修复。"}),
    "intake:close": Case("302 403 403 404 404 302", method="POST", kwargs=s, data=lambda w: {"note": "已办结"}),
    "intake:transition": Case("302 403 403 404 404 302", method="POST", kwargs=lambda w: {"pk": w["suggestion"].pk, "name": "close"}, data=lambda w: {"reason": "已办结"}),
    "intake:callback": Case("302 403 403 404 404 302", method="POST", kwargs=lambda w: {"pk": w["replied"].pk},
                            data=lambda w: {"result": "unsatisfied", "caller": "王干事", "note": "路灯仍不亮"}),
    "intake:to_problem": Case("302 403 403 404 404 302", method="POST", kwargs=s, data=lambda w: {"unit": str(w["tree"]["village_a1"].pk)}),
    "intake:join_problem": Case("302 403 403 404 404 302", method="POST", kwargs=s, data=lambda w: {"problem_id": w["problem"].pk}),
    "intake:photo": Case("200 200 200 404 404 302", kwargs=lambda w: {"pk": w["photo"].pk}),
    # ------------------------------------------------------------------ triage
    "triage:hot": Case("200 200 403 403 403 302"),
    "triage:hot_issue": Case("200 200 403 403 403 302", kwargs=lambda w: {"pk": w["hot_issue"].pk}),
    "triage:hot_run": Case("302 403 403 403 403 302", method="POST"),
    "triage:models": Case("200 200 403 403 403 302"),
    "triage:train": Case("302 403 403 403 403 302", method="POST", data=lambda w: {"target": "area"}),
    "triage:route": Case("302 403 403 404 404 302", method="POST", kwargs=s, data=lambda w: {"unit": w["tree"]["town_a"].pk}),
    "triage:reply_check": Case("200 200 200 404 404 302", method="POST", kwargs=s, data=lambda w: {"reply": "已安排维修"}),
    # ------------------------------------------------------------------ plan: battle map, backward schedule, baselines
    # (everyone sees the map of the items they see; the office edits links and freezes baselines)
    "plan:map": Case("200 200 200 200 200 302"),
    "plan:map_data": Case("200 200 200 200 200 302"),
    "plan:schedule": Case("200 200 200 200 200 302"),
    "plan:dependency_add": Case("302 403 403 403 403 302", method="POST", writes="office",
                                data=lambda w: {"campaign": w["campaign"].pk, "predecessor": "P1", "successor": "P2"}),
    "plan:dependency_remove": Case("302 403 403 403 403 302", method="POST", writes="office",
                                   data=lambda w: {"campaign": w["campaign"].pk, "predecessor": w["plan_item"].pk, "successor": w["plan_next"].pk}),
    "plan:baselines": Case("200 200 200 200 200 302"),
    "plan:baseline_freeze": Case("302 403 403 403 403 302", method="POST", data=lambda w: {"campaign": w["campaign"].pk, "name": "年初计划"}),
    # ------------------------------------------------------------------ rounds: 调度报送 (平安镇 and 一村 are asked, 洮河镇 is not)
    "rounds:index": Case("200 200 200 200 200 302"),
    "rounds:round_new": Case("302 403 403 403 404 302", method="POST", data=lambda w: {
        "name": "第51周工作进展", "kind": "routine", "scope": "responsible", "due_at": _in_days(5)}),
    "rounds:round": Case("200 200 200 404 404 302", kwargs=lambda w: {"pk": w["round"].pk}),
    "rounds:chase": Case("302 403 403 404 404 302", method="POST", kwargs=lambda w: {"pk": w["round"].pk}),
    "rounds:summary_xlsx": Case("200 200 403 404 404 302", kwargs=lambda w: {"pk": w["round"].pk}),
    "rounds:submission": Case("302 403 302 404 404 302", method="POST", kwargs=lambda w: {"pk": w["submission"].pk},
                              data=lambda w: {"action": "draft", f"task-{w['plan_item'].pk}-done": "窗口改造完成"}),
    "rounds:return": Case("302 403 403 404 404 302", method="POST", kwargs=lambda w: {"pk": w["submission"].pk},
                          data=lambda w: {"reason": "请补充"}, writes=""),
    "rounds:cadences": Case("200 200 403 403 404 302"),
    "rounds:cadence_new": Case("302 403 403 403 404 302", method="POST", data=lambda w: CADENCE_FORM),
    "rounds:cadence_edit": Case("302 403 403 403 404 302", method="POST", kwargs=lambda w: {"pk": w["cadence"].pk},
                                data=lambda w: {**CADENCE_FORM, "name": "每周进展"}),
    "rounds:cadence_toggle": Case("302 403 403 403 404 302", method="POST", kwargs=lambda w: {"pk": w["cadence"].pk}),
    "rounds:punctuality": Case("200 200 200 200 404 302"),
    # ------------------------------------------------------------------ projects (项目调度): the project is 平安镇's, the office registers
    "projects:import": Case("200 403 403 403 403 302", method="POST", data=lambda w: {"file": _projects_xlsx(w)}),
    "projects:import_apply": Case("302 403 403 403 403 302", writes="office", method="POST", kwargs=lambda w: {"token": w["project_import_token"]}),
    "projects:import_errors": Case("200 404 404 404 404 302", kwargs=lambda w: {"token": w["project_import_error_token"]}),
    "projects:export": Case("200 200 200 200 200 302"),
    "projects:list": Case("200 200 200 200 200 302"),
    "projects:warnings": Case("200 200 200 200 200 302"),
    "projects:board": Case("200 200 200 200 200 302"),
    "projects:mine": Case("200 200 200 200 200 302"),
    "projects:figures": Case("200 200 200 200 200 302"),
    "projects:light_rule": Case("302 403 403 403 403 302", method="POST", data=lambda w: PROJECT_LIGHTS),
    "projects:pools": Case("302 403 403 403 403 302", method="POST", data=lambda w: {"names": "招商引资项目库\n在谈跟进项目库"}),
    "projects:project_new": Case("302 403 403 403 403 302", method="POST", data=lambda w: PROJECT_FORM),
    "projects:project": Case("200 200 200 404 404 302", kwargs=proj),
    "projects:project_edit": Case("302 403 403 404 404 302", method="POST", kwargs=proj,
                                  data=lambda w: {**PROJECT_FORM, "name": "改过的项目", "version": w["project"].version}),
    "projects:project_delete": Case("302 403 403 404 404 302", method="POST", kwargs=proj),
    "projects:project_transition": Case("302 403 302 404 404 302", method="POST", kwargs=lambda w: {"pk": w["project"].pk, "name": "negotiate"}),
    "projects:project_move": Case("302 403 302 404 404 302", method="POST", kwargs=proj,
                                  data=lambda w: {"stage": "started", "date": _today(), "version": w["project"].version}),
    "projects:record": Case("302 403 302 404 404 302", method="POST", kwargs=proj, data=lambda w: {
        "progress": "10", "invested_wan": "100", "progress_note": "完成场地平整", "version": w["project"].version,
        "b-TOTAL_FORMS": "1", "b-INITIAL_FORMS": "0", "b-0-kind": "land", "b-0-description": "用地指标未落实", "b-0-unit": "区财政局",
        "b-0-deadline": _later()}),
    "projects:blocker_add": Case("302 403 302 404 404 302", method="POST", kwargs=proj,
                                 data=lambda w: {"blk-kind": "power", "blk-description": "缺一路专线供电", "blk-unit": "区财政局", "blk-deadline": _later()}),
    "projects:nodes": Case("200 403 403 404 404 302", kwargs=proj),
    "projects:file_upload": Case("302 403 302 404 404 302", method="POST", kwargs=proj, data=lambda w: {"file": _png()}),
    "projects:node_done": Case("302 403 302 404 404 302", method="POST", kwargs=lambda w: {"pk": w["project_node"].pk},
                               data=lambda w: {"done_on": _today()}),
    "projects:file_download": Case("200 200 200 404 404 302", kwargs=lambda w: {"pk": w["project_file"].pk}),
    # ------------------------------------------------------------------ public pages (no account)
    "public:submit": Case("200 200 200 200 200 200"),
    "public:lookup": Case("200 200 200 200 200 200"),
    "public:status": Case("200 200 200 200 200 200", kwargs=lambda w: {"code": w["code"]}, public=True),
    # ------------------------------------------------------------------ API
    "api:openapi-json": Case("200 200 200 200 200 200"),
    "api:openapi-view": Case("200 200 200 200 200 200"),
    "api:api-root": Case("404 404 404 404 404 404"),
    "api:unit_list": Case("200 200 200 200 200 401"),
    "api:create_unit": Case("201|200 403 403 404 404 401", method="POST", json=True,
                            data=lambda w: {"name": "五村", "parent_id": w["tree"]["town_a"].pk, "kind": "village"}),
    "api:unit_detail": Case("200 200 200 404 404 401", kwargs=lambda w: {"unit_id": w["tree"]["town_a"].pk}),
    "api:list_campaigns": Case("200 200 200 200 200 401"),
    "api:get_campaign": Case("200 200 200 200 404 401", kwargs=lambda w: {"campaign_id": w["campaign"].pk}),
    "api:stats": Case("200 200 200 200 200 401"),
    "api:list_problems": Case("200 200 200 200 200 401", query="?q=一村"),
    "api:create_problem": Case("201|200 403 201|200 404 404|422 401", method="POST", json=True, writes="office owner",
                               data=lambda w: {"campaign_id": w["campaign"].pk, "description": "新问题", "unit_id": w["tree"]["village_a2"].pk, "deadline": "2030-01-01"}),
    "api:problem_rates": Case("200 200 200 200 200 401"),
    "api:get_problem": Case("200 200 200 404 404 401", kwargs=api_p),
    "api:update_problem": Case("200 403 200 404 404 401", method="PATCH", json=True, kwargs=api_p, data=lambda w: {"owner": "赵六"}),
    "api:transition": Case("200 403 200 404 404 401", method="POST", json=True, kwargs=lambda w: {"problem_id": w["problem"].pk, "name": "claim"}, data=lambda w: {}),
    "api:add_note": Case("200|201 403 200|201 404 404 401", method="POST", json=True, kwargs=api_p, data=lambda w: {"note": "进展"}),
    "api:upload_evidence": Case("200|201 403 200|201 404 404 401", method="POST", kwargs=api_p, data=lambda w: {"file": _png()}),
    "api:download_evidence": Case("200 200 200 404 404 401", kwargs=lambda w: {"problem_id": w["problem"].pk, "evidence_id": w["evidence"].pk}),
    "api:list_suggestions": Case("200 200 200 200 200 401", query="?q=路灯"),
    "api:create_suggestion": Case("201|200 403 201|200 201|200 404 401", method="POST", json=True, data=lambda w: {"body": "三村垃圾没人清运", "channel": "hotline"}),
    "api:counts": Case("200 200 200 200 200 401"),
    "api:suggestion_figures": Case("200 200 200 200 200 401"),
    "api:import_suggestions": Case("200|201 403 403 403 404 401", method="POST", data=lambda w: {"file": _suggestions_xlsx(w)}),
    "api:get_suggestion": Case("200 200 200 404 404 401", kwargs=api_s),
    "api:route": Case("200 403 403 404 404 401", method="POST", json=True, kwargs=api_s, data=lambda w: {"unit_id": w["tree"]["town_a"].pk}),
    "api:reply": Case("200 403 200 404 404 401", method="POST", json=True, kwargs=api_s, data=lambda w: {"text": "已安排维修，三日内修复。"}),
    "api:close": Case("200 403 403 404 404 401", method="POST", json=True, kwargs=api_s, data=lambda w: {"note": "已办结"}),
    "api:suggestion_transition": Case("200 403 403 404 404 401", method="POST", json=True, kwargs=lambda w: {"suggestion_id": w["suggestion"].pk, "name": "close"},
                                      data=lambda w: {"reason": "已办结"}),
    "api:add_callback": Case("201 403 403 404 404 401", method="POST", json=True, kwargs=lambda w: {"suggestion_id": w["replied"].pk},
                             data=lambda w: {"result": "satisfied", "caller": "王干事"}),
    "api:to_problem": Case("200|201 403 403 404 404 401", method="POST", json=True, kwargs=api_s, writes="office owner",
                            data=lambda w: {"unit_id": w["tree"]["village_a1"].pk, "deadline": "2030-01-01"}),
    "api:join_problem": Case("200 403 403 404 404 401", method="POST", json=True, kwargs=api_s, data=lambda w: {"problem_id": w["problem"].pk}),
    "api:public_submit": Case("201|200 201|200 201|200 201|200 201|200 201|200", method="POST", json=True, data=lambda w: {"body": "三村的桥坏了，请尽快修理。"}),
    "api:public_status": Case("200 200 200 200 200 200", kwargs=lambda w: {"code": w["code"]}, public=True),
    "api:public_rate": Case("200 200 200 200 200 200", method="POST", json=True, kwargs=lambda w: {"code": w["replied_code"]}, data=lambda w: {"rating": "satisfied"}),
    "api:public_units": Case("200 200 200 200 200 200"),
    "api:predictions": Case("200 200 403 404 404 401", kwargs=api_s),
    "api:classify": Case("200 200 200 200 404 401", method="POST", json=True, data=lambda w: {"texts": ["路灯坏了"], "target": "area"}),
    "api:list_models": Case("200 200 403 403 404 401"),
    "api:train": Case("200|201|422 403 403 403 404 401", method="POST", json=True, data=lambda w: {"target": "area"}),
    "api:hot_latest": Case("200 200 403 403 403 401"),
    "api:hot_run_now": Case("200|201 403 403 403 403 401", method="POST", json=True, data=lambda w: {}),
    "api:hot_run": Case("200 200 403 403 403 401", kwargs=lambda w: {"run_id": w["hot_run"].pk}),
    "api:reply_check": Case("200 200 200 404 404 401", method="POST", json=True, data=lambda w: {"suggestion_id": w["suggestion"].pk, "text": "已安排维修"}),
    # the plan (任务分工): the item is led by 一村 (town A's), the office builds the plan
    "api:list_tasks": Case("200 200 200 200 200 401", query="?q=道路"),
    "api:task_overview": Case("200 200 200 200 200 401"),
    "api:get_task": Case("200 200 200 404 404 401", kwargs=api_t),
    "api:create_task": Case("201 403 403 403 404 401", method="POST", json=True,
                            data=lambda w: {"campaign_id": w["campaign"].pk, "parent_id": w["aspect"].pk, "title": "新增事项",
                                            "lead_unit_id": w["tree"]["village_a2"].pk, "deadline": "2030-01-01"}),
    "api:update_task": Case("200 403 403 404 404 401", method="PATCH", json=True, kwargs=api_t, data=lambda w: {"title": "改过的事项"}),
    "api:task_transition": Case("200 403 200 404 404 401", method="POST", json=True, kwargs=api_t, data=lambda w: {"name": "accept"}),
    "api:task_report": Case("201 403 201 404 404 401", method="POST", json=True, kwargs=api_t, data=lambda w: {"note": "进展", "progress": 30}),
    "api:task_instruction": Case("201 403 403 404 404 401", method="POST", json=True, kwargs=api_t,
                                 data=lambda w: {"author": "张区长", "text": "抓紧推进"}),
    "api:task_evidence": Case("201 403 201 404 404 401", method="POST", kwargs=api_t, data=lambda w: {"file": _png()}),
    # projects (项目调度): the project is 平安镇's
    "api:list_projects": Case("200 200 200 200 200 401"),
    "api:project_figures": Case("200 200 200 200 200 401"),
    "api:get_project": Case("200 200 200 404 404 401", kwargs=api_proj),
    # another town may not name 平安镇 as the owning unit (422 on the field); an outsider has no campaign (404)
    "api:create_project": Case("201 403 403 422 404 401", method="POST", json=True,
                               data=lambda w: {"campaign_id": w["campaign"].pk, "name": "物流园", "unit": "平安镇", "total_wan": 3000}),
    "api:update_project": Case("200 403 403 404 404 401", method="PATCH", json=True, kwargs=api_proj, data=lambda w: {"name": "改过的项目"}),
    "api:project_stage": Case("200 403 200 404 404 401", method="POST", json=True, kwargs=api_proj, data=lambda w: {"stage": "negotiating"}),
    "api:list_records": Case("200 200 200 404 404 401", kwargs=api_proj),
    "api:create_record": Case("201 403 201 404 404 401", method="POST", json=True, kwargs=api_proj,
                              data=lambda w: {"progress": 10, "progress_note": "完成场地平整", "invested_wan": 100}),
    "api:list_nodes": Case("200 200 200 404 404 401", kwargs=api_proj),
    "api:create_blocker": Case("201 403 201 404 404 401", method="POST", json=True, kwargs=api_proj,
                               data=lambda w: {"kind": "land", "description": "用地指标未落实", "unit": "区财政局", "deadline": _later()}),
    # report rounds (调度报送): 平安镇 and 一村 are asked, 洮河镇 is not
    "api:list_rounds": Case("200 200 200 200 200 401"),
    "api:open_round": Case("201 403 403 403 404 401", method="POST", json=True,
                           data=lambda w: {"campaign_id": w["campaign"].pk, "name": "第51周工作进展", "due_at": _later(5) + "T17:00:00"}),
    "api:punctuality": Case("200 200 200 200 200 401"),
    "api:get_round": Case("200 200 200 404 404 401", kwargs=lambda w: {"round_id": w["round"].pk}),
    "api:remind": Case("200 403 403 404 404 401", method="POST", json=True, kwargs=lambda w: {"round_id": w["round"].pk}, data=lambda w: {}),
    "api:list_submissions": Case("200 200 200 404 404 401", kwargs=lambda w: {"round_id": w["round"].pk}),
    "api:submit": Case("200 403 200 404 404 401", method="POST", json=True, kwargs=lambda w: {"round_id": w["round"].pk},
                       data=lambda w: {"unit_id": w["tree"]["town_a"].pk, "submit": False, "lines": [
                           {"kind": "task", "object_id": w["plan_item"].pk, "done": "窗口改造完成"}]}),
    "api:attach_file": Case("201 403 201 404 404 401", method="POST", kwargs=lambda w: {"round_id": w["round"].pk, "unit_id": w["tree"]["town_a"].pk},
                            data=lambda w: {"kind": "task", "object_id": w["plan_item"].pk, "file": _png()}),
    "api:get_submission": Case("200 200 200 404 404 401", kwargs=lambda w: {"round_id": w["round"].pk, "unit_id": w["tree"]["town_a"].pk}),
    "api:return_submission": Case("409 403 403 404 404 401", method="POST", json=True,
                                  kwargs=lambda w: {"round_id": w["round"].pk, "unit_id": w["tree"]["town_a"].pk}, data=lambda w: {"reason": "请补充"}),
}

# Django's admin: its own staff rule (only superusers here), checked once on every page.
ADMIN_PREFIX = "admin:"


def route_names() -> list[str]:
    """Every named route of the URLconf, namespaced ("ledger:problem_detail")."""
    names: list[str] = []

    def walk(resolver, ns: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, ":".join(x for x in (ns, entry.namespace) if x) or None)
            elif isinstance(entry, URLPattern) and entry.name:
                names.append(f"{ns}:{entry.name}" if ns else entry.name)

    walk(get_resolver(), None)
    return names


def test_every_route_is_in_the_matrix():
    missing = sorted({n for n in route_names() if not n.startswith(ADMIN_PREFIX)} - set(MATRIX))
    assert not missing, f"routes without an entry in tests/test_permission_matrix.py MATRIX: {missing}"
    stale = sorted(set(MATRIX) - set(route_names()))
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"


def build_world(tmp_path) -> dict:
    """The objects every route is called on, owned by 平安镇 (town A)."""
    from django.test import Client

    from duban.intake import services as intake
    from duban.intake.models import Photo
    from duban.ledger import services as ledger
    from duban.ledger.demo import tiny_png
    from duban.orgs import services as orgs
    from duban.orgs.models import ApiToken
    from duban.plan import services as plan
    from duban.projects import services as projects
    from duban.triage import services as triage
    from duban.triage.models import HotIssue
    from tests.conftest import build_campaign, build_tree, build_users
    from tests.xlsx_util import make_xlsx

    tree = build_tree()
    users = build_users(tree)
    campaign = build_campaign(tree)
    problem = ledger.problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description=SECRET_DESCRIPTION, unit=tree["village_a1"],
                                    deadline=dt.date(2030, 1, 1))
    evidence = ledger.problem_add_evidence(actor=SystemActor("测试"), skip_checks=True, problem=problem, name=SECRET_EVIDENCE, data=tiny_png())
    suggestion = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body=SECRET_BODY, contact_phone="13812345678",
                                          photos=[_png()])
    suggestion = intake.suggestion_route(actor=SystemActor("测试"), skip_checks=True, suggestion=suggestion, unit=tree["town_a"])
    photo = Photo.objects.get(suggestion=suggestion)
    replied = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="二村的井盖丢了。")
    replied = intake.suggestion_route(actor=SystemActor("测试"), skip_checks=True, suggestion=replied, unit=tree["town_a"])
    replied = intake.suggestion_reply(actor=users["office"], suggestion=replied, text="已补装井盖。")
    orgs.token_create(actor=SystemActor("测试"), user=users["liaison_a"], label="脚本")
    token = ApiToken.objects.get(user=users["liaison_a"])
    hot_run = triage.hot_from_suggestions(actor=SystemActor("测试"), skip_checks=True, campaign=campaign)
    hot_issue = hot_run.issues.order_by("rank").first() or HotIssue.objects.create(
        run=hot_run, rank=1, title="二村井盖丢失", size=2,
        messages=[{"id": "m1", "suggestion_id": suggestion.pk, "title": "井盖丢了", "time": "2026-01-05 10:00", "user": "", "likes": 0, "excerpt": ""}])
    from duban.core.schedules import schedule_register

    schedule = schedule_register(key="matrix-ping", task_path="duban.core.tasks.ping", rule="daily", at=dt.time(10, 0))
    # the plan: one item of 平安镇's (a village shares it) under an aspect, a node, evidence, a
    # successor and a baseline — every plan route (pages, map, API) is called on these
    aspect = plan.item_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, new=plan.NewItem(title="优化营商环境", lead_unit=tree["root"]))
    plan_item = plan.item_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, new=plan.NewItem(
        title=SECRET_PLAN, lead_unit=tree["town_a"], co_units=[tree["village_a1"]], parent=aspect, seq="P1",
        deadline=dt.date(2030, 6, 30), duration_days=20))
    plan_next = plan.item_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, new=plan.NewItem(
        title="平安镇后续事项", lead_unit=tree["town_a"], parent=aspect, seq="P2", deadline=dt.date(2030, 9, 30)))
    plan.dependency_add(actor=SystemActor("测试"), skip_checks=True, predecessor=plan_item, successor=plan_next)
    plan.baseline_freeze(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, name="基线")
    item = plan_item
    milestone = plan.milestones_set(actor=SystemActor("测试"), skip_checks=True, item=plan_item,
                                    milestones=[("方案制定", dt.date(2029, 6, 30), tree["town_a"])])[0]
    plan_evidence = plan.evidence_add(actor=SystemActor("测试"), skip_checks=True, item=plan_item, name=SECRET_EVIDENCE, data=tiny_png())
    # the projects: one of 平安镇's (责任部门 区财政局) with a node and a photo
    project = projects.project_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, new=projects.NewProject(
        name=SECRET_PROJECT, unit=tree["town_a"], department=tree["dept"], total_wan="12000", planned_start=dt.date(2030, 3, 1)))
    project_node = projects.nodes_set(actor=SystemActor("测试"), skip_checks=True, project=project,
                                      nodes=[projects.NewNode(title="环评", unit=tree["town_a"], planned_on=dt.date(2030, 1, 31))])[0]
    project_file = projects.file_add(actor=SystemActor("测试"), skip_checks=True, project=project, name=SECRET_EVIDENCE, data=tiny_png())
    project.refresh_from_db()
    texts = [f"{w}的问题，请尽快处理" for w in ("路灯不亮", "道路坑洼", "马路积水", "学校收费", "幼儿园入学", "教师补课")] * 3
    labels = ["交通运输"] * 3 + ["教育文体"] * 3
    triage.train_model(actor=SystemActor("测试"), skip_checks=True, texts=texts, labels=labels * 3, target="area", campaign=campaign,
                       path=tmp_path / "area.model", cv=0)

    # a report round (平安镇 and 一村 answer for the plan item and the problem) and a cadence
    from django.utils import timezone

    from duban.rounds import services as rounds
    from duban.rounds.models import Submission

    rnd = rounds.round_open(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, name="第50周工作进展",
                            due_at=timezone.now() + dt.timedelta(days=3))
    submission = Submission.objects.get(round=rnd, unit=tree["town_a"])
    cadence = rounds.cadence_save(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, name="每周工作进展", kind="routine",
                                  rule="weekly", due_time=dt.time(17, 0))
    # an import preview (and a refused one) of the office, held in the office's session
    office = Client()
    office.force_login(users["office"])
    good = make_xlsx(tmp_path / "good.xlsx", ["序号", "问题描述", "责任单位", "整改时限"], [[901, "二村水渠淤塞", "二村", "2030-03-31"]])
    bad = make_xlsx(tmp_path / "bad.xlsx", ["序号", "问题描述", "责任单位", "整改时限"], [[902, "二村水渠淤塞", "不存在的村", "2030-03-31"]])
    tokens = {}
    for key, path in (("import_token", good), ("import_error_token", bad)):
        with open(path, "rb") as fh:
            office.post(reverse("ledger:problem_import"), {"file": fh, "campaign": campaign.pk})
        tokens[key] = office.session["ledger_imports"][-1]
    plan_good = make_xlsx(tmp_path / "plan-good.xlsx", PLAN_HEADER, [[1, "优化营商环境", "压缩审批时限", "一窗受理", "平安镇", "二村", "2030-03-31", ""]])
    plan_bad = make_xlsx(tmp_path / "plan-bad.xlsx", PLAN_HEADER, [[1, "优化营商环境", "压缩审批时限", "一窗受理", "不存在的镇", "", "2030-03-31", ""]])
    for key, path in (("plan_import_token", plan_good), ("plan_import_error_token", plan_bad)):
        with open(path, "rb") as fh:
            office.post(reverse("plan:import"), {"file": fh, "campaign": campaign.pk})
        tokens[key] = office.session["plan_imports"][-1]
    for key, name, unit in (("project_import_token", "新材料产业园", "平安镇"), ("project_import_error_token", "新材料产业园", "不存在的镇")):
        path = make_xlsx(tmp_path / f"{key}.xlsx", PROJECT_HEADER, [_project_row(name, unit)])
        with open(path, "rb") as fh:
            office.post(reverse("projects:import"), {"file": fh, "campaign": campaign.pk})
        tokens[key] = office.session["project_imports"][-1]
    return {
        "tree": tree, "users": users, "campaign": campaign, "problem": problem, "evidence": evidence, "plan_imports": list(office.session["plan_imports"]),
        "suggestion": suggestion, "photo": photo, "code": suggestion.tracking_code, "token": token,
        "aspect": aspect, "item": item, "replied": replied, "replied_code": replied.tracking_code, "hot_run": hot_run, "hot_issue": hot_issue, "plan_item": plan_item, "milestone": milestone, "plan_evidence": plan_evidence, "plan_next": plan_next, "schedule": schedule, "round": rnd, "submission": submission, "cadence": cadence, "imports": list(office.session["ledger_imports"]), **tokens,
        "project": project, "project_node": project_node, "project_file": project_file, "project_imports": list(office.session["project_imports"]),
    }


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per module in a transaction rolled back at the end (540 calls would
    otherwise build it 540 times); each test runs in a savepoint of it (the `db` fixture)."""
    from django.db import transaction
    from django.test.utils import override_settings

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                yield build_world(tmp_path_factory.mktemp("matrix"))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(_world, db):
    for obj in ("problem", "suggestion", "item", "plan_item", "project"):
        _world[obj].refresh_from_db()
    return _world


def _client(role: str, w: dict):
    from django.test import Client

    c = Client()
    if role == "office":
        c.force_login(w["users"]["office"])
        session = c.session
        session["ledger_imports"] = w["imports"]  # the import previews are the office's own
        session["plan_imports"] = w["plan_imports"]
        session["project_imports"] = w["project_imports"]
        session.save()
        return c
    user = {"leader": "leader", "owner": "liaison_a", "other": "liaison_b", "outsider": "outsider"}.get(role)
    if user:
        c.force_login(w["users"][user])
    return c


def call(role: str, name: str, case: Case, w: dict):
    url = reverse(name, kwargs=case.kwargs(w)) + case.query
    c = _client(role, w)
    headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
    method = case.method.lower()
    data = case.data(w) if case.data else {}
    if method == "get":
        return c.get(url, **headers)
    if case.json:
        return getattr(c, method)(url, data=json.dumps(data), content_type="application/json", **headers)
    if method == "post":
        return c.post(url, data=data, **headers)
    return getattr(c, method)(url, data=data, **headers)


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_answers(name, role, world):
    case = MATRIX[name]
    before = snapshot(world)
    r = call(role, name, case, world)
    if os.environ.get("DUBAN_MATRIX_RECORD") == "1":
        with open(os.environ.get("DUBAN_MATRIX_OUT", "/tmp/matrix.txt"), "a") as fh:
            fh.write(f"{name} {role} {r.status_code}\n")
        return
    expected = case.answers()[role]
    assert r.status_code in expected, (
        f"{case.method} {name} as {role}: {r.status_code}, expected {'|'.join(map(str, sorted(expected)))}"
        f" — {r.content[:300].decode(errors='replace')}"
    )
    if role == "anon" and r.status_code == 302 and case.expect.split()[-1] == "302" and name not in ("logout", "set_language", "favicon"):
        assert r["Location"].startswith(reverse("login")), r["Location"]
    if role not in case.writers():
        assert snapshot(world) == before, f"{case.method} {name} as {role} answered {r.status_code} but changed data"
    if role in ("other", "outsider") and r.status_code == 200 and not case.public:
        body = b"".join(r.streaming_content) if r.streaming else r.content
        text = _readable(body)
        leaked = [x for x in SECRETS if x in text]
        assert not leaked, f"{name} as {role} shows town A's private data: {leaked}"


def snapshot(w: dict) -> dict:
    """What a refused call must leave as it was: row counts and the two objects' fields."""
    from django.apps import apps

    from duban.intake.models import Suggestion
    from duban.ledger.models import Problem
    from duban.orgs.models import ApiToken
    from duban.plan.models import PlanItem
    from duban.projects.models import Project
    from duban.rounds.models import Cadence, Submission

    counts = {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in (
        "core", "orgs", "campaigns", "ledger", "intake", "triage", "notify", "plan", "projects", "rounds")
        and m._meta.label not in ("orgs.ApiToken", "core.CacheEntry")}  # reads may fill the figures cache
    counts["active tokens"] = ApiToken.objects.filter(revoked=False).count()
    rows = {
        "problem": Problem.objects.filter(pk=w["problem"].pk).values().first(),
        "suggestion": Suggestion.objects.filter(pk=w["suggestion"].pk).values().first(),
        "item": PlanItem.objects.filter(pk=w["item"].pk).values().first(),
        "plan_item": PlanItem.objects.filter(pk=w["plan_item"].pk).values().first(),
        "submission": Submission.objects.filter(pk=w["submission"].pk).values().first(),
        "cadence": Cadence.objects.filter(pk=w["cadence"].pk).values().first(),
        "project": Project.objects.filter(pk=w["project"].pk).values().first(),
    }
    return {"counts": counts, **rows}


def _readable(body: bytes) -> str:
    """The text of a response: xlsx exports are unpacked so their cells are searched too."""
    if body[:2] == b"PK":
        import python_calamine

        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0)
        return "\n".join(str(c) for row in sheet.to_python() for c in row)
    return body.decode(errors="replace")


@pytest.mark.parametrize("role", ROLES[1:])
def test_admin_is_for_superusers_only(role, world):
    """Every page of Django's admin sends a non-superuser to the admin login (or refuses)."""
    names = [n for n in route_names() if n.startswith(ADMIN_PREFIX) and n not in ("admin:login", "admin:logout", "admin:jsi18n")]
    c = _client(role, world)
    for name in names:
        try:
            url = reverse(name)
        except Exception:  # noqa: BLE001 - admin routes with arguments: try one object
            try:
                url = reverse(name, kwargs={"object_id": "1"})
            except Exception:  # noqa: BLE001
                continue
        r = c.get(url)
        assert r.status_code in (302, 403, 404), f"{name} as {role}: {r.status_code}"
        if r.status_code == 302:
            assert "/admin/login/" in r["Location"] or reverse("login") in r["Location"], r["Location"]
