"""The org tree (单位), who belongs where (Membership) and API tokens.

The tree is stored as a materialised path (`path` = "000001.000007.000123.") so that a
subtree is one indexed prefix match on SQLite and PostgreSQL alike, with no
Postgres-only column types. `region` is the top-level region each unit belongs to: it is
carried on every big table so the schema can later be sharded by region (Citus).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.core.choices import choice_from_label

PATH_STEP = 10  # digits per level in the materialised path: ids up to 10**10


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_STEP}d}."


class TreePathField(models.CharField):
    """The materialised path; `path__subtree=P` selects P and everything below it."""


@TreePathField.register_lookup
class Subtree(models.Lookup):
    """Prefix match that uses the path index on both databases.

    PostgreSQL: `LIKE 'P%'` served by the varchar_pattern_ops index Django adds for an
    indexed CharField. SQLite: its LIKE is case-insensitive and cannot use a BINARY index,
    so a range `P <= path < P'` (P' = P with its final "." bumped to "/") is used instead;
    paths hold only digits and dots, so the range is exactly the prefix.
    """

    lookup_name = "subtree"

    def _prefix(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, lhs_params, rhs, rhs_params

    def as_sql(self, compiler, connection):
        lhs, lhs_params, rhs, rhs_params = self._prefix(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *[p.replace("%", "").replace("_", "") + "%" for p in rhs_params]]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params, rhs, rhs_params = self._prefix(compiler, connection)
        upper = [p[:-1] + chr(ord(p[-1]) + 1) if p else p for p in rhs_params]
        return f"({lhs} >= {rhs} AND {lhs} < {rhs})", [*lhs_params, *rhs_params, *lhs_params, *upper]


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县区")
    TOWN = "town", _("乡镇街道")
    VILLAGE = "village", _("村社区")
    DEPARTMENT = "department", _("部门")
    PARTY = "party", _("党组织")
    ENTERPRISE = "enterprise", _("企业")
    OTHER = "other", _("其他")

    @classmethod
    def from_label(cls, text: str) -> UnitKind | None:
        """Match a label as offices type it (县区, 县, 区, 乡镇, 街道, 村, 社区…)."""
        aliases = {
            "省": cls.PROVINCE, "市": cls.CITY, "县区": cls.COUNTY, "县": cls.COUNTY, "区": cls.COUNTY,
            "县市区": cls.COUNTY, "乡镇街道": cls.TOWN, "乡镇": cls.TOWN, "乡": cls.TOWN, "镇": cls.TOWN,
            "街道": cls.TOWN, "村社区": cls.VILLAGE, "村": cls.VILLAGE, "社区": cls.VILLAGE, "部门": cls.DEPARTMENT,
            "单位": cls.DEPARTMENT, "党组织": cls.PARTY, "党支部": cls.PARTY, "党委": cls.PARTY, "企业": cls.ENTERPRISE,
            "其他": cls.OTHER,
        }
        return choice_from_label(cls, text, aliases)


class OrgUnit(models.Model):
    name = models.CharField(_("单位名称"), max_length=120, db_index=True)  # the unit picker searches by name
    kind = models.CharField(_("单位类型"), max_length=20, choices=UnitKind.choices, default=UnitKind.OTHER)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(_("单位代码"), max_length=40, blank=True, default="")
    path = TreePathField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    region = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The field that orgs.scope filters on for this model.
    scope_field = ""

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="orgunit_unique_name_under_parent"),
        ]
        indexes = [
            # The top levels of the tree (depth 0: is this user a member of every root; depth
            # ≤ 1–2: the ledger's unit filter, the hotline form's units), in tree order: read
            # from the index instead of a scan of a province's 111,601 units on every page.
            models.Index(fields=["depth", "path"], name="orgunit_depth_path_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_ancestor_of(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)

    def ancestors(self) -> models.QuerySet[OrgUnit]:
        ids = [int(seg) for seg in self.path.split(".") if seg]
        return OrgUnit.objects.filter(pk__in=ids).order_by("depth")

    def subtree(self) -> models.QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(path__subtree=self.path)


class Role(models.TextChoices):
    OFFICE = "office", _("推进办")
    LEADER = "leader", _("领导")
    LIAISON = "liaison", _("联络员")
    VIEWER = "viewer", _("查看")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("单位"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.LIAISON)
    title = models.CharField(_("职务"), max_length=60, blank=True, default="")
    phone = models.CharField(_("联系电话"), max_length=30, blank=True, default="")

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_unique_user_unit")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"


class OwnerRole(models.TextChoices):
    """How a unit owns an item it shares with others (orgs.permissions reads `lead_roles`)."""

    LEAD = "lead", _("牵头单位")
    CO = "co", _("责任单位")
    LEADER = "leader", _("包保领导")
    DEPARTMENT = "department", _("责任部门")
    SECRETARY = "secretary", _("项目秘书")


class Assignment(models.Model):
    """One owning unit of an item owned by several: a task's lead and co-responsible units,
    a project's leader, department and secretary (三级包保).

    One table for every kind of item (content type + id), so the permission layer answers
    "does one of this user's subtrees own it?" with one EXISTS per query whatever the model:
    no join, hence no duplicate rows when an item has several owners in the subtree.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("单位"))
    role = models.CharField(_("职责"), max_length=20, choices=OwnerRole.choices, default=OwnerRole.CO)
    position = models.PositiveSmallIntegerField(default=0)  # the order the plan lists the units in

    class Meta:
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "unit", "role"], name="assignment_unique_owner"),
        ]
        # (item) lists an item's owners; (unit, type, item) serves the EXISTS of `scope`
        # from the unit side when a subtree holds few units.
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="assignment_item_idx"),
            models.Index(fields=["unit", "content_type", "object_id"], name="assignment_unit_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_role_display()})"


@dataclass(frozen=True)
class Owners:
    """How a model names the units that own its rows, for the permission layer.

    `field`: a foreign-key path to the (lead) owning unit ("unit", "problem__unit"), or
    None when every owner is an assignment. `assigned`: further owners are rows of
    `Assignment` for this model (`via`: the path to the assigned item when the row is a
    child of it, "" for the row itself). `lead_roles`: the assignment roles that count as
    lead (may change the item). `supervisor` / `default_supervisor`: paths to the unit
    that reviews and signs off (the first that is set).
    A model that declares only `scope_field` is owned by that one unit.
    """

    field: str | None = None
    assigned: bool = False
    via: str = ""
    lead_roles: tuple[str, ...] = (OwnerRole.LEAD,)
    supervisor: str = ""
    default_supervisor: str = ""


TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 3650


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once.

    Every token expires (`expires_at`): a token forgotten in a script stops working on
    its own instead of living forever.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(_("名称"), max_length=80, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最后使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.label or 'token'} ({self.user})"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        """有效 / 已过期 / 已吊销, as the list shows it."""
        if self.revoked:
            return str(_("已吊销"))
        return str(_("已过期")) if self.is_expired else str(_("有效"))
