"""Issue 8 item 8: a submitter's phone (and name) is read in full only by the campaign office;
leaders and units see 138****5678 on every output — hot issues, pages, API, exports."""

from __future__ import annotations

import pytest
from django.test import Client

from duban.core.actors import SystemActor
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
    ids = [services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, channel="hotline", title="一村主路路灯不亮", body=body,
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
