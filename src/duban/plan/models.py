"""The campaign plan (任务分工表 / 督办事项): items in up to three levels, their owners,
milestones, dependencies, leaders' instructions, progress reports, evidence and baselines.

An item is owned by its 牵头单位 (`lead_unit`, the one that answers for it) and by its
责任单位 (rows of `orgs.Assignment`, role co): the permission layer reads `scope_owners`.
The campaign's unit (the office) reviews: signs off (办结), returns, decides extensions.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.workflow import updated_at_version
from duban.orgs.models import Owners

MAX_BASELINES = 10


class Level(models.IntegerChoices):
    ASPECT = 1, _("方面")
    TASK = 2, _("重点任务")
    MEASURE = 3, _("具体措施")


class Status(models.TextChoices):
    PENDING = "pending", _("待签收")
    IN_PROGRESS = "in_progress", _("办理中")
    SUBMITTED = "submitted", _("申请办结")
    RETURNED = "returned", _("已退回")
    DONE = "done", _("已办结")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("每周")
    XUN = "xun", _("每旬")
    MONTHLY = "monthly", _("每月")
    MILESTONE = "milestone", _("按节点")


class Light(models.TextChoices):
    """红黄绿灯 (plan.lights decides): stored on the item so lists filter and count by it."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
    DONE = "done", _("已办结")
    NONE = "none", _("无时限")


class PlanItem(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="plan_items", verbose_name=_("活动"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("上级事项"))
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, default=Level.TASK)
    seq = models.CharField(_("序号"), max_length=20, blank=True, default="")
    position = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.CharField(_("事项"), max_length=300)
    description = models.TextField(_("说明"), blank=True, default="")
    lead_unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="led_plan_items", verbose_name=_("牵头单位"))
    leader_name = models.CharField(_("分管领导"), max_length=60, blank=True, default="")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_plan_items",
                               verbose_name=_("分管领导（账号）"))
    start_date = models.DateField(_("计划开始"), null=True, blank=True)
    deadline = models.DateField(_("完成时限"), null=True, blank=True)
    original_deadline = models.DateField(_("原定时限"), null=True, blank=True)
    duration_days = models.PositiveSmallIntegerField(_("工期（工作日）"), null=True, blank=True,
                                                     validators=[MinValueValidator(1), MaxValueValidator(2000)])
    frequency = models.CharField(_("汇报频次"), max_length=20, choices=Frequency.choices, default=Frequency.WEEKLY)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0, validators=[MaxValueValidator(100)])
    progress_from_children = models.BooleanField(_("进度由下级加权计算"), default=False)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)])
    progress_note = models.TextField(_("进展情况"), blank=True, default="")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    started_on = models.DateField(_("实际开始"), null=True, blank=True)
    finished_on = models.DateField(_("实际完成"), null=True, blank=True)
    extension_to = models.DateField(_("申请延期至"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), blank=True, default="")
    return_reason = models.TextField(_("退回理由"), blank=True, default="")
    # Derived (plan.lights, plan.scheduling): stored so lists filter, sort and count by them.
    light = models.CharField(_("灯色"), max_length=10, choices=Light.choices, default=Light.NONE)
    behind = models.SmallIntegerField(_("落后序时进度（百分点）"), default=0)
    latest_start = models.DateField(_("最迟开始"), null=True, blank=True)
    slack_days = models.SmallIntegerField(_("机动时间（工作日）"), null=True, blank=True)
    critical = models.BooleanField(_("关键链"), default=False)
    region = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="+", editable=False)
    extra = models.JSONField(_("其他列"), default=dict, blank=True)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    scope_field = "lead_unit"
    # orgs.permissions: the lead unit answers for it, the responsible units (assignments, role
    # co) share it, the campaign's unit (the office) reviews.
    scope_owners = Owners(field="lead_unit", assigned=True, default_supervisor="campaign__unit")

    class Meta:
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "seq"], name="planitem_unique_seq", condition=~models.Q(seq="")),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="planitem_progress_range"),
        ]
        indexes = [
            models.Index(fields=["campaign", "light", "deadline"], name="planitem_light_idx"),
            models.Index(fields=["lead_unit", "status"], name="planitem_lead_idx"),
            models.Index(fields=["campaign", "parent", "position"], name="planitem_tree_idx"),
            models.Index(fields=["leader", "light"], name="planitem_leader_idx"),
            models.Index(fields=["status", "deadline"], name="planitem_status_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.title}".strip()

    @property
    def version(self) -> int:
        return updated_at_version(self)

    @property
    def is_open(self) -> bool:
        return self.status != Status.DONE

    @property
    def due(self) -> dt.date | None:
        return self.deadline


def headings_q() -> models.Q:
    """The aspects (方面) that hold work items: headings, counted, chased and charted through
    their items. A top-level item without children (a flat plan's task) is a work item."""
    return models.Q(level=Level.ASPECT, pk__in=PlanItem.objects.filter(parent__isnull=False).values("parent_id"))


class Milestone(models.Model):
    """A node date (节点) of an item, with the unit that answers for it."""

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due = models.DateField(_("节点时间"))
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位"))
    done_on = models.DateField(_("完成时间"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    scope_owners = Owners(field="item__lead_unit", assigned=True, via="item", default_supervisor="item__campaign__unit")

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["due", "position", "id"]

    def __str__(self) -> str:
        return f"{self.title}（{self.due:%Y-%m-%d}）"


class Dependency(models.Model):
    """Finish-to-start: `successor` may start once `predecessor` is finished."""

    predecessor = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="predecessor_links")

    class Meta:
        verbose_name = _("前置事项")
        verbose_name_plural = _("前置事项")
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="dependency_unique"),
            models.CheckConstraint(condition=~models.Q(predecessor=models.F("successor")), name="dependency_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


class ItemEvent(models.Model):
    """One entry of an item's timeline: a workflow step, a progress report, a leader's
    instruction (领导批示), a change of dates."""

    class Kind(models.TextChoices):
        STEP = "step", _("办理")
        REPORT = "report", _("进展")
        INSTRUCTION = "instruction", _("领导批示")
        CHANGE = "change", _("修改")

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    action = models.CharField(_("动作"), max_length=40, blank=True, default="")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, default="")
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    author = models.CharField(_("批示领导"), max_length=60, blank=True, default="")
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, blank=True, default="")
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(_("内容"), blank=True, default="")

    scope_owners = Owners(field="item__lead_unit", assigned=True, via="item", default_supervisor="item__campaign__unit")

    class Meta:
        verbose_name = _("事项动态")
        verbose_name_plural = _("事项动态")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"], name="itemevent_item_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class ItemEvidence(models.Model):
    """A file proving the work (photo, PDF, office document), kept by core.evidence_files."""

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="evidence")
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("文件名"), max_length=200)
    key = models.CharField(max_length=200, editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    scope_owners = Owners(field="item__lead_unit", assigned=True, via="item", default_supervisor="item__campaign__unit")

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class LightRule(models.Model):
    """The office's thresholds for the lights of one campaign's plan (one row; defaults when absent)."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, related_name="light_rule")
    due_soon_days = models.PositiveSmallIntegerField(_("临期预警（工作日）"), default=5, validators=[MaxValueValidator(60)])
    behind_yellow = models.PositiveSmallIntegerField(_("落后序时进度黄灯（百分点）"), default=10,
                                                     validators=[MinValueValidator(1), MaxValueValidator(100)])
    behind_red = models.PositiveSmallIntegerField(_("落后序时进度红灯（百分点）"), default=30,
                                                  validators=[MinValueValidator(1), MaxValueValidator(100)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("红黄灯规则")
        verbose_name_plural = _("红黄灯规则")

    def __str__(self) -> str:
        return f"{self.due_soon_days}/{self.behind_yellow}/{self.behind_red}"


class Baseline(models.Model):
    """A named, frozen copy of the plan's dates (基线), never changed once taken."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveSmallIntegerField(_("编号"))
    name = models.CharField(_("基线名称"), max_length=100)
    taken_at = models.DateTimeField(_("冻结时间"))
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    items = models.PositiveIntegerField(_("事项数"), default=0)

    class Meta:
        verbose_name = _("基线")
        verbose_name_plural = _("基线")
        ordering = ["campaign", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="baseline_unique_number")]

    def __str__(self) -> str:
        return f"基线{self.number}：{self.name}"


class BaselineEntry(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="baseline_entries")
    start_date = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    milestones = models.JSONField(default=list, blank=True)  # [[title, "YYYY-MM-DD"], …]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["baseline", "item"], name="baselineentry_unique")]

    def __str__(self) -> str:
        return f"{self.baseline_id}/{self.item_id}"
