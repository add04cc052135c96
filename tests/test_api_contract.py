"""The API's outside edges: route order, declared errors, the error body."""

from __future__ import annotations

import pytest

from duban.core.actors import SystemActor


@pytest.mark.django_db
def test_post_hot_run_reaches_its_endpoint(users, campaign, client_for):
    """POST /api/triage/hot/run used to meet the GET-only /hot/{run_id} first: a 405."""
    from duban.intake import services as intake

    for i in range(4):
        intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title="集贸市场垃圾成堆", body=f"洮河镇集贸市场的垃圾成堆没人清理，第{i}次反映。")
    r = client_for(users["office"]).post("/api/triage/hot/run")
    assert r.status_code == 201, r.content
    run = r.json()
    assert run["n_messages"] == 4
    assert client_for(users["office"]).get(f"/api/triage/hot/{run['id']}").json()["id"] == run["id"]
    assert client_for(users["liaison_a"]).post("/api/triage/hot/run").status_code == 403


@pytest.mark.django_db
def test_every_operation_declares_the_errors_it_answers(client):
    spec = client.get("/api/openapi.json").json()
    assert "ErrorOut" in spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "422" in codes, (method, path)
            assert ("429" if path.startswith("/api/public/") else "401") in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in op and "application/json" in op["requestBody"]["content"]:
                assert "400" in codes, (method, path)  # malformed JSON
            if method in ("post", "patch") and not path.startswith("/api/public/"):
                assert "403" in codes, (method, path)  # not allowed, or a session write without CSRF token


@pytest.mark.django_db
def test_error_bodies_are_one_chinese_sentence(client_for, users, campaign):
    c = client_for(users["office"])
    r = c.get("/api/units?limit=0&parent_id=abc")
    assert r.status_code == 422
    body = r.json()
    assert body["detail"] in ("输入有误：parent_id：应为整数；limit：不能小于 1", "输入有误：limit：不能小于 1；parent_id：应为整数")
    assert {e["loc"][-1] for e in body["errors"]} == {"limit", "parent_id"}
    assert c.get("/api/problems/999999").json() == {"detail": "未找到该问题或无权查看"}


@pytest.mark.django_db
def test_task_overview_is_not_taken_for_an_item_id(users, campaign, client_for):
    """GET /api/tasks/overview is declared before /api/tasks/{item_id}: else a 422 (not an integer)."""
    r = client_for(users["office"]).get("/api/tasks/overview")
    assert r.status_code == 200, r.content
    assert r.json()["campaign_id"] == campaign.pk
    assert client_for(users["office"]).get("/api/tasks/999999").json() == {"detail": "未找到该督办事项或无权查看"}
