"""The inbox in a real browser: the header shows the unread count, reading clears it."""

from __future__ import annotations

import pytest

from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_reads_a_reminder_and_the_header_count_drops(page, tree, users, campaign):
    from duban.notify.services import notify_send

    notify_send(units=[tree["town_a"]], subject="整改提醒：路灯不亮", body="请于 3 个工作日内办结", kind="reminder", dedup_key="b:1")
    notify_send(units=[tree["town_a"]], subject="调度通知", body="周五 17:00 前报送", kind="round", dedup_key="b:2")
    login(page, "liaison_a", "pw-liaison_a")
    assert page.inner_text("header .inbox-link").replace(" ", "") == "消息2"
    page.click("header .inbox-link")
    assert "整改提醒：路灯不亮" in page.inner_text("main")
    page.click(".card:has-text('调度通知') button")
    assert page.inner_text("header .inbox-link").replace(" ", "") == "消息1"
    page.click("text=全部标为已读")
    assert page.inner_text("header .inbox-link").strip() == "消息"
