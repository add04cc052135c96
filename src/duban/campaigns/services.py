"""Writes for campaigns and focus areas, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from duban.audit.services import audit_record, diff, snapshot
from duban.campaigns.models import LINFEN_FOCUS_AREAS, Campaign, FocusArea
from duban.orgs.models import OrgUnit

CAMPAIGN_FIELDS = ("name", "unit", "start_date", "end_date", "description", "is_active")


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    unit: OrgUnit,
    start_date: dt.date,
    end_date: dt.date | None = None,
    description: str = "",
    focus_areas: Sequence[str] = tuple(LINFEN_FOCUS_AREAS),
) -> Campaign:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "活动名称不能为空"})
    if end_date and end_date < start_date:
        raise ValidationError({"end_date": "结束日期不能早于开始日期"})
    campaign = Campaign.objects.create(name=name, unit=unit, start_date=start_date, end_date=end_date, description=description)
    audit_record(actor=actor, verb="campaign.create", obj=campaign, changes=diff({}, snapshot(campaign, CAMPAIGN_FIELDS)))
    for i, area in enumerate(focus_areas):
        focus_area_create(actor=actor, campaign=campaign, name=area, position=i + 1)
    return campaign


@transaction.atomic
def campaign_update(*, actor, campaign: Campaign, **fields) -> Campaign:
    allowed = set(CAMPAIGN_FIELDS) - {"unit"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改：{', '.join(sorted(unknown))}")
    before = snapshot(campaign, CAMPAIGN_FIELDS)
    for k, v in fields.items():
        setattr(campaign, k, v)
    if campaign.end_date and campaign.end_date < campaign.start_date:
        raise ValidationError({"end_date": "结束日期不能早于开始日期"})
    campaign.save()
    audit_record(actor=actor, verb="campaign.update", obj=campaign, changes=diff(before, snapshot(campaign, CAMPAIGN_FIELDS)))
    return campaign


@transaction.atomic
def focus_area_create(*, actor, campaign: Campaign, name: str, position: int = 0, description: str = "") -> FocusArea:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "聚焦领域不能为空"})
    if FocusArea.objects.filter(campaign=campaign, name=name).exists():
        raise ValidationError({"name": f"已有聚焦领域“{name}”"})
    area = FocusArea.objects.create(campaign=campaign, name=name, position=position, description=description)
    audit_record(actor=actor, verb="focusarea.create", obj=area, unit=campaign.unit, changes={"name": [None, name]})
    return area
