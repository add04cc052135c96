"""Reads of the notify app: the inbox, the unread count, the units' channels and the outbox."""

from __future__ import annotations

from django.db.models import QuerySet

from duban.notify.models import Delivery, InboxItem, UnitChannel
from duban.orgs.models import Membership, OrgUnit, Role
from duban.orgs.scoping import can, grants, is_office, scope


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return InboxItem.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def inbox_for(user) -> QuerySet[InboxItem]:
    return InboxItem.objects.filter(user_id=user.pk).select_related("message").order_by("-created_at", "-pk")


def may_edit_channels(user, unit: OrgUnit) -> bool:
    return can(user, unit, Role.OFFICE)


def channel_units(user) -> QuerySet[OrgUnit]:
    """The units whose channels the user may look at: every unit in scope for the office and
    leaders, a liaison's own units only (a liaison does not browse other villages' robots)."""
    units = scope(user, OrgUnit.objects.all())
    if not (is_office(user) or any(g.role == Role.LEADER for g in grants(user))):
        # A subquery, not a join: no DISTINCT, which made the page count a province's
        # 111,601 units through a sort of every column (0.17 s).
        units = units.filter(pk__in=Membership.objects.filter(user_id=user.pk).values("unit_id"))
    return units.order_by("path")


def with_channels(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """The units among `units` that have a channel set (each once)."""
    return units.filter(pk__in=UnitChannel.objects.values("unit_id"))


def channels_by_unit(units) -> dict[int, dict[str, UnitChannel]]:
    out: dict[int, dict[str, UnitChannel]] = {}
    for cfg in UnitChannel.objects.filter(unit__in=units):
        out.setdefault(cfg.unit_id, {})[cfg.channel] = cfg
    return out


def recent_deliveries(user, unit: OrgUnit | None = None, limit: int = 50) -> QuerySet[Delivery]:
    qs = scope(user, Delivery.objects.filter(unit__isnull=False))
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.select_related("message", "unit").order_by("-created_at", "-pk")[:limit]
