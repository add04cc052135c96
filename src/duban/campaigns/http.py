"""What every page needs to know about the campaign a request is about."""

from __future__ import annotations

from django.http import HttpRequest

from duban.campaigns.models import Campaign
from duban.campaigns.queries import campaigns_for, current_campaign
from duban.core.validation import id_or_none


def chosen_campaign(request: HttpRequest) -> Campaign | None:
    """The campaign named by `campaign` (GET or POST) if the user sees it, else their current one."""
    cid = id_or_none(request.GET.get("campaign") or request.POST.get("campaign"))
    if cid is not None:
        c = campaigns_for(request.user).filter(pk=cid).first()
        if c is not None:
            return c
    return current_campaign(request.user)
