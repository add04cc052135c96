"""The permission layer: what a user may see, change, report and review — in one place.

Who owns what. A row is owned by one unit (its model's `scope_field`: a problem's 责任单位)
or by several (`scope_owners = Owners(...)`: rows of `orgs.Assignment` — a task's 牵头单位
and 责任单位, a project's 包保领导, 责任部门 and 项目秘书). Lead owners are the `field` unit
and assignments whose role is in `lead_roles`; the other assignments are co-owners.
A row may also name a supervising unit (`supervisor`, else `default_supervisor`: a
problem's 督办单位, else its campaign's unit).

The rule. A grant is a membership (unit + role) and reaches the unit's whole subtree.

* see — any role over one owner (lead or co); superusers and members of every top unit
  see all. Queries: `scope(user, queryset)` (region form for
  the ledger's big table, EXISTS over assignments: no duplicate rows). One object: `may_see`.
* change — office or liaison over a LEAD owner (`may_change`): edit the row, move it along
  its workflow as the responsible side. Which fields: `editable_fields` (office all, liaison
  its few).
* report — office or liaison over ANY owner, lead or co (`may_report`; with `unit=`: over
  that owner unit): progress notes and evidence for one's own part of a shared item.
* review — office over the supervising unit and not a member of any owning unit itself
  (`may_review`): sign off (销号), return, decide extensions, correct a closed row.
* act for a unit — `may_act_for(user, unit, *roles)`: register items for a unit, run the
  campaign office's tools (the campaign's unit with role office).
* take part in a campaign — its unit is an ancestor of one of the user's units or lies in
  one of their subtrees (`takes_part`).

Actors. Services take `actor`: a user, or a `duban.core.actors.SystemActor` (命令行,
演示数据, 后台任务, 群众). A system actor holds no rights here; a caller acting as the
system passes `skip_checks=True` where it calls (`require` raises TypeError for a person
with it, and for a string actor in any case). Views, the API, exports and services ask
this module; none decides rights on its own.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

from duban.core.actors import check_actor, require_skip_allowed
from duban.orgs.models import Assignment, OrgUnit, Owners, Role
from duban.orgs.scoping import (
    assignment_type,
    can,
    check_visible,
    grants,
    home_unit,
    is_office,
    owners_of_model,
    role_for,
    scope,
    visible_units,
)

SEE, CHANGE, REPORT, REVIEW = "see", "change", "report", "review"
EDITORS = (Role.OFFICE, Role.LIAISON)

__all__ = [
    "CHANGE", "REPORT", "REVIEW", "SEE", "can", "editable_fields", "home_unit", "is_office", "lead_units", "may",
    "may_act_for", "may_change", "may_report", "may_review", "may_see", "owner_units", "require", "require_for_unit",
    "role_for", "scope", "supervising_unit", "takes_part", "visible_units",
]


# ------------------------------------------------------------------ owners of one object


def _follow(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _owners(obj: Model) -> list[tuple[OrgUnit, bool]]:
    """(unit, is_lead) for every owner of `obj`, lead first. The field owner is read from
    the object each time (it may just have been changed); assignments once per object."""
    spec: Owners = owners_of_model(type(obj))
    out: list[tuple[OrgUnit, bool]] = []
    if spec.field is not None:
        unit = obj if spec.field == "" else _follow(obj, spec.field)
        if unit is not None:
            out.append((unit, True))
    if spec.assigned:
        assigned = obj.__dict__.get("_duban_assigned")
        if assigned is None:
            item = _follow(obj, spec.via) if spec.via else obj
            assigned = []
            if item is not None and item.pk is not None:
                rows = Assignment.objects.filter(content_type=assignment_type(type(item)), object_id=item.pk).select_related("unit")
                assigned = [(a.unit, a.role in spec.lead_roles) for a in rows]
            obj.__dict__["_duban_assigned"] = assigned
        out += assigned
    return out


def forget_owners(obj: Model) -> None:
    """Drop what `obj` remembers of its owners (after its assignments change)."""
    obj.__dict__.pop("_duban_assigned", None)


def lead_units(obj: Model) -> list[OrgUnit]:
    return [u for u, lead in _owners(obj) if lead]


def owner_units(obj: Model) -> list[OrgUnit]:
    """Every owning unit, lead first, each once."""
    seen: dict[int, OrgUnit] = {}
    for u, _lead in _owners(obj):
        seen.setdefault(u.pk, u)
    return list(seen.values())


def supervising_unit(obj: Model) -> OrgUnit | None:
    spec = owners_of_model(type(obj))
    for path in (spec.supervisor, spec.default_supervisor):
        if path:
            unit = _follow(obj, path)
            if unit is not None:
                return unit
    return None


# ------------------------------------------------------------------ rights over one object


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def may_see(user: Any, obj: Model) -> bool:
    """Whether `obj` lies in the user's scope (the same rule as `scope`, one query)."""
    return _active(user) and check_visible(user, obj)


def may_change(user: Any, obj: Model) -> bool:
    """Office or liaison over a lead owner: edit the row, act as its responsible side."""
    return _active(user) and any(role_for(user, u) in EDITORS for u in lead_units(obj))


def may_report(user: Any, obj: Model, unit: OrgUnit | None = None) -> bool:
    """Office or liaison over an owner (lead or co): report progress, add evidence. With
    `unit`, for that owner unit only (a co-responsible unit reports its own part)."""
    if not _active(user):
        return False
    owners = owner_units(obj)
    if unit is not None:
        return any(u.pk == unit.pk for u in owners) and role_for(user, unit) in EDITORS
    return any(role_for(user, u) in EDITORS for u in owners)


def may_review(user: Any, obj: Model) -> bool:
    """Office over the supervising unit, which is not an owner, and the user is not a
    member of an owning unit itself: nobody signs off their own unit's work."""
    if not _active(user):
        return False
    sup = supervising_unit(obj)
    if sup is None:
        return False
    owner_ids = {u.pk for u in owner_units(obj)}
    if sup.pk in owner_ids or role_for(user, sup) != Role.OFFICE:
        return False
    return not any(g.unit_id in owner_ids for g in grants(user))


def reviewing_q(user: Any, model: type[Model]) -> Q | None:
    """`may_review` as a query (what waits on this office to review): rows whose supervising
    unit (`supervisor`, else `default_supervisor` of the model's Owners) lies in a subtree the
    user is office of, never rows of the user's own units. None when the user reviews nothing."""
    gs = grants(user)
    paths = [g.path for g in gs if g.role == Role.OFFICE]
    superuser = bool(getattr(user, "is_superuser", False))
    if not (superuser or paths):
        return None
    spec = owners_of_model(model)
    cond = Q()
    if not superuser:
        for p in paths:
            if spec.supervisor:
                cond |= Q(**{f"{spec.supervisor}__path__subtree": p})
            if spec.default_supervisor:
                only_default = {f"{spec.supervisor}__isnull": True} if spec.supervisor else {}
                cond |= Q(**only_default, **{f"{spec.default_supervisor}__path__subtree": p})
    own = [g.unit_id for g in gs]
    return cond & ~Q(**{f"{spec.field}_id__in": own}) if spec.field and own else cond


def editable_fields(user: Any, obj: Model, *, office: tuple[str, ...], liaison: tuple[str, ...], closed: bool = False) -> tuple[str, ...]:
    """The fields the user may change on `obj` now: `office` for the office over a lead owner,
    `liaison` for a liaison; none when the row is `closed` and the user does not review it."""
    if not may_change(user, obj) or (closed and not may_review(user, obj)):
        return ()
    return office if any(role_for(user, u) == Role.OFFICE for u in lead_units(obj)) else liaison


RULES = {SEE: may_see, CHANGE: may_change, REPORT: may_report, REVIEW: may_review}


def may(user: Any, right: str, obj: Model) -> bool:
    return RULES[right](user, obj)


def may_act_for(user: Any, unit: OrgUnit, *roles: str) -> bool:
    """Whether the user holds one of `roles` over `unit` (through it or an ancestor)."""
    return can(user, unit, *roles)


def todo_units_q(user: Any, field: str = "unit") -> Q | None:
    """Rows whose `field` is one of the user's own units (as liaison or office) or a unit right
    below one: what waits on that person in 我的待办 (a town's villages report through it).
    None when the user answers for no unit."""
    own = [g.unit_id for g in grants(user) if g.role in (Role.LIAISON, Role.OFFICE)]
    if not own:
        return None
    return Q(**{f"{field}__in": OrgUnit.objects.filter(Q(pk__in=own) | Q(parent_id__in=own)).values("id")})


# ------------------------------------------------------------------ services ask here


def require(actor: Any, right: str, obj: Model, *, message: str, skip_checks: bool = False) -> None:
    """PermissionDenied(message) unless `actor` has `right` over `obj`.

    `skip_checks=True` (a SystemActor only) is the caller saying, where it calls, that it
    acts as the system; a string actor raises TypeError.
    """
    if require_skip_allowed(actor, skip_checks):
        return
    if not may(actor, right, obj):
        raise PermissionDenied(message)


def require_for_unit(actor: Any, unit: OrgUnit, *roles: str, message: str, skip_checks: bool = False) -> None:
    """PermissionDenied(message) unless `actor` holds one of `roles` over `unit`."""
    if require_skip_allowed(actor, skip_checks):
        return
    if not may_act_for(actor, unit, *roles):
        raise PermissionDenied(message)


def require_any(actor: Any, checks: list[bool] | tuple[bool, ...], *, message: str, skip_checks: bool = False) -> None:
    """PermissionDenied(message) unless one of `checks` (answers of this module) holds."""
    if require_skip_allowed(actor, skip_checks):
        return
    if not any(checks):
        raise PermissionDenied(message)


def checked(actor: Any, skip_checks: bool) -> bool:
    """True when the actor's rights are to be checked (a person, or a system actor the
    caller did not exempt); validates the pair like `require`."""
    check_actor(actor)
    return not require_skip_allowed(actor, skip_checks)


# ------------------------------------------------------------------ querysets


def takes_part(user: Any, queryset: QuerySet, *, field: str = "unit") -> QuerySet:
    """Rows run by a unit the user takes part in: an ancestor of one of their units (the
    campaigns they work in) or a unit in one of their subtrees (those they run)."""
    if not _active(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    cond = Q()
    for g in grants(user):
        ancestor_ids = [int(s) for s in g.path.split(".") if s]
        cond |= Q(**{f"{field}_id__in": ancestor_ids}) | Q(**{f"{field}__in": OrgUnit.objects.filter(path__subtree=g.path).values("id")})
    if not cond:
        return queryset.none()
    return queryset.filter(cond)
