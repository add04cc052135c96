"""Recording the trail. Services call `audit_record` inside their own transaction, so a
write and its audit row commit or roll back together; one user action (a request, a CLI
command, an import) shares one action id across every row it writes."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from duban.audit.models import AuditEvent
from duban.core import figcache
from duban.core.actors import actor_name, actor_user


@dataclass(frozen=True)
class Action:
    id: uuid.UUID


_current: contextvars.ContextVar[Action | None] = contextvars.ContextVar("duban_audit_action", default=None)


@contextlib.contextmanager
def user_action() -> Iterator[Action]:
    """Everything audited inside shares one action id (nested calls reuse the outer one)."""
    existing = _current.get()
    if existing is not None:
        yield existing
        return
    action = Action(uuid.uuid4())
    token = _current.set(action)
    try:
        yield action
    finally:
        _current.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of `obj` as JSON-safe values; foreign keys by their display text."""
    out = {}
    for name in fields:
        f = obj._meta.get_field(name)
        if f.is_relation and f.many_to_one:
            rel_id = getattr(obj, f.attname)
            out[name] = str(getattr(obj, name)) if rel_id is not None else None
        elif getattr(f, "choices", None):
            out[name] = getattr(obj, f"get_{name}_display")()
        else:
            out[name] = _plain(getattr(obj, name))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor,
    verb: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    unit=None,
    note: str = "",
) -> AuditEvent:
    """Append one audit row for `verb` on `obj` by `actor`."""
    action = _current.get() or Action(uuid.uuid4())
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)[:200]
    if unit is None and obj is not None:
        unit = _owning_unit(obj)
    actor_obj = actor_user(actor)  # a string actor raises TypeError here
    _data_changed(object_type)
    return AuditEvent.objects.create(
        action_id=action.id,
        at=timezone.now(),
        actor=actor_obj,
        actor_name=actor_name(actor) or "system",
        verb=verb,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        changes=_plain(changes or {}),
        note=note,
        unit=unit,
    )


# Writes of these object types change what the cached figures count (core.figcache).
FIGURE_TYPES = ("ledger.", "intake.", "orgs.orgunit", "campaigns.", "projects.", "rounds.")


def _data_changed(object_type: str) -> None:
    """Every audited write of figure data moves the figures' data version on."""
    if object_type.startswith(FIGURE_TYPES):
        figcache.bump()


def _owning_unit(obj: models.Model):
    from duban.orgs.models import OrgUnit

    if isinstance(obj, OrgUnit):
        return obj
    field = getattr(type(obj), "scope_field", None)
    if not field:
        return None
    target: Any = obj
    for part in field.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target if isinstance(target, OrgUnit) else None


def audit_bulk(
    *,
    actor,
    verb: str,
    objects: Iterable[models.Model],
    changes_of=None,
    note: str = "",
    batch_size: int = 5000,
) -> int:
    """Append one audit row per object in a few INSERTs (for imports); returns the count.

    `changes_of(obj)` gives each row's changes; the rows share the current action id.
    """
    action = _current.get() or Action(uuid.uuid4())
    now = timezone.now()
    actor_obj = actor_user(actor)  # a string actor raises TypeError here
    name = actor_name(actor) or "system"
    rows = []
    count = 0
    for obj in objects:
        if not rows and not count:
            _data_changed(obj._meta.label_lower)
        rows.append(
            AuditEvent(
                action_id=action.id,
                at=now,
                actor=actor_obj,
                actor_name=name,
                verb=verb,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes=_plain(changes_of(obj)) if changes_of else {},
                note=note,
                unit_id=_owning_unit_id(obj),
            )
        )
        if len(rows) >= batch_size:
            AuditEvent.objects.bulk_create(rows)
            count += len(rows)
            rows = []
    if rows:
        AuditEvent.objects.bulk_create(rows)
        count += len(rows)
    return count


def _owning_unit_id(obj: models.Model) -> int | None:
    """Like _owning_unit but reads a direct foreign key's id without a query."""
    field = getattr(type(obj), "scope_field", None)
    if field == "":
        return obj.pk
    if field and "__" not in field:
        return getattr(obj, f"{field}_id", None)
    return getattr(_owning_unit(obj), "pk", None)
