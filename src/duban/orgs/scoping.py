"""What a user may SEE: the query side of the permission layer (`orgs.permissions`).

Everybody sees the subtrees of the units they are members of (office and leader at the
top of their tree, a liaison at its own unit), superusers see everything, and nobody sees
anything else. Every list, detail, export and API call filters through `scope`.
Models name the foreign key to their owning unit in `scope_field` ("" for OrgUnit
itself, "unit" for a problem, "problem__unit" for a problem's evidence…), or declare
`scope_owners = Owners(...)` when several units own a row through `orgs.Assignment`;
those rows are filtered with one EXISTS (never a join: no duplicate rows).
What a user may change, review or report is decided in `orgs.permissions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model, Q, QuerySet

from duban.orgs.models import Assignment, Membership, OrgUnit, Owners, Role

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


class UnitViewer:
    """One unit's subtree as its members see it, for figures counted without a person
    (dated snapshots, reminders): `scope`, `scope_key` and `scope_regions` treat it like a
    user who belongs to that unit and nowhere else. It holds no role and can change nothing."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_superuser = False
    pk = None

    def __init__(self, unit: OrgUnit) -> None:
        self.unit = unit
        # What `grants` would load for such a member: set here, so no membership query.
        self._duban_grants = [Grant(unit.pk, unit.path, unit.depth, Role.VIEWER)]

    def get_username(self) -> str:
        return f"unit:{self.unit.pk}"

    def __str__(self) -> str:
        return str(self.unit)


def forget_grants(user) -> None:
    """Drop what this user object remembers of its memberships (after they change)."""
    user.__dict__.pop("_duban_grants", None)
    user.__dict__.pop("_duban_sees_all", None)


def sees_everything(user) -> bool:
    """True for superusers and for members of every top-level unit (no scope filter needed)."""
    return _sees_all_cached(user, grants(user))


def _sees_everything(user, roots: list[Grant]) -> bool:
    if user.is_superuser:
        return True
    top = {g.path for g in roots if g.depth == 0}
    if not top:
        return False
    all_roots = set(OrgUnit.objects.filter(depth=0).values_list("path", flat=True))
    return all_roots <= top


def scope(user, queryset: QuerySet) -> QuerySet:
    """Narrow `queryset` to the rows `user` may see.

    A big table that carries its unit's region declares `scope_region_field`; its subtrees
    are then written in region form (`subtree_condition`): the same rows, but a query
    PostgreSQL serves from a (region, status, id) index at millions of rows.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return queryset.none()
    roots = grants(user)
    if _sees_all_cached(user, roots):
        return queryset
    if not roots:
        return queryset.none()
    owners = owners_of_model(queryset.model)
    field = owners.field
    region_field = getattr(queryset.model, "scope_region_field", "")
    paths = outer_grant_paths(user)
    cond = Q()
    if field is not None:
        for path in paths:
            cond |= subtree_condition(field, path, region_field=region_field) if field else Q(path__subtree=path)
    if owners.assigned:
        cond |= assigned_in(queryset.model, owners, paths)
    return queryset.filter(cond)


def owners_of_model(model: type[Model]) -> Owners:
    """The model's declared owners (`scope_owners`), or its single `scope_field`."""
    declared = getattr(model, "scope_owners", None)
    if declared is not None:
        return declared
    field = getattr(model, "scope_field", None)
    if field is None:
        raise TypeError(f"{model.__name__} declares no scope_field or scope_owners; it cannot be scoped")
    return Owners(field=field)


def assignment_type(model: type[Model]) -> ContentType:
    """The content type an item's Assignment rows carry (proxies keep their own)."""
    return ContentType.objects.get_for_model(model, for_concrete_model=False)


def assigned_in(model: type[Model], owners: Owners, paths: list[str]) -> Q:
    """Rows one of whose assigned units lies in one of the subtrees at `paths`: `id IN (the
    ids those units are assigned)`, so a row with three owners in the user's subtree is still
    one row. Uncorrelated on purpose: both databases read the subtree's assignments once (a
    hashed subplan, an ephemeral index) instead of probing them for every row of the list,
    also when it is OR-ed with the lead unit's condition."""
    item = model._meta.get_field(owners.via).related_model if owners.via else model
    units = Q()
    for path in paths:
        units |= Q(unit__path__subtree=path)
    ids = Assignment.objects.filter(units, content_type=assignment_type(item)).values("object_id")
    return Q(**{f"{owners.via}_id__in" if owners.via else "pk__in": ids})


def scope_key(user) -> tuple:
    """What `scope` depends on for this user, as a value (cache keys of scoped figures):
    everything, nothing, or the paths of the user's outermost grants."""
    if user is None:
        return ("system",)
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ("nobody",)
    roots = grants(user)
    if _sees_all_cached(user, roots):
        return ("everything",)
    return ("paths", *outer_grant_paths(user))


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


# ------------------------------------------------------------------ big tables (region form)

EVERY_REGION = None  # region_set's answer for "no region restriction"


def outer_grant_paths(user) -> list[str]:
    """The paths of the user's outermost grants (a unit inside another grant adds nothing)."""
    paths = sorted({g.path for g in grants(user)})
    return [p for i, p in enumerate(paths) if not any(p.startswith(q) for q in paths[:i])]


def _sees_all_cached(user, roots: list[Grant]) -> bool:
    """`_sees_everything`, remembered on the user object like `grants` (one query per request)."""
    cached = getattr(user, "_duban_sees_all", None)
    if cached is None:
        cached = bool(user.is_superuser or (roots and _sees_everything(user, roots)))
        user._duban_sees_all = cached
    return cached


def _only_tree(root_id: int) -> bool:
    return not OrgUnit.objects.filter(depth=0).exclude(pk=root_id).exists()


def region_set(path: str) -> set[int] | None | bool:
    """The regions whose rows make up exactly the subtree at `path`: a set of region ids,
    EVERY_REGION (None) when it is the only tree, or False when the subtree is deeper than
    a region (a town) and cannot be written as regions."""
    segments = [s for s in path.split(".") if s]
    if len(segments) == 2:
        return {int(segments[1])}
    if len(segments) == 1:
        root = int(segments[0])
        if _only_tree(root):
            return EVERY_REGION
        return set(OrgUnit.objects.filter(path__subtree=path, depth__lte=1).values_list("id", flat=True))
    return False


def subtree_condition(field: str, path: str, *, region_field: str = "") -> Q:
    """Rows whose unit (`field`, a foreign key to OrgUnit) lies in the subtree at `path`.

    Without `region_field` this is the form `scope` writes: `field IN (units under path)`.

    With `region_field`, for a big table that carries its unit's region (the unit's depth-1
    ancestor; a depth-0 or depth-1 unit is its own region; `orgs.services` keeps it in step
    when units move, and every write path copies it from the unit):

    * depth 1 (a county in a city tree): `region = root`, exact by that invariant;
    * depth 0: true when it is the only top unit, else `region IN (root and its children)`;
    * deeper (a town): the plain form AND `region = its depth-1 ancestor`. The extra term
      never changes the rows; it makes PostgreSQL expect few rows, so it walks the
      (unit, status) index for the subtree's units instead of a backward primary-key scan
      of the whole table hoping to meet 50 matches (seconds when they are old rows).

    PostgreSQL can then serve "subtree + status, newest first" by an ordered scan of a
    (region, status, id) index and count it from the same index (ledger.Problem at 3M rows).
    """
    segments = [s for s in path.split(".") if s]
    plain = Q(**{f"{field}__in": OrgUnit.objects.filter(path__subtree=path).values("id")})
    if not region_field or not segments:
        return plain
    if len(segments) == 1:
        if _only_tree(int(segments[0])):
            return Q(pk__isnull=False)  # the only tree: every row (a Q that survives `|`)
        return Q(**{f"{region_field}__in": OrgUnit.objects.filter(path__subtree=path, depth__lte=1).values("id")})
    region = int(segments[1])
    if len(segments) == 2:
        return Q(**{region_field: region})
    if connection.vendor != "postgresql":
        # SQLite's planner would take the extra region term as its index and walk the whole
        # region; the plain form already probes the (unit, status) index there.
        return plain
    return plain & Q(**{region_field: region})


def scope_regions(user) -> set[int] | None | bool:
    """The user's scope as regions (see `region_set`): EVERY_REGION for the system (None
    user), superusers and members of every tree; False when a grant is below a region."""
    if user is None:
        return EVERY_REGION
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return set()
    roots = grants(user)
    if _sees_all_cached(user, roots):
        return EVERY_REGION
    out: set[int] = set()
    for path in outer_grant_paths(user):
        regions = region_set(path)
        if regions is False:
            return False
        if regions is EVERY_REGION:
            return EVERY_REGION
        out |= regions
    return out
