"""Scheduled report rounds (三调度): cadences, rounds, one submission per unit per round with
a line per item the unit answers for, chasing (催报) with escalation, punctuality.

A round asks each expected unit about its own open items — plan tasks (as lead or co unit),
ledger problems, key projects — in one form. A submission is applied to the items through
their own services (a progress report on a task, a progress note on a problem, a dispatch
record on a project), so the items' timelines and audit trails say what the unit reported.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.workflow import updated_at_version


class Kind(models.TextChoices):
    """江源's three cadences."""

    ROUTINE = "routine", _("常规调度")
    KEY = "key", _("重点调度")
    ADHOC = "adhoc", _("随时调度")


class Rule(models.TextChoices):
    """When a cadence opens its rounds."""

    WEEKLY = "weekly", _("每周")
    WORKDAYS = "workdays", _("每N个工作日")
    XUN = "xun", _("每旬")
    MONTHLY = "monthly", _("每月")


class Scope(models.TextChoices):
    """Who is asked."""

    RESPONSIBLE = "responsible", _("所有有在办事项的责任单位")
    UNITS = "units", _("指定单位")
    DIFFICULT = "difficult", _("疑难问题的责任单位")


class Cadence(models.Model):
    """A standing schedule of rounds (每周五17:00前报送本周进展 …), opened by the worker."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="round_cadences", verbose_name=_("活动"))
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("调度类型"), max_length=20, choices=Kind.choices, default=Kind.ROUTINE)
    rule = models.CharField(_("频次"), max_length=20, choices=Rule.choices, default=Rule.WEEKLY)
    weekday = models.PositiveSmallIntegerField(_("截止星期"), default=4, validators=[MaxValueValidator(6)])  # 0 = Monday; 4 = Friday
    every_n = models.PositiveSmallIntegerField(_("间隔（工作日）"), default=5, validators=[MinValueValidator(1), MaxValueValidator(60)])
    month_day = models.PositiveSmallIntegerField(_("每月截止日"), default=25, validators=[MinValueValidator(1), MaxValueValidator(28)])
    due_time = models.TimeField(_("截止时间"), default="17:00")
    open_workdays = models.PositiveSmallIntegerField(_("提前几个工作日开放"), default=4, validators=[MaxValueValidator(20)])
    grace_hours = models.PositiveSmallIntegerField(_("补报宽限（小时）"), default=48, validators=[MaxValueValidator(24 * 14)])
    scope = models.CharField(_("报送范围"), max_length=20, choices=Scope.choices, default=Scope.RESPONSIBLE)
    units = models.ManyToManyField("orgs.OrgUnit", blank=True, related_name="+", verbose_name=_("指定单位"))
    active = models.BooleanField(_("启用"), default=True)
    next_due_at = models.DateTimeField(_("下一轮截止时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("调度安排")
        verbose_name_plural = _("调度安排")
        ordering = ["campaign", "id"]

    def __str__(self) -> str:
        return self.name


class RoundStatus(models.TextChoices):
    OPEN = "open", _("报送中")
    LOCKED = "locked", _("已截止")


class Round(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="rounds", verbose_name=_("活动"))
    cadence = models.ForeignKey(Cadence, null=True, blank=True, on_delete=models.SET_NULL, related_name="rounds", verbose_name=_("调度安排"))
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("调度类型"), max_length=20, choices=Kind.choices, default=Kind.ROUTINE)
    scope = models.CharField(_("报送范围"), max_length=20, choices=Scope.choices, default=Scope.RESPONSIBLE)
    instructions = models.TextField(_("报送要求"), blank=True, default="")
    opened_at = models.DateTimeField(_("开放时间"))
    due_at = models.DateTimeField(_("截止时间"))
    lock_at = models.DateTimeField(_("补报截止"))
    status = models.CharField(_("状态"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_by_name = models.CharField(_("发起人"), max_length=150, blank=True, default="")
    expected = models.PositiveIntegerField(_("应报单位"), default=0)

    # The campaign's unit (the office) runs it; each expected unit sees its own submission.
    scope_field = "campaign__unit"

    class Meta:
        verbose_name = _("调度轮次")
        verbose_name_plural = _("调度轮次")
        ordering = ["-due_at", "-id"]
        indexes = [models.Index(fields=["campaign", "due_at"], name="round_campaign_due_idx"),
                   models.Index(fields=["status", "lock_at"], name="round_status_lock_idx")]

    def __str__(self) -> str:
        return self.name


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("未报送")
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已报送")
    RETURNED = "returned", _("已退回")


class Punctuality(models.TextChoices):
    ON_TIME = "on_time", _("按时")
    LATE = "late", _("迟报")
    MISSING = "missing", _("未报")


class Submission(models.Model):
    """One unit's answer to one round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="submissions")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="round_submissions", verbose_name=_("报送单位"))
    status = models.CharField(_("状态"), max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING)
    # Set when first submitted and kept (a return and resubmission does not make it later);
    # `punctuality` is derived from it against the round's due and lock times.
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    punctuality = models.CharField(_("报送情况"), max_length=20, choices=Punctuality.choices, default=Punctuality.MISSING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.TextField(_("总体情况"), blank=True, default="")
    return_reason = models.TextField(_("退回理由"), blank=True, default="")
    chase_level = models.PositiveSmallIntegerField(_("催报层级"), default=0)  # 0 none, 1 liaison, 2 unit head, 3 分管领导
    region = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="+", editable=False)
    updated_at = models.DateTimeField(_("更新时间"))

    scope_field = "unit"

    class Meta:
        verbose_name = _("报送")
        verbose_name_plural = _("报送")
        ordering = ["round", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="submission_unique_unit")]
        indexes = [models.Index(fields=["round", "status"], name="submission_round_status_idx"),
                   models.Index(fields=["unit", "round"], name="submission_unit_idx")]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.unit_id}"

    @property
    def version(self) -> int:
        return updated_at_version(self)


class LineKind(models.TextChoices):
    TASK = "task", _("督办事项")
    PROBLEM = "problem", _("整改问题")
    PROJECT = "project", _("重点项目")


class Line(models.Model):
    """What the unit reports on one of its items in one submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=20, choices=LineKind.choices)
    object_id = models.PositiveBigIntegerField()
    title = models.CharField(_("事项"), max_length=300)  # as it read when the round opened
    progress = models.PositiveSmallIntegerField(_("进度（%）"), null=True, blank=True, validators=[MaxValueValidator(100)])
    done = models.TextField(_("本期工作"), blank=True, default="")
    invested_wan = models.DecimalField(_("本期完成投资（万元）"), max_digits=15, decimal_places=2, null=True, blank=True)
    problems = models.TextField(_("存在问题"), blank=True, default="")
    next_steps = models.TextField(_("下步计划"), blank=True, default="")
    unchanged = models.BooleanField(_("无新进展"), default=False)
    applied = models.BooleanField(default=False)  # written to the item on submission
    # Photos and documents sent with the line: each is stored on the item itself, through its
    # own service (the problem's evidence, the task's 佐证材料, the project's files), and named
    # here as {"kind", "id", "name", "size"} so the form and the summary list them.
    files = models.JSONField(_("附件"), default=list, blank=True)

    class Meta:
        verbose_name = _("报送事项")
        verbose_name_plural = _("报送事项")
        ordering = ["submission", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["submission", "kind", "object_id"], name="line_unique_item")]

    def __str__(self) -> str:
        return self.title

    @property
    def file_links(self) -> list[dict]:
        """The attachments with the URL of each on its item (the item's own download, which
        checks who may see it)."""
        from django.urls import reverse

        route = {LineKind.PROBLEM: "ledger:evidence_download", LineKind.TASK: "plan:evidence_download",
                 LineKind.PROJECT: "projects:file_download"}[self.kind]
        return [{**f, "url": reverse(route, args=[f["id"]])} for f in self.files]


class ChaseLevel(models.IntegerChoices):
    LIAISON = 1, _("联络员")
    HEAD = 2, _("单位负责人")
    LEADER = 3, _("分管领导")


class Chase(models.Model):
    """One reminder (催报) of a round: to whom, at which level and point, through which channels,
    with what result (the outbox's deliveries carry the sending)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="chases")
    point = models.CharField(_("提醒节点"), max_length=40)  # opening, halfway, day_before, daily:YYYY-MM-DD, overdue:N
    level = models.PositiveSmallIntegerField(_("层级"), choices=ChaseLevel.choices, default=ChaseLevel.LIAISON)
    units = models.PositiveIntegerField(_("提醒单位数"), default=0)
    message = models.ForeignKey("notify.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))
    actor_name = models.CharField(_("发起"), max_length=150, blank=True, default="")

    class Meta:
        verbose_name = _("催报记录")
        verbose_name_plural = _("催报记录")
        ordering = ["round", "at", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "point", "level"], name="chase_unique_point")]

    def __str__(self) -> str:
        return f"{self.round_id} {self.point}"
