"""What the Citus plan (docs/scaling.md) relies on: region on every big table, kept right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps

from duban.core.actors import SystemActor
from duban.core.contributions import contributions
from duban.orgs.models import OrgUnit
from duban.orgs.services import regional_models, unit_update


def test_the_big_tables_are_declared_by_their_apps():
    assert {m._meta.label for m in regional_models()} >= {"ledger.Problem", "intake.Suggestion"}


@pytest.mark.parametrize("label", [m.model for m in contributions("regional_models")])
def test_big_tables_carry_region_and_unit(label):
    model = apps.get_model(label)
    region = model._meta.get_field("region")
    assert region.related_model is OrgUnit
    assert model._meta.get_field("unit").related_model is OrgUnit
    # Unique constraints are plain field lists, so they can be widened by region_id.
    for c in model._meta.constraints:
        if getattr(c, "fields", None) is not None and getattr(c, "expressions", ()):
            pytest.fail(f"{label}: expression constraint {c.name} cannot be widened by region")


def test_no_postgres_only_column_types():
    for model in apps.get_models():
        if not model.__module__.startswith("duban."):
            continue
        for f in model._meta.get_fields():
            assert "django.contrib.postgres" not in type(f).__module__, f"{model.__name__}.{f.name}"


@pytest.mark.django_db
def test_region_follows_a_unit_moved_to_another_region(tree, campaign):
    from duban.intake.models import Suggestion
    from duban.intake.services import suggestion_route, suggestion_submit
    from duban.ledger.models import Problem
    from duban.ledger.services import problem_create

    p = problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="村道路灯不亮", unit=tree["village_a1"], deadline=dt.date(2022, 3, 31))
    s = suggestion_route(actor=SystemActor("测试"), skip_checks=True, suggestion=suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="村道路灯不亮，晚上看不见路。"),
                         unit=tree["village_a1"])
    assert p.region_id == tree["town_a"].pk and s.region_id == tree["town_a"].pk  # a village belongs to its town's region
    unit_update(actor=SystemActor("测试"), unit=tree["village_a1"], parent=tree["town_b"])
    assert Problem.objects.get(pk=p.pk).region_id == tree["town_b"].pk
    assert Suggestion.objects.get(pk=s.pk).region_id == tree["town_b"].pk
    assert not Suggestion.objects.exclude(region__in=OrgUnit.objects.filter(depth__lte=1)).exists()
