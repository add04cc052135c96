"""Reads of the org tree, always inside the user's scope."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from duban.orgs.models import ApiToken, OrgUnit
from duban.orgs.scoping import scope


def unit_list(user, *, q: str = "", kind: str = "", parent_id: int | None = None, under_id: int | None = None) -> QuerySet[OrgUnit]:
    qs = scope(user, OrgUnit.objects.all()).select_related("parent")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
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
    rows = scope(user, OrgUnit.objects.all()).order_by().values("kind").annotate(n=Count("id"))
    return {r["kind"]: r["n"] for r in rows}


def token_list(*, user=None) -> QuerySet[ApiToken]:
    """Tokens, newest first (all users when `user` is None: the command line is the server's admin)."""
    qs = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    return qs if user is None else qs.filter(user=user)


def own_token(user, pk: int) -> ApiToken | None:
    """One of `user`'s own tokens; another person's token is not found."""
    return ApiToken.objects.filter(user=user, pk=pk).first()
