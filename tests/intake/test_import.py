"""`duban import suggestions` / the import page: DESIGN §5 layout, all or nothing, row/column messages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from duban.core.actors import SystemActor
from duban.intake.models import Suggestion

pytestmark = pytest.mark.django_db

HEADER = ["留言主题", "留言详情", "渠道", "提交时间", "联系人", "联系电话", "所属单位", "座谈会场次"]


def good_rows():
    return [
        ["建议增设公交线路", "洮河镇到城区的公交车太少，建议增加班次。", "座谈会", "2022-03-01", "刘一", "13800001111", "洮河镇", "第一场"],
        ["", "平安镇一村希望修一条通村水泥路。", "意见箱", "2022年3月2日", "", "", "平安镇/一村", ""],
        ["营商环境", "办理营业执照跑了三趟。", "来信", dt.datetime(2022, 3, 3, 14, 30), "", "", "", ""],
        ["热线", "反映区财政局补贴发放慢。", "12345热线", "2022/3/4 9:15:00", "孙二", "0436-8881234", "区财政局", ""],
    ]


def test_import_creates_all_rows(campaign, tree, xlsx, capsys):
    path = xlsx(HEADER, good_rows())
    call_command("import_ledger", "suggestions", str(path))
    assert Suggestion.objects.count() == 4
    s = Suggestion.objects.get(title="建议增设公交线路")
    assert s.channel == "forum" and s.unit == tree["town_b"] and s.extra == {"座谈会场次": "第一场"} and s.contact_name == "刘一"
    s2 = Suggestion.objects.get(body__startswith="平安镇一村")
    assert s2.channel == "box" and s2.unit == tree["village_a1"] and s2.title.startswith("平安镇一村希望")
    assert Suggestion.objects.get(channel="letter").unit == tree["root"]
    hot = Suggestion.objects.get(channel="hotline")
    local = hot.submitted_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert (local.hour, local.minute) == (9, 15)
    out = capsys.readouterr().out
    assert "新建意见建议 4 条" in out and "座谈会 1" in out


def test_bad_file_is_refused_whole(campaign, tree, xlsx, capsys):
    rows = good_rows()
    rows[1][2] = "飞鸽传书"  # unknown channel
    rows[2][3] = "去年春天"  # bad date
    rows[3][6] = "平安真"  # unknown unit, close to 平安镇
    rows.append(["", "", "意见箱", "2022-03-05", "", "", "", ""])  # empty text
    path = xlsx(HEADER, rows)
    with pytest.raises(CommandError):
        call_command("import_ledger", "suggestions", str(path))
    assert Suggestion.objects.count() == 0
    err = capsys.readouterr().err
    assert "第3行“渠道”列" in err and "飞鸽传书" in err
    assert "第4行“提交时间”列" in err
    assert "第5行“所属单位”列" in err and "平安镇" in err
    assert "第6行“留言详情”列" in err


def test_missing_column_and_not_xlsx(campaign, xlsx, tmp_path, capsys):
    path = xlsx(["留言主题", "留言详情", "提交时间"], [["a", "b", "2022-03-01"]])
    with pytest.raises(CommandError):
        call_command("import_ledger", "suggestions", str(path))
    assert "缺少必需的列“渠道”" in capsys.readouterr().err
    fake = tmp_path / "x.xlsx"
    fake.write_text("留言主题,留言详情\n")
    with pytest.raises(CommandError):
        call_command("import_ledger", "suggestions", str(fake))
    assert Suggestion.objects.count() == 0


def test_unit_outside_campaign_is_refused(campaign, tree, xlsx, capsys):
    from duban.orgs.models import UnitKind
    from duban.orgs.services import unit_create

    unit_create(actor=SystemActor("t"), name="外区", kind=UnitKind.COUNTY)
    path = xlsx(HEADER, [["a", "b", "意见箱", "2022-03-01", "", "", "外区", ""]])
    with pytest.raises(CommandError):
        call_command("import_ledger", "suggestions", str(path))
    assert "未知单位“外区”" in capsys.readouterr().err


def test_export_round_trip(campaign, tree, xlsx, tmp_path):
    call_command("import_ledger", "suggestions", str(xlsx(HEADER, good_rows())))
    out = tmp_path / "out.xlsx"
    call_command("export_ledger", "suggestions", "--out", str(out))
    Suggestion.objects.all().delete()
    call_command("import_ledger", "suggestions", str(out))
    assert Suggestion.objects.count() == 4
    s = Suggestion.objects.get(title="建议增设公交线路")
    assert s.channel == "forum" and s.contact_phone == "13800001111" and "状态" in s.extra
    assert "查询码" not in s.extra  # the export never carries tracking codes (issue 8 item 7)


def test_import_page_office_only_and_errors_shown(users, campaign, tree, xlsx, client_for):
    rows = good_rows()
    rows[0][2] = "飞鸽传书"
    bad = xlsx(HEADER, rows, name="bad.xlsx")
    with open(bad, "rb") as fh:
        r = client_for(users["office"]).post("/intake/import/", {"file": fh})
    assert r.status_code == 400 and "飞鸽传书" in r.content.decode() and Suggestion.objects.count() == 0
    good = xlsx(HEADER, good_rows(), name="good.xlsx")
    with open(good, "rb") as fh:
        assert client_for(users["liaison_a"]).post("/intake/import/", {"file": fh}).status_code == 403
    with open(good, "rb") as fh:
        r = client_for(users["office"]).post("/intake/import/", {"file": fh})
    assert r.status_code == 302 and Suggestion.objects.count() == 4
    with open(good, "rb") as fh:
        r = client_for(users["office"]).post("/api/suggestions/import", {"file": fh})
    assert r.status_code == 201 and r.json()["created"] == 4


def test_web_export_masks_for_non_office(users, campaign, tree, xlsx, client_for):
    import io

    import python_calamine

    call_command("import_ledger", "suggestions", str(xlsx(HEADER, good_rows())))
    r = client_for(users["leader"]).get("/intake/export/")
    data = b"".join(r.streaming_content)
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    flat = "".join(str(c) for row in rows for c in row)
    assert "13800001111" not in flat and "138****1111" in flat
    r = client_for(users["liaison_b"]).get("/intake/export/")
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content))).get_sheet_by_index(0).to_python()
    assert len(rows) == 2  # header + the one 洮河镇 row


def test_office_of_one_town_cannot_import_the_campaigns_suggestions(users, campaign, tree, xlsx, client_for):
    """Suggestions import needs office over the campaign's unit (so over every row's unit):
    a county leader who is office of one town is refused on the page and the API."""
    from django.contrib.auth import get_user_model

    from duban.orgs.models import Role
    from duban.orgs.services import membership_set

    user = get_user_model().objects.create_user(username="leader_office", password="x")
    membership_set(actor=SystemActor("t"), user=user, unit=tree["root"], role=Role.LEADER)
    membership_set(actor=SystemActor("t"), user=user, unit=tree["town_a"], role=Role.OFFICE)
    path = xlsx(HEADER, [["修路", "洮河镇的路坏了", "来信", "2022-03-01", "", "", "洮河镇", ""]])
    with open(path, "rb") as fh:
        assert client_for(user).post("/intake/import/", {"file": fh}).status_code == 403
    with open(path, "rb") as fh:
        assert client_for(user).post("/api/suggestions/import", {"file": fh}).status_code == 403
    assert Suggestion.objects.count() == 0


def test_a_long_unit_path_fits_the_place_field(campaign, tree, xlsx):
    from duban.orgs.services import unit_create

    town = unit_create(actor=SystemActor("t"), name="镇" * 110, kind="town", parent=tree["root"])
    unit_create(actor=SystemActor("t"), name="村" * 110, kind="village", parent=town)
    call_command("import_ledger", "suggestions", str(xlsx(HEADER, [["修路", "路坏了", "来信", "2022-03-01", "", "", f"{'镇' * 110}/{'村' * 110}", ""]])))
    s = Suggestion.objects.get()
    assert s.place_unit.name == "村" * 110 and len(s.place) <= Suggestion._meta.get_field("place").max_length


def test_export_keeps_every_cell_after_an_overlong_reply(campaign, tree, xlsx, tmp_path):
    import python_calamine

    call_command("import_ledger", "suggestions", str(xlsx(HEADER, good_rows()[:1])))
    Suggestion.objects.update(reply="答" * 40_000, rating_comment="很满意")
    out = tmp_path / "out.xlsx"
    call_command("export_ledger", "suggestions", "--out", str(out))
    rows = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    got = dict(zip(rows[0], rows[1], strict=True))
    assert got["答复意见"].endswith("…（全文见系统）") and len(got["答复意见"]) == 32_767 and got["评价意见"] == "很满意"


@pytest.fixture
def three_row_sheets(monkeypatch):
    """Excel's 1,048,575 data rows per sheet shrunk to 3: the refusal tested without a million rows."""
    from duban.core import xlsx

    monkeypatch.setattr(xlsx, "SHEET_MAX_DATA_ROWS", 3)


def test_export_past_one_sheet_is_refused_on_the_page_and_the_command(users, campaign, tree, xlsx, tmp_path, client_for, three_row_sheets):
    """Was a 500 on the page (the streamed writer's refusal was not caught): now a 400 that
    says why, like the ledger's; the command exits 1 and leaves no file."""
    call_command("import_ledger", "suggestions", str(xlsx(HEADER, good_rows())))
    r = client_for(users["office"]).get("/intake/export/")
    assert r.status_code == 400
    page = r.content.decode()
    assert "共 4 行，超过 Excel 单个工作表的上限" in page and "筛选后分批导出" in page
    out = tmp_path / "out.xlsx"
    with pytest.raises(CommandError, match="共 4 行，超过 Excel 单个工作表的上限"):
        call_command("export_ledger", "suggestions", "--out", str(out))
    assert not out.exists()
    # a filter that fits is exported as before
    r = client_for(users["liaison_b"]).get("/intake/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")


def test_import_api_names_the_rows_it_skipped(users, campaign, tmp_path, client_for):
    """The page's summary names the title, 填报 and note rows left out; the API's answer
    returned only counts, so a script could not tell. It lists them now, row and reason."""
    import xlsxwriter

    path = tmp_path / "titled.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["2022年意见建议汇总表"])
    ws.write_row(1, 0, ["填报单位：洮北区推进办", "", "", "填报日期：2022-03-10"])
    ws.write_row(2, 0, HEADER)
    for r, row in enumerate(good_rows()[:2], start=3):
        ws.write_row(r, 0, row)
    ws.write_row(5, 0, ["注：电话号码仅推进办可见"])
    wb.close()
    with open(path, "rb") as fh:
        r = client_for(users["office"]).post("/api/suggestions/import", {"file": fh})
    assert r.status_code == 201, r.content
    got = r.json()
    assert got["created"] == 2
    assert got["skipped"] == [{"row": 1, "reason": "标题行"}, {"row": 2, "reason": "填报信息行"}, {"row": 6, "reason": "注释行"}]
    with open(path, "rb") as fh:  # the page names the same rows
        r = client_for(users["office"]).post("/intake/import/", {"file": fh}, follow=True)
    assert "已跳过 3 行（第1行 标题行、第2行 填报信息行、第6行 注释行）" in r.content.decode()
