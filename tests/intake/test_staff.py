"""Office and unit side: scoping in list/detail/API, masked contacts, hotline entry, workflow, audit."""

from __future__ import annotations

import json

import pytest

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.intake.models import Status, Suggestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(tree, make_suggestion):
    a = make_suggestion(unit=tree["village_a1"], title="平安镇一村路灯", body="平安镇一村的路灯坏了很久，请尽快修复。")
    b = make_suggestion(unit=tree["town_b"], title="洮河镇垃圾清运", body="洮河镇街上的垃圾三天没人清运，气味很大。",
                        contact_name="王五", contact_phone="13700002222")
    return a, b


def test_liaison_b_cannot_see_town_a_items(users, two, client_for):
    a, b = two
    c = client_for(users["liaison_b"])
    page = c.get("/intake/?status=").content.decode()
    assert "洮河镇垃圾清运" in page and "平安镇一村路灯" not in page
    assert c.get(f"/intake/{a.pk}/").status_code == 404
    r = c.get(f"/intake/{b.pk}/")
    assert r.status_code == 200 and "洮河镇垃圾清运" in r.content.decode()
    data = c.get("/api/suggestions").json()
    assert data["count"] == 1 and data["items"][0]["id"] == b.pk
    assert c.get(f"/api/suggestions/{a.pk}").status_code == 404
    assert c.post(f"/api/suggestions/{a.pk}/reply", {"text": "答复内容"}, content_type="application/json").status_code == 404
    # office sees both
    assert client_for(users["office"]).get("/api/suggestions").json()["count"] == 2
    # an outsider sees nothing
    assert client_for(users["outsider"]).get("/api/suggestions").json()["count"] == 0


def test_contacts_masked_except_for_office(users, two, client_for):
    a, b = two
    liaison = client_for(users["liaison_b"])
    item = liaison.get(f"/api/suggestions/{b.pk}").json()
    assert item["contact_name"] == "王*" and item["contact_phone"] == "137****2222"
    page = liaison.get(f"/intake/{b.pk}/").content.decode()
    assert "13700002222" not in page and "137****2222" in page
    leader = client_for(users["leader"]).get(f"/api/suggestions/{b.pk}").json()
    assert leader["contact_phone"] == "137****2222"
    office = client_for(users["office"])
    assert office.get(f"/api/suggestions/{b.pk}").json()["contact_phone"] == "13700002222"
    assert "13700002222" in office.get(f"/intake/{b.pk}/").content.decode()
    # lists mask even for the office
    assert "13700002222" not in office.get("/intake/?status=").content.decode()


def test_anonymous_gets_nothing(two, client):
    assert client.get("/api/suggestions").status_code == 401
    r = client.get("/intake/")
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


def test_hotline_entry_by_office(users, campaign, client_for, tree):
    c = client_for(users["office"])
    r = c.post("/intake/new/", {"channel": "hotline", "kind": "enterprise", "title": "企业用电报装慢", "body": "某企业反映用电报装审批超过一个月。",
                                "contact_name": "赵总", "contact_phone": "0436-1234567", "place_unit": tree["dept"].pk})
    assert r.status_code == 302
    s = Suggestion.objects.get()
    assert s.channel == "hotline" and s.kind == "enterprise" and s.created_by == users["office"] and s.place_unit == tree["dept"]
    assert s.unit == tree["root"]


def test_liaison_records_for_own_unit_and_viewer_cannot(users, campaign, client_for, tree):
    c = client_for(users["liaison_a"])
    r = c.post("/api/suggestions", {"body": "村民来访反映灌溉水渠堵塞。", "channel": "visit"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["unit_id"] == tree["town_a"].pk and r.json()["channel"] == "visit"
    assert client_for(users["liaison_a"]).get("/intake/new/").status_code == 200
    assert client_for(users["outsider"]).get("/intake/new/").status_code == 403  # no unit at all
    from duban.orgs.services import membership_set

    membership_set(actor=SystemActor("测试"), user=users["outsider"], unit=tree["town_a"], role="viewer")
    viewer = client_for(users["outsider"])
    assert viewer.get("/intake/new/").status_code == 403
    r = viewer.post("/api/suggestions", {"body": "村民来访反映路灯不亮。", "channel": "visit"}, content_type="application/json")
    assert r.status_code == 403 and Suggestion.objects.count() == 1


def test_workflow_route_reply_close_with_audit(users, campaign, tree, client_for, make_suggestion):
    s = make_suggestion()
    office = client_for(users["office"])
    area = campaign.focus_areas.first()
    r = office.post(f"/api/suggestions/{s.pk}/route", {"unit_id": tree["town_a"].pk, "focus_area_id": area.pk, "label": "城乡建设"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "assigned" and body["unit_id"] == tree["town_a"].pk and body["focus_area_id"] == area.pk
    # only the office routes
    assert client_for(users["liaison_a"]).post(f"/api/suggestions/{s.pk}/route", {"unit_id": tree["town_b"].pk}, content_type="application/json").status_code == 403
    # the handling unit replies; the reply check comes back
    r = client_for(users["liaison_a"]).post(f"/api/suggestions/{s.pk}/reply", {"text": "已修"}, content_type="application/json")
    assert r.status_code == 200
    assert any(f["code"] == "short" for f in r.json()["flags"])
    assert r.json()["suggestion"]["status"] == "replied"
    # the other town cannot reply (not visible)
    assert client_for(users["liaison_b"]).post(f"/api/suggestions/{s.pk}/reply", {"text": "答复"}, content_type="application/json").status_code == 404
    assert client_for(users["liaison_a"]).post(f"/api/suggestions/{s.pk}/close").status_code == 403
    r = office.post(f"/api/suggestions/{s.pk}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    verbs = list(AuditEvent.objects.filter(object_type="intake.suggestion", object_id=str(s.pk)).order_by("id").values_list("verb", flat=True))
    assert verbs == ["suggestion.submit", "suggestion.route", "suggestion.reply", "suggestion.close"]
    route_event = AuditEvent.objects.get(object_id=str(s.pk), verb="suggestion.route")
    assert route_event.unit == tree["town_a"]
    assert route_event.changes == {
        "unit": ["洮北区", "平安镇"], "focus_area": [None, area.name], "label": ["", "城乡建设"], "status": ["待分拣", "办理中"],
    }
    from duban.triage.models import TrainingExample

    assert set(TrainingExample.objects.filter(suggestion=s).values_list("target", flat=True)) == {"unit", "area", "label"}


def test_route_via_page_and_inbox(users, campaign, tree, client_for, make_suggestion):
    s = make_suggestion()
    office = client_for(users["office"])
    page = office.get("/intake/").content.decode()
    assert s.title in page and "待分拣" in page
    r = office.post(f"/triage/route/{s.pk}/", {"unit": tree["town_b"].pk}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "已分拣" in r.content.decode()
    s.refresh_from_db()
    assert s.unit == tree["town_b"] and s.status == Status.ASSIGNED
    assert client_for(users["liaison_a"]).post(f"/triage/route/{s.pk}/", {"unit": tree["town_a"].pk}).status_code == 404


def test_detail_page_reply_and_reply_check(users, tree, client_for, make_suggestion):
    s = make_suggestion(unit=tree["town_a"])
    c = client_for(users["liaison_a"])
    page = c.get(f"/intake/{s.pk}/").content.decode()
    assert "答复" in page and "确认分拣" not in page  # the liaison replies but does not route
    frag = c.post(f"/triage/reply-check/{s.pk}/", {"reply": "好"}).content.decode()
    assert "过短" in frag
    r = c.post(f"/intake/{s.pk}/reply/", {"reply": "经现场核查，一村路灯线路老化，已于今日更换灯具和线路，恢复照明。"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == Status.REPLIED and s.replied_by == users["liaison_a"]


def test_channel_counts_page_and_api(users, campaign, client_for, make_suggestion):
    make_suggestion(channel="box")
    make_suggestion(channel="box")
    make_suggestion(channel="forum")
    c = client_for(users["office"])
    counts = c.get("/api/suggestions/counts").json()
    assert counts["by_channel"]["意见箱"] == 2 and counts["by_channel"]["座谈会"] == 1 and counts["by_channel"]["热线电话"] == 0
    assert "意见箱" in c.get("/intake/channels/").content.decode()


def test_figures_in_stats(users, tree, campaign, make_suggestion):
    from duban.intake import services
    from duban.stats import headline

    s1 = make_suggestion(unit=tree["town_a"], channel="box")
    make_suggestion(channel="hotline", kind="enterprise")
    services.suggestion_reply(actor=SystemActor("测试"), skip_checks=True, suggestion=s1, text="已经处理完毕，谢谢您的意见和建议。")
    services.suggestion_rate(suggestion=s1, rating="satisfied")
    out = headline()["suggestions"]
    assert out["total"] == 2 and out["by_channel"]["意见箱"] == 1 and out["by_kind"]["企业诉求"] == 1
    assert out["handled_rate"] == 0.5 and out["satisfaction_rate"] == 1.0 and out["avg_reply_days"] is not None
    # scoped: liaison_b sees none of them
    assert headline(user=users["liaison_b"])["suggestions"]["total"] == 0


def test_photo_served_only_in_scope(users, tree, client_for, campaign):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.intake import services
    from tests.intake.conftest import PNG

    s = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="照片里是破损的路面。", photos=[SimpleUploadedFile("a.png", PNG)])
    services.suggestion_route(actor=SystemActor("测试"), skip_checks=True, suggestion=s, unit=tree["town_a"])
    pid = s.photos.get().pk
    r = client_for(users["liaison_a"]).get(f"/intake/photos/{pid}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert client_for(users["liaison_b"]).get(f"/intake/photos/{pid}/").status_code == 404


def test_public_api(campaign, client, settings):
    r = client.post("/api/public/suggestions", {"body": "小区门口的下水道堵了。", "kind": "issue", "contact_phone": "13811112222"}, content_type="application/json")
    assert r.status_code == 201, r.content
    code = r.json()["tracking_code"]
    st = client.get(f"/api/public/suggestions/{code}").json()
    assert st["status"] == "new" and "13811112222" not in json.dumps(st)
    assert client.get("/api/public/suggestions/ZZZZZZZZZZZZ").status_code == 404
    assert client.post(f"/api/public/suggestions/{code}/rating", {"rating": "satisfied"}, content_type="application/json").status_code == 422
    # honeypot: nothing stored
    assert client.post("/api/public/suggestions", {"body": "spam", "website": "x"}, content_type="application/json").status_code == 200
    assert Suggestion.objects.count() == 1
    settings.DUBAN_INTAKE_LIMITS = {"submit": (1, 600)}
    from django.core.cache import cache

    cache.clear()
    assert client.post("/api/public/suggestions", {"body": "第一条"}, content_type="application/json").status_code == 201
    assert client.post("/api/public/suggestions", {"body": "第二条"}, content_type="application/json").status_code == 429


def test_detail_links_the_problem_only_when_the_reader_may_open_it(users, tree, client_for, make_suggestion):
    """A suggestion turned into a problem that the office later gave to another town: the
    suggestion's liaison still reads the suggestion, but gets no link to a page that 404s."""
    import datetime as dt

    from duban.intake import ledger_link
    from duban.ledger.services import problem_bulk_assign

    s = make_suggestion(unit=tree["town_b"], title="洮河镇排水沟堵塞")
    problem = ledger_link.to_problem(actor=users["office"], suggestion=s, deadline=dt.date.today() + dt.timedelta(days=30))
    href = f'href="/ledger/{problem.pk}/"'
    assert href in client_for(users["liaison_b"]).get(f"/intake/{s.pk}/").content.decode()
    problem_bulk_assign(actor=users["office"], problem_ids=[problem.pk], unit=tree["town_a"])
    liaison_b = client_for(users["liaison_b"])
    page = liaison_b.get(f"/intake/{s.pk}/")
    assert page.status_code == 200 and "关联问题" in page.content.decode()
    assert href not in page.content.decode()
    assert liaison_b.get(f"/ledger/{problem.pk}/").status_code == 404
    assert href in client_for(users["office"]).get(f"/intake/{s.pk}/").content.decode()
