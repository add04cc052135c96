"""Intake works alone: with no app implementing its hooks (triage not installed) a suggestion
still arrives, is routed and replied to — without routing hints or reply checks."""

from __future__ import annotations

import pytest
from django.apps import apps

from duban.intake import hooks


@pytest.fixture
def no_triage(monkeypatch):
    # Triage's implementations are what it declares on its AppConfig: without them it is as if
    # triage were not installed, as far as intake can tell.
    monkeypatch.setattr(apps.get_app_config("triage"), "hook_impls", [])


@pytest.mark.django_db
def test_reply_without_a_reply_checker(no_triage, users, tree, client_for, make_suggestion):
    s = make_suggestion(unit=tree["village_a1"])
    assert hooks.reply_flags(s, "已修好") == []
    r = client_for(users["liaison_a"]).post(f"/api/suggestions/{s.pk}/reply", {"text": "已修好"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["flags"] == [] and r.json()["suggestion"]["reply"] == "已修好"
    r = client_for(users["liaison_a"]).post(f"/intake/{s.pk}/reply/", {"reply": "已修复"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.reply == "已修复"


@pytest.mark.django_db
def test_pages_and_routing_without_a_router(no_triage, users, tree, client_for, make_suggestion):
    from duban.intake import services
    from duban.triage.models import Prediction, TrainingExample

    s = make_suggestion()
    assert not Prediction.objects.filter(suggestion=s).exists()  # nothing predicted on arrival
    c = client_for(users["office"])
    assert c.get("/intake/").status_code == 200
    assert c.get(f"/intake/{s.pk}/").status_code == 200
    assert hooks.predictions(users["office"], [s]) == {} and not hooks.hot_issues_visible(users["office"], s.campaign)
    services.suggestion_route_confirm(actor=users["office"], suggestion=s, unit=tree["town_a"], label="路灯")
    s.refresh_from_db()
    assert s.unit_id == tree["town_a"].pk and not TrainingExample.objects.exists()


@pytest.mark.django_db
def test_with_triage_the_hooks_answer(users, tree, make_suggestion):
    from duban.intake import services
    from duban.triage.models import TrainingExample

    s = make_suggestion()
    assert hooks.reply_flags(s, "好")  # too short: triage's checker says so
    assert hooks.hot_issues_visible(users["office"], s.campaign)
    services.suggestion_route_confirm(actor=users["office"], suggestion=s, unit=tree["town_a"], label="路灯")
    assert TrainingExample.objects.filter(suggestion=s).count() == 2  # unit and label
