"""Reading the trail: an object's history, and the office's filtered list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model, Q, QuerySet

from duban.audit.models import AuditEvent
from duban.orgs.scoping import is_office, scope


def may_read_trail(user, campaign=None) -> bool:
    """The whole trail is the campaign office's to read (an object's history is on its page)."""
    return is_office(user)


def history_for(obj: Model) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related("actor")


def audit_list(
    user,
    *,
    actor: str = "",
    verb: str = "",
    object_type: str = "",
    action_id: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    qs = scope(user, AuditEvent.objects.all())
    if actor:
        qs = qs.filter(Q(actor_name__icontains=actor) | Q(actor__first_name__icontains=actor))
    if verb:
        qs = qs.filter(verb__startswith=verb)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if action_id:
        qs = qs.filter(action_id=action_id)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs.select_related("unit", "actor")


def verbs() -> list[str]:
    return list(AuditEvent.objects.order_by().values_list("verb", flat=True).distinct()[:200])
