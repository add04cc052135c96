"""The 项目库 in and out: an office's file (title rows, merged cells, money as 万/亿 text,
dates as offices type them), all or nothing with row/column messages and an error report,
unknown units with the closest names, re-import with a diff preview where an absent column
changes nothing, stage moves on the workflow (audited), the export round trip, a hostile
file, the office only, the CLI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import python_calamine
import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.core.xlsx import ImportRejected
from duban.orgs.models import Assignment, OwnerRole
from duban.projects import io, queries
from duban.projects.models import Light, Pool, Project, ProjectEvent, Stage
from tests.xlsx_util import make_xlsx

pytestmark = pytest.mark.django_db
SYS = SystemActor("测试")
H = ["序号", "项目名称", "建设单位", "所属单位", "行业", "项目阶段", "总投资（万元）", "年度计划投资（万元）", "已完成投资（万元）",
     "是否三早", "包保领导", "责任部门", "项目秘书", "计划开工", "计划竣工"]


def office_file(path, *, bad: dict | None = None) -> None:
    """A 项目库 the way an office sends it: a merged title, a 填报 line, a two-row header
    with (万元) under 投资, a merged 所属单位 over two projects, money as typed, a note."""
    bad = bad or {}
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("项目库")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range("A1:R1", "洮北区2026年重点项目调度表")
    ws.write(1, 0, "填报单位：区发改局")
    ws.write_row(2, 0, H + ["项目库", "建设性质", "备注"])
    ws.merge_range("D4:D5", bad.get("unit", "平安镇"))
    ws.write_row(3, 0, [1, "乙醇生产线", "吉林某乙醇公司", None, "新材料", "开工", "2.5亿", 8000, "1,200", "是", "张三", "区财政局", "李四"])
    ws.write_datetime(3, 13, dt.datetime(2026, 3, 1), date)
    ws.write_row(3, 14, ["2027年12月31日", "招商引资项目库", "新建", "重点"])
    ws.write_row(4, 0, [2, "物流园", "", None, "物流", bad.get("stage", "签约"), bad.get("money", "3000万元"), 1000, 0, "否", "", "", "",
                        "2026.9.1", bad.get("finish", "2027/6/30"), "在谈跟进项目库", "续建", ""])
    ws.write_row(5, 0, [3, "水厂改造", "区水务公司", "洮河镇", "水利", "谋划", 900.5, 0, 0, "", "", "", "", "", "", "", "", ""])
    ws.write(7, 0, "注：金额单位为万元。")
    wb.close()


def _import(path, campaign, **kw):
    return io.projects_import(actor=SYS, skip_checks=True, source=path, campaign=campaign, **kw)


def _rejected(path, campaign, **kw) -> list[str]:
    before, audit, assigned = Project.objects.count(), AuditEvent.objects.count(), Assignment.objects.count()
    with pytest.raises(ImportRejected) as exc:
        _import(path, campaign, **kw)
    assert (Project.objects.count(), AuditEvent.objects.count(), Assignment.objects.count()) == (before, audit, assigned)
    return [str(e) for e in exc.value.errors]


def test_an_office_file_registers_its_projects(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    audit_before = AuditEvent.objects.count()
    plan = _import(tmp_path / "a.xlsx", campaign)
    assert plan.applied and [s.reason for s in plan.skipped] == ["标题行", "填报信息行", "注释行"]
    ps = {p.name: p for p in Project.objects.filter(campaign=campaign)}
    assert set(ps) == {"乙醇生产线", "物流园", "水厂改造"}
    a = ps["乙醇生产线"]
    assert (a.seq, a.unit, a.stage, a.total_wan, a.annual_plan_wan, a.done_total_wan, a.sanzao) == (
        "1", tree["town_a"], Stage.STARTED, Decimal("25000.00"), Decimal("8000.00"), Decimal("1200.00"), True)
    assert (a.planned_start, a.planned_finish, a.pool.name, a.kind, a.extra) == (dt.date(2026, 3, 1), dt.date(2027, 12, 31), "招商引资项目库", "new", {"备注": "重点"})
    assert a.is_major and a.region_id == tree["town_a"].region_id
    b = ps["物流园"]
    assert (b.unit, b.stage, b.total_wan, b.sanzao, b.kind, b.pool.name) == (tree["town_a"], Stage.SIGNED, Decimal("3000.00"), False, "continued", "在谈跟进项目库")
    assert ps["水厂改造"].total_wan == Decimal("900.50") and ps["水厂改造"].pool is None
    # 责任部门 is the lead assignment: the department sees and answers for the project
    dept = Assignment.objects.get(object_id=a.pk, role=OwnerRole.DEPARTMENT)
    assert dept.unit == tree["dept"]
    assert Pool.objects.filter(campaign=campaign).count() == 2
    # one audit row for the whole import, a timeline entry per project, lights derived
    assert AuditEvent.objects.count() == audit_before + 1 and AuditEvent.objects.latest("id").verb == "project.import"
    assert ProjectEvent.objects.filter(action="import").count() == 3
    assert b.light in (Light.YELLOW, Light.RED, Light.GREEN) and (b.light != Light.GREEN) == (dt.date(2026, 9, 1) <= dt.date.today())


def test_the_department_sees_its_project(campaign, tree, tmp_path, users):
    from duban.orgs.models import Role
    from tests.conftest import _user

    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    finance = _user("finance", tree["dept"], Role.LIAISON)
    assert list(queries.visible(finance, campaign).values_list("name", flat=True)) == ["乙醇生产线"]
    assert sorted(queries.visible(users["liaison_a"], campaign).values_list("name", flat=True)) == ["乙醇生产线", "物流园"]


def test_bad_rows_write_nothing_and_say_where(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx", bad={"unit": "平按镇", "stage": "动工", "money": "三千万", "finish": "2025-01-01"})
    errors = _rejected(tmp_path / "a.xlsx", campaign)
    assert "第4行“所属单位”列：未知单位“平按镇”；最接近的单位：平安镇" in errors
    assert any(e.startswith("第5行“项目阶段”列：未知的项目阶段“动工”") for e in errors)
    assert any(e.startswith("第5行“总投资（万元）”列：应为金额（万元），而不是“三千万”") for e in errors)
    rows = [int(e[1:e.index("行")]) for e in errors]
    assert rows == sorted(rows)


def test_validation_messages_name_the_column(campaign, tree, tmp_path):
    make_xlsx(tmp_path / "b.xlsx", H, [
        [1, "甲", "", "平安镇", "", "", 100, 10, 0, "", "", "", "", "2026-05-01", "2026-01-01"],
        [2, "乙", "", "外省某县", "", "", "1亿元", 10, 0, "可能", "", "", "", "", ""],
        [2, "", "", "平安镇", "", "", 1, 0, 0, "", "", "", "", "", ""],
    ])
    errors = _rejected(tmp_path / "b.xlsx", campaign)
    assert "第2行“计划竣工”列：计划竣工不能早于计划开工" in errors
    assert any(e.startswith("第3行“所属单位”列：未知单位“外省某县”") for e in errors)
    assert "第3行“是否三早”列：应填“是”或“否”，而不是“可能”" in errors
    assert "第4行“序号”列：与第3行的序号重复" in errors and "第4行“项目名称”列：不能为空" in errors


def test_a_unit_outside_the_campaign_is_named_so(campaign, tree, tmp_path):
    from duban.orgs.models import UnitKind
    from duban.orgs.services import unit_create

    unit_create(actor=SYS, name="白城市外县", kind=UnitKind.COUNTY)
    make_xlsx(tmp_path / "c.xlsx", H, [[1, "甲", "", "白城市外县", "", "", 1, 0, 0, "", "", "", "", "", ""]])
    assert _rejected(tmp_path / "c.xlsx", campaign) == ["第2行“所属单位”列：“白城市外县”不在本活动（洮北区）的范围内"]


def test_errors_report_and_cli_exit(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx", bad={"unit": "平按镇"})
    out = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_ledger", "projects", str(tmp_path / "a.xlsx"), "--campaign", str(campaign.pk), "--errors-out", str(out),
                     stdout=StringIO(), stderr=StringIO())
    rows = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["行", "列", "错误"] and rows[1][1] == "所属单位" and "平安镇" in rows[1][2]
    assert Project.objects.count() == 0


def test_reimport_previews_the_changed_cells_and_moves_the_stage_on_the_workflow(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    logistics = Project.objects.get(name="物流园")
    # the same list a week later: 物流园 started, its total corrected; only some columns sent
    make_xlsx(tmp_path / "b.xlsx", ["序号", "项目名称", "所属单位", "项目阶段", "总投资（万元）", "实际开工"], [
        [1, "乙醇生产线", "平安镇", "开工", 25000, ""],
        [2, "物流园", "平安镇", "开工", "3500万", "2026-01-05"],
        [3, "水厂改造", "洮河镇", "谋划", 900.5, ""],
    ])
    audit = AuditEvent.objects.count()
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0  # ids, not the count: PostgreSQL's sequences do not restart
    plan = _import(tmp_path / "b.xlsx", campaign)
    assert not plan.applied and plan.unchanged == 2 and AuditEvent.objects.count() == audit
    [c] = plan.changes
    assert (c.row, c.name, c.move) == (3, "物流园", "start")
    assert c.cells == {"项目阶段": ("签约", "开工"), "总投资（万元）": ("3000", "3500")}
    assert "将新建 0 个项目，更新 1 个（其中阶段变更 1 个）" in plan.summary()
    io.apply_plan(actor=SYS, plan=plan, skip_checks=True)
    logistics.refresh_from_db()
    assert (logistics.stage, logistics.started_on, logistics.total_wan) == (Stage.STARTED, dt.date(2026, 1, 5), Decimal("3500.00"))
    # absent columns changed nothing: the 行业, 三早 and 责任部门 stay
    assert (logistics.industry, logistics.pool.name) == ("物流", "在谈跟进项目库")
    assert Assignment.objects.filter(object_id=Project.objects.get(name="乙醇生产线").pk, role=OwnerRole.DEPARTMENT).exists()
    verbs = list(AuditEvent.objects.filter(id__gt=last).values_list("verb", flat=True))
    assert sorted(verbs) == ["project.import", "project.start"]  # the move audited by the workflow, one import row
    assert ProjectEvent.objects.filter(project=logistics, action="start", from_stage="signed", to_stage="started").exists()


def test_reimport_refuses_a_move_the_workflow_refuses(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    make_xlsx(tmp_path / "b.xlsx", ["序号", "项目名称", "所属单位", "项目阶段"], [
        [1, "乙醇生产线", "平安镇", "谋划"], [2, "物流园", "平安镇", "竣工投产"]])
    errors = _rejected(tmp_path / "b.xlsx", campaign)
    assert errors == ["第2行“项目阶段”列：不能从“开工”直接退回“谋划”：导入只能退回上一阶段",
                      "第3行“项目阶段”列：“签约”阶段的项目不能直接竣工投产（须先开工）"]


def test_matching_by_name_when_no_seq(campaign, tree, tmp_path):
    make_xlsx(tmp_path / "a.xlsx", ["项目名称", "所属单位", "总投资"], [["甲项目", "平安镇", 100], ["乙项目", "洮河镇", 200]])
    _import(tmp_path / "a.xlsx", campaign)
    make_xlsx(tmp_path / "b.xlsx", ["项目名称", "所属单位", "总投资"], [["甲项目", "平安镇", 150], ["丙项目", "洮河镇", 1]])
    plan = _import(tmp_path / "b.xlsx", campaign, apply=True)
    assert (len(plan.new), len(plan.changes), plan.unchanged) == (1, 1, 0)
    assert Project.objects.get(name="甲项目").total_wan == Decimal("150.00") and Project.objects.count() == 3


def test_export_round_trip(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    out = tmp_path / "out.xlsx"
    n = io.projects_export(out, Project.objects.filter(campaign=campaign))
    rows = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert n == 3 and rows[0][:len(io.HEADER)] == io.HEADER and rows[0][-1] == "备注"
    assert rows[1][:12] == ["1", "乙醇生产线", "吉林某乙醇公司", "平安镇", "新材料", "开工", 25000, 8000, 1200, "是", "张三", "区财政局"]
    plan = _import(out, campaign)  # the export read back changes nothing
    assert (len(plan.new), len(plan.changes), plan.unchanged) == (0, 0, 3)


def test_export_is_what_the_user_sees(campaign, tree, users, client_for, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    from django.urls import reverse

    res = client_for(users["liaison_b"]).get(reverse("projects:export") + f"?campaign={campaign.pk}")
    assert res.status_code == 200
    data = b"".join(res.streaming_content)
    rows = python_calamine.CalamineWorkbook.from_filelike(__import__("io").BytesIO(data)).get_sheet_by_index(0).to_python()
    assert [r[1] for r in rows[1:]] == ["水厂改造"]
    res = client_for(users["office"]).get(reverse("projects:export") + f"?campaign={campaign.pk}&stage=started")
    rows = python_calamine.CalamineWorkbook.from_filelike(__import__("io").BytesIO(b"".join(res.streaming_content))).get_sheet_by_index(0).to_python()
    assert [r[1] for r in rows[1:]] == ["乙醇生产线"]


def test_only_the_office_imports(campaign, tree, users, tmp_path):
    office_file(tmp_path / "a.xlsx")
    with pytest.raises(PermissionDenied):
        io.projects_import(actor=users["liaison_a"], source=tmp_path / "a.xlsx", campaign=campaign)
    plan = io.projects_import(actor=users["office"], source=tmp_path / "a.xlsx", campaign=campaign)
    assert plan.applied and Project.objects.count() == 3


def test_hostile_file_is_refused(campaign, tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    errors = _rejected(tmp_path / "x.xlsx", campaign)
    assert errors and errors[0].startswith("文件")
    make_xlsx(tmp_path / "y.xlsx", H, [[1, "甲\x00", "", "平安镇", "", "", "1e999", 0, 0, "", "", "", "", "", ""],
                                       [2, "乙" * 300, "", "平安镇", "", "", -5, 0, 0, "", "", "", "", "", ""]])
    errors = _rejected(tmp_path / "y.xlsx", campaign)
    assert any("“总投资（万元）”列" in e for e in errors if e.startswith("第2行"))
    assert "第3行“项目名称”列：超过 200 字" in errors
    assert any(e.startswith("第3行“总投资（万元）”列") for e in errors)


def test_money_forms():
    assert io.money_of("2.5亿") == Decimal("25000.00") and io.money_of("2.5亿元") == Decimal("25000.00")
    assert io.money_of("1,200万元") == Decimal("1200.00") and io.money_of(1200.456) == Decimal("1200.46") and io.money_of(None) == 0
    for bad in ("5000000元", "约3000", "-1", True):
        assert isinstance(io.money_of(bad), io._Bad)


def test_cli_import_and_export(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    out = StringIO()
    call_command("import_ledger", "projects", str(tmp_path / "a.xlsx"), "--campaign", str(campaign.pk), stdout=out)
    assert "导入完成：新建 3 个项目" in out.getvalue() and Project.objects.count() == 3
    out = StringIO()
    call_command("export_ledger", "projects", "--out", str(tmp_path / "e.xlsx"), "--campaign", str(campaign.pk), stdout=out)
    assert "已导出 3 行" in out.getvalue()


def test_upload_preview_confirm_pages(campaign, tree, users, client_for, tmp_path):
    from django.urls import reverse

    office_file(tmp_path / "a.xlsx")
    c = client_for(users["office"])
    with open(tmp_path / "a.xlsx", "rb") as fh:
        res = c.post(reverse("projects:import"), {"file": fh, "campaign": campaign.pk})
    assert res.status_code == 200 and "将新建 <strong>3</strong> 个项目" in res.content.decode() and Project.objects.count() == 0
    token = res.context["token"]
    res = c.post(reverse("projects:import_apply", args=[token]), {"campaign": campaign.pk})
    assert res.status_code == 302 and Project.objects.count() == 3
    office_file(tmp_path / "b.xlsx", bad={"unit": "平按镇"})
    with open(tmp_path / "b.xlsx", "rb") as fh:
        res = c.post(reverse("projects:import"), {"file": fh, "campaign": campaign.pk})
    assert "未导入任何数据" in res.content.decode()
    assert c.get(reverse("projects:import_errors", args=[res.context["token"]])).status_code == 200
    assert client_for(users["liaison_a"]).get(reverse("projects:import")).status_code == 403
