"""The 任务分工表 in and out: a real-looking file (title rows, merged cells, several units in
one cell, dates as offices type them), all or nothing with row/column messages, re-import
with a diff preview where an absent column changes nothing, the office only, the CLI."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import python_calamine
import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.core.xlsx import ImportRejected
from duban.orgs.models import Assignment
from duban.plan import io, queries
from duban.plan.models import Frequency, ItemEvent, Level, Light, PlanItem
from tests.xlsx_util import make_xlsx

pytestmark = pytest.mark.django_db
SYS = SystemActor("测试")
H = ["序号", "方面", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限", "进展情况"]


def office_file(path, *, bad_unit: str | None = None) -> None:
    """A 任务分工表 the way an office sends it: a merged title, a 填报 line, merged 方面 and
    重点任务 cells over their measures, a section row, Excel dates and typed dates, a note."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("任务分工")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range("A1:I1", "洮北区解放思想大讨论活动任务分工表")
    ws.write(1, 0, "填报单位：区推进办")
    ws.write(1, 4, "填报时间：2022年1月5日")
    ws.write_row(2, 0, H + ["备注"])
    # 方面 一 over rows 4–7, its first task over rows 4–5
    ws.merge_range("B4:B7", "优化营商环境")
    ws.merge_range("C4:C5", "压缩审批时限")
    ws.write_row(3, 0, [1, None, None, "推行一窗受理", "区财政局", "平安镇、洮河镇，二村,一村"])
    ws.write_datetime(3, 6, dt.datetime(2022, 3, 31), date)
    ws.write_row(3, 7, ["已完成窗口改造", "重点"])
    ws.write_row(4, 0, [2, None, None, "推行容缺办理", bad_unit or "平安镇", "区财政局", "2022年6月30日", ""])
    ws.write_row(5, 0, [3, None, "清理涉企收费", "", "区财政局", "", "2022年6月底前", "正在清理"])
    ws.write_row(6, 0, [4, None, "建立企业诉求台账", "", "洮河镇", "三村", "长期坚持", ""])
    # a section row typed across the table
    ws.merge_range("A8:I8", "二、破解民生难题")
    ws.write_row(8, 0, [5, None, "改造老旧小区", "更换供暖管网", "一村", "", "2022.10.31", ""])
    ws.write_row(9, 0, [6, None, None, "加装电梯", "二村", "一村", "2022/12/31", ""])
    ws.write(11, 0, "注：责任单位有多个的，用顿号分隔。")
    wb.close()


def _import(path, campaign, **kw):
    return io.tasks_import(actor=SYS, skip_checks=True, source=path, campaign=campaign, **kw)


def _rejected(path, campaign) -> list[str]:
    before, audit = PlanItem.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as exc:
        _import(path, campaign)
    assert PlanItem.objects.count() == before and AuditEvent.objects.count() == audit
    return [str(e) for e in exc.value.errors]


def test_a_real_looking_file_builds_the_three_levels(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    plan = _import(tmp_path / "a.xlsx", campaign)
    assert plan.applied and [s.reason for s in plan.skipped] == ["标题行", "填报信息行", "注释行"]
    items = {i.title: i for i in PlanItem.objects.filter(campaign=campaign)}
    assert len(items) == 2 + 4 + 4  # 2 aspects, 4 tasks, 4 measures
    aspect, task = items["优化营商环境"], items["压缩审批时限"]
    assert (aspect.level, aspect.parent, aspect.lead_unit) == (Level.ASPECT, None, tree["root"])  # a heading: the office leads it
    assert (task.level, task.parent, task.progress_from_children) == (Level.TASK, aspect, True)
    one = items["推行一窗受理"]
    assert (one.level, one.parent, one.seq, one.lead_unit) == (Level.MEASURE, task, "1", tree["dept"])
    assert one.deadline == dt.date(2022, 3, 31) and one.progress_note == "已完成窗口改造" and one.extra == {"备注": "重点"}
    co = list(Assignment.objects.filter(object_id=one.pk, role="co").order_by("position").values_list("unit__name", flat=True))
    assert co == ["平安镇", "洮河镇", "二村", "一村"]  # 、，, all split, in the file's order
    assert items["推行容缺办理"].deadline == dt.date(2022, 6, 30) and items["推行容缺办理"].parent == task
    assert items["清理涉企收费"].deadline == dt.date(2022, 6, 30) and items["清理涉企收费"].level == Level.TASK
    assert items["建立企业诉求台账"].deadline is None  # 长期坚持
    second = items["破解民生难题"]
    assert (second.level, second.seq) == (Level.ASPECT, "二")
    assert items["改造老旧小区"].parent == second and items["加装电梯"].parent == items["改造老旧小区"]
    assert items["加装电梯"].deadline == dt.date(2022, 12, 31) and items["更换供暖管网"].deadline == dt.date(2022, 10, 31)
    assert AuditEvent.objects.filter(verb="plan.import").count() == 1
    assert not AuditEvent.objects.filter(verb="planitem.create").exists()  # one audit row for the whole import
    # derived columns refreshed once the rows are in: overdue and open is red
    assert PlanItem.objects.get(pk=one.pk).light == Light.RED
    assert items["推行一窗受理"].position < items["推行容缺办理"].position  # the file's order
    # the liaison of 洮河镇 sees the items its town leads or shares
    assert queries.visible(_liaison(tree, "town_b"), campaign).filter(title="推行一窗受理").exists()


def _liaison(tree, town):
    from django.contrib.auth import get_user_model

    from duban.orgs.models import Role
    from duban.orgs.services import membership_set

    user = get_user_model().objects.create_user(username=f"l-{town}")
    membership_set(actor=SYS, user=user, unit=tree[town], role=Role.LIAISON)
    return user


@pytest.mark.parametrize("case, needle", [
    ("unknown_unit", "第5行“牵头单位”列：未知单位“平安真”；最接近的单位：平安镇"),
    ("unknown_co_unit", "第2行“责任单位”列：未知单位“财政局局”；最接近的单位：区财政局"),
    ("missing_lead", "缺少必需的列“牵头单位”"),
    ("no_titles", "缺少列“重点任务”"),
    ("blank_lead", "第2行“牵头单位”列：不能为空"),
    ("bad_date", "第2行“完成时限”列：无法识别的日期“下个月吧”"),
    ("duplicate_seq", "第3行“序号”列：序号 1 与第2行重复"),
    ("duplicate_title", "第3行“具体措施”列：“一窗受理”与第2行重复"),
    ("bad_frequency", "第2行“汇报频次”列：未知汇报频次“随时”"),
    ("bad_progress", "第2行“进度”列：进度应在 0 到 100 之间"),
    ("start_after_deadline", "第2行“完成时限”列：完成时限 2022-03-31 早于计划开始 2022-04-30"),
    ("outside_campaign", "“外区单位”不在本活动（洮北区）的范围内"),
    ("not_a_spreadsheet", "这是 PDF 文件，不是表格"),
    ("too_big", "文件过大"),
])
def test_bad_input_is_refused_with_row_and_column(campaign, tree, tmp_path, settings, case, needle):
    p = tmp_path / "bad.xlsx"
    row = [1, "优化营商环境", "压缩审批时限", "一窗受理", "区财政局", "平安镇", "2022-03-31", ""]
    if case == "unknown_unit":
        office_file(p, bad_unit="平安真")
    elif case == "unknown_co_unit":
        make_xlsx(p, H, [row[:5] + ["平安镇、财政局局"] + row[6:]])
    elif case == "missing_lead":
        make_xlsx(p, [h for h in H if h != "牵头单位"], [row[:4] + row[5:]])
    elif case == "no_titles":
        make_xlsx(p, ["序号", "牵头单位", "完成时限"], [[1, "区财政局", "2022-03-31"]])
    elif case == "blank_lead":
        make_xlsx(p, H, [row[:4] + [""] + row[5:]])
    elif case == "bad_date":
        make_xlsx(p, H, [row[:6] + ["下个月吧", ""]])
    elif case == "duplicate_seq":
        make_xlsx(p, H, [row, [1, "优化营商环境", "压缩审批时限", "容缺办理", "区财政局", "", "", ""]])
    elif case == "duplicate_title":
        make_xlsx(p, H, [row, [2, "", "", "一窗受理", "区财政局", "", "", ""]])
    elif case == "bad_frequency":
        make_xlsx(p, H + ["汇报频次"], [row + ["随时"]])
    elif case == "bad_progress":
        make_xlsx(p, H + ["进度"], [row + [120]])
    elif case == "start_after_deadline":
        make_xlsx(p, H + ["计划开始"], [row + ["2022年4月30日"]])
    elif case == "outside_campaign":
        from duban.orgs.models import UnitKind
        from duban.orgs.services import unit_create

        unit_create(actor=SYS, name="外区单位", kind=UnitKind.COUNTY)
        make_xlsx(p, H, [row[:4] + ["外区单位"] + row[5:]])
    elif case == "not_a_spreadsheet":
        p.write_bytes(b"%PDF-1.4\n" + b"x" * 100)
    elif case == "too_big":
        make_xlsx(p, H, [row])
        settings.DUBAN_MAX_IMPORT_BYTES = 100
    errors = _rejected(p, campaign)
    assert any(needle in e for e in errors), errors


def test_an_aspect_row_with_its_number_apart_and_its_title_merged_across(campaign, tree, tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "a.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, H)
    ws.write(1, 0, "一")
    ws.merge_range("B2:D2", "优化营商环境")
    ws.write_row(2, 0, [1, None, "压缩审批时限", "", "区财政局", "", "2022-03-31", ""])
    wb.close()
    _import(tmp_path / "a.xlsx", campaign)
    aspect = PlanItem.objects.get(level=Level.ASPECT)
    assert (aspect.title, aspect.seq, aspect.lead_unit) == ("优化营商环境", "一", tree["root"])
    assert PlanItem.objects.get(title="压缩审批时限").parent == aspect


def test_numbered_titles_and_a_section_row_without_an_aspect_column(campaign, tree, tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "a.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["序号", "重点任务", "具体措施", "牵头单位"])
    ws.merge_range("A2:D2", "一、乙醇项目建设")
    ws.write_row(2, 0, [1, "（一）土地报批", "完成用地预审", "区自然资源局"])
    ws.write_row(3, 0, [2, "", "1.5万吨储罐选址", "区财政局"])
    ws.write_row(4, 0, [3, "（二）环评批复", "", "平安镇"])
    wb.close()
    from duban.orgs.models import UnitKind
    from duban.orgs.services import unit_create

    unit_create(actor=SYS, name="区自然资源局", kind=UnitKind.DEPARTMENT, parent=tree["root"])
    _import(tmp_path / "a.xlsx", campaign)
    aspect = PlanItem.objects.get(level=Level.ASPECT)
    assert (aspect.title, aspect.seq) == ("乙醇项目建设", "一")
    land = PlanItem.objects.get(title="土地报批")
    assert land.parent == aspect and PlanItem.objects.get(title="环评批复").parent == aspect
    assert set(land.children.values_list("title", flat=True)) == {"完成用地预审", "1.5万吨储罐选址"}


def test_every_error_of_the_file_is_reported_in_row_order(campaign, tree, tmp_path):
    make_xlsx(tmp_path / "b.xlsx", H, [
        [1, "优化营商环境", "压缩审批时限", "一窗受理", "平安真", "", "下月", ""],
        [2, "", "", "容缺办理", "区财政局", "洮河真", "", ""],
    ])
    errors = _rejected(tmp_path / "b.xlsx", campaign)
    assert [e.split("：")[0] for e in errors] == ["第2行“牵头单位”列", "第2行“完成时限”列", "第3行“责任单位”列"]


def test_a_huge_sheet_is_refused_before_it_is_read(campaign, tree, tmp_path, settings):
    settings.DUBAN_XLSX_LIMITS = {"max_cells": 5_000}
    wb = xlsxwriter.Workbook(str(tmp_path / "huge.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, H)
    ws.write(200_000, 30, "x")  # one far cell: calamine would allocate the whole block
    wb.close()
    errors = _rejected(tmp_path / "huge.xlsx", campaign)
    assert any("无法安全读取" in e or "单元格" in e for e in errors), errors


def test_csv_in_gb18030_is_read_like_a_sheet(campaign, tree, tmp_path):
    body = "序号,方面,重点任务,具体措施,牵头单位,责任单位,完成时限\n1,优化营商环境,压缩审批时限,一窗受理,区财政局,\"平安镇、洮河镇\",2022年3月31日\n"
    (tmp_path / "a.csv").write_bytes(body.encode("gb18030"))
    _import(tmp_path / "a.csv", campaign)
    one = PlanItem.objects.get(title="一窗受理")
    assert one.deadline == dt.date(2022, 3, 31) and one.parent.title == "压缩审批时限"


def test_a_csv_beyond_the_cell_limit_is_refused(campaign, tree, tmp_path, settings):
    settings.DUBAN_XLSX_LIMITS = {"max_cells": 1_000}
    (tmp_path / "big.csv").write_text("序号,重点任务,牵头单位\n" + "1,任务,区财政局\n" * 400, encoding="utf-8")
    errors = _rejected(tmp_path / "big.csv", campaign)
    assert any("超过 1,000 个单元格" in e for e in errors), errors


def test_reimport_previews_changes_and_an_absent_column_changes_nothing(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    one = PlanItem.objects.get(title="推行一窗受理")
    # The office sends back a file without 完成时限 and 责任单位: changed progress on row 1,
    # a new lead unit on row 2, a new measure; the rest as it was.
    header = ["序号", "方面", "重点任务", "具体措施", "牵头单位", "进展情况"]
    make_xlsx(tmp_path / "b.xlsx", header, [
        [1, "优化营商环境", "压缩审批时限", "推行一窗受理", "区财政局", "窗口全部改造完成"],
        [2, "优化营商环境", "压缩审批时限", "推行容缺办理", "洮河镇", ""],
        [7, "优化营商环境", "压缩审批时限", "推行帮办代办", "平安镇", ""],
        [3, "优化营商环境", "清理涉企收费", "", "区财政局", "正在清理"],
    ])
    plan = _import(tmp_path / "b.xlsx", campaign)
    assert not plan.applied and len(plan.new) == 1 and plan.unchanged == 1
    assert [(c.row, c.cells) for c in plan.changes] == [
        (2, {"进展情况": ("已完成窗口改造", "窗口全部改造完成")}),
        (3, {"牵头单位": ("平安镇", "洮河镇")}),
    ]
    assert PlanItem.objects.count() == 10  # the preview writes nothing
    plan = _import(tmp_path / "b.xlsx", campaign, apply=True)
    assert plan.applied and PlanItem.objects.count() == 11
    one.refresh_from_db()
    assert one.progress_note == "窗口全部改造完成" and one.deadline == dt.date(2022, 3, 31)  # 完成时限 absent: kept
    assert Assignment.objects.filter(object_id=one.pk, role="co").count() == 4  # 责任单位 absent: kept
    assert PlanItem.objects.get(title="推行容缺办理").lead_unit == tree["town_b"]
    assert PlanItem.objects.get(title="推行帮办代办").parent.title == "压缩审批时限"
    ev = one.events.get(kind=ItemEvent.Kind.CHANGE)
    assert "窗口全部改造完成" in ev.note
    assert AuditEvent.objects.filter(verb="plan.import").count() == 2


def test_matched_by_title_path_when_the_file_has_no_seq_and_by_seq_when_renamed(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    make_xlsx(tmp_path / "b.xlsx", ["方面", "重点任务", "具体措施", "牵头单位", "完成时限"], [
        ["优化营商环境", "压缩审批时限", "推行一窗受理", "区财政局", "2022-04-30"],
    ])
    plan = _import(tmp_path / "b.xlsx", campaign)
    assert [c.cells for c in plan.changes] == [{"完成时限": ("2022-03-31", "2022-04-30")}] and not plan.new
    make_xlsx(tmp_path / "c.xlsx", H[:5], [[1, "优化营商环境", "压缩审批时限", "推行一窗通办", "区财政局"]])
    plan = _import(tmp_path / "c.xlsx", campaign)
    assert [c.cells for c in plan.changes] == [{"具体措施": ("推行一窗受理", "推行一窗通办")}] and not plan.new


def test_a_measure_matched_by_seq_moves_under_a_new_task(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    make_xlsx(tmp_path / "b.xlsx", H[:5], [[1, "优化营商环境", "推进政务服务标准化", "推行一窗受理", "区财政局"]])
    plan = _import(tmp_path / "b.xlsx", campaign)
    assert [c.cells for c in plan.changes] == [{"上级事项": ("压缩审批时限", "推进政务服务标准化")}] and len(plan.new) == 1
    _import(tmp_path / "b.xlsx", campaign, apply=True)
    one = PlanItem.objects.get(title="推行一窗受理")
    assert (one.parent.title, one.parent.parent.title, one.level) == ("推进政务服务标准化", "优化营商环境", Level.MEASURE)


def test_export_writes_the_layout_back_and_a_reimport_changes_nothing(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    out = tmp_path / "out.xlsx"
    assert io.tasks_export_cli(out=str(out), campaign_id=campaign.pk) == 10
    sheet = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert sheet[0][:8] == H and sheet[0][-1] == "备注"
    rows = {r[3] or r[2] or r[1]: r for r in sheet[1:]}
    assert rows["推行一窗受理"][:6] == ["1", "优化营商环境", "压缩审批时限", "推行一窗受理", "区财政局", "平安镇、洮河镇、二村、一村"]
    assert [r[1] for r in sheet[1:7]] == ["优化营商环境"] * 6 and sheet[7][1:3] == ["破解民生难题", ""]
    plan = _import(out, campaign)
    assert plan.applied and not plan.new and not plan.changes and plan.unchanged == 10


def test_web_export_is_scoped_to_what_the_user_sees(campaign, tree, users, client_for, tmp_path):
    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    r = client_for(users["liaison_b"]).get("/plan/export.xlsx")
    assert r.status_code == 200
    data = b"".join(r.streaming_content)
    sheet = python_calamine.CalamineWorkbook.from_filelike(__import__("io").BytesIO(data)).get_sheet_by_index(0).to_python()
    titles = {r[3] or r[2] for r in sheet[1:]}
    assert titles == {"推行一窗受理", "建立企业诉求台账"}  # 洮河镇 leads one, shares the other


def test_only_the_office_imports(campaign, tree, users, client_for, tmp_path):
    office_file(tmp_path / "a.xlsx")
    with pytest.raises(PermissionDenied):
        io.tasks_import(actor=users["liaison_a"], source=tmp_path / "a.xlsx", campaign=campaign)
    with pytest.raises(PermissionDenied):
        io.tasks_import(actor=users["leader"], source=tmp_path / "a.xlsx", campaign=campaign)
    assert client_for(users["liaison_a"]).get("/plan/import/").status_code == 403
    with (tmp_path / "a.xlsx").open("rb") as fh:
        assert client_for(users["liaison_a"]).post("/plan/import/", {"file": fh}).status_code == 403
    assert not PlanItem.objects.exists()
    plan = io.tasks_import(actor=users["office"], source=tmp_path / "a.xlsx", campaign=campaign)
    assert plan.applied and PlanItem.objects.count() == 10


def test_upload_page_previews_then_confirms(campaign, tree, users, client_for, tmp_path):
    c = client_for(users["office"])
    office_file(tmp_path / "a.xlsx")
    with (tmp_path / "a.xlsx").open("rb") as fh:
        r = c.post("/plan/import/", {"file": fh, "campaign": campaign.pk})
    page = r.content.decode()
    assert r.status_code == 200 and "检查通过" in page and "推行一窗受理" in page
    assert not PlanItem.objects.exists()  # nothing before the confirmation
    token = r.context["token"]
    r = c.post(f"/plan/import/{token}/apply/", {"campaign": campaign.pk})
    assert r.status_code == 302 and PlanItem.objects.count() == 10
    # a bad file: the errors, and the report to download
    office_file(tmp_path / "b.xlsx", bad_unit="平安真")
    with (tmp_path / "b.xlsx").open("rb") as fh:
        r = c.post("/plan/import/", {"file": fh, "campaign": campaign.pk})
    assert "未知单位“平安真”" in r.content.decode() and "最接近的单位：平安镇" in r.content.decode()
    assert c.get(f"/plan/import/{r.context['token']}/errors.xlsx").status_code == 200


def test_frequency_progress_duration_and_leader_columns(campaign, tree, tmp_path):
    make_xlsx(tmp_path / "a.xlsx", H + ["分管领导", "计划开始", "工期（工作日）", "汇报频次", "进度"], [
        [1, "乙醇项目", "土地报批", "", "区财政局", "", "2022-05-31", "", "张三", "2022-03-01", 40, "每旬", "60%"],
        [2, "乙醇项目", "环评批复", "", "平安镇", "", "2022-06-30", "", "", "", "", "月报", 0.25],
    ])
    _import(tmp_path / "a.xlsx", campaign)
    a, b = PlanItem.objects.get(title="土地报批"), PlanItem.objects.get(title="环评批复")
    assert (a.leader_name, a.start_date, a.duration_days, a.frequency, a.progress) == ("张三", dt.date(2022, 3, 1), 40, Frequency.XUN, 60)
    assert (b.frequency, b.progress) == (Frequency.MONTHLY, 25)


def test_cli_import_and_export_exit_codes(campaign, tree, tmp_path):
    office_file(tmp_path / "a.xlsx")
    out = StringIO()
    call_command("import_ledger", "tasks", str(tmp_path / "a.xlsx"), "--campaign", str(campaign.pk), stdout=out)
    assert "导入完成：新建 10 项" in out.getvalue()
    office_file(tmp_path / "b.xlsx", bad_unit="平安真")
    err = StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_ledger", "tasks", str(tmp_path / "b.xlsx"), stdout=StringIO(), stderr=err)
    assert "第5行“牵头单位”列：未知单位“平安真”；最接近的单位：平安镇" in err.getvalue()
    out = StringIO()
    call_command("export_ledger", "tasks", "--out", str(tmp_path / "out.xlsx"), stdout=out)
    assert "已导出 10 行" in out.getvalue()


def test_the_duban_command_exits_non_zero_on_a_bad_file_and_writes_nothing(tmp_path):
    """The real console entry point in its own process (SQLite in its own data dir)."""
    from tests.test_cli_product import duban

    data = tmp_path / "data"
    assert duban("migrate", data_dir=data).returncode == 0
    units = make_xlsx(tmp_path / "units.xlsx", ["单位名称", "上级单位", "单位类型"], [
        ["洮北区", "", "县区"], ["平安镇", "洮北区", "乡镇街道"], ["洮河镇", "洮北区", "乡镇街道"], ["区财政局", "洮北区", "部门"],
        ["一村", "平安镇", "村社区"], ["二村", "平安镇", "村社区"], ["三村", "洮河镇", "村社区"],
    ])
    assert duban("import", "units", str(units), data_dir=data).returncode == 0
    r = duban("campaign", "create", "解放思想大讨论", "--unit", "洮北区", data_dir=data)
    campaign_id = r.stdout.strip().splitlines()[-1]
    office_file(tmp_path / "bad.xlsx", bad_unit="平安真")
    r = duban("import", "tasks", str(tmp_path / "bad.xlsx"), "--campaign", campaign_id, data_dir=data)
    assert r.returncode != 0 and "第5行“牵头单位”列：未知单位“平安真”；最接近的单位：平安镇" in r.stderr, r.stderr
    (tmp_path / "x.xlsx").write_text("not a table")
    r = duban("import", "tasks", str(tmp_path / "x.xlsx"), data_dir=data)
    assert r.returncode != 0 and "不是 Excel 工作簿" not in r.stdout
    office_file(tmp_path / "good.xlsx")
    r = duban("import", "tasks", str(tmp_path / "good.xlsx"), "--campaign", campaign_id, data_dir=data)
    assert r.returncode == 0 and "导入完成：新建 10 项" in r.stdout, r.stderr
    r = duban("export", "tasks", "--out", str(tmp_path / "out.xlsx"), data_dir=data)
    assert r.returncode == 0 and "已导出 10 行" in r.stdout, r.stderr


def test_new_rows_go_in_with_the_derived_columns_the_refresh_would_give(campaign, tree, tmp_path):
    from duban.plan import services

    office_file(tmp_path / "a.xlsx")
    _import(tmp_path / "a.xlsx", campaign)
    assert services.plan_refresh(campaign=campaign) == 0  # nothing left to derive
    task = PlanItem.objects.get(title="改造老旧小区")
    assert task.light != "none" or task.deadline is None
    # adding to the plan: a heading's weighted progress moves with its new measure
    PlanItem.objects.filter(title="更换供暖管网").update(progress=100)
    services.plan_refresh(campaign=campaign)
    assert PlanItem.objects.get(pk=task.pk).progress == 50
    make_xlsx(tmp_path / "b.xlsx", H[:5] + ["进度"], [[8, "破解民生难题", "改造老旧小区", "改造雨污管网", "一村", 0]])
    plan = _import(tmp_path / "b.xlsx", campaign)
    assert plan.applied and len(plan.new) == 1
    assert PlanItem.objects.get(pk=task.pk).progress == 33  # (100 + 0 + 0) / 3
    assert services.plan_refresh(campaign=campaign) == 0


def test_the_derived_columns_are_the_same_through_the_bulk_write(campaign, tree, tmp_path, monkeypatch):
    """plan_refresh writes many changed rows through a temporary table: same values as bulk_update."""
    from duban.plan import services

    rows = [[i, "优化营商环境", f"任务{i // 5}", f"措施{i}", "区财政局" if i % 2 else "平安镇", "洮河镇", f"2030-0{1 + i % 9}-15", "", 5 + i]
            for i in range(1, 31)]
    make_xlsx(tmp_path / "a.xlsx", H + ["工期（工作日）"], rows)
    _import(tmp_path / "a.xlsx", campaign)
    fields = ("id", *services.DERIVED)
    PlanItem.objects.update(light="none", behind=0, latest_start=None, critical=False)
    services.plan_refresh(campaign=campaign, today=dt.date(2030, 1, 10))  # below the threshold: bulk_update
    by_update = set(PlanItem.objects.values_list(*fields))
    PlanItem.objects.update(light="none", behind=0, latest_start=None, critical=False)
    monkeypatch.setattr(services, "DERIVED_JOIN_MIN", 1)
    assert services.plan_refresh(campaign=campaign, today=dt.date(2030, 1, 10)) > 0
    assert set(PlanItem.objects.values_list(*fields)) == by_update
    assert len({r[2] for r in by_update}) > 1 and len({r[4] for r in by_update}) > 1  # varied lights and latest starts
