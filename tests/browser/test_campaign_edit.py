"""The office edits the campaign's period in Chromium: the date fields must take the
values the form renders (a `2021/11/09` value is rejected by <input type=date>)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_office_saves_the_campaign_period_from_the_browser(page, users, campaign):
    login(page, "office", "pw-office")
    page.goto(page.base + f"/campaigns/{campaign.pk}/")
    assert page.input_value("#id_start_date") == "2021-11-09"
    page.fill("#id_end_date", "2022-06-30")
    page.click("form:has(#id_start_date) button")
    assert "已保存" in page.inner_text("main")
    campaign.refresh_from_db()
    assert campaign.start_date == dt.date(2021, 11, 9) and campaign.end_date == dt.date(2022, 6, 30)
    assert "2022" in page.inner_text("main p.muted")  # the period shows both ends
