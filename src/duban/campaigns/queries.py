"""Which campaigns a user works in: those run by one of their units or by an ancestor."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from duban.campaigns.models import Campaign, FocusArea
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import grants


def campaigns_for(user) -> QuerySet[Campaign]:
    """A unit takes part in the campaigns of its ancestors and runs those of its subtree."""
    if not getattr(user, "is_authenticated", False):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.select_related("unit")
    cond = Q()
    for g in grants(user):
        ancestor_ids = [int(s) for s in g.path.split(".") if s]
        cond |= Q(unit_id__in=ancestor_ids) | Q(unit__in=OrgUnit.objects.filter(path__subtree=g.path).values("id"))
    if not cond:
        return Campaign.objects.none()
    return Campaign.objects.filter(cond).select_related("unit")


def current_campaign(user) -> Campaign | None:
    return campaigns_for(user).filter(is_active=True).order_by("-start_date", "-id").first()


def focus_areas(campaign: Campaign | None) -> QuerySet[FocusArea]:
    if campaign is None:
        return FocusArea.objects.none()
    return campaign.focus_areas.order_by("position", "id")
