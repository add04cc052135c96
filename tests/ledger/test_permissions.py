"""Generated scope tests: every ledger view and API endpoint refuses a user outside the
problem's scope (liaison_b of 洮河镇 on 平安镇's problem; an outsider with no unit)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from duban.ledger import services
from duban.ledger.models import Problem, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users, problem_a, problem_b, png):
    ev = services.problem_add_evidence(actor=users["liaison_a"], problem=problem_a, name="照片.png", data=png)
    return {"p": problem_a, "other": problem_b, "ev": ev}


def _pages(w):
    """(method, url, data) for every page that names one problem or its evidence."""
    p, ev = w["p"], w["ev"]
    return [
        ("get", reverse("ledger:problem_detail", args=[p.pk]), None),
        ("get", reverse("ledger:problem_edit", args=[p.pk]), None),
        ("post", reverse("ledger:problem_edit", args=[p.pk]), {"description": "x", "unit": "一村", "source": "self_check", "kind": "long_term"}),
        ("post", reverse("ledger:problem_transition", args=[p.pk, "claim"]), {}),
        ("post", reverse("ledger:problem_transition", args=[p.pk, "request_extension"]), {"reason": "r", "date": "2031-01-01"}),
        ("post", reverse("ledger:problem_note", args=[p.pk]), {"note": "x"}),
        ("post", reverse("ledger:evidence_upload", args=[p.pk]), {}),
        ("get", reverse("ledger:evidence_download", args=[ev.pk]), None),
    ]


def _api(w):
    p, ev = w["p"], w["ev"]
    base = f"/api/problems/{p.pk}"
    return [
        ("get", base, None),
        ("patch", base, {"owner": "x"}),
        ("post", f"{base}/transitions/claim", {}),
        ("post", f"{base}/notes", {"note": "x"}),
        ("get", f"{base}/evidence/{ev.pk}", None),
    ]


PAGE_COUNT = 8
API_COUNT = 5


@pytest.mark.parametrize("who", ["liaison_b", "outsider"])
@pytest.mark.parametrize("i", range(PAGE_COUNT))
def test_pages_refuse_outside_scope(world, users, client_for, who, i):
    method, url, data = _pages(world)[i]
    c = client_for(users[who])
    resp = getattr(c, method)(url, data or {})
    # Scoping contract: another unit's problem (or its evidence) is not revealed — 404, not 403.
    assert resp.status_code == 404, (url, resp.status_code)
    p = Problem.objects.get(pk=world["p"].pk)
    assert p.status == Status.PENDING and p.owner == "" and p.events.count() == 1


@pytest.mark.parametrize("who", ["liaison_b", "outsider"])
@pytest.mark.parametrize("i", range(API_COUNT))
def test_api_refuses_outside_scope(world, users, client_for, who, i):
    method, url, data = _api(world)[i]
    c = client_for(users[who])
    kwargs = {"content_type": "application/json", "data": json.dumps(data)} if data is not None else {}
    resp = getattr(c, method)(url, **kwargs)
    assert resp.status_code == 404, (url, resp.status_code, resp.content[:200])
    assert Problem.objects.get(pk=world["p"].pk).status == Status.PENDING


def test_lists_and_exports_hide_other_towns(world, users, client_for):
    from io import BytesIO

    import python_calamine

    c = client_for(users["liaison_b"])
    page = c.get(reverse("ledger:problem_list")).content.decode()
    assert "三村饮水" in page and "一村垃圾" not in page
    data = c.get("/api/problems").json()
    assert data["count"] == 1 and data["items"][0]["id"] == world["other"].pk
    for path in (reverse("ledger:my_items"), reverse("ledger:summary")):
        assert "一村垃圾" not in c.get(path).content.decode()
    resp = c.get(reverse("ledger:problem_export"))
    rows = python_calamine.CalamineWorkbook.from_filelike(BytesIO(b"".join(resp.streaming_content))).get_sheet_by_index(0).to_python()
    assert len(rows) == 2 and "三村" in rows[1][1]
    assert c.get("/api/problems?q=垃圾").json()["count"] == 0
    # one row (no focus area) counting liaison_b's one problem; the office's same row counts both
    assert [r["total"] for r in c.get("/api/problems/rates?by=area").json()] == [1]
    assert [r["total"] for r in client_for(users["office"]).get("/api/problems/rates?by=area").json()] == [2]


def test_anonymous_is_sent_to_login(world, client):
    for method, url, _ in _pages(world):
        resp = getattr(client, method)(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/?next="), (url, resp.status_code)
    assert client.get("/api/problems").status_code == 401


def test_liaison_cannot_import_or_bulk(world, users, client_for):
    c = client_for(users["liaison_a"])
    assert c.get(reverse("ledger:problem_import")).status_code == 403
    resp = c.post(reverse("ledger:problem_bulk"), {"action": "extend", "ids": [world["p"].pk], "deadline": "2031-01-01", "reason": "r"})
    assert resp.status_code == 302
    p = Problem.objects.get(pk=world["p"].pk)
    assert p.deadline == world["p"].deadline and p.deadline != dt.date(2031, 1, 1)
    assert Problem.objects.get(pk=world["p"].pk).events.count() == 1


def test_inside_scope_works(world, users, client_for, png):
    c = client_for(users["liaison_a"])
    p = world["p"]
    assert c.get(reverse("ledger:problem_detail", args=[p.pk])).status_code == 200
    r = c.get(reverse("ledger:evidence_download", args=[world["ev"].pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and b"".join(r.streaming_content) == png
    assert c.post(reverse("ledger:problem_transition", args=[p.pk, "claim"])).status_code == 302
    assert Problem.objects.get(pk=p.pk).status == Status.IN_PROGRESS
    r = c.post(f"/api/problems/{p.pk}/transitions/submit", data="{}", content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = c.post(f"/api/problems/{p.pk}/transitions/sign_off", data="{}", content_type="application/json")
    assert r.status_code == 403  # the wrong side: forbidden, not an illegal transition (issue 8 item 20a)
    r = client_for(users["office"]).post(f"/api/problems/{p.pk}/transitions/sign_off", data="{}", content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "signed_off"
