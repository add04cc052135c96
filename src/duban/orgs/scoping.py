"""The one rule for who may see and change what.

Everybody sees the subtrees of the units they are members of (office and leader at the
top of their tree, a liaison at its own unit), superusers see everything, and nobody sees
anything else. Every list, detail, export and API call filters through `scope`.
Models name the foreign key to their owning unit in `scope_field` ("" for OrgUnit
itself, "unit" for a problem, "problem__unit" for a problem's evidence…).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from duban.orgs.models import Membership, OrgUnit, Role

ROLE_RANK = {Role.VIEWER: 0, Role.LIAISON: 1, Role.LEADER: 2, Role.OFFICE: 3}


@dataclass(frozen=True)
class Grant:
    unit_id: int
    path: str
    depth: int
    role: str


def grants(user) -> list[Grant]:
    """The user's memberships, loaded once per user object (one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_duban_grants", None)
    if cached is None:
        rows = Membership.objects.filter(user_id=user.pk).values_list("unit_id", "unit__path", "unit__depth", "role")
        cached = [Grant(uid, path, depth, role) for uid, path, depth, role in rows]
        user._duban_grants = cached
    return cached


def sees_everything(user) -> bool:
    """True for superusers and for members of every top-level unit (no scope filter needed)."""
    return bool(getattr(user, "is_superuser", False)) or _sees_everything(user, grants(user))


def _sees_everything(user, roots: list[Grant]) -> bool:
    if user.is_superuser:
        return True
    top = {g.path for g in roots if g.depth == 0}
    if not top:
        return False
    all_roots = set(OrgUnit.objects.filter(depth=0).values_list("path", flat=True))
    return all_roots <= top


def scope(user, queryset: QuerySet) -> QuerySet:
    """Narrow `queryset` to the rows `user` may see."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return queryset.none()
    roots = grants(user)
    if user.is_superuser or (roots and _sees_everything(user, roots)):
        return queryset
    if not roots:
        return queryset.none()
    field = getattr(queryset.model, "scope_field", None)
    if field is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_field; it cannot be scoped")
    # Keep only the outermost grants: a unit inside another grant adds nothing.
    paths = sorted({g.path for g in roots})
    outer = [p for i, p in enumerate(paths) if not any(p.startswith(q) for q in paths[:i])]
    cond = Q()
    for path in outer:
        if field:
            cond |= Q(**{f"{field}__in": OrgUnit.objects.filter(path__subtree=path).values("id")})
        else:
            cond |= Q(path__subtree=path)
    return queryset.filter(cond)


def visible_units(user) -> QuerySet[OrgUnit]:
    return scope(user, OrgUnit.objects.all())


def role_for(user, unit: OrgUnit) -> str | None:
    """The strongest role the user holds over `unit` (through it or an ancestor)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.OFFICE
    best = None
    for g in grants(user):
        if unit.path.startswith(g.path) and (best is None or ROLE_RANK[g.role] > ROLE_RANK[best]):
            best = g.role
    return best


def can(user, unit: OrgUnit, *roles: str) -> bool:
    """True when the user holds one of `roles` over `unit`."""
    role = role_for(user, unit)
    return role is not None and role in roles


def is_office(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or any(g.role == Role.OFFICE for g in grants(user))


def home_unit(user) -> OrgUnit | None:
    """The outermost unit the user belongs to: where their pages start."""
    gs = grants(user)
    if not gs:
        return OrgUnit.objects.filter(depth=0).first() if getattr(user, "is_superuser", False) else None
    top = min(gs, key=lambda g: (g.depth, -ROLE_RANK[g.role]))
    return OrgUnit.objects.get(pk=top.unit_id)


def check_visible(user, obj: Model) -> bool:
    """Whether one object lies inside the user's scope (for detail pages and downloads)."""
    return scope(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
