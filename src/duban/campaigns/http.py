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


def api_campaign(request: HttpRequest, campaign_id: int | None, *, required: bool) -> Campaign | None:
    """The API's `campaign_id`: that campaign if the caller sees it (else 404); when it is not
    given, the caller's current campaign if `required` (422 when there is none), else None."""
    from ninja.errors import HttpError

    if campaign_id is not None:
        c = campaigns_for(request.user).filter(pk=campaign_id).first()
        if c is None:
            raise HttpError(404, "未找到该活动或无权查看")
        return c
    if not required:
        return None
    c = current_campaign(request.user)
    if c is None:
        raise HttpError(422, "没有可用的活动")
    return c
