"""Reads of suggestions, always through the one scoping rule; the public look-up by code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet

from duban.core import figcache
from duban.core.validation import id_or_none, text_param
from duban.intake.models import Channel, Kind, Status, Suggestion, normalize_code
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import scope, scope_key


def suggestion_list(
    user,
    *,
    campaign=None,
    status: str = "",
    channel: str = "",
    kind: str = "",
    q: str = "",
    unit_id: int | None = None,
    area_id: int | None = None,
    overdue: bool = False,
) -> QuerySet[Suggestion]:
    qs = scope(user, Suggestion.objects.all())
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if status == "open":
        qs = qs.filter(status__in=[Status.NEW, Status.ASSIGNED, Status.REOPENED])
    elif status == "transferred":
        qs = qs.filter(problem_id__isnull=False)
    elif status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        code = normalize_code(q)
        cond = Q(title__icontains=q) | Q(body__icontains=q) | Q(place__icontains=q)
        if len(code) == 12:
            cond |= Q(tracking_code=code)
        qs = qs.filter(cond)
    if unit_id is not None:
        path = OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
        qs = qs.filter(unit__path__subtree=path) if path else qs.none()
    if area_id is not None:
        qs = qs.filter(focus_area_id=area_id)
    if overdue:
        from duban.core.dates import today

        qs = qs.filter(status__in=[Status.NEW, Status.ASSIGNED, Status.REOPENED], due_date__lt=today())
    return qs.select_related("unit", "focus_area", "campaign__unit")


def filter_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The inbox and export filters from GET parameters, as `suggestion_list` arguments:
    text stripped of NUL and bounded; a unit id outside 1..2^63-1 is ignored."""
    return {
        "status": text_param(params, "status", max_length=20), "channel": text_param(params, "channel", max_length=20),
        "kind": text_param(params, "kind", max_length=20), "q": text_param(params, "q"),
        "unit_id": id_or_none(params.get("unit")), "overdue": params.get("overdue") == "1",
    }


def suggestion_get(user, pk: int) -> Suggestion | None:
    return scope(user, Suggestion.objects.all()).select_related("unit", "focus_area", "campaign__unit", "place_unit", "replied_by").filter(pk=pk).first()


def by_code(code: str) -> Suggestion | None:
    """The public look-up: exactly the one item whose code was typed, or nothing."""
    code = normalize_code(code)
    if len(code) < 8:
        return None
    return Suggestion.objects.select_related("unit", "campaign").filter(tracking_code=code).first()


def counts_by(user, field: str, *, campaign=None, qs: QuerySet | None = None) -> dict[str, int]:
    """Visible suggestions counted by `field` (kept until the next write, core.figcache:
    the inbox tabs count every suggestion of a city on each page)."""
    if qs is None:
        parts = (scope_key(user), campaign.pk if campaign is not None else None, field)
        return figcache.cached("suggestions_by", parts, lambda: _counts_by(user, field, campaign, None))
    return _counts_by(user, field, campaign, qs)


def _counts_by(user, field: str, campaign, qs: QuerySet | None) -> dict[str, int]:
    base = qs if qs is not None else scope(user, Suggestion.objects.all())
    if campaign is not None:
        base = base.filter(campaign=campaign)
    rows = base.order_by().values(field).annotate(n=Count("*"))  # COUNT(*): index-only
    return {r[field]: r["n"] for r in rows}


def channel_counts(user, *, campaign=None) -> list[tuple[str, str, int]]:
    """(value, label, count) for every channel, in the order of the choices."""
    counts = counts_by(user, "channel", campaign=campaign)
    return [(c.value, str(c.label), counts.get(c.value, 0)) for c in Channel]


def kind_counts(user, *, campaign=None) -> list[tuple[str, str, int]]:
    counts = counts_by(user, "kind", campaign=campaign)
    return [(c.value, str(c.label), counts.get(c.value, 0)) for c in Kind]


def status_counts(user, *, campaign=None) -> list[tuple[str, str, int]]:
    counts = counts_by(user, "status", campaign=campaign)
    return [(c.value, str(c.label), counts.get(c.value, 0)) for c in Status]
