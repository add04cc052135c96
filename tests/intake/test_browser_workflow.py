"""The suggestion page's workflow in a browser: the office records a phone callback and
transfers a clue, the liaison verifies and concludes one; a citizen follows a transferred
clue on a phone. Screenshots go to $DUBAN_SHOTS when it is set (for reviewers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from duban.core.actors import SystemActor
from tests.browser.test_shell import login

TESTER = SystemActor("测试")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    where = os.environ.get("DUBAN_SHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(where) / f"{name}.png"), full_page=True)


@pytest.fixture
def items(tree, users, campaign):
    from duban.intake import services
    from duban.intake.models import Kind

    def routed(body, **kw):
        s = services.suggestion_submit(actor=TESTER, skip_checks=True, campaign=campaign, body=body, contact_phone="13812345678", **kw)
        return services.suggestion_route(actor=TESTER, skip_checks=True, suggestion=s, unit=tree["town_a"])

    replied = routed("平安镇一村村口路灯坏了两个月，晚上出行很危险。", channel="hotline")
    replied = services.suggestion_reply(actor=users["liaison_a"], suggestion=replied, text="经核查，已更换村口两盏路灯，恢复夜间照明。")
    clue = routed("平安镇某站所负责人办事吃拿卡要，群众反映强烈。", kind=Kind.CLUE, channel="letter")
    other = routed("平安镇二村有人非法采砂，涉嫌违法犯罪。", kind=Kind.CLUE, channel="visit")
    return {"replied": replied, "clue": clue, "other": other}


def test_office_calls_back_and_transfers_liaison_verifies_and_concludes(page, chromium, live_server, items):
    from duban.intake.models import Callback, Status, Suggestion

    login(page, "office", "pw-office")
    page.goto(page.base + f"/intake/{items['replied'].pk}/")
    assert page.is_visible("#callback-form")
    page.check("#callback-form input[name=result][value=unsatisfied]")
    page.fill("#callback-form input[name=caller]", "王干事")
    page.fill("#callback-form textarea[name=note]", "群众反映路灯又不亮了")
    page.click("#callback-form button")
    assert "已记录电话回访" in page.inner_text("main")
    assert "群众反映路灯又不亮了" in page.inner_text("#callbacks")
    shot(page, "office-callback-recorded")
    assert Suggestion.objects.get(pk=items["replied"].pk).status == Status.REOPENED and Callback.objects.count() == 1

    page.goto(page.base + f"/intake/{items['other'].pk}/")
    assert page.is_visible("#step-verify") and page.is_visible("#step-transfer")
    shot(page, "office-clue-steps")
    page.fill("#step-transfer input[name=transferred_to]", "区公安分局")
    page.click("#step-transfer button")
    assert "已转办" in page.inner_text("main") and "区公安分局" in page.inner_text("main")
    other = Suggestion.objects.get(pk=items["other"].pk)
    assert other.status == Status.TRANSFERRED and other.transferred_to == "区公安分局"

    liaison = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
    liaison.base = live_server.url
    login(liaison, "liaison_a", "pw-liaison_a")
    liaison.goto(liaison.base + f"/intake/{items['clue'].pk}/")
    assert liaison.is_visible("#step-verify") and not liaison.is_visible("#step-transfer") and not liaison.is_visible("#callback-form")
    liaison.click("#step-verify button")
    assert liaison.is_visible("#step-conclude")
    shot(liaison, "liaison-clue-verifying")
    liaison.fill("#step-conclude textarea[name=reason]", "经核查，反映问题属实，已对当事人诫勉谈话并退还所收费用。")
    liaison.click("#step-conclude button")
    assert Suggestion.objects.get(pk=items["clue"].pk).status == Status.CLOSED

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN").new_page()
    phone.goto(live_server.url + f"/s/t/{other.tracking_code}/")
    assert "已转办" in phone.inner_text("#status") and "已转交区公安分局办理" in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "phone-clue-transferred")
