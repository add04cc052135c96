"""xlsx import (all or nothing, bad input, re-import diff) and export (same layout back)."""

from __future__ import annotations

import datetime as dt
from io import BytesIO, StringIO

import pytest
import python_calamine
from django.core.management import CommandError, call_command
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.core.xlsx import ImportRejected
from duban.ledger import io
from duban.ledger.models import Problem, Source, Status
from tests.xlsx_util import make_xlsx

pytestmark = pytest.mark.django_db
H = ["序号", "问题描述", "聚焦领域", "问题来源", "责任单位", "责任人", "整改措施", "整改时限", "整改类型", "整改进展", "状态", "完成时间"]


def row(seq, desc="供暖温度不达标", unit="一村", deadline="2022-03-31", status="未整改", **kw):
    r = {"聚焦领域": "破解民生难题", "问题来源": "意见征集", "责任人": "王五", "整改措施": "更换管网", "整改类型": "限期整改", "整改进展": "", "完成时间": ""}
    r.update(kw)
    return [seq, desc, r["聚焦领域"], r["问题来源"], unit, r["责任人"], r["整改措施"], deadline, r["整改类型"], r["整改进展"], status, r["完成时间"]]


def _rejected(path, campaign):
    before, audit = Problem.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as exc:
        io.problems_import(actor=SystemActor("t"), skip_checks=True, source=path, campaign=campaign)
    assert Problem.objects.count() == before and AuditEvent.objects.count() == audit
    return [str(e) for e in exc.value.errors]


def test_import_states_dates_extras(campaign, tree, tmp_path):
    f = make_xlsx(tmp_path / "a.xlsx", H + ["备注"], [
        row(1, "冬季供暖温度不达标", deadline="2022-03-31", status="未整改") + ["重点"],
        row(2, "老旧小区改造慢", unit="平安镇/二村", deadline="2022/3/31", status="整改中") + [""],
        row(3, "审批环节多", unit="区财政局", deadline="2022年3月31日", status="已完成", 完成时间="2022.3.20") + [""],
        row(4, "长期问题", deadline=dt.date(2022, 3, 31), status="已完成", 整改类型="长期坚持", 完成时间=dt.date(2022, 4, 2)) + [""],
    ])
    plan = io.problems_import(actor=SystemActor("t"), skip_checks=True, source=f, campaign=campaign)
    assert plan.applied and plan.created == 4
    ps = {p.seq: p for p in Problem.objects.all()}
    assert [ps[i].status for i in (1, 2, 3)] == [Status.PENDING, Status.IN_PROGRESS, Status.SIGNED_OFF]
    assert {ps[i].deadline for i in (1, 2, 3, 4)} == {dt.date(2022, 3, 31)}
    assert ps[3].completed_on == dt.date(2022, 3, 20) and ps[1].extra == {"备注": "重点"}
    assert ps[1].source == Source.OPINION and ps[1].focus_area.name == "破解民生难题"
    assert ps[2].unit == tree["village_a2"] and ps[1].region_id == tree["village_a1"].region_id
    assert "供暖" in ps[1].search_terms
    assert AuditEvent.objects.filter(verb="problem.bulk_create").count() == 1


@pytest.mark.parametrize("case, needle", [
    ("missing_header", "缺少必需的列“责任单位”"),
    ("no_header", "在前 15 行中找不到表头：表头应包含 序号、问题描述、责任单位"),
    ("empty_required", "第2行“问题描述”列：不能为空"),
    ("unknown_unit", "第3行“责任单位”列：未知单位“平安真”；最接近的单位：平安镇"),
    ("bad_date", "第2行“整改时限”列：无法识别的日期“下个月吧”"),
    ("formula", "公式"),
    ("not_xlsx", "这是文本（CSV）文件，不是 Excel 工作簿"),
    ("too_big", "文件过大"),
    ("duplicate_seq", "第3行“序号”列：序号 1 与第2行重复"),
    ("unknown_status", "未知状态“差不多了”"),
    ("unknown_area", "未知聚焦领域“扶贫”"),
])
def test_bad_input_is_refused_with_a_specific_message(campaign, tree, tmp_path, settings, case, needle):
    p = tmp_path / "bad.xlsx"
    if case == "missing_header":
        make_xlsx(p, [h for h in H if h != "责任单位"], [row(1)[:4] + row(1)[5:]])
    elif case == "no_header":
        make_xlsx(p, ["编码", "说明"], [row(1)])
    elif case == "empty_required":
        make_xlsx(p, H, [row(1, desc="")])
    elif case == "unknown_unit":
        make_xlsx(p, H, [row(1), row(2, unit="平安真")])
    elif case == "bad_date":
        make_xlsx(p, H, [row(1, deadline="下个月吧")])
    elif case == "formula":
        make_xlsx(p, H, [row(1)], formula_at=(1, 0))
    elif case == "not_xlsx":
        p.write_text("序号,问题描述\n1,x\n")
    elif case == "too_big":
        make_xlsx(p, H, [row(1)])
        settings.DUBAN_MAX_IMPORT_BYTES = 100
    elif case == "duplicate_seq":
        make_xlsx(p, H, [row(1), row(1)])
    elif case == "unknown_status":
        make_xlsx(p, H, [row(1, status="差不多了")])
    elif case == "unknown_area":
        make_xlsx(p, H, [row(1, 聚焦领域="扶贫")])
    errors = _rejected(p, campaign)
    assert any(needle in e for e in errors), errors


def test_reimport_shows_diff_then_applies(campaign, tree, tmp_path):
    make_xlsx(tmp_path / "a.xlsx", H, [row(1), row(2, "审批环节多")])
    io.problems_import(actor=SystemActor("t"), skip_checks=True, source=tmp_path / "a.xlsx", campaign=campaign)
    out = tmp_path / "export.xlsx"
    assert io.problems_export_cli(out=str(out), campaign_id=campaign.pk) == 2
    sheet = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert sheet[0][:12] == H and sheet[0][-1] == "系统编号"
    # The unit sends the file back with progress and a new row.
    rows = [list(r) for r in sheet[1:]]
    rows[0][9], rows[0][10] = "已更换主管网", "整改中"
    rows.append([3, "新发现的问题", "破解民生难题", "自查", "二村", "", "", "2022-05-01", "限期整改", "", "未整改", "", ""])
    make_xlsx(tmp_path / "b.xlsx", sheet[0], rows)
    plan = io.problems_import(actor=SystemActor("t"), skip_checks=True, source=tmp_path / "b.xlsx", campaign=campaign)
    assert not plan.applied and len(plan.new) == 1 and plan.unchanged == 1
    assert plan.changes[0].cells == {"整改进展": ("", "已更换主管网"), "状态": ("未整改", "整改中")}
    assert Problem.objects.count() == 2  # preview writes nothing
    plan = io.problems_import(actor=SystemActor("t"), skip_checks=True, source=tmp_path / "b.xlsx", campaign=campaign, apply=True)
    assert plan.applied and Problem.objects.count() == 3
    p1 = Problem.objects.get(seq=1)
    assert p1.progress == "已更换主管网" and p1.status == Status.IN_PROGRESS
    ev = AuditEvent.objects.get(verb="problem.import_update", object_id=str(p1.pk))
    assert ev.changes["状态"] == ["未整改", "整改中"]


def test_reimport_unknown_id_is_refused(campaign, tree, tmp_path):
    make_xlsx(tmp_path / "a.xlsx", H + ["系统编号"], [row(1) + [99999]])
    assert any("系统编号 99999" in e for e in _rejected(tmp_path / "a.xlsx", campaign))


def test_cli_import_and_export(campaign, tree, tmp_path):
    make_xlsx(tmp_path / "a.xlsx", H, [row(1), row(2)])
    out = StringIO()
    call_command("import_ledger", "problems", str(tmp_path / "a.xlsx"), stdout=out)
    assert "新建 2 条" in out.getvalue()
    make_xlsx(tmp_path / "bad.xlsx", H, [row(1, unit="不存在的村")])
    with pytest.raises(CommandError):
        call_command("import_ledger", "problems", str(tmp_path / "bad.xlsx"), "--errors-out", str(tmp_path / "err.xlsx"), stdout=StringIO(), stderr=StringIO())
    assert (tmp_path / "err.xlsx").exists()
    out = StringIO()
    call_command("export_ledger", "problems", "--out", str(tmp_path / "o.xlsx"), stdout=out)
    assert "2 行" in out.getvalue()
    make_xlsx(tmp_path / "c.xlsx", H, [row(1, 整改进展="完成一半"), row(2)])
    out = StringIO()
    call_command("import_ledger", "problems", str(tmp_path / "c.xlsx"), stdout=out)
    assert "预览" in out.getvalue() and "完成一半" in out.getvalue()
    call_command("import_ledger", "problems", str(tmp_path / "c.xlsx"), "--apply", stdout=StringIO())
    assert Problem.objects.get(seq=1).progress == "完成一半"


def test_upload_page_preview_errors_and_apply(campaign, tree, users, client_for, tmp_path):
    c = client_for(users["office"])
    make_xlsx(tmp_path / "bad.xlsx", H, [row(1, deadline="下个月吧")])
    with open(tmp_path / "bad.xlsx", "rb") as fh:
        page = c.post("/ledger/import/", {"file": fh, "campaign": campaign.pk}).content.decode()
    assert "下个月吧" in page and "errors.xlsx" in page
    token = c.session["ledger_imports"][-1]
    rep = c.get(f"/ledger/import/{token}/errors.xlsx")
    rows = python_calamine.CalamineWorkbook.from_filelike(BytesIO(b"".join(rep.streaming_content))).get_sheet_by_index(0).to_python()
    assert rows[1][1] == "整改时限"
    make_xlsx(tmp_path / "ok.xlsx", H, [row(1), row(2)])
    with open(tmp_path / "ok.xlsx", "rb") as fh:
        page = c.post("/ledger/import/", {"file": fh, "campaign": campaign.pk}).content.decode()
    assert "检查通过" in page and Problem.objects.count() == 0
    token = c.session["ledger_imports"][-1]
    assert client_for(users["leader"]).post(f"/ledger/import/{token}/apply/").status_code == 403
    resp = c.post(f"/ledger/import/{token}/apply/", {"campaign": campaign.pk})
    assert resp.status_code == 302 and Problem.objects.count() == 2


def test_liaison_import_cannot_name_units_outside_scope(campaign, tree, tmp_path):
    from duban.orgs.scoping import visible_units

    make_xlsx(tmp_path / "a.xlsx", H, [row(1, unit="三村")])
    from django.contrib.auth import get_user_model

    from duban.orgs.models import Role
    from duban.orgs.services import membership_set

    u = get_user_model().objects.create_user("town_office", password="x")
    membership_set(actor=SystemActor("t"), user=u, unit=tree["town_a"], role=Role.OFFICE)
    with pytest.raises(ImportRejected) as exc:
        io.plan_import(actor=SystemActor("t"), skip_checks=True, source=tmp_path / "a.xlsx", campaign=campaign, units=visible_units(u))
    assert "未知单位“三村”" in str(exc.value)


@pytest.mark.parametrize("extra, cells, needle", [
    ([], {"seq": 2**63}, "第2行“序号”列：序号 9223372036854775808 太大"),
    ([], {"seq": 2**31}, "第2行“序号”列：序号 2147483648 太大"),
    (["系统编号"], {"id": 2**63}, "第2行“系统编号”列：系统编号应为导出时生成的正整数"),
    ([], {"责任人": "王" * 61}, "第2行“责任人”列：超过 60 字"),
])
def test_out_of_range_cells_are_row_errors_not_crashes(campaign, tree, tmp_path, extra, cells, needle):
    r = row(cells.get("seq", 1), 责任人=cells.get("责任人", "王五"))
    if extra:
        r.append(cells["id"])
    errors = _rejected(make_xlsx(tmp_path / "big.xlsx", H + extra, [r]), campaign)
    assert any(needle in e for e in errors), errors


def test_signed_off_rows_need_a_completion_date(campaign, tree, tmp_path):
    f = make_xlsx(tmp_path / "a.xlsx", H, [row(1, status="已完成"), row(2, status="已完成", 完成时间="2999-01-01")])
    errors = _rejected(f, campaign)
    assert errors == ["第2行“完成时间”列：状态为“已完成”时需要填写完成时间（用于计算按期完成率）", "第3行“完成时间”列：完成时间 2999-01-01 晚于今天"]


def test_reimport_leaves_absent_columns_alone(campaign, tree, tmp_path):
    f = make_xlsx(tmp_path / "a.xlsx", H, [row(1, status="已完成", 完成时间="2022-03-20", 责任人="王五")])
    io.problems_import(actor=SystemActor("t"), skip_checks=True, source=f, campaign=campaign)
    slim = ["序号", "问题描述", "责任单位", "整改进展"]
    plan = io.problems_import(actor=SystemActor("t"), skip_checks=True, source=make_xlsx(tmp_path / "b.xlsx", slim, [[1, "供暖温度不达标", "一村", "已验收"]]), campaign=campaign, apply=True)
    assert plan.changes[0].cells == {"整改进展": ("", "已验收")}
    p = Problem.objects.get(seq=1)
    assert (p.status, p.completed_on, p.owner, p.deadline, p.source) == (Status.SIGNED_OFF, dt.date(2022, 3, 20), "王五", dt.date(2022, 3, 31), Source.OPINION)


def test_export_keeps_every_cell_of_a_row_with_an_overlong_text(campaign, tree, make_problem, tmp_path):
    p = make_problem(tree["village_a1"], description="长" * 40_000)
    out = tmp_path / "o.xlsx"
    io.problems_export_cli(out=str(out), campaign_id=campaign.pk)
    sheet = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    got = dict(zip(sheet[0], sheet[1], strict=True))
    assert len(got["问题描述"]) == 32_767 and got["问题描述"].endswith("…（全文见系统）")
    assert got["责任单位"] == "一村" and got["状态"] == "未整改" and int(got["系统编号"]) == p.pk


@pytest.fixture
def three_row_sheets(monkeypatch):
    """Shrink Excel's 1,048,575 data rows per sheet to 3, so the refusal is tested without a million rows."""
    from duban.core import xlsx

    monkeypatch.setattr(xlsx, "SHEET_MAX_DATA_ROWS", 3)


def test_export_past_one_sheet_is_refused_not_cut(campaign, tree, make_problem, tmp_path, three_row_sheets):
    for _ in range(4):
        make_problem(tree["village_a1"])
    out = tmp_path / "o.xlsx"
    with pytest.raises(CommandError, match="共 4 行，超过 Excel 单个工作表的上限"):
        call_command("export_ledger", "problems", "--out", str(out), stdout=StringIO())
    assert not out.exists()
    Problem.objects.order_by("-pk").first().delete()
    call_command("export_ledger", "problems", "--out", str(out), stdout=StringIO())
    assert len(python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()) == 4


def test_streamed_rows_past_one_sheet_remove_the_partial_file(tmp_path, three_row_sheets):
    from duban.core.xlsx import ExportTooLarge, write_table

    out = tmp_path / "o.xlsx"
    with pytest.raises(ExportTooLarge):
        write_table(out, ["甲"], ([i] for i in range(4)))
    assert not out.exists()
    assert write_table(out, ["甲"], ([i] for i in range(3))) == 3


def test_web_export_past_one_sheet_says_why(campaign, tree, make_problem, users, client_for, three_row_sheets):
    for _ in range(4):
        make_problem(tree["village_a1"])
    r = client_for(users["office"]).get(reverse("ledger:problem_export"))
    assert r.status_code == 400
    assert "超过 Excel 单个工作表的上限" in r.content.decode() and "筛选后分批导出" in r.content.decode()
