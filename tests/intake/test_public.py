"""The public, no-account pages: submit, track by code, rate; abuse limits and privacy."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from duban.audit.models import AuditEvent
from duban.intake.models import Photo, Rating, Status, Suggestion
from tests.intake.conftest import PNG

pytestmark = pytest.mark.django_db


def post_submit(client, **extra):
    data = {"kind": "issue", "title": "路灯不亮", "body": "平安镇一村主路路灯坏了两个月，晚上很黑。", "contact_name": "李四",
            "contact_phone": "13900001111", "place": "一村"}
    data.update(extra)
    return client.post("/s/", data)


def test_submit_form_renders_for_a_phone(campaign):
    r = Client().get("/s/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="viewport"' in html and "举报线索" in html and "企业诉求" in html and 'name="website"' in html


def test_submit_gives_code_and_status_page_shows_only_that_item(campaign, tree):
    c = Client()
    r = post_submit(c, place_unit=tree["town_a"].pk)
    assert r.status_code == 302
    s = Suggestion.objects.get()
    assert r["Location"] == f"/s/t/{s.tracking_code}/"
    assert s.channel == "web" and s.kind == "issue" and s.unit == tree["root"] and s.place_unit == tree["town_a"]
    assert len(s.tracking_code) == 12 and s.status == Status.NEW
    other = Suggestion.objects.create(campaign=campaign, unit=tree["root"], title="另一条", body="别人的留言", submitted_at=s.submitted_at)
    page = c.get(r["Location"]).content.decode()
    assert s.code_display in page and "提交成功" in page and "路灯不亮" in page
    assert "李四" not in page and "13900001111" not in page  # the status page never shows contacts
    assert "别人的留言" not in page and "另一条" not in page
    assert other.tracking_code != s.tracking_code
    assert "别人的留言" in c.get(f"/s/t/{other.tracking_code}/").content.decode()
    assert AuditEvent.objects.filter(verb="suggestion.submit", object_id=str(s.pk)).exists()


def test_unknown_code_reveals_nothing(campaign, make_suggestion):
    make_suggestion()
    c = Client()
    r = c.get("/s/t/ABCDEFGHJKMN/")
    assert r.status_code == 404 and "村里路灯" not in r.content.decode()
    r = c.get("/s/t/", {"code": "abcd-efgh-jkmn"})
    assert r.status_code == 404


def test_lookup_accepts_code_as_people_type_it(campaign, make_suggestion):
    s = make_suggestion()
    typed = s.code_display.lower().replace("-", " - ")
    r = Client().get("/s/t/", {"code": typed})
    assert r.status_code == 302 and r["Location"] == f"/s/t/{s.tracking_code}/"


def test_honeypot_stores_nothing(campaign):
    r = post_submit(Client(), website="http://spam.example")
    assert r.status_code == 200 and Suggestion.objects.count() == 0


def test_rate_limit_answers_429(campaign, settings):
    settings.DUBAN_INTAKE_LIMITS = {"submit": (2, 600)}
    c = Client()
    assert post_submit(c).status_code == 302
    assert post_submit(c).status_code == 302
    r = post_submit(c)
    assert r.status_code == 429 and r["Retry-After"] == "600"
    assert Suggestion.objects.count() == 2
    # another IP is not affected
    assert post_submit(Client(REMOTE_ADDR="10.0.0.9")).status_code == 302


def test_lookup_is_rate_limited(campaign, settings):
    settings.DUBAN_INTAKE_LIMITS = {"lookup": (3, 600)}
    c = Client()
    codes = [c.get("/s/t/", {"code": f"ZZZZZZZZZZZ{i}"}).status_code for i in range(2, 6)]
    assert codes[:3] == [404, 404, 404] and codes[3] == 429


def test_photo_is_content_sniffed(campaign):
    c = Client()
    good = SimpleUploadedFile("p.png", PNG, content_type="image/png")
    assert post_submit(c, photos=[good]).status_code == 302
    p = Photo.objects.get()
    assert p.content_type == "image/png" and p.size == len(PNG)
    # an executable dressed as a jpeg is refused, nothing is stored
    bad = SimpleUploadedFile("p.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    r = post_submit(c, photos=[bad])
    assert r.status_code == 400 and "不是照片" in r.content.decode()
    assert Suggestion.objects.count() == 1


def test_oversized_and_too_many_photos_are_refused(campaign, settings):
    from duban.intake import services

    c = Client()
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (services.MAX_PHOTO_BYTES + 10), content_type="image/png")
    assert post_submit(c, photos=[big]).status_code == 400
    four = [SimpleUploadedFile(f"{i}.png", PNG, content_type="image/png") for i in range(4)]
    assert post_submit(c, photos=four).status_code == 400
    assert Suggestion.objects.count() == 0


def test_empty_body_is_refused(campaign):
    r = post_submit(Client(), body="")
    assert r.status_code == 400 and Suggestion.objects.count() == 0


def test_rating_flow_and_unsatisfied_reopens(campaign, tree, users, make_suggestion):
    from duban.intake import services

    s = make_suggestion(unit=tree["town_a"])
    c = Client()
    url = f"/s/t/{s.tracking_code}/"
    assert "提交评价" not in c.get(url).content.decode()  # no reply yet, nothing to rate
    r = c.post(url, {"rating": Rating.SATISFIED})
    assert r.status_code == 400
    services.suggestion_reply(actor=users["liaison_a"], suggestion=s, text="经核查，已安排电工于本周内更换路灯，感谢您的监督。")
    page = c.get(url).content.decode()
    assert "已安排电工" in page and "提交评价" in page
    r = c.post(url, {"rating": Rating.UNSATISFIED, "comment": "还是没修"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == Status.REOPENED and s.reopen_count == 1 and s.rating_comment == "还是没修"
    services.suggestion_reply(actor=users["office"], suggestion=s, text="已督促平安镇当天修复，并回访确认路灯已亮。")
    assert c.post(url, {"rating": Rating.BASIC}).status_code == 302
    s.refresh_from_db()
    assert s.status == Status.CLOSED and s.closed_at is not None
    verbs = list(AuditEvent.objects.filter(object_id=str(s.pk), object_type="intake.suggestion").order_by("id").values_list("verb", flat=True))
    assert verbs == ["suggestion.submit", "suggestion.route", "suggestion.reply", "suggestion.rate", "suggestion.reply", "suggestion.rate"]
