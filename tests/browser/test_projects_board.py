"""The projects in Chromium: the office drags a card on the board (开工 asks for the date), a
refused drop shows the engine's words, and the 项目秘书 records a week with a blocker on a
phone-sized screen; screenshots of each person's view go to /work/shots/projects/ when that
folder exists (they are looked at by a person, not compared)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from duban.ledger.models import Problem, Source
from duban.projects import services
from duban.projects.models import Blocker, Record, Stage
from tests.browser.test_shell import login
from tests.projects.conftest import TESTER, projects  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/work/shots/projects"


def _shot(page, name: str) -> None:
    if os.path.isdir(SHOTS):
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _history(project) -> None:
    """Three past weeks of records, so the page's chart has a line."""
    today = dt.date.today()
    for weeks, progress, wan in ((3, 5, "800"), (2, 9, "1500"), (1, 12, "1200")):
        services.record_save(actor=TESTER, skip_checks=True, project=project, day=today - dt.timedelta(weeks=weeks), progress=progress,
                             progress_note=f"第{4 - weeks}周：场地平整、桩基施工", invested_wan=wan)


def test_office_drags_a_card_and_the_secretary_records_a_week_on_a_phone(page, chromium, live_server, users, projects, tree):  # noqa: F811
    p = projects["ethanol"]
    _history(p)
    login(page, "office", "pw-office")
    page.goto(page.base + "/projects/board/")
    card = page.locator(f'.pcard[data-id="{p.pk}"]')
    assert card.locator("xpath=ancestor::section").get_attribute("data-stage") == "signed"
    _shot(page, "office-board.png")
    # a refused drop (two columns back): the engine's words, the card stays
    card.drag_to(page.locator('.column[data-stage="planning"]'))
    page.fill("#move-form textarea[name=reason]", "测试")
    page.click("#move-ok")
    page.wait_for_selector("#move-error:not([hidden])")
    assert "逐级退回" in page.inner_text("#move-error")
    page.click("#move-form button[value=cancel]")
    # 开工: the dialog asks for the date; the card lands in the column
    card.drag_to(page.locator('.column[data-stage="started"]'))
    assert page.is_visible("#move-date-row")
    page.fill("#move-form input[name=date]", dt.date.today().isoformat())
    page.click("#move-ok")
    page.wait_for_selector(f'.column[data-stage="started"] .pcard[data-id="{p.pk}"]')
    assert "移至 开工" in page.inner_text("#board-flash")
    p.refresh_from_db()
    assert p.stage == Stage.STARTED and p.started_on == dt.date.today()
    page.goto(page.base + f"/projects/{p.pk}/")
    page.wait_for_function("document.querySelector('#record-chart canvas') !== null")
    _shot(page, "office-project.png")
    page.goto(page.base + "/projects/")
    _shot(page, "office-list.png")
    page.goto(page.base + "/projects/figures/")
    _shot(page, "office-figures.png")

    # the leader's own projects
    leader = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
    leader.base = live_server.url
    login(leader, "leader", "pw-leader")
    leader.goto(leader.base + "/projects/mine/")
    assert "燃料乙醇项目" in leader.inner_text("main")
    _shot(leader, "leader-mine.png")
    leader.context.close()

    # the 项目秘书 (平安镇's liaison) on a phone: what is due, the record with a blocker
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.base = live_server.url
    login(phone, "liaison_a", "pw-liaison_a")
    phone.goto(phone.base + "/projects/mine/")
    assert "本期待我填报的调度记录" in phone.inner_text("main")
    _shot(phone, "liaison-phone-mine.png")
    phone.click(f'#due a[href="/projects/{p.pk}/record/"]')
    # the spare blocker rows are hidden by record.js once the page has loaded (waited for: a
    # loaded machine runs the script after the click returns)
    phone.wait_for_selector("#blocker-rows .blocker-row >> nth=1", state="hidden", timeout=10_000)
    phone.fill("#id_progress", "15")
    phone.fill("#id_invested_wan", "2000")
    phone.fill("#id_progress_note", "主体钢结构吊装")
    phone.select_option("#id_b-0-kind", "land")
    phone.fill("#id_b-0-description", "临时用地20亩未批")
    phone.fill("input[name=b-0-unit]", "区财政局")
    phone.fill("#id_b-0-deadline", (dt.date.today() + dt.timedelta(days=10)).isoformat())
    _shot(phone, "liaison-phone-record.png")
    phone.click("#record-save")
    assert "已填报调度记录" in phone.inner_text("main")
    assert "临时用地20亩未批" in phone.inner_text("#blockers")
    _shot(phone, "liaison-phone-project.png")
    context.close()
    assert Record.objects.filter(project=p).count() == 4
    b = Blocker.objects.get(project=p)
    assert Problem.objects.get(pk=b.problem_id).source == Source.PROJECT

    # the other town's liaison sees its own project only
    # (on a phone, where there is no dragging: the card's 移动 button and the stage to choose)
    river = projects["river"]
    other = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True).new_page()
    other.base = live_server.url
    login(other, "liaison_b", "pw-liaison_b")
    other.goto(other.base + "/projects/board/")
    assert "河道治理工程" in other.inner_text("main") and "燃料乙醇项目" not in other.inner_text("main")
    _shot(other, "liaison-other-town-board.png")
    other.click(f'.pcard[data-id="{river.pk}"] [data-move]')
    assert other.is_visible("#move-stage-row") and other.is_disabled(f'#move-form option[value="{river.stage}"]')
    other.select_option("#move-form select[name=stage]", "negotiating")
    assert other.is_hidden("#move-date-row") and "在谈" in other.inner_text("#move-title")
    _shot(other, "liaison-other-town-move-dialog.png")
    other.click("#move-ok")
    other.wait_for_selector(f'.column[data-stage="negotiating"] .pcard[data-id="{river.pk}"]')
    river.refresh_from_db()
    assert river.stage == Stage.NEGOTIATING
    other.context.close()
