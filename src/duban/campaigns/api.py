"""Campaign endpoints: the campaigns a user works in and their focus areas."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema
from ninja.errors import HttpError

from duban.campaigns.queries import campaigns_for
from duban.core.apischema import answers
from duban.core.validation import Id

router = Router(tags=["活动"])


class FocusAreaOut(Schema):
    id: int
    name: str
    position: int


class CampaignOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str
    start_date: dt.date
    end_date: dt.date | None
    is_active: bool
    focus_areas: list[FocusAreaOut]

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_focus_areas(obj) -> list:
        # .all(): the list prefetches them (one query for every campaign, was one per
        # campaign); the model orders them by position as focus_areas() does.
        return list(obj.focus_areas.all())


@router.get("", response=answers({200: list[CampaignOut]}), summary="本人参与的活动")
def list_campaigns(request):
    return list(campaigns_for(request.user).prefetch_related("focus_areas"))


@router.get("/{campaign_id}", response=answers({200: CampaignOut}, 404), summary="活动详情")
def get_campaign(request, campaign_id: Id):
    c = campaigns_for(request.user).filter(pk=campaign_id).first()
    if c is None:
        raise HttpError(404, "未找到该活动或无权查看")
    return c
