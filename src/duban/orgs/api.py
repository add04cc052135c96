"""Org-unit endpoints; every one goes through the scoping rule."""

# No `from __future__ import annotations`: @paginate re-reads the view's parameter types
# in ninja's own namespace, where string annotations such as "Id | None" cannot resolve.

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from duban.core.apischema import Pagination, answers
from duban.core.validation import Id, ModelText, Search
from duban.orgs import queries, services
from duban.orgs.models import OrgUnit, Role
from duban.orgs.scoping import can

router = Router(tags=["单位"])


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    parent_id: int | None
    parent_name: str | None
    code: str
    depth: int

    @staticmethod
    def resolve_kind_label(obj: OrgUnit) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_parent_name(obj: OrgUnit) -> str | None:
        return obj.parent.name if obj.parent_id else None


class UnitIn(Schema):
    name: ModelText(OrgUnit, "name")
    kind: ModelText(OrgUnit, "kind")
    parent_id: Id
    code: ModelText(OrgUnit, "code") = ""


@router.get("", response=answers({200: list[UnitOut]}), summary="单位列表（本人可见范围）", url_name="unit_list")
@paginate(Pagination)
def list_units(request, q: Search() = "", kind: Search(20) = "", parent_id: Id | None = None, under_id: Id | None = None):
    return queries.unit_list(request.user, q=q, kind=kind, parent_id=parent_id, under_id=under_id)


@router.get("/{unit_id}", response=answers({200: UnitOut}, 404), summary="单位详情", url_name="unit_detail")
def get_unit(request, unit_id: Id):
    unit = queries.unit_get(request.user, unit_id)
    if unit is None:
        raise HttpError(404, "未找到该单位或无权查看")
    return unit


@router.post("", response=answers({201: UnitOut}, 403, 404, body=True), summary="新建下级单位（推进办）")
def create_unit(request, payload: UnitIn):
    parent = queries.unit_get(request.user, payload.parent_id)
    if parent is None:
        raise HttpError(404, "未找到上级单位或无权查看")
    if not can(request.user, parent, Role.OFFICE):
        raise HttpError(403, "只有推进办可以新建单位")
    try:
        unit = services.unit_create(actor=request.user, name=payload.name, kind=payload.kind, parent=parent, code=payload.code)
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    return Status(201, get_object_or_404(OrgUnit.objects.select_related("parent"), pk=unit.pk))
