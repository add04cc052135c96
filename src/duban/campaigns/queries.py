"""Which campaigns a user works in: those run by one of their units or by an ancestor."""

from __future__ import annotations

from django.db.models import QuerySet

from duban.campaigns.models import Campaign, FocusArea
from duban.orgs import permissions


def campaigns_for(user) -> QuerySet[Campaign]:
    """The campaigns the user works in, by the permission layer's rule (`takes_part`): a
    unit takes part in the campaigns of its ancestors and runs those of its subtree."""
    return permissions.takes_part(user, Campaign.objects.select_related("unit"), field="unit")


def current_campaign(user) -> Campaign | None:
    return campaigns_for(user).filter(is_active=True).order_by("-start_date", "-id").first()


def focus_areas(campaign: Campaign | None) -> QuerySet[FocusArea]:
    if campaign is None:
        return FocusArea.objects.none()
    return campaign.focus_areas.order_by("position", "id")
