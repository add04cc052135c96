"""Key-project dispatch (项目调度): the project library by stage and pool, the three-level
owners (三级包保), nodes (前期手续 and construction milestones), dispatch records by period,
blockers (要素保障, each a ledger problem), files and the lights.

Who owns a project (orgs.permissions reads `scope_owners`): its own unit (所属单位, the
`unit` field) and its 责任部门 (an `orgs.Assignment`, role department) answer for it and move
it; the units of its 包保领导 and 项目秘书 (assignments, roles leader and secretary) share it:
they see it and record dispatch. The campaign's unit (the office) reviews. The 包保领导 and the
项目秘书 are also people (`leader`, `secretary`): their own lists and reminders follow them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from duban.core.workflow import updated_at_version
from duban.orgs.models import OwnerRole, Owners

MAJOR_WAN = Decimal(10000)  # 亿元以上: a total of 10,000 万元 or more
MAX_WAN = Decimal("99999999999.99")


class Stage(models.TextChoices):
    PLANNING = "planning", _("谋划")
    NEGOTIATING = "negotiating", _("在谈")
    SIGNED = "signed", _("签约")
    STARTED = "started", _("开工")
    COMPLETED = "completed", _("竣工投产")


STAGE_ORDER = [s.value for s in Stage]
STARTED_STAGES = (Stage.STARTED, Stage.COMPLETED)  # DESIGN §5: `started` counts both


class Kind(models.TextChoices):
    # A context of its own: 新建 is also the word of every "create" button.
    NEW = "new", pgettext_lazy("建设性质", "新建")
    CONTINUED = "continued", _("续建")


class Cadence(models.TextChoices):
    """How often the project is dispatched (一日一调度 …): the period a record covers."""

    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    XUN = "xun", _("每旬")
    MONTHLY = "monthly", _("每月")


class Light(models.TextChoices):
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
    DONE = "done", _("已投产")


class Pool(models.Model):
    """A pool of the library (临汾: 招商引资项目库, 在谈跟进项目库, 储备签约开工项目库)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="project_pools", verbose_name=_("活动"))
    name = models.CharField(_("项目库"), max_length=60)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("项目库")
        verbose_name_plural = _("项目库")
        ordering = ["campaign", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="pool_unique_name")]

    def __str__(self) -> str:
        return self.name


def _money(name: str) -> models.DecimalField:
    return models.DecimalField(name, max_digits=15, decimal_places=2, default=Decimal(0),
                               validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_WAN)])


class Project(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="projects", verbose_name=_("活动"))
    pool = models.ForeignKey(Pool, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects", verbose_name=_("项目库"))
    seq = models.CharField(_("序号"), max_length=20, blank=True, default="")
    name = models.CharField(_("项目名称"), max_length=200)
    builder = models.CharField(_("建设单位"), max_length=200, blank=True, default="")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="projects", verbose_name=_("所属单位"))
    industry = models.CharField(_("行业"), max_length=60, blank=True, default="")
    stage = models.CharField(_("项目阶段"), max_length=20, choices=Stage.choices, default=Stage.PLANNING)
    kind = models.CharField(_("建设性质"), max_length=20, choices=Kind.choices, default=Kind.NEW)
    location = models.CharField(_("建设地点"), max_length=200, blank=True, default="")
    description = models.TextField(_("建设内容"), blank=True, default="")
    total_wan = _money(_("总投资（万元）"))
    annual_plan_wan = _money(_("年度计划投资（万元）"))
    # Completed investment, kept exact by the services: since the start (开工以来累计) and in
    # the current year (the year of `year_of`); each dispatch record adds its period's amount.
    done_total_wan = _money(_("累计完成投资（万元）"))
    done_year_wan = _money(_("年度完成投资（万元）"))
    year_of = models.PositiveSmallIntegerField(_("年度"), default=2026)
    sanzao = models.BooleanField(_("三早项目"), default=False)
    leader_name = models.CharField(_("包保领导"), max_length=60, blank=True, default="")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_projects",
                               verbose_name=_("包保领导（账号）"))
    secretary_name = models.CharField(_("项目秘书"), max_length=60, blank=True, default="")
    secretary = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="secretary_projects",
                                  verbose_name=_("项目秘书（账号）"))
    planned_start = models.DateField(_("计划开工"), null=True, blank=True)
    planned_finish = models.DateField(_("计划竣工"), null=True, blank=True)
    started_on = models.DateField(_("实际开工"), null=True, blank=True)
    finished_on = models.DateField(_("竣工投产"), null=True, blank=True)
    in_statistics_on = models.DateField(_("入统时间"), null=True, blank=True)
    cadence = models.CharField(_("调度频次"), max_length=20, choices=Cadence.choices, default=Cadence.WEEKLY)
    progress = models.PositiveSmallIntegerField(_("形象进度（%）"), default=0, validators=[MaxValueValidator(100)])
    progress_note = models.TextField(_("最新进展"), blank=True, default="")
    last_record_on = models.DateField(_("最近调度"), null=True, blank=True)
    # Derived by projects.lights (stored: lists filter, sort and count by them).
    light = models.CharField(_("灯色"), max_length=10, choices=Light.choices, default=Light.GREEN)
    light_reason = models.CharField(_("亮灯原因"), max_length=200, blank=True, default="")
    region = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="+", editable=False)
    extra = models.JSONField(_("其他列"), default=dict, blank=True)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    scope_field = "unit"
    # orgs.permissions: the project's unit and its 责任部门 answer for it (lead); the units of
    # its 包保领导 and 项目秘书 share it; the campaign's unit (the office) reviews.
    scope_owners = Owners(field="unit", assigned=True, lead_roles=(OwnerRole.DEPARTMENT,), default_supervisor="campaign__unit")

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "seq"], name="project_unique_seq", condition=~models.Q(seq="")),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="project_progress_range"),
        ]
        indexes = [
            models.Index(fields=["campaign", "light", "stage"], name="project_light_idx"),
            models.Index(fields=["campaign", "stage", "id"], name="project_stage_idx"),
            # The board's columns: each stage's first cards, largest investment first.
            models.Index(fields=["campaign", "stage", "-total_wan", "id"], name="project_board_idx"),
            models.Index(fields=["unit", "stage"], name="project_unit_idx"),
            models.Index(fields=["leader", "light"], name="project_leader_idx"),
            models.Index(fields=["secretary", "light"], name="project_secretary_idx"),
            models.Index(fields=["region", "campaign", "light"], name="project_region_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def version(self) -> int:
        return updated_at_version(self)

    @property
    def is_major(self) -> bool:
        """亿元以上."""
        return self.total_wan >= MAJOR_WAN

    @property
    def is_started(self) -> bool:
        return self.stage in STARTED_STAGES

    @property
    def year_rate(self) -> float | None:
        """年度投资完成率: this year's completed ÷ the annual plan."""
        return float(self.done_year_wan / self.annual_plan_wan) if self.annual_plan_wan else None

    @property
    def total_rate(self) -> float | None:
        """累计投资完成率: completed since the start ÷ the total."""
        return float(self.done_total_wan / self.total_wan) if self.total_wan else None


class NodeKind(models.TextChoices):
    """The usual nodes (九江 follows 19; an office adds its own as 其他 with a title)."""

    APPROVAL = "approval", _("立项")
    LAND = "land", _("用地")
    PLANNING = "planning", _("规划")
    EIA = "eia", _("环评")
    PERMIT = "permit", _("施工许可")
    START = "start", _("开工")
    STRUCTURE = "structure", _("主体完工")
    ACCEPTANCE = "acceptance", _("竣工验收")
    OPERATION = "operation", _("投产")
    OTHER = "other", _("其他")


# 前期手续: the approval steps whose planned and actual working days measure 容缺受理.
APPROVAL_KINDS = (NodeKind.APPROVAL, NodeKind.LAND, NodeKind.PLANNING, NodeKind.EIA, NodeKind.PERMIT)


class Node(models.Model):
    """A node of a project (立项, 用地, … 投产): planned and actual dates, its unit, and for an
    approval step the time allowed and taken in working days (受理 → 办结)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="nodes")
    kind = models.CharField(_("节点类型"), max_length=20, choices=NodeKind.choices, default=NodeKind.OTHER)
    title = models.CharField(_("节点"), max_length=200)
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位"))
    planned_on = models.DateField(_("计划完成"), null=True, blank=True)
    done_on = models.DateField(_("实际完成"), null=True, blank=True)
    accepted_on = models.DateField(_("受理时间"), null=True, blank=True)
    allowed_days = models.PositiveSmallIntegerField(_("法定/承诺时限（工作日）"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(2000)])
    taken_days = models.PositiveSmallIntegerField(_("实际用时（工作日）"), null=True, blank=True)
    plan_item = models.ForeignKey("plan.PlanItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="project_nodes",
                                  verbose_name=_("对应督办事项"))
    position = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("备注"), max_length=500, blank=True, default="")

    scope_owners = Owners(field="project__unit", assigned=True, via="project", lead_roles=(OwnerRole.DEPARTMENT,),
                          default_supervisor="project__campaign__unit")

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["project", "position", "id"]
        indexes = [models.Index(fields=["project", "position"], name="node_project_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_approval(self) -> bool:
        return self.kind in APPROVAL_KINDS

    @property
    def saved_days(self) -> int | None:
        """Working days saved against the time allowed (容缺受理: 120 → 30 saves 90)."""
        if self.allowed_days is None or self.taken_days is None:
            return None
        return self.allowed_days - self.taken_days

    def is_late(self, today: dt.date) -> bool:
        return self.done_on is None and self.planned_on is not None and self.planned_on < today


class Record(models.Model):
    """A dispatch record (调度记录) of one period of the project's cadence."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="records")
    cadence = models.CharField(_("调度频次"), max_length=20, choices=Cadence.choices)
    period_start = models.DateField(_("调度期起"))
    period_end = models.DateField(_("调度期止"))
    progress = models.PositiveSmallIntegerField(_("形象进度（%）"), validators=[MaxValueValidator(100)])
    invested_wan = _money(_("本期完成投资（万元）"))
    progress_note = models.TextField(_("进展情况"))
    problems = models.TextField(_("存在问题"), blank=True, default="")
    next_steps = models.TextField(_("下步计划"), blank=True, default="")
    # The totals after this record (so the history charts without summing at read time).
    done_year_wan = _money(_("年度累计（万元）"))
    done_total_wan = _money(_("开工以来累计（万元）"))
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("填报单位"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by_name = models.CharField(_("填报人"), max_length=150, blank=True, default="")
    recorded_at = models.DateTimeField(_("填报时间"))

    scope_owners = Owners(field="project__unit", assigned=True, via="project", lead_roles=(OwnerRole.DEPARTMENT,),
                          default_supervisor="project__campaign__unit")

    class Meta:
        verbose_name = _("调度记录")
        verbose_name_plural = _("调度记录")
        ordering = ["project", "-period_start"]
        constraints = [models.UniqueConstraint(fields=["project", "period_start"], name="record_unique_period")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.period_start:%Y-%m-%d}"


class BlockerKind(models.TextChoices):
    LAND = "land", _("用地")
    POWER = "power", _("用电")
    WATER = "water", _("用水")
    FINANCE = "finance", _("融资")
    APPROVAL = "approval", _("审批")
    LABOUR = "labour", _("用工")
    DEMOLITION = "demolition", _("拆迁")
    OTHER = "other", _("其他")


class Blocker(models.Model):
    """A blocker (要素保障 / 马上办): a ledger problem with a responsible unit and a time limit,
    linked to its project. Its state is the problem's (signed off in the ledger = solved)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="blockers")
    problem = models.OneToOneField("ledger.Problem", on_delete=models.PROTECT, related_name="project_blocker", verbose_name=_("台账问题"))
    kind = models.CharField(_("要素类型"), max_length=20, choices=BlockerKind.choices)
    record = models.ForeignKey(Record, null=True, blank=True, on_delete=models.SET_NULL, related_name="blockers", verbose_name=_("调度记录"))
    created_at = models.DateTimeField(_("提出时间"))

    scope_owners = Owners(field="project__unit", assigned=True, via="project", lead_roles=(OwnerRole.DEPARTMENT,),
                          default_supervisor="project__campaign__unit")

    class Meta:
        verbose_name = _("要素保障问题")
        verbose_name_plural = _("要素保障问题")
        ordering = ["project", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.problem_id}"


class ProjectEvent(models.Model):
    """One entry of a project's timeline: a stage move, a record, a node done, a blocker."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=40)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, default="")
    from_stage = models.CharField(max_length=20, blank=True, default="")
    to_stage = models.CharField(max_length=20, blank=True, default="")
    note = models.TextField(_("内容"), blank=True, default="")

    scope_owners = Owners(field="project__unit", assigned=True, via="project", lead_roles=(OwnerRole.DEPARTMENT,),
                          default_supervisor="project__campaign__unit")

    class Meta:
        verbose_name = _("项目动态")
        verbose_name_plural = _("项目动态")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["project", "at"], name="projectevent_project_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"


class ProjectFile(models.Model):
    """A photo or document of a project or one of its nodes, kept by core.evidence_files."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="files")
    node = models.ForeignKey(Node, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("文件名"), max_length=200)
    key = models.CharField(max_length=200, editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    scope_owners = Owners(field="project__unit", assigned=True, via="project", lead_roles=(OwnerRole.DEPARTMENT,),
                          default_supervisor="project__campaign__unit")

    class Meta:
        verbose_name = _("项目资料")
        verbose_name_plural = _("项目资料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_photo(self) -> bool:
        return self.content_type.startswith("image/")


class LightRule(models.Model):
    """The office's rules for project lights (银川's as defaults; one row per campaign)."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, related_name="project_light_rule")
    start_yellow_months = models.PositiveSmallIntegerField(_("计划开工当月未开工：黄灯（月）"), default=0, validators=[MaxValueValidator(24)])
    start_red_months = models.PositiveSmallIntegerField(_("计划开工后仍未开工：红灯（月）"), default=3,
                                                        validators=[MinValueValidator(1), MaxValueValidator(36)])
    behind_yellow = models.PositiveSmallIntegerField(_("落后序时进度黄灯（百分点）"), default=10,
                                                     validators=[MinValueValidator(1), MaxValueValidator(100)])
    behind_red = models.PositiveSmallIntegerField(_("落后序时进度红灯（百分点）"), default=30,
                                                  validators=[MinValueValidator(1), MaxValueValidator(100)])
    statistics_months = models.PositiveSmallIntegerField(_("开工后未入统：黄灯（月）"), default=1,
                                                         validators=[MinValueValidator(1), MaxValueValidator(12)])
    blocker_red_days = models.PositiveSmallIntegerField(_("要素问题逾期：红灯（工作日）"), default=10,
                                                        validators=[MinValueValidator(1), MaxValueValidator(250)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("项目亮灯规则")
        verbose_name_plural = _("项目亮灯规则")

    def __str__(self) -> str:
        return f"{self.start_yellow_months}/{self.start_red_months}/{self.behind_yellow}/{self.behind_red}"
