"""A campaign (活动), its focus areas (聚焦领域). Plan tasks come with the plan issue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# 临汾's six focus areas; the default for a new campaign.
LINFEN_FOCUS_AREAS = ["强化担当作为", "深化市情认识", "探索转型路径", "优化营商环境", "推动真抓实干", "破解民生难题"]


class Campaign(models.Model):
    name = models.CharField(_("活动名称"), max_length=200)
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("牵头单位"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True, default="")
    is_active = models.BooleanField(_("进行中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field = "unit"

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.name


class FocusArea(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="focus_areas")
    name = models.CharField(_("聚焦领域"), max_length=100)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    description = models.TextField(_("说明"), blank=True, default="")

    scope_field = "campaign__unit"

    class Meta:
        verbose_name = _("聚焦领域")
        verbose_name_plural = _("聚焦领域")
        ordering = ["campaign", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="focusarea_unique_name")]

    def __str__(self) -> str:
        return self.name
