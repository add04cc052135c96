"""挂图作战 in a real browser: the Gantt draws its bars on a canvas without a script
error, the PNG export downloads an image, the print layout redraws for A3 landscape."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.actors import SystemActor
from duban.plan import services
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TESTER = SystemActor("测试")


def _plan(tree, campaign):
    def item(title, lead, **kw):
        return services.item_create(actor=TESTER, skip_checks=True, campaign=campaign, refresh=False,
                                    new=services.NewItem(title=title, lead_unit=lead, **kw))

    today = dt.date.today()
    aspect = item("优化营商环境", tree["root"], seq="一")
    a = item("压缩审批时限", tree["town_a"], parent=aspect, seq="1", start_date=today - dt.timedelta(days=30),
             deadline=today + dt.timedelta(days=60))
    b = item("建设政务大厅", tree["dept"], parent=aspect, seq="2", co_units=[tree["town_a"]], deadline=today + dt.timedelta(days=120),
             duration_days=30)
    services.dependency_add(actor=TESTER, skip_checks=True, predecessor=a, successor=b)
    services.milestones_set(actor=TESTER, skip_checks=True, item=a, milestones=[("方案印发", today + dt.timedelta(days=5), None)])
    services.baseline_freeze(actor=TESTER, skip_checks=True, campaign=campaign, name="年初计划")
    services.plan_refresh(campaign=campaign)


def _open_map(page, username):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, username, "pw-" + username)
    page.goto(page.base + "/plan/map/")
    page.wait_for_selector("#map-chart[data-ready='1']", timeout=15000)
    return errors


def test_the_map_draws_and_exports_a_png(page, tree, users, campaign):
    _plan(tree, campaign)
    errors = _open_map(page, "office")
    assert page.locator("#map-chart canvas").count() >= 1
    # The chart holds the rows (a heading and the two items) and drew something on the canvas.
    rows = page.evaluate("window.dubanMap.chart().getOption().yAxis[0].data.length")
    assert rows == 3
    inked = page.evaluate("""() => { const c = document.querySelector('#map-chart canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] && (d[i] < 200 || d[i + 1] < 200)) n++; return n; }""")
    assert inked > 2000
    with page.expect_download() as download:
        page.click("#map-png")
    path = download.value.path()
    assert download.value.suggested_filename.startswith("挂图作战-") and download.value.suggested_filename.endswith(".png")
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    # Print: the chart is drawn again at A3 landscape width, and back after.
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("window.dubanMap.chart().getWidth()") == 1510
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate("window.dubanMap.chart().getWidth()") < 1510
    assert not errors, errors


def test_a_liaison_sees_its_own_rows(page, tree, users, campaign):
    _plan(tree, campaign)
    errors = _open_map(page, "liaison_b")
    # 洮河镇 owns nothing in this plan: the map says so instead of drawing an empty chart.
    assert "没有符合条件的事项" in page.inner_text("#map-chart")
    assert not errors, errors
