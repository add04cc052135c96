"""Dated snapshots of the headline figures: what `duban stats --json` printed for one scope
on one day, kept so a bulletin for last week regenerates identically and trends need no
recount (DESIGN §4, issue 10 item 9).

A scope is (campaign or every campaign, region or the whole tree): `campaign` None is
`duban stats` without `--campaign`; `unit` None is the whole tree, otherwise a region (a
depth-1 unit, or a top unit where there are several trees). `scope` spells the pair as one
value so (taken_on, scope) can be unique on both databases (a unique constraint treats
NULLs as distinct, so it could not hold on the two nullable keys).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FigureSnapshot(models.Model):
    taken_on = models.DateField(_("日期"))
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("活动"))
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("单位"))
    scope = models.CharField(max_length=40)
    figures = models.JSONField(_("数据"))
    taken_at = models.DateTimeField(_("记录时间"))

    # A whole-tree row (unit None) is visible only to those who see everything.
    scope_field = "unit"

    class Meta:
        verbose_name = _("统计快照")
        verbose_name_plural = _("统计快照")
        constraints = [models.UniqueConstraint(fields=["taken_on", "scope"], name="figuresnapshot_one_per_scope_day")]
        indexes = [models.Index(fields=["scope", "taken_on"], name="figuresnapshot_scope_day")]

    def __str__(self) -> str:
        return f"{self.taken_on:%Y-%m-%d} {self.scope}"


def scope_of(campaign_id: int | None, unit_id: int | None) -> str:
    """`c3/u17`, `c*/u*`: the scope column's value for a (campaign, unit) pair."""
    return f"c{campaign_id if campaign_id is not None else '*'}/u{unit_id if unit_id is not None else '*'}"
