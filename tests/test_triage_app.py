"""The Django side of triage: the router command round trip, routing from history, hot issues, API."""

from __future__ import annotations

import csv
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from duban.core.actors import SystemActor

pytestmark = pytest.mark.django_db

ROADS = ["路灯不亮", "道路坑洼", "马路积水", "人行道破损", "桥梁裂缝", "路面塌陷", "红绿灯故障", "公交站台损坏"]
SCHOOLS = ["学校收费", "幼儿园入学", "教师补课", "学生午餐", "校车安全", "学区划分", "课外培训", "中考政策"]
JOBS = ["拖欠工资", "社保缴纳", "养老金发放", "失业补助", "劳动合同", "工伤认定", "医保报销", "退休手续"]
LABELS = {"交通运输": ROADS, "教育文体": SCHOOLS, "劳动和社会保障": JOBS}


def examples(n_per=12):
    rows = []
    for label, words in LABELS.items():
        for i in range(n_per):
            w = words[i % len(words)]
            rows.append((f"关于{w}的问题", f"我们这里{w}已经很久了，{words[(i + 3) % len(words)]}也有问题，请相关部门处理。", label))
    return rows


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "labeled.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["留言主题", "留言详情", "一级标签"])
        w.writerows(examples())
    return path


def test_train_and_classify_round_trip(small_csv, tmp_path, capsys):
    model = tmp_path / "router.model"
    call_command("triage", "train", str(small_csv), "--text-col", "留言主题", "--text-col", "留言详情", "--label-col", "一级标签", "--model", str(model), "--cv", "3")
    out = capsys.readouterr().out
    assert model.exists() and "交叉验证" in out and "版本" in out
    new = tmp_path / "new.csv"
    with open(new, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "内容"])
        w.writerows([[1, "小区门口的路灯不亮，道路坑洼"], [2, "孩子幼儿园入学和学校收费问题"], [3, "公司拖欠工资三个月，社保也没交"]])
    result = tmp_path / "out.csv"
    call_command("triage", "classify", str(new), "--text-col", "内容", "--model", str(model), "--out", str(result))
    rows = list(csv.DictReader(result.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 3
    assert [r["label"] for r in rows] == ["交通运输", "教育文体", "劳动和社会保障"]
    assert all(0 < float(r["confidence"]) <= 1 for r in rows) and rows[0]["编号"] == "1"


def test_classify_reads_xlsx(small_csv, tmp_path):
    import xlsxwriter

    model = tmp_path / "m.model"
    call_command("triage", "train", str(small_csv), "--text-col", "留言详情", "--label-col", "一级标签", "--model", str(model), "--cv", "0")
    x = tmp_path / "in.xlsx"
    wb = xlsxwriter.Workbook(str(x))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["留言详情"])
    ws.write_row(1, 0, ["养老金发放迟了"])
    wb.close()
    out = tmp_path / "o.csv"
    call_command("triage", "classify", str(x), "--text-col", "留言详情", "--model", str(model), "--out", str(out), "--top", "2")
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["label"] == "劳动和社会保障" and "label_2" in rows[0]


def test_train_reads_an_office_sheet_with_a_title_row(tmp_path):
    """The router reads spreadsheets like every importer: title rows above the header are skipped."""
    import xlsxwriter

    x = tmp_path / "office.xlsx"
    wb = xlsxwriter.Workbook(str(x))
    ws = wb.add_worksheet()
    ws.merge_range("A1:C1", "某区群众留言分类表")
    ws.write_row(1, 0, ["留言主题", "留言详情", "一级标签"])
    for r, row in enumerate(examples(), start=2):
        ws.write_row(r, 0, row)
    wb.close()
    model = tmp_path / "m.model"
    call_command("triage", "train", str(x), "--text-col", "留言详情", "--label-col", "一级标签", "--model", str(model), "--cv", "0")
    assert model.exists()


def test_train_refuses_a_crafted_workbook_with_the_guards_message(tmp_path):
    """A sheet claiming a 40-million-cell block is refused by the memory guard, not read."""
    from tests.test_xlsx_limits import HEADER_ROW, craft

    bomb = craft(tmp_path / "far.xlsx", HEADER_ROW + '<row r="200001"><c r="GS200001"><v>1</v></c></row>')
    with pytest.raises(CommandError, match="表格范围过大"):
        call_command("triage", "train", str(bomb), "--text-col", "序号", "--label-col", "序号", "--model", str(tmp_path / "m"))


def test_train_refuses_bad_input(small_csv, tmp_path):
    with pytest.raises(CommandError, match="找不到标签列"):
        call_command("triage", "train", str(small_csv), "--text-col", "留言详情", "--label-col", "标签", "--model", str(tmp_path / "m"))
    with pytest.raises(CommandError, match="找不到列"):
        call_command("triage", "train", str(small_csv), "--text-col", "正文", "--label-col", "一级标签", "--model", str(tmp_path / "m"))


def test_route_history_trains_router_and_inbox_shows_top3(users, tree, campaign, client_for, settings, tmp_path):
    from duban.intake import services as intake
    from duban.triage import services
    from duban.triage.models import Prediction, RouterModel, TrainingExample

    areas = list(campaign.focus_areas.order_by("position"))
    units = {"交通运输": tree["town_a"], "教育文体": tree["town_b"], "劳动和社会保障": tree["dept"]}
    area_of = {"交通运输": areas[0], "教育文体": areas[1], "劳动和社会保障": areas[2]}
    for title, body, label in examples(8):
        s = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title=title, body=body)
        services.route_confirm(actor=users["office"], suggestion=s, unit=units[label], focus_area=area_of[label], label=label)
    assert TrainingExample.objects.count() == 72
    for target in ("unit", "area", "label"):
        m = services.train_from_history(actor=users["office"], campaign=campaign, target=target, cv=3)
        assert m.is_active and m.n_train == 24 and m.metrics
    assert RouterModel.objects.filter(is_active=True).count() == 3
    new = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title="公司拖欠工资", body="公司拖欠工资半年，社保也不交。")
    office = client_for(users["office"])
    page = office.get("/intake/").content.decode()
    assert "区财政局" in page and "确认分拣" in page
    p = {x.target: x.top for x in Prediction.objects.filter(suggestion=new)}
    assert p["unit"][0]["id"] == tree["dept"].pk and p["label"][0]["label"] == "劳动和社会保障" and p["area"][0]["id"] == areas[2].pk
    assert len(p["unit"]) == 3 and all(0 <= c["confidence"] <= 1 for c in p["unit"])
    api = office.get(f"/api/triage/predictions/{new.pk}").json()
    assert api["unit"][0]["name"] == "区财政局"
    # a liaison gets no router hints
    assert client_for(users["liaison_a"]).get(f"/api/triage/predictions/{new.pk}").status_code == 404
    # one-click correction becomes training data
    r = office.post(f"/triage/route/{new.pk}/", {"unit": tree["town_a"].pk, "focus_area": areas[2].pk, "label": "劳动和社会保障"})
    assert r.status_code == 302
    ex = TrainingExample.objects.get(suggestion=new, target="unit")
    assert ex.corrected and ex.label == str(tree["town_a"].pk) and ex.predicted == str(tree["dept"].pk)
    assert not TrainingExample.objects.get(suggestion=new, target="label").corrected
    # the models page and API
    models_page = office.get("/triage/models/").content.decode()
    assert "折交叉验证" in models_page and "macro_f1=" not in models_page
    assert not re.search(r"\d\.\d{4,}", re.sub(r"<[^>]+>", " ", models_page))  # figures rounded for people
    assert len(office.get("/api/triage/models").json()) == 3
    r = office.post("/api/triage/classify", {"texts": ["孩子上学的学区划分"], "target": "label"}, content_type="application/json")
    assert r.json()["items"][0][0]["label"] == "教育文体"


def test_hot_issues_from_csv_and_page(users, campaign, client_for, tmp_path):
    path = tmp_path / "hot.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"])
        for i in range(6):
            w.writerow([100 + i, f"U{i}", "A3区丽发新城小区旁搅拌站噪音扰民", f"2019/8/{i + 1} 10:00:00", "丽发新城小区旁边的搅拌站日夜施工，噪音和粉尘严重扰民。", 0, i])
        for i in range(4):
            w.writerow([200 + i, f"V{i}", "A5区魅力之城小区临街餐饮油烟扰民", f"2019/9/{i + 1} 10:00:00", "魅力之城小区楼下的餐馆油烟直排，噪音很大。", 0, 1])
        for i, t in enumerate(["公积金贷款政策咨询", "孩子入学需要什么材料", "高铁站出租车拒载", "医保异地报销"]):
            w.writerow([300 + i, f"W{i}", t, "2019/10/1 9:00:00", t + "，请问怎么办。", 0, 0])
    call_command("triage", "hot", str(path))
    from duban.triage.models import HotIssue, HotIssueRun

    run = HotIssueRun.objects.get()
    assert run.n_messages == 14 and run.n_issues >= 2
    top = HotIssue.objects.get(run=run, rank=1)
    assert "搅拌站" in top.title and top.size == 6 and len(top.messages) == 6
    page = client_for(users["office"]).get("/triage/hot/").content.decode()
    assert "搅拌站" in page and "油烟" in page
    assert client_for(users["liaison_a"]).get("/triage/hot/").status_code == 403
    assert client_for(users["leader"]).get("/api/triage/hot").json()["issues"][0]["size"] == 6


def test_hot_issues_from_suggestions(users, campaign, client_for):
    from duban.intake import services as intake

    for i in range(5):
        intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title="洮河镇集贸市场垃圾成堆", body=f"洮河镇集贸市场的垃圾成堆没人清理，第{i}次反映。")
    intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title="建议开通夜间公交", body="建议开通城区夜间公交。")
    r = client_for(users["office"]).post("/triage/hot/run/")
    assert r.status_code == 302
    page = client_for(users["office"]).get(r["Location"]).content.decode()
    assert "集贸市场" in page


def test_hot_run_keeps_only_multi_message_issues_and_counts_singles(users, campaign, client_for, tmp_path):
    path = tmp_path / "hot.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"])
        for i in range(3):  # the smaller matter is the more recent and the more liked
            w.writerow([100 + i, f"U{i}", "A5区魅力之城小区临街餐饮油烟扰民", f"2019/9/{i + 1} 10:00:00", "魅力之城小区楼下的餐馆油烟直排，噪音很大。", 0, 50])
        for i in range(5):
            w.writerow([200 + i, f"V{i}", "A3区丽发新城小区旁搅拌站噪音扰民", f"2019/8/{i + 1} 10:00:00", "丽发新城小区旁边的搅拌站日夜施工，噪音和粉尘严重扰民。", 0, 0])
        for i, (t, x) in enumerate([("公积金贷款政策咨询", "换了工作以后公积金断缴三个月，还能申请贷款吗？"),
                                    ("孩子入学需要什么材料", "外地户口在本市租房，小孩上小学要准备哪些证明。"),
                                    ("高铁站出租车拒载", "晚上十点在高铁站打车，司机嫌路近不肯走。"),
                                    ("医保异地报销", "老人在外省住院，回来报销要跑好几个窗口。")]):
            w.writerow([300 + i, f"W{i}", t, "2019/10/1 9:00:00", x, 0, 0])
    call_command("triage", "hot", str(path))
    from duban.triage.models import HotIssueRun

    run = HotIssueRun.objects.get()
    # 4 single messages are not 4 "hot issues"
    assert (run.n_messages, run.n_issues, run.n_single) == (12, 2, 4)
    assert [h.size for h in run.issues.order_by("rank")] == [5, 3]  # by size, not by likes
    assert run.issues.get(rank=1).title.startswith("丽发新城")
    page = client_for(users["leader"]).get("/triage/hot/").content.decode()
    assert "2 个热点问题" in page and "其余 4 条为单条留言" in page
