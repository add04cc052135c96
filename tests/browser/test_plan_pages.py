"""The plan in Chromium: the office adds an item (co unit picked with the unit picker, a
node), the lead town's liaison accepts it and reports progress with a photo, and the co
town reports its own part."""

from __future__ import annotations

import pytest

from duban.plan.models import ItemEvent, PlanItem, Status
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_office_creates_an_item_and_the_liaisons_accept_and_report(page, chromium, live_server, users, campaign, tree):
    login(page, "office", "pw-office")
    page.click("nav >> text=任务分工")
    page.click("text=新增事项")
    page.fill("#id_title", "压缩企业开办时间")
    page.fill("input[name=lead_unit]", "平安镇")
    # 责任单位 through the picker: type, choose from the list, it lands in the box
    page.fill("input[name=co_pick]", "洮河")
    # the list first shows every unit (on focus), then the answer for "洮河": wait for that one
    page.wait_for_function("document.querySelectorAll('.co-add .unit-picker-list li').length === 1")
    page.click(".co-add .unit-picker-list li:has-text('洮河镇')")
    assert page.input_value("#id_co_units") == "洮河镇"
    page.fill("#id_deadline", "2030-06-30")
    page.fill("#id_duration_days", "20")
    page.fill("input[name=ms-0-title]", "窗口改造完成")
    page.fill("input[name=ms-0-due]", "2030-03-31")
    page.fill("input[name=ms-0-unit]", "洮河镇")
    page.click("#item-form button:has-text('保存')")
    assert "已保存" in page.inner_text("main")
    item = PlanItem.objects.get(title="压缩企业开办时间")
    assert item.lead_unit == tree["town_a"] and item.latest_start is not None
    assert "洮河镇" in page.inner_text("main") and "窗口改造完成" in page.inner_text("main")

    # the lead town accepts it from 我的任务 and reports 40% with a photo
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.base = live_server.url
    login(phone, "liaison_a", "pw-liaison_a")
    phone.goto(phone.base + "/plan/mine/")
    assert "等我办理" in phone.inner_text("main")
    phone.click("text=压缩企业开办时间")
    phone.click("button:has-text('签收')")
    assert "已签收" in phone.inner_text("main")
    phone.fill("#id_note", "已完成窗口改造方案")
    phone.fill("#id_progress", "40")
    phone.set_input_files("form:has(#id_note) input[type=file]", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    phone.click("button:has-text('提交进展')")
    assert "已填报进展" in phone.inner_text("main")
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and item.progress == 40 and item.evidence.count() == 1
    context.close()

    # the co town reports its part; it has no 签收 or % of its own
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.base = live_server.url
    login(page, "liaison_b", "pw-liaison_b")
    page.goto(page.base + f"/plan/{item.pk}/")
    assert page.locator("button:has-text('申请办结')").count() == 0 and page.locator("#id_progress").count() == 0
    page.fill("#id_note", "洮河镇窗口已改造")
    page.click("button:has-text('提交进展')")
    assert "已填报进展" in page.inner_text("main")
    assert ItemEvent.objects.filter(item=item, unit=tree["town_b"], note="洮河镇窗口已改造").exists()
    context.close()
