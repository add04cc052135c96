"""Issue 8 item 10 (first half): a posted `next` never sends the browser off this site."""

from __future__ import annotations

import pytest

from duban.core.actors import SystemActor

pytestmark = pytest.mark.django_db

OFFSITE = ["//evil.example/x", "https://evil.example/x", "/\\evil.example/x", "javascript:alert(1)", "JaVaScRiPt:alert(document.domain)"]


@pytest.mark.parametrize("nxt", OFFSITE)
def test_ledger_bulk_refuses_offsite_next(users, client_for, problem_a, tree, nxt):
    r = client_for(users["office"]).post("/ledger/bulk/", {"action": "assign", "ids": [problem_a.pk], "unit": "平安镇", "next": nxt})
    assert r.status_code == 302
    assert r["Location"] == "/ledger/"
    problem_a.refresh_from_db()
    assert problem_a.unit == tree["town_a"]  # the action itself still happened


def test_ledger_bulk_follows_a_local_next(users, client_for, problem_a):
    r = client_for(users["office"]).post("/ledger/bulk/", {"action": "assign", "ids": [problem_a.pk], "unit": "平安镇", "next": "/ledger/?status=pending"})
    assert r.status_code == 302 and r["Location"] == "/ledger/?status=pending"


@pytest.mark.parametrize("nxt", OFFSITE)
def test_triage_route_refuses_offsite_next_and_referer(users, client_for, tree, campaign, nxt):
    from duban.intake import services

    s = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="村口路灯不亮已经一个月了。")
    c = client_for(users["office"])
    r = c.post(f"/triage/route/{s.pk}/", {"unit": tree["town_a"].pk, "next": nxt})
    assert r.status_code == 302 and r["Location"] == "/intake/"
    r = c.post(f"/triage/route/{s.pk}/", {"unit": tree["town_a"].pk}, HTTP_REFERER=nxt)
    assert r.status_code == 302 and r["Location"] == "/intake/"
    r = c.post(f"/triage/route/{s.pk}/", {"unit": tree["town_a"].pk, "next": "/intake/?status=new"})
    assert r["Location"] == "/intake/?status=new"
