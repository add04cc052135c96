"""A citizen on a phone: submit, note the code, come back, read the reply, rate it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN",
                                   user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")
    pg = context.new_page()
    pg.base = live_server.url
    yield pg
    context.close()


def test_phone_submit_track_and_rate(phone, tree, users, campaign, tmp_path):
    from duban.intake import services
    from duban.intake.models import Status, Suggestion
    from tests.intake.conftest import PNG

    phone.goto(phone.base + "/s/")
    # the form fits the phone: no horizontal scrolling
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.eval_on_selector("#id_website", "e => e.getBoundingClientRect().right") < 0  # honeypot: off screen
    phone.check("input[name=kind][value=issue]")
    phone.fill("#id_body", "平安镇一村村口的路灯坏了两个月，晚上孩子放学很危险。")
    phone.select_option("#id_place_unit", label="平安镇")
    phone.fill("#id_contact_phone", "13900001111")
    photo = tmp_path / "light.png"
    photo.write_bytes(PNG)
    phone.set_input_files("#id_photos", str(photo))
    phone.click("button[type=submit]")
    code = phone.get_attribute(".code", "data-code")
    assert code and len(code) == 12 and "提交成功" in phone.inner_text("main")
    s = Suggestion.objects.get(tracking_code=code)
    assert s.place_unit == tree["town_a"] and s.photos.count() == 1

    services.suggestion_route(actor=users["office"], suggestion=s, unit=tree["town_a"])
    services.suggestion_reply(actor=users["liaison_a"], suggestion=s, text="经核查，已于今日更换村口两盏路灯，恢复夜间照明。感谢您的反映。")

    # later, with only the code typed in
    phone.goto(phone.base + "/s/t/")
    phone.fill("#id_code", code.lower())
    phone.click("button[type=submit]")
    assert "更换村口两盏路灯" in phone.inner_text("#reply")
    assert "13900001111" not in phone.content()
    phone.check("input[name=rating][value=satisfied]")
    phone.click("#rate-form button[type=submit]")
    assert "已办结" in phone.inner_text("#status")
    s.refresh_from_db()
    assert s.status == Status.CLOSED and s.rating == "satisfied"
