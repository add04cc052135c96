"""API edges (schema, docs, token auth, pagination) and the CLI contracts of DESIGN §5."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from duban.core.actors import SystemActor


@pytest.mark.django_db
def test_openapi_and_docs_are_served(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/units" in paths and "/api/units/{unit_id}" in paths
    docs = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn." not in docs  # nothing from a CDN


@pytest.mark.django_db
def test_bearer_token_from_cli_authenticates_and_is_scoped(client, tree, users):
    out = io.StringIO()
    call_command("token", "create", "liaison_a", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    r = client.get("/api/units", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "count"} and body["count"] == 3
    assert client.get("/api/units", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(f"/api/units/{tree['town_b'].pk}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404


@pytest.mark.django_db
def test_revoked_token_is_refused(client, users):
    from duban.orgs.models import ApiToken
    from duban.orgs.services import token_create, token_revoke

    token = token_create(actor=SystemActor("t"), user=users["leader"])
    assert client.get("/api/units", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    token_revoke(actor=SystemActor("t"), token=ApiToken.objects.get(user=users["leader"]))
    assert client.get("/api/units", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert not ApiToken.objects.filter(digest=token).exists()  # only the digest is stored


@pytest.mark.django_db
def test_token_for_unknown_user_fails(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("token", "create", "nobody")


@pytest.mark.django_db
def test_stats_json_has_the_contract_keys(tree):
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {"total", "rectified", "rate", "overdue", "by_area"} <= set(data["problems"])
    assert "total" in data["suggestions"]
    assert {"total", "done", "overdue"} <= set(data["tasks"])
    assert {"total", "started", "investment_total_wan"} <= set(data["projects"])
    assert isinstance(data["problems"]["rate"], float)


@pytest.mark.django_db
def test_stats_api_matches_cli(client_for, users, tree, campaign):
    import datetime as dt

    from duban.intake.services import suggestion_submit
    from duban.ledger.services import problem_create

    problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="村道路灯不亮", unit=tree["village_a1"], deadline=dt.date(2022, 3, 31))
    problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="三村饮水不安全", unit=tree["village_b1"], deadline=dt.date(2030, 1, 1))
    suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="建议增设公交线路。")
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)
    cli = json.loads(out.getvalue())
    assert cli["problems"]["total"] == 2 and cli["problems"]["overdue"] == 1 and cli["suggestions"]["total"] == 1
    r = client_for(users["office"]).get("/api/stats")
    assert r.status_code == 200 and r.json() == cli  # the office sees everything: the same figures
    assert client_for(users["liaison_b"]).get("/api/stats").json()["problems"]["total"] == 1  # a liaison, its own


@pytest.mark.django_db
def test_campaign_api_lists_campaigns_of_ancestors(client_for, users, campaign):
    data = client_for(users["liaison_a"]).get("/api/campaigns").json()
    assert [c["name"] for c in data] == ["解放思想大讨论"]
    assert [a["name"] for a in data[0]["focus_areas"]][:2] == ["强化担当作为", "深化市情认识"]
    assert client_for(users["outsider"]).get("/api/campaigns").json() == []
