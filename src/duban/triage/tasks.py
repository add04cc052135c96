"""Triage work that runs in the background (`duban worker`): hot-issue runs, router training
and predictions for arriving items — none of it keeps a web request (or a citizen) waiting."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django_tasks import task

from duban.campaigns.models import Campaign
from duban.intake.models import Suggestion
from duban.triage import services


def _actor(user_id: int | None):
    # The person who asked, for the audit trail; the worker itself when they are gone.
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return user or "后台任务"


@task()
def hot_issues_run(campaign_id: int, user_id: int | None = None) -> int:
    """Cluster the campaign's suggestions into hot issues; returns the run's id."""
    campaign = Campaign.objects.select_related("unit").get(pk=campaign_id)
    return services.hot_from_suggestions(actor=_actor(user_id), campaign=campaign).pk


@task()
def router_train(campaign_id: int, target: str, user_id: int | None = None) -> dict:
    """Retrain a router from the campaign's routed history: {"model": id} or, when the history
    cannot train one (too few examples…), {"error": the reason for the office}."""
    campaign = Campaign.objects.select_related("unit").get(pk=campaign_id)
    try:
        return {"model": services.train_from_history(actor=_actor(user_id), campaign=campaign, target=target).pk}
    except ValidationError as exc:
        return {"error": "；".join(exc.messages)}


@task()
def predictions_make(suggestion_ids: Sequence[int]) -> int:
    """The router's top three for items that arrived (public submissions, imports)."""
    return services.ensure_predictions(Suggestion.objects.filter(pk__in=list(suggestion_ids)))
