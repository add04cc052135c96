"""Report rounds in Chromium: the office opens a round; 洮河镇's liaison answers its form on a
phone (a project's progress and investment, its co task as 无新进展) and submits; 平安镇's
liaison types a progress of 101 and the row says so; the office sees the counts and chases.
Set DUBAN_SHOTS=/work/shots/rounds to keep screenshots."""

from __future__ import annotations

import os

import pytest

from duban.ledger.demo import tiny_png
from duban.projects.models import Project, ProjectFile
from duban.rounds.models import Chase, Round, Submission, SubmissionStatus
from tests.browser.test_shell import login
from tests.rounds import test_pages as _pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# the same world (and work calendar) as the page tests
world, _calendar = _pages.world, _pages._calendar
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _shot(page, name: str) -> None:
    target = os.environ.get("DUBAN_SHOTS")
    if target:
        os.makedirs(target, exist_ok=True)
        page.screenshot(path=os.path.join(target, f"{name}.png"), full_page=True)


def _fits(page) -> bool:
    """Nothing wider than the screen: the page does not scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_round_opened_answered_on_a_phone_and_chased(page, chromium, live_server, users, world, tree):
    # The office opens a round by hand, for the responsible units.
    login(page, "office", "pw-office")
    page.click("nav >> text=调度报送")
    _shot(page, "office-rounds")
    page.click(".subnav >> text=发起调度")
    page.fill("#id_name", "第51周工作进展")
    page.fill("#id_instructions", "请于周五17:00前报送本周进展")
    page.click("#round-form button:has-text('发起')")
    assert "应报单位4个" in page.inner_text("main")
    rnd = Round.objects.get(name="第51周工作进展")

    # 洮河镇's liaison on a phone: its task (co unit) and its project in one form.
    phone = chromium.new_context(**PHONE)
    m = phone.new_page()
    m.base = live_server.url
    login(m, "liaison_b", "pw-liaison_b")
    m.goto(m.base + "/rounds/")
    assert _fits(m)
    _shot(m, "phone-liaison-rounds")
    sub = Submission.objects.get(round=rnd, unit=tree["town_b"])
    m.click(f"a.btn[href='/rounds/submission/{sub.pk}/']")
    task_key, project_key = f"task-{world['task'].pk}", f"project-{world['project'].pk}"
    assert m.is_visible(f"#row-{task_key}") and m.is_visible(f"#row-{project_key}")
    assert _fits(m)
    m.check(f"input[name={task_key}-unchanged]")
    assert "is-unchanged" in m.get_attribute(f"#row-{task_key}", "class")
    m.fill(f"#{project_key}-progress", "35")
    m.fill(f"#{project_key}-invested_wan", "800.5")
    m.fill(f"#{project_key}-done", "冷库主体完工")
    m.fill(f"#{project_key}-problems", "电力增容慢")
    # a photo from the phone, attached to the project's line
    m.set_input_files(f"#{project_key}-files", files=[{"name": "冷库现场.png", "mimeType": "image/png", "buffer": tiny_png()}])
    _shot(m, "phone-form-filled")
    m.click("#submit-btn")
    assert "已报送" in m.inner_text("main")
    assert _fits(m)
    assert "冷库现场.png" in m.inner_text(f"#row-{project_key}")
    _shot(m, "phone-form-submitted")
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.SUBMITTED
    assert Project.objects.get(pk=world["project"].pk).progress == 35
    assert ProjectFile.objects.get(project=world["project"]).name == "冷库现场.png"
    assert "如需修改请联系推进办退回" in m.inner_text("main")
    phone.close()

    # 平安镇's liaison types 101: the row is marked and says why; nothing is submitted.
    phone = chromium.new_context(**PHONE)
    m = phone.new_page()
    m.base = live_server.url
    login(m, "liaison_a", "pw-liaison_a")
    sub_a = Submission.objects.get(round=rnd, unit=tree["town_a"])
    m.goto(m.base + f"/rounds/submission/{sub_a.pk}/")
    task_key = f"task-{world['task'].pk}"
    m.fill(f"#{task_key}-progress", "101")
    m.fill(f"#{task_key}-done", "窗口改造完成")
    m.click("#submit-btn")
    row = m.inner_text(f"#row-{task_key}")
    assert "进度须在0到100之间" in row
    assert "has-errors" in m.get_attribute(f"#row-{task_key}", "class")
    _shot(m, "phone-form-error")
    sub_a.refresh_from_db()
    assert sub_a.status == SubmissionStatus.PENDING
    phone.close()

    # The office sees one submitted of four and chases the other three in one click.
    page.goto(page.base + f"/rounds/{rnd.pk}/")
    text = page.inner_text("main")
    assert "洮河镇" in text and "按时" in text
    page.click("#chase-form button")
    assert "已向3个未报送单位发出催报" in page.inner_text("main")
    assert Chase.objects.get(round=rnd).units == 3
    _shot(page, "office-round")

    # A leader reads the same round, without the office's buttons.
    leader = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    lp = leader.new_page()
    lp.base = live_server.url
    login(lp, "leader", "pw-leader")
    lp.goto(lp.base + f"/rounds/{rnd.pk}/")
    assert "一键催报" not in lp.inner_text("main") and "本轮汇总" in lp.inner_text("main")
    _shot(lp, "leader-round")
    leader.close()
