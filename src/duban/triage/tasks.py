"""Triage work that runs in the background (`duban worker`): hot-issue runs, router training
and predictions for arriving items — none of it keeps a web request (or a citizen) waiting."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django_tasks import task

from duban.campaigns.models import Campaign
from duban.core.actors import WORKER
from duban.intake.models import Suggestion
from duban.triage import services


def _actor(user_id: int | None):
    # The person who asked (checked again now: their rights may have changed since); the
    # worker itself when nobody asked or they are gone — then the queued job stands.
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return user or WORKER


@task()
def hot_issues_run(campaign_id: int, user_id: int | None = None) -> int:
    """Cluster the campaign's suggestions into hot issues; returns the run's id."""
    campaign = Campaign.objects.select_related("unit").get(pk=campaign_id)
    actor = _actor(user_id)
    return services.hot_from_suggestions(actor=actor, campaign=campaign, skip_checks=actor is WORKER).pk


@task()
def router_train(campaign_id: int, target: str, user_id: int | None = None) -> dict:
    """Retrain a router from the campaign's routed history: {"model": id} or, when the history
    cannot train one (too few examples…), {"error": the reason for the office}."""
    campaign = Campaign.objects.select_related("unit").get(pk=campaign_id)
    try:
        actor = _actor(user_id)
        return {"model": services.train_from_history(actor=actor, campaign=campaign, target=target, skip_checks=actor is WORKER).pk}
    except ValidationError as exc:
        return {"error": "；".join(exc.messages)}


@task()
def predictions_make(suggestion_ids: Sequence[int]) -> int:
    """The router's top three for items that arrived (public submissions, imports)."""
    return services.ensure_predictions(Suggestion.objects.filter(pk__in=list(suggestion_ids)))
