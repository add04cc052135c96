"""The web shell in a real browser: log in, see home and units, switch language, log out."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username: str, password: str) -> None:
    page.goto(page.base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_liaison_logs_in_sees_own_town_and_switches_language(page, tree, users, campaign):
    login(page, "liaison_a", "pw-liaison_a")
    assert "平安镇" in page.inner_text("header")
    assert "解放思想大讨论" in page.inner_text("h1")
    page.click("text=单位")
    assert page.inner_text("h1").startswith("平安镇")
    body = page.inner_text("main")
    assert "一村" in body and "三村" not in body and "洮河镇" not in body
    page.click("header button[name=language]")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click("header form[action='/logout/'] button")
    assert "/login/" in page.url


def test_wrong_password_is_refused(page, users):
    login(page, "liaison_a", "wrong")
    assert "用户名或密码不正确" in page.inner_text("main")
