"""CSRF on the API, with a client that enforces it as a browser's request would meet it.

A bearer token is not ambient (a page on another site cannot add the header), so token
writes need no CSRF token; a session write must carry one; the public endpoints take no
credentials and act as "群众" whoever calls, so they need none either.
"""

from __future__ import annotations

import pytest
from django.test import Client

from duban.core.actors import SystemActor
from duban.ledger.models import Problem


@pytest.fixture
def token(users):
    from duban.orgs.services import token_create

    return token_create(actor=SystemActor("测试"), user=users["liaison_a"])


def _problem_body(tree, **kw):
    return {"description": "村口路灯不亮", "unit_id": tree["village_a1"].pk, "deadline": "2030-01-01", **kw}


def _session_client(user) -> Client:
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    return c


def _csrf_token(client: Client) -> str:
    client.get("/ledger/new/")  # any page with a form sets the csrftoken cookie
    return client.cookies["csrftoken"].value


@pytest.mark.django_db
def test_token_writes_need_no_csrf_token(tree, campaign, token):
    c = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    r = c.post("/api/problems", _problem_body(tree), content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = c.patch(f"/api/problems/{pk}", {"owner": "王主任"}, content_type="application/json", **auth)
    assert r.status_code == 200, r.content
    assert Problem.objects.get(pk=pk).owner == "王主任"
    r = c.post(f"/api/problems/{pk}/notes", {"note": "已安排维修"}, content_type="application/json", **auth)
    assert r.status_code == 201, r.content


@pytest.mark.django_db
def test_session_write_without_csrf_token_is_refused_and_writes_nothing(tree, campaign, users):
    c = _session_client(users["liaison_a"])
    r = c.post("/api/problems", _problem_body(tree), content_type="application/json")
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    assert not Problem.objects.exists()
    assert c.get("/api/problems").status_code == 200  # reads stay open to the session


@pytest.mark.django_db
def test_session_write_with_csrf_token_succeeds(tree, campaign, users):
    c = _session_client(users["liaison_a"])
    r = c.post("/api/problems", _problem_body(tree), content_type="application/json", HTTP_X_CSRFTOKEN=_csrf_token(c))
    assert r.status_code == 201, r.content
    assert Problem.objects.count() == 1


@pytest.mark.django_db
def test_bad_token_with_a_session_still_needs_csrf(tree, campaign, users):
    c = _session_client(users["liaison_a"])
    r = c.post("/api/problems", _problem_body(tree), content_type="application/json", HTTP_AUTHORIZATION="Bearer wrong")
    assert r.status_code == 403
    assert not Problem.objects.exists()


@pytest.mark.django_db
def test_no_credentials_is_401_in_chinese(tree, campaign):
    r = Client(enforce_csrf_checks=True).post("/api/problems", _problem_body(tree), content_type="application/json")
    assert r.status_code == 401
    assert r.json()["detail"] == "未登录或 API 令牌无效"


@pytest.mark.django_db
def test_public_endpoints_need_no_csrf_and_ignore_the_session(tree, campaign, users):
    """Public submission and rating carry no credentials: CSRF protects nothing there, and
    a signed-in staff browser posting to them acts as an anonymous citizen, not as staff."""
    from duban.intake.models import Suggestion

    for c in (Client(enforce_csrf_checks=True), _session_client(users["office"])):
        r = c.post("/api/public/suggestions", {"body": "路灯坏了，晚上出行不便。"}, content_type="application/json")
        assert r.status_code == 201, r.content
    assert Suggestion.objects.count() == 2
    from duban.audit.models import AuditEvent

    actors = set(AuditEvent.objects.filter(verb__startswith="suggestion").values_list("actor_id", flat=True))
    assert actors == {None}  # recorded as 群众, never as the signed-in office user
    code = Suggestion.objects.first().tracking_code
    r = Client(enforce_csrf_checks=True).get(f"/api/public/suggestions/{code}")
    assert r.status_code == 200


@pytest.mark.django_db
def test_session_page_forms_still_need_csrf(users, campaign):
    """The pages keep Django's CSRF middleware: the API change does not loosen them."""
    c = _session_client(users["office"])
    r = c.post("/ledger/new/", {"description": "x", "unit": "平安镇", "source": "self_check", "kind": "long_term"})
    assert r.status_code == 403
