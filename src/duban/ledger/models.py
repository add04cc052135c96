"""The rectification ledger (整改台账): problems, their timeline and their evidence.

A `Problem` is one ledger row. Its state moves only through the one transition table in
`workflow.py`, called by `services.py`. `region` (the top region of the responsible unit)
is carried on the table so it can later be sharded by region (DESIGN §4).

`search_terms` is the character-bigram text of the description ("营商 商环 环境"); it is
indexed with a GIN index on PostgreSQL and an FTS5 table on SQLite (see migrations and
`search.py`). The column itself is plain text: no Postgres-only types in models.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.audit.labels import verb_label
from duban.orgs.models import Owners


class Status(models.TextChoices):
    PENDING = "pending", _("待认领")
    IN_PROGRESS = "in_progress", _("整改中")
    SUBMITTED = "submitted", _("申请销号")
    RETURNED = "returned", _("已退回")
    SIGNED_OFF = "signed_off", _("已销号")


OPEN_STATUSES = (Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED)


class Source(models.TextChoices):
    SELF_CHECK = "self_check", _("自查")
    OPINION = "opinion", _("意见征集")
    INSPECTION = "inspection", _("督查发现")
    ENTERPRISE = "enterprise", _("企业诉求")
    CLUE = "clue", _("线索核查")
    ASSIGNED = "assigned", _("上级交办")
    PROJECT = "project", _("项目要素保障")  # a blocker raised by a key project's dispatch (projects.Blocker)


class Kind(models.TextChoices):
    IMMEDIATE = "immediate", _("立行立改")
    DEADLINE = "deadline", _("限期整改")
    LONG_TERM = "long_term", _("长期坚持")


class Problem(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, db_index=False, related_name="problems", verbose_name=_("活动"))
    seq = models.PositiveIntegerField(_("序号"))
    description = models.TextField(_("问题描述"))
    focus_area = models.ForeignKey(
        "campaigns.FocusArea", null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="problems", verbose_name=_("聚焦领域")
    )
    source = models.CharField(_("问题来源"), max_length=20, choices=Source.choices, default=Source.SELF_CHECK)
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, db_index=False, related_name="problems", verbose_name=_("责任单位"))
    owner = models.CharField(_("责任人"), max_length=60, blank=True, default="")
    supervisor = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="supervised_problems", verbose_name=_("督办单位")
    )
    measures = models.TextField(_("整改措施"), blank=True, default="")
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    original_deadline = models.DateField(_("原定时限"), null=True, blank=True)
    kind = models.CharField(_("整改类型"), max_length=20, choices=Kind.choices, default=Kind.DEADLINE)
    progress = models.TextField(_("整改进展"), blank=True, default="")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    completed_on = models.DateField(_("完成时间"), null=True, blank=True)
    extension_to = models.DateField(_("申请延期至"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), blank=True, default="")
    return_reason = models.TextField(_("退回理由"), blank=True, default="")
    region = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="+", editable=False
    )
    extra = models.JSONField(_("其他列"), default=dict, blank=True)
    search_terms = models.TextField(default="", blank=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    scope_field = "unit"
    scope_region_field = "region"  # orgs.scoping.scope writes subtrees in region form
    # orgs.permissions: the responsible unit owns it, the 督办单位 (else the campaign's unit) reviews
    scope_owners = Owners(field="unit", supervisor="supervisor", default_supervisor="campaign__unit")

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "seq"], name="problem_unique_seq_in_campaign")]
        # Few indexes on purpose: each one costs every bulk import (big imports rebuild them
        # after the rows, ledger.io.bulk_load_indexes). region+status+id serves the list of
        # a county (or city) subtree with a status, newest first, and its counts (index-only,
        # campaign kept in the index): see orgs.scoping.subtree_condition; region+id(+campaign)
        # the page ids of a county without a status (index-only, ledger.queries.paginate);
        # unit+status the deeper subtrees (towns, villages);
        # status+deadline(+campaign) the overdue/due-soon filters and the open-status tabs;
        # campaign+area+status the rates; extension_to (partial: only pending extension
        # requests, a handful of rows) the office's review list. (supervisor is kept unindexed.)
        indexes = [
            models.Index(fields=["region", "status", "id", "campaign"], name="problem_region_status_idx"),
            models.Index(fields=["region", "id", "campaign"], name="problem_region_id_idx"),
            models.Index(fields=["unit", "status"], name="problem_unit_status_idx"),
            models.Index(fields=["status", "deadline", "campaign"], name="problem_status_deadline_idx"),
            models.Index(fields=["campaign", "focus_area", "status"], name="problem_campaign_area_idx"),
            models.Index(fields=["extension_to"], name="problem_extension_idx", condition=models.Q(extension_to__isnull=False)),
            # What waits on a supervisor (申请销号, 申请延期), oldest first: the office's review
            # list walks this small index in order instead of sorting every waiting row; with
            # the unit in it, the count of a province office's 41,000 (all but its own unit's)
            # is an index-only scan (9 ms) instead of a heap read of each (0.35 s).
            models.Index(fields=["updated_at", "id", "unit"], name="problem_review_unit_idx",
                         condition=models.Q(status="submitted") | models.Q(extension_to__isnull=False)),
            # The list sorted by 整改时限 or by last update: walked in order instead of
            # sorting a whole campaign (2 s → 40 ms at 270,600 rows on SQLite).
            models.Index(fields=["campaign", "deadline", "id"], name="problem_campaign_deadline_idx"),
            models.Index(fields=["campaign", "updated_at", "id"], name="problem_campaign_updated_idx"),
            # The list filtered by 问题来源 / 整改类型: its open-status tabs and page counts
            # (已销号 and totals come from ProblemSourceTally), index-only (5.5 s → ms on SQLite).
            models.Index(fields=["campaign", "source", "status", "kind"], name="problem_campaign_source_idx"),
            models.Index(fields=["campaign", "kind", "status"], name="problem_campaign_kind_idx"),
        ]

    def __str__(self) -> str:
        text = self.description if len(self.description) <= 30 else self.description[:30] + "…"
        return f"{self.seq}. {text}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.SIGNED_OFF

    def supervising_unit_id(self) -> int:
        return self.supervisor_id or self.campaign.unit_id

    @property
    def version(self) -> int:
        """Changes with every write (all of them set updated_at): editors send it back so a
        save from an outdated form is refused instead of reverting someone else's change."""
        return version_of(self.updated_at)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def version_of(updated_at: dt.datetime) -> int:
    """updated_at in whole microseconds: an integer that JSON and forms carry exactly."""
    return (updated_at - _EPOCH) // dt.timedelta(microseconds=1)


# The largest version a client may send: the last microsecond a datetime can hold.
MAX_VERSION = (dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC) - _EPOCH) // dt.timedelta(microseconds=1)


def version_time(version: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=version)


# Timeline actions whose audit verb has another name (a progress note is `problem.note`).
EVENT_VERBS = {"progress": "note"}


class ProblemEvent(models.Model):
    """One entry of a problem's timeline: a progress note or a workflow transition."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, default="")
    action = models.CharField(_("动作"), max_length=40)
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, blank=True, default="")
    note = models.TextField(_("说明"), blank=True, default="")

    scope_field = "problem__unit"

    class Meta:
        verbose_name = _("整改动态")
        verbose_name_plural = _("整改动态")
        ordering = ["at", "id"]
        # Few indexes on purpose: each one costs every bulk import. unit+status serves the
        # scoping rule and subtree filters; status+deadline the overdue/due-soon filters;
        # campaign+area+status the rates. (region and supervisor are kept unindexed.)
        indexes = [models.Index(fields=["problem", "at"], name="problemevent_problem_idx")]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d} {self.action_label}"

    @property
    def action_label(self) -> str:
        """What the step is called on screen: the trail's word for the same verb (认领, 销号…)."""
        return verb_label(f"problem.{EVENT_VERBS.get(self.action, self.action)}")


class Evidence(models.Model):
    """A file proving the rectification (photo, PDF, office document)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(_("文件名"), max_length=200)
    key = models.CharField(max_length=200, editable=False)  # storage key
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    scope_field = "problem__unit"

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ProblemTally(models.Model):
    """Maintained counts of problems for the headline figures (DESIGN §5, issue 5).

    One row per (campaign, region, focus area, state, deadline) with its count `n`,
    changed by `ledger.tally` in the same transaction as every write that moves a problem
    between keys, so the figures read a few thousand rows instead of millions and stay
    exactly equal to counting the ledger (tests/ledger/test_tally.py). Plain integer
    columns, 0 for "none": NULLs would never match the upsert's conflict target.
    """

    campaign_id = models.BigIntegerField()
    region_id = models.BigIntegerField()
    area_id = models.BigIntegerField()
    state = models.PositiveSmallIntegerField()  # tally.OPEN / ON_TIME / LATE / DONE_NO_DEADLINE
    deadline = models.DateField()  # open problems only; tally.NO_DATE otherwise
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("问题计数")
        verbose_name_plural = _("问题计数")
        constraints = [
            models.UniqueConstraint(fields=["campaign_id", "region_id", "area_id", "state", "deadline"], name="problemtally_key"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.region_id}/{self.area_id}/{self.state}/{self.deadline}: {self.n}"


class ProblemStatusTally(models.Model):
    """Maintained counts of problems by status: one row per (campaign, region, focus area,
    status), kept by `ledger.tally` in the same calls and transactions as ProblemTally.

    The list's status tabs and page counts read it: a few rows per region (about 6,000 for
    a province) where ProblemTally and ProblemSourceTally, keyed by day of deadline, are
    75,000 and 190,000 rows to sum on every view of the province office's ledger.
    """

    campaign_id = models.BigIntegerField()
    region_id = models.BigIntegerField()
    area_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("问题计数（状态）")
        verbose_name_plural = _("问题计数（状态）")
        constraints = [
            models.UniqueConstraint(fields=["campaign_id", "region_id", "area_id", "status"], name="problemstatustally_key"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.region_id}/{self.area_id}/{self.status}: {self.n}"


class ProblemSourceTally(models.Model):
    """Maintained counts of problems by 问题来源, 整改类型 and 登记月份 (Asia/Shanghai), the
    groupings ProblemTally does not carry: rates by source and by month, and the list's
    counts when filtered by source or type, without a scan of the ledger.

    One row per (campaign, source, kind, region, month, status, state, deadline), kept by
    `ledger.tally` in the same calls and transactions as ProblemTally (a second table
    rather than three more key columns there: the headline figures keep reading few rows).
    """

    campaign_id = models.BigIntegerField()
    region_id = models.BigIntegerField()
    source = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    month = models.DateField()  # first day of the month the problem was registered in
    status = models.CharField(max_length=20)  # the list's tabs count every status from here
    state = models.PositiveSmallIntegerField()
    deadline = models.DateField()
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("问题计数（来源、类型、月份）")
        verbose_name_plural = _("问题计数（来源、类型、月份）")
        constraints = [
            models.UniqueConstraint(fields=["campaign_id", "source", "kind", "region_id", "month", "status", "state", "deadline"], name="problemsourcetally_key"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.source}/{self.kind}/{self.region_id}/{self.month}/{self.status}/{self.state}/{self.deadline}: {self.n}"
