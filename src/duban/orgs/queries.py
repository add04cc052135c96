"""Reads of the org tree, always inside the user's scope."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q, QuerySet

from duban.core import figcache
from duban.orgs.models import ApiToken, OrgUnit
from duban.orgs.scoping import grants, scope, scope_key


def unit_list(user, *, q: str = "", kind: str = "", parent_id: int | None = None, under_id: int | None = None) -> QuerySet[OrgUnit]:
    qs = scope(user, OrgUnit.objects.all()).select_related("parent")
    if q:
        # Text without letters that have a case (Chinese names) matches the same rows
        # case-sensitively, and without UPPER() on both sides the scan of a province's
        # 111,601 units takes half the time.
        lookup = "contains" if q.upper() == q.lower() else "icontains"
        qs = qs.filter(Q(**{f"name__{lookup}": q}) | Q(**{f"code__{lookup}": q}))
    if kind:
        qs = qs.filter(kind=kind)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if under_id is not None:
        under = OrgUnit.objects.filter(pk=under_id).values_list("path", flat=True).first()
        qs = qs.filter(path__subtree=under) if under else qs.none()
    return qs.order_by("path")


def unit_get(user, pk: int) -> OrgUnit | None:
    return scope(user, OrgUnit.objects.all()).select_related("parent").filter(pk=pk).first()


def unit_children(user, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return scope(user, OrgUnit.objects.filter(parent=unit)).annotate(n_children=Count("children")).order_by("kind", "name")


def kind_counts(user) -> dict[str, int]:
    """Visible units per kind, kept until the next write (core.figcache): a province's
    111,601 units were counted on every page of the unit search."""
    return figcache.cached("unit_kinds", (scope_key(user),), lambda: _kind_counts(user))


def _kind_counts(user) -> dict[str, int]:
    rows = scope(user, OrgUnit.objects.all()).order_by().values("kind").annotate(n=Count("id"))
    return {r["kind"]: r["n"] for r in rows}


def token_list(*, user=None) -> QuerySet[ApiToken]:
    """Tokens, newest first (all users when `user` is None: the command line is the server's admin)."""
    qs = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    return qs if user is None else qs.filter(user=user)


def own_token(user, pk: int) -> ApiToken | None:
    """One of `user`'s own tokens; another person's token is not found."""
    return ApiToken.objects.filter(user=user, pk=pk).first()


# ------------------------------------------------------------------ choosing a unit

PICKER_LIMIT = 20
PATH_SEPARATOR = " › "


def _name_prefix(qs: QuerySet[OrgUnit], prefix: str) -> QuerySet[OrgUnit]:
    """Names starting with `prefix`, served by the name index on both databases.

    PostgreSQL serves `LIKE 'p%'` from the varchar_pattern_ops index Django adds for an
    indexed CharField; SQLite's LIKE cannot use a binary index, but the equivalent range
    can (text compares as UTF-8 bytes there, so the range is exactly the prefix).
    """
    if connection.vendor == "sqlite":
        return qs.filter(name__gte=prefix, name__lt=prefix + "\U0010ffff")
    return qs.filter(name__startswith=prefix)


def unit_paths(units: list[OrgUnit]) -> dict[int, str]:
    """Each unit's ancestors as a readable path ("临汾市 › 尧都区 › 平安镇"), to tell units of
    the same name apart: one query for all the ancestors of all the units."""
    chains = {u.pk: [int(s) for s in u.path.split(".") if s][:-1] for u in units}
    ids = {i for chain in chains.values() for i in chain}
    names = dict(OrgUnit.objects.filter(pk__in=ids).values_list("id", "name")) if ids else {}
    return {pk: PATH_SEPARATOR.join(names[i] for i in chain if i in names) for pk, chain in chains.items()}


def unit_search(user, q: str, *, limit: int = PICKER_LIMIT) -> list[OrgUnit]:
    """Units `user` may choose whose name matches `q`: names that start with it first, then
    names that contain it; at most `limit`, without reading the whole visible tree.

    "上级/名称" narrows by an ancestor's name. Without `q`: the user's outermost units and
    the units just below them (what a picker shows when it opens).
    """
    from duban.orgs.matching import split_label

    visible = scope(user, OrgUnit.objects.all())
    parts = split_label(q)
    if not parts:
        # The user's own units and their children: by id and parent, both indexed.
        roots = [g.unit_id for g in grants(user)] or list(OrgUnit.objects.filter(depth=0).values_list("id", flat=True)[:limit])
        units = visible.filter(Q(pk__in=roots) | Q(parent_id__in=roots)).order_by("depth", "path")[:limit]
        return list(units)
    name, parents = parts[-1], parts[:-1]
    # Ancestor filtering happens after the fetch: take more rows so that it still fills the list.
    fetch = limit * 5 if parents else limit
    # In name order, the order of the index, so that the scan stops after `fetch` rows.
    found = list(_name_prefix(visible, name).order_by("name", "id")[:fetch])
    if len(found) < fetch:
        # Names containing the text: the ids come from a scan of the name index (narrower
        # than the table), then the rows by id.
        seen = [u.pk for u in found]
        ids = list(visible.filter(name__contains=name).exclude(pk__in=seen).values_list("id", flat=True)[: fetch - len(found)])
        found += list(OrgUnit.objects.filter(pk__in=ids)) if ids else []
    found.sort(key=lambda u: (not u.name.startswith(name), u.depth, u.name, u.pk))
    if parents:
        paths = unit_paths(found)
        found = [u for u in found if all(p in paths[u.pk].split(PATH_SEPARATOR) for p in parents)]
    return found[:limit]
