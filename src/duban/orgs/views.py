"""Org-tree pages: browse the visible tree, a unit with its members and history, import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from duban.audit.queries import history_for
from duban.core.validation import text_param
from duban.core.xlsx import ImportRejected
from duban.orgs import queries, services
from duban.orgs.forms import ImportForm, MemberForm, UnitForm
from duban.orgs.io import units_import
from duban.orgs.models import Role, UnitKind
from duban.orgs.scoping import can, home_unit, is_office

# What a new child of a unit usually is, to preselect in the form.
CHILD_KIND = {
    UnitKind.PROVINCE: UnitKind.CITY,
    UnitKind.CITY: UnitKind.COUNTY,
    UnitKind.COUNTY: UnitKind.TOWN,
    UnitKind.TOWN: UnitKind.VILLAGE,
    UnitKind.VILLAGE: UnitKind.PARTY,
    UnitKind.DEPARTMENT: UnitKind.PARTY,
}


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    q, kind = text_param(request.GET, "q"), text_param(request.GET, "kind", max_length=20)
    if q or kind:
        units = queries.unit_list(request.user, q=q, kind=kind)
        page = Paginator(units, 50).get_page(request.GET.get("page"))
        return render(request, "orgs/unit_list.html", {"page": page, "q": q, "kind": kind, "kinds": UnitKind.choices, "counts": queries.kind_counts(request.user)})
    root = home_unit(request.user)
    if root is None:
        raise PermissionDenied("您还没有所属单位，请联系推进办。")
    return redirect("orgs:unit_detail", pk=root.pk)


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = queries.unit_get(request.user, pk)
    if unit is None:
        raise Http404("未找到该单位或无权查看")
    form = UnitForm(initial={"kind": CHILD_KIND.get(unit.kind, UnitKind.OTHER)})
    member_form = MemberForm()
    if request.method == "POST" and "add_member" in request.POST:
        if not can(request.user, unit, Role.OFFICE):
            raise PermissionDenied("只有推进办可以添加人员")
        member_form = MemberForm(request.POST)
        if member_form.is_valid():
            try:
                services.member_add(actor=request.user, unit=unit, **member_form.cleaned_data)
            except ValidationError as exc:
                member_form.add_error(None, exc)
            else:
                messages.success(request, f"已添加人员“{member_form.cleaned_data['username']}”")
                return redirect("orgs:unit_detail", pk=unit.pk)
    elif request.method == "POST":
        if not can(request.user, unit, Role.OFFICE):
            raise PermissionDenied("只有推进办可以新建单位")
        form = UnitForm(request.POST)
        if form.is_valid():
            try:
                child = services.unit_create(actor=request.user, parent=unit, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"已新建单位“{child.name}”")
                return redirect("orgs:unit_detail", pk=unit.pk)
    visible_ancestors = [a for a in unit.ancestors() if queries.unit_get(request.user, a.pk)]
    return render(
        request,
        "orgs/unit_detail.html",
        {
            "unit": unit,
            "crumbs": visible_ancestors[:-1],
            "children": queries.unit_children(request.user, unit),
            "members": unit.memberships.select_related("user").order_by("role"),
            "history": history_for(unit)[:50],
            "form": form,
            "member_form": member_form,
            "can_edit": can(request.user, unit, Role.OFFICE),
        },
    )


@login_required
def unit_import(request: HttpRequest) -> HttpResponse:
    if not is_office(request.user):
        raise PermissionDenied("只有推进办可以导入单位")
    errors = []
    form = ImportForm()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:  # units_import checks the user's office right row by row
                result = units_import(actor=request.user, source=form.cleaned_data["file"], max_bytes=20 * 1024 * 1024)
            except ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(request, result.summary())  # names the rows skipped (title, 填报, notes)
                return redirect("orgs:unit_list")
    return render(request, "orgs/unit_import.html", {"form": form, "errors": errors})


@login_required
def unit_search(request: HttpRequest) -> JsonResponse:
    """The unit picker's answers: units the user may choose whose name matches `q`, each
    with its ancestors so that units of the same name can be told apart."""
    units = queries.unit_search(request.user, text_param(request.GET, "q"))
    paths = queries.unit_paths(units)
    items = [{"id": u.pk, "name": u.name, "path": paths[u.pk], "kind": str(u.get_kind_display())} for u in units]
    return JsonResponse({"items": items}, json_dumps_params={"ensure_ascii": False})
