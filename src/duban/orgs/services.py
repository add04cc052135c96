"""Every write to the org tree, memberships and tokens; each one audited."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from duban.audit.services import audit_bulk, audit_record, diff, snapshot, user_action
from duban.core.contributions import contributions, resolve
from duban.orgs import permissions
from duban.orgs.models import (
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
    ApiToken,
    Assignment,
    Membership,
    OrgUnit,
    OwnerRole,
    Role,
    UnitKind,
    path_segment,
)
from duban.orgs.scoping import assignment_type, forget_grants, owners_of_model

UNIT_FIELDS = ("name", "kind", "parent", "code")


def _place(unit: OrgUnit) -> None:
    """Fill path, depth and region from the parent (the unit must have a pk)."""
    parent = unit.parent
    unit.path = (parent.path if parent else "") + path_segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    if unit.depth <= 1:  # the top unit and its children are their own regions
        unit.region_id = unit.pk
    else:
        unit.region_id = parent.region_id


def _check_name(name: str, parent: OrgUnit | None, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "单位名称不能为空"})
    clash = OrgUnit.objects.filter(parent=parent, name=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        where = parent.name if parent else "顶层"
        raise ValidationError({"name": f"“{where}”下已有同名单位“{name}”"})
    return name


@transaction.atomic
def unit_create(*, actor, name: str, kind: str = UnitKind.OTHER, parent: OrgUnit | None = None, code: str = "") -> OrgUnit:
    if kind not in UnitKind.values:
        raise ValidationError({"kind": f"未知单位类型“{kind}”"})
    unit = OrgUnit(name=_check_name(name, parent), kind=kind, parent=parent, code=code)
    unit.save()
    _place(unit)
    unit.save(update_fields=["path", "depth", "region"])
    audit_record(actor=actor, verb="orgunit.create", obj=unit, changes=diff({}, snapshot(unit, UNIT_FIELDS)))
    return unit


@transaction.atomic
def unit_update(*, actor, unit: OrgUnit, name: str | None = None, kind: str | None = None, code: str | None = None, parent: OrgUnit | None | bool = False) -> OrgUnit:
    """Rename, retype or move a unit. Moving rewrites the paths of its whole subtree."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    before = snapshot(unit, UNIT_FIELDS)
    old_path = unit.path
    if parent is not False:
        if parent is not None and parent.path.startswith(unit.path):
            raise ValidationError({"parent": "不能把单位移到它自己或它的下级单位之下"})
        unit.parent = parent
    if kind is not None:
        if kind not in UnitKind.values:
            raise ValidationError({"kind": f"未知单位类型“{kind}”"})
        unit.kind = kind
    if code is not None:
        unit.code = code
    unit.name = _check_name(name if name is not None else unit.name, unit.parent, exclude_pk=unit.pk)
    _place(unit)
    unit.save()
    if unit.path != old_path:
        depth_delta = unit.depth - old_path.count(".") + 1
        OrgUnit.objects.filter(path__subtree=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_delta,
        )
        _reassign_regions(unit)
    audit_record(actor=actor, verb="orgunit.update", obj=unit, changes=diff(before, snapshot(unit, UNIT_FIELDS)))
    return unit


def regional_models() -> list:
    """Big tables that carry their unit's region (the future shard key, docs/scaling.md) and must
    follow a unit that moves to another region: each app declares its own (``RegionalModel``)."""
    return [django_apps.get_model(m.model) for m in contributions("regional_models")]


def _reassign_regions(unit: OrgUnit) -> None:
    """After a move, every descendant's region is its depth-1 ancestor (or itself), and the
    rows of the big tables owned by the moved subtree follow their unit's new region."""
    below = OrgUnit.objects.filter(path__subtree=unit.path).exclude(pk=unit.pk)
    if unit.depth >= 1:
        below.update(region_id=unit.region_id)
    else:
        for child in OrgUnit.objects.filter(parent=unit):  # moved to the top: each child is a region
            OrgUnit.objects.filter(path__subtree=child.path).update(region_id=child.pk)
    subtree_ids = OrgUnit.objects.filter(path__subtree=unit.path).values("id")
    for model in regional_models():
        model._default_manager.filter(unit_id__in=subtree_ids).update(
            region_id=Subquery(OrgUnit.objects.filter(pk=OuterRef("unit_id")).values("region_id")[:1])
        )
    # Told the moved units' ids after their rows changed region (roll-ups keyed by region).
    for listener in contributions("region_listeners"):
        resolve(listener.target)(subtree_ids)


@dataclass
class NewUnit:
    name: str
    kind: str
    parent_key: str | None  # the key of another NewUnit in the batch, or None when parent_id is set
    parent_id: int | None
    code: str = ""
    key: str = ""


def _write_places(units: Sequence[OrgUnit]) -> None:
    """Store path, depth and region of freshly inserted units in one executemany.

    bulk_update builds a CASE expression per row; at city scale (11,000 units) that costs
    seconds, a parameterised UPDATE costs milliseconds.
    """
    table = OrgUnit._meta.db_table
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {table} SET path = %s, depth = %s, region_id = %s WHERE id = %s",  # noqa: S608 - table name is ours
            [(u.path, u.depth, u.region_id, u.pk) for u in units],
        )


@transaction.atomic
def units_bulk_create(*, actor, units: Sequence[NewUnit], note: str = "") -> list[OrgUnit]:
    """Create many units in tree order (parents first); one audit row per unit, one action."""
    with user_action():
        created: dict[str, OrgUnit] = {}
        pending = list(units)
        out: list[OrgUnit] = []
        existing_parents = {p.pk: p for p in OrgUnit.objects.filter(pk__in={u.parent_id for u in units if u.parent_id})}
        while pending:
            ready = [u for u in pending if u.parent_key is None or u.parent_key in created]
            if not ready:
                raise ValidationError("上级单位关系有循环")
            batch = []
            for u in ready:
                parent = created[u.parent_key] if u.parent_key else existing_parents.get(u.parent_id)
                batch.append(OrgUnit(name=u.name, kind=u.kind, parent=parent, code=u.code))
            OrgUnit.objects.bulk_create(batch, batch_size=2000)
            for u, unit in zip(ready, batch, strict=True):
                _place(unit)
                created[u.key or u.name] = unit
            _write_places(batch)
            out.extend(batch)
            ready_ids = {id(u) for u in ready}
            pending = [u for u in pending if id(u) not in ready_ids]
        kind_labels = {k.value: str(k.label) for k in UnitKind}
        audit_bulk(
            actor=actor,
            verb="orgunit.create",
            objects=out,
            changes_of=lambda u: {"name": [None, u.name], "kind": [None, kind_labels[u.kind]], "parent": [None, u.parent.name if u.parent_id else None]},
            note=note,
        )
        return out


@transaction.atomic
def membership_set(*, actor, user, unit: OrgUnit, role: str, title: str = "", phone: str = "") -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": f"未知角色“{role}”"})
    m, created = Membership.objects.get_or_create(user=user, unit=unit, defaults={"role": role, "title": title, "phone": phone})
    before = {} if created else snapshot(m, ("role", "title", "phone"))
    m.role, m.title, m.phone = role, title, phone
    m.save()
    audit_record(actor=actor, verb="membership.set", obj=m, unit=unit, changes=diff(before, snapshot(m, ("role", "title", "phone"))), object_repr=f"{user} @ {unit}")
    forget_grants(user)
    return m


@transaction.atomic
def owners_set(*, actor, obj: models.Model, owners: Sequence[tuple[OrgUnit, str]], skip_checks: bool = False) -> list[Assignment]:
    """Replace the owning units of an item owned by several (its model declares
    `scope_owners = Owners(assigned=True)`): `owners` is [(unit, OwnerRole), …] in the
    order the plan lists them. The actor must be office over every unit it names, old or
    new (a unit is given work, or relieved of it, by who runs it); audited on the item."""
    spec = owners_of_model(type(obj))
    if not spec.assigned:
        raise TypeError(f"{type(obj).__name__} is owned by one unit (scope_field); it has no assignments")
    pairs: list[tuple[OrgUnit, str]] = []
    for unit, role in owners:
        if role not in OwnerRole.values:
            raise ValidationError({"role": f"未知职责“{role}”"})
        if (unit.pk, role) not in {(u.pk, r) for u, r in pairs}:
            pairs.append((unit, role))
    ctype = assignment_type(type(obj))
    current = list(Assignment.objects.filter(content_type=ctype, object_id=obj.pk).select_related("unit"))
    touched = {a.unit.pk: a.unit for a in current}
    touched.update({u.pk: u for u, _ in pairs})
    for unit in touched.values():
        permissions.require_for_unit(actor, unit, Role.OFFICE, message=f"只能把工作分给本人可管理的单位（{unit.name}）", skip_checks=skip_checks)
    labels = dict(OwnerRole.choices)
    before = [f"{a.unit.name}（{labels[a.role]}）" for a in current]
    Assignment.objects.filter(content_type=ctype, object_id=obj.pk).delete()
    rows = Assignment.objects.bulk_create([
        Assignment(content_type=ctype, object_id=obj.pk, unit=unit, role=role, position=i) for i, (unit, role) in enumerate(pairs)
    ])
    after = [f"{u.name}（{labels[r]}）" for u, r in pairs]
    if before != after:
        audit_record(actor=actor, verb="owners.set", obj=obj, changes={"责任分工": [before, after]})
    permissions.forget_owners(obj)
    return rows


@transaction.atomic
def user_create(*, actor, username: str, password: str, unit: OrgUnit, role: str, full_name: str = "", is_staff: bool = False):
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"用户名“{username}”已存在"})
    user = User.objects.create_user(username=username, password=password, first_name=full_name, is_staff=is_staff)
    audit_record(actor=actor, verb="user.create", obj=user, unit=unit, changes={"username": [None, username]})
    membership_set(actor=actor, user=user, unit=unit, role=role)
    return user


@transaction.atomic
def member_add(*, actor, unit: OrgUnit, username: str, role: str, full_name: str = "", password: str = "", title: str = "") -> Membership:
    """Put a person in a unit: an existing account gets the role, a new one is created."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise ValidationError({"password": "新账号需要初始密码"})
        user = user_create(actor=actor, username=username, password=password, unit=unit, role=role, full_name=full_name)
        return membership_set(actor=actor, user=user, unit=unit, role=role, title=title)
    return membership_set(actor=actor, user=user, unit=unit, role=role, title=title)


def _token_days(days: int) -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationError({"days": f"有效期须为 1 到 {TOKEN_MAX_DAYS} 天之间的整数"})
    return days


@transaction.atomic
def user_set_password(*, actor, user, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    # The hash never goes into the audit trail: only that it changed.
    audit_record(actor=actor, verb="user.set_password", obj=user, note="重设密码", object_repr=user.get_username())


@transaction.atomic
def token_create(*, actor, user, label: str = "", days: int = TOKEN_DEFAULT_DAYS) -> str:
    """A new API token for `user`, valid `days` days; the plain token is returned once and never stored."""
    days = _token_days(days)
    label = (label or "").strip()[:80]
    token = "dbn_" + secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(days=days)
    row = ApiToken.objects.create(user=user, digest=ApiToken.digest_of(token), label=label, expires_at=expires_at)
    audit_record(
        actor=actor,
        verb="token.create",
        obj=row,
        object_repr=f"{user} 的令牌",
        changes={"label": [None, label], "expires_at": [None, expires_at.isoformat(timespec="seconds")]},
    )
    return token


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> bool:
    """Revoke one token; False (and no audit row) when it was revoked already."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked:
        return False
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit_record(actor=actor, verb="token.revoke", obj=token, object_repr=f"{token.user} 的令牌", changes={"revoked": [False, True]})
    return True


@transaction.atomic
def tokens_revoke_for_user(*, actor, user) -> int:
    """Revoke every live token of `user` (a lost laptop, a person who left); how many were revoked."""
    rows = list(ApiToken.objects.select_for_update().filter(user=user, revoked=False))
    with user_action():
        for row in rows:
            token_revoke(actor=actor, token=row)
    return len(rows)


def assignments_insert(rows: Sequence[tuple[int, int, int, str, int]]) -> None:
    """Many owners at once for a bulk writer (an import, the demo): (content type, item, unit,
    role, position) rows of Assignment in one COPY (PostgreSQL) or executemany (SQLite). The
    caller checked the rights and writes the audit row of its import."""
    from django.db import connection

    if not rows:
        return
    table = Assignment._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} (content_type_id, object_id, unit_id, role, position) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            cur.executemany(f"INSERT INTO {table} (content_type_id, object_id, unit_id, role, position) VALUES (%s, %s, %s, %s, %s)", rows)  # noqa: S608
