"""Issue 8 item 8: a submitter's phone (and name) is read in full only by the campaign office;
leaders and units see 138****5678 on every output — hot issues, pages, API, exports."""

from __future__ import annotations

import pytest
from django.test import Client

from duban.intake.privacy import mask_if_phone, mask_phone
from tests.intake.staff_outputs import staff_outputs, staff_urls

pytestmark = pytest.mark.django_db

PHONES = ["13900001111", "0436-1234567", "13700002222"]


@pytest.fixture
def posted(users, tree, campaign, client_for):
    """Citizens complain about the same matter (a hot issue): two by hotline/import (no IP
    recorded, as in the demo), one on the public page; the first is routed to 平安镇."""
    from duban.intake import services
    from duban.intake.models import Suggestion

    body = "平安镇一村主路的路灯坏了两个月，晚上很黑，出行不安全。"
    ids = [services.suggestion_submit(actor="测试", campaign=campaign, channel="hotline", title="一村主路路灯不亮", body=body,
                                      contact_name=name, contact_phone=phone).pk for phone, name in zip(PHONES[:2], ["李四", "王五"], strict=True)]
    r = Client().post("/api/public/suggestions", {"kind": "issue", "title": "一村主路路灯不亮", "body": body, "contact_name": "赵六",
                                                  "contact_phone": "13700002222"}, content_type="application/json")
    assert r.status_code == 201
    ids.append(Suggestion.objects.get(tracking_code=r.json()["tracking_code"]).pk)
    office = client_for(users["office"])
    assert office.post(f"/api/suggestions/{ids[0]}/route", {"unit_id": tree["town_a"].pk}, content_type="application/json").status_code == 200
    assert office.post("/triage/hot/run/").status_code == 302
    from duban.triage.models import HotIssue

    assert any(len(h.messages) == 3 for h in HotIssue.objects.all())  # the messages cluster together
    return ids


def _hits(outputs: dict[str, str], needle: str) -> list[str]:
    return [url for url, text in outputs.items() if needle in text]


@pytest.mark.parametrize("who", ["leader", "liaison_a"])
def test_no_full_phone_for_anyone_but_the_office(users, tree, client_for, posted, who):
    urls = staff_urls(suggestion_id=posted[0], unit_ids=(tree["town_a"].pk,)) + [f"/intake/{posted[1]}/", f"/api/suggestions/{posted[1]}"]
    outputs = staff_outputs(client_for(users[who]), urls)
    assert f"/intake/{posted[0]}/" in outputs
    for phone in PHONES:
        assert _hits(outputs, phone) == [], phone
    assert "李四" not in outputs[f"/intake/{posted[0]}/"] and "李*" in outputs[f"/intake/{posted[0]}/"]
    assert "139****1111" in outputs[f"/api/suggestions/{posted[0]}"]


def test_leader_reads_hot_issues_with_masked_posters(users, client_for, posted):
    leader = client_for(users["leader"])
    page = leader.get("/triage/hot/").content.decode()
    api = leader.get("/api/triage/hot").json()
    users_shown = {m["user"] for h in api["issues"] for m in h["messages"]}
    assert {"李* 139****1111", "王* 043****4567", "赵* 137****2222"} <= users_shown
    assert "139****1111" in page and "13900001111" not in page


def test_the_office_reads_contacts_in_full(users, client_for, posted):
    office = client_for(users["office"])
    out = staff_outputs(office, ["/triage/hot/", "/api/triage/hot", f"/intake/{posted[0]}/", f"/api/suggestions/{posted[0]}", "/intake/export/?status="])
    for url in out:
        assert "13900001111" in out[url], url
    # lists stay masked even for the office
    assert "13900001111" not in office.get("/intake/?status=").content.decode()


def test_hot_issue_runs_store_no_phone(posted):
    from duban.triage.models import HotIssue

    stored = repr([h.messages for h in HotIssue.objects.all()])
    assert not any(p in stored for p in PHONES)


def test_masking_helpers():
    assert mask_phone("13812345678") == "138****5678" and mask_phone("0436-1234567") == "043****4567"
    assert mask_if_phone("13812345678") == "138****5678" and mask_if_phone("A0004260") == "A0004260"
    assert mask_if_phone("") == ""


BODY_NUMBERS = ("13912345678", "0357-2345678", "142601199001011234")


@pytest.fixture
def numbers_in_text(users, tree, campaign, client_for):
    """A citizen who types their phone, landline and ID number into the message itself."""
    r = Client().post("/api/public/suggestions", {
        "kind": "issue", "title": "路灯不亮 请回电13912345678",
        "body": "平安镇一村路灯坏了，电话 139-1234-5678 或 0357-2345678，身份证142601199001011234。",
    }, content_type="application/json")
    assert r.status_code == 201
    from duban.intake.models import Suggestion

    s = Suggestion.objects.get(tracking_code=r.json()["tracking_code"])
    office = client_for(users["office"])
    assert office.post(f"/api/suggestions/{s.pk}/route", {"unit_id": tree["town_a"].pk}, content_type="application/json").status_code == 200
    return s, r.json()["tracking_code"]


@pytest.mark.parametrize("who", ["leader", "liaison_a"])
def test_numbers_typed_into_the_message_are_masked_for_all_but_the_office(users, tree, client_for, numbers_in_text, who):
    s, _ = numbers_in_text
    outputs = staff_outputs(client_for(users[who]), staff_urls(suggestion_id=s.pk, unit_ids=(tree["town_a"].pk,)))
    assert f"/intake/{s.pk}/" in outputs and f"/api/suggestions/{s.pk}" in outputs
    for number in (*BODY_NUMBERS, "139-1234-5678"):
        assert _hits(outputs, number) == [], number
    assert "139****5678" in outputs[f"/intake/{s.pk}/"] and "142601********1234" in outputs[f"/api/suggestions/{s.pk}"]


def test_the_office_reads_the_message_as_written_but_lists_and_the_public_page_mask(users, client_for, numbers_in_text):
    s, code = numbers_in_text
    office = client_for(users["office"])
    out = staff_outputs(office, [f"/intake/{s.pk}/", f"/api/suggestions/{s.pk}", "/intake/export/?status="])
    for url, text in out.items():
        assert "0357-2345678" in text and "142601199001011234" in text, url
    assert "13912345678" not in office.get("/intake/?status=").content.decode()
    public = Client().get(f"/s/t/{code}/").content.decode()
    assert "13912345678" not in public and "139****5678" in public


def test_a_problem_made_from_the_message_does_not_copy_its_numbers(users, tree, campaign, numbers_in_text):
    from duban.intake import ledger_link

    s, _ = numbers_in_text
    import datetime as dt

    problem = ledger_link.to_problem(actor=users["office"], suggestion=s, unit=tree["town_a"], deadline=dt.date(2027, 6, 30))
    assert not any(n in problem.description for n in BODY_NUMBERS) and "139****5678" in problem.description


def test_mask_text_leaves_dates_money_and_codes_alone():
    from duban.intake.privacy import mask_text

    for keep in ("2022-03-31", "2023年3月1日 金额12000元", "编号A13812345678", "订单20231234567890", "整改率92.4%"):
        assert mask_text(keep) == keep
    assert mask_text("+86 138 1234 5678") == "138****5678"
