"""Hot issues in a real browser: the first issue is open with its messages; another
issue's messages are fetched from the server when it is opened (not rendered up front)."""

from __future__ import annotations

import pytest

from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_opening_a_hot_issue_loads_its_messages(page, tree, users, campaign):
    from django.utils import timezone

    from duban.triage.models import HotIssue, HotIssueRun

    run = HotIssueRun.objects.create(campaign=campaign, source="测试", started_at=timezone.now(), n_messages=5, n_issues=2, n_single=1)
    for rank, (title, texts) in enumerate([("路灯不亮", ["东街路灯不亮", "西街路灯不亮"]), ("井盖丢失", ["二村井盖丢了", "三村井盖丢了"])], 1):
        HotIssue.objects.create(run=run, rank=rank, title=title, size=len(texts), messages=[
            {"id": f"{rank}-{i}", "title": t, "time": "2026-01-05 10:00", "user": "张三", "likes": 0, "excerpt": t} for i, t in enumerate(texts)])
    login(page, "office", "pw-office")
    page.goto(page.base + "/triage/hot/")
    first, second = page.locator("details.hot").nth(0), page.locator("details.hot").nth(1)
    assert "东街路灯不亮" in first.inner_text()
    assert "二村井盖丢了" not in page.content()  # not rendered until opened
    second.locator("summary").click()
    second.locator("text=二村井盖丢了").wait_for()
    assert "三村井盖丢了" in second.inner_text()
