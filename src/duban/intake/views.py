"""Office and unit pages for suggestions: the inbox, one item, hotline entry, import, export.

Thin: reads come from `queries`, writes from `services` / `ledger_link`; every read goes
through the scoping rule; names and phones are masked except for the office.
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from duban.audit.queries import history_for
from duban.campaigns.queries import campaigns_for, current_campaign, focus_areas
from duban.core.errors import bad_request
from duban.core.validation import MAX_TEXT, id_or_none, strip_nul
from duban.core.workflow import TransitionError
from duban.core.xlsx import ExportTooLarge, ImportRejected
from duban.intake import hooks, ledger_link, queries, services, workflow
from duban.intake.forms import HotlineForm, ImportForm, ReplyForm, add_errors
from duban.intake.io import suggestions_export, suggestions_import
from duban.intake.models import Channel, Kind, Photo, Status
from duban.intake.privacy import can_see_contact, mask_name, mask_phone, may_see_contacts
from duban.intake.workflow_views import workflow_context
from duban.orgs import permissions
from duban.orgs.models import OrgUnit, Role, UnitKind
from duban.orgs.queries import unit_get
from duban.orgs.scoping import check_visible, home_unit, is_office

PAGE_SIZE = 30


def route_units(campaign, limit: int = 400) -> list[OrgUnit]:
    """Units an item can be routed to: the lead unit's towns, departments and (city) counties."""
    if campaign is None:
        return []
    root = campaign.unit
    kinds = [UnitKind.COUNTY, UnitKind.TOWN, UnitKind.DEPARTMENT, UnitKind.CITY, UnitKind.PARTY, UnitKind.OTHER]
    qs = OrgUnit.objects.filter(path__subtree=root.path, depth__lte=root.depth + 2, kind__in=kinds).exclude(pk=root.pk)
    return [root, *qs.order_by("depth", "kind", "name")[:limit]]


def inbox_filter(request: HttpRequest, campaign) -> tuple[queries.SuggestionFilter, list[str]]:
    """The inbox's filter from the query string, as the page and its export both read it
    (the API reads the same parameters): the current campaign unless one is named, and for
    the office the items waiting to be sorted unless a status is chosen (`?status=` is all)."""
    f, errors = queries.SuggestionFilter.from_params(request.GET)
    if f.campaign is None and campaign is not None:
        f.campaign = campaign.pk
    if is_office(request.user) and "status" not in request.GET:
        f.status = Status.NEW
    return f, errors


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    office = is_office(request.user)
    f, errors = inbox_filter(request, campaign)
    qs = queries.suggestion_list(request.user, f)
    channels = queries.channel_counts(request.user, campaign=campaign)
    kinds = queries.kind_counts(request.user, campaign=campaign)
    statuses = queries.status_counts(request.user, campaign=campaign)
    # The page count of the landing views from these tab counts (no count of every item).
    tabs = {name: {v: n for v, _, n in rows} for name, rows in (("channel", channels), ("kind", kinds), ("status", statuses))}
    page = queries.CountedPaginator(qs, PAGE_SIZE, lambda: queries.suggestion_count(request.user, f, campaign, tabs)).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for s in rows:
        s.name_masked, s.phone_masked = mask_name(s.contact_name), mask_phone(s.contact_phone)
    preds = hooks.predictions(request.user, [s for s in rows if s.status in (Status.NEW, Status.REOPENED)]) if office else {}
    for s in rows:
        s.pred = preds.get(s.pk)
    unit = unit_get(request.user, f.unit) if f.unit else None
    return render(
        request,
        "intake/inbox.html",
        {
            "page": page, "rows": rows, "campaign": campaign, "office": office, "f": f, "errors": errors,
            "params": f.as_params(), "status": f.status, "count_cap": queries.SEARCH_COUNT_CAP if f.q else None,
            "filter_unit_name": unit.name if unit else "", "filter_unit_id": unit.pk if unit else "",
            "channels": channels, "kinds": kinds, "statuses": statuses,
            "areas": list(focus_areas(campaign)), "show_hot": hooks.hot_issues_visible(request.user, campaign),
            "may_register": services.may_register(request.user, campaign), "may_import": services.may_import(request.user, campaign),
        },
    )


def _get(request, pk: int):
    s = queries.suggestion_get(request.user, pk)
    if s is None:
        raise Http404("未找到该意见建议或无权查看")
    return s


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    s = _get(request, pk)
    office = permissions.may_act_for(request.user, s.campaign.unit, Role.OFFICE)
    can_reply = "reply" in {t.name for t in workflow.available(request.user, s)}
    show_contact = can_see_contact(request.user, s)
    pred = hooks.predictions(request.user, [s]).get(s.pk) if office else None
    problem = ledger_link.visible_problem(request.user, s.problem_id) if s.problem_id else None
    return render(
        request,
        "intake/detail.html",
        {
            "s": s, "office": office, "can_reply": can_reply, "show_contact": show_contact,
            "name_masked": mask_name(s.contact_name), "phone_masked": mask_phone(s.contact_phone),
            "pred": pred, "areas": list(focus_areas(s.campaign)),
            "reply_form": ReplyForm(initial={"reply": s.reply}), "photos": list(s.photos.all()),
            "history": history_for(s)[:50], "ledger_ready": ledger_link.ready(), "problem": problem,
            "problem_url": ledger_link.problem_url(problem.pk) if problem else "", "overdue": s.due_date and s.status in (Status.NEW, Status.ASSIGNED, Status.REOPENED) and s.due_date < timezone.localdate(),
            **workflow_context(request.user, s),  # the steps this person gets, from the workflow table
        },
    )


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    s = _get(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "答复内容不能为空")
        return redirect("intake:detail", pk=s.pk)
    flags = [f["message"] for f in hooks.reply_flags(s, form.cleaned_data["reply"])]
    try:
        services.suggestion_reply(actor=request.user, suggestion=s, text=form.cleaned_data["reply"], flags=flags)
    except PermissionDenied:
        raise
    except TransitionError as exc:  # e.g. a closed item or a clue under verification
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已答复，群众可凭查询码查看并评价" + (f"（提示：{'；'.join(flags)}）" if flags else ""))
    return redirect("intake:detail", pk=s.pk)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    s = _get(request, pk)
    try:
        services.suggestion_close(actor=request.user, suggestion=s, note=strip_nul(request.POST.get("note", ""))[:MAX_TEXT])
    except TransitionError as exc:  # not a refusal (PermissionDenied goes on to 403): a step not open now
        if isinstance(exc, PermissionDenied):
            raise
        messages.error(request, str(exc))
    else:
        messages.success(request, "已办结")
    return redirect("intake:detail", pk=s.pk)


@login_required
@require_POST
def to_problem(request: HttpRequest, pk: int) -> HttpResponse:
    s = _get(request, pk)
    raw_unit, raw_area = request.POST.get("unit", "").strip(), request.POST.get("focus_area", "").strip()
    unit_id, area_id = id_or_none(raw_unit), id_or_none(raw_area)
    if unit_id:
        unit = OrgUnit.objects.filter(pk=unit_id, path__subtree=s.campaign.unit.path).first()
    else:
        unit = None if raw_unit else s.unit
    area = s.campaign.focus_areas.filter(pk=area_id).first() if area_id else None
    description = strip_nul(request.POST.get("description", ""))[:MAX_TEXT]
    try:
        if unit is None:
            raise ValidationError("请选择本活动范围内的责任单位")
        if raw_area and area is None:
            raise ValidationError("聚焦领域不属于本活动")
        problem = ledger_link.to_problem(actor=request.user, suggestion=s, unit=unit, focus_area=area, description=description)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已转为整改台账问题（序号 {problem.seq}）")
    return redirect("intake:detail", pk=s.pk)


@login_required
@require_POST
def join_problem(request: HttpRequest, pk: int) -> HttpResponse:
    s = _get(request, pk)
    problem_id = id_or_none(request.POST.get("problem_id"))
    try:
        if problem_id is None:
            raise ValidationError("请填写问题编号")
        problem = ledger_link.join_problem(actor=request.user, suggestion=s, problem_id=problem_id)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已并入问题（序号 {problem.seq}）")
    return redirect("intake:detail", pk=s.pk)


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """The hotline / visit / letter form: an operator records what a caller said."""
    campaign = current_campaign(request.user)
    unit = home_unit(request.user)
    if not services.may_register(request.user, campaign):
        raise PermissionDenied("只有推进办或单位联络员可以登记")
    if not unit.path.startswith(campaign.unit.path):
        unit = campaign.unit
    units = route_units(campaign)
    form = HotlineForm(units=units)
    if request.method == "POST":
        form = HotlineForm(request.POST, units=units)
        if form.is_valid():
            d = form.cleaned_data
            try:
                s = services.suggestion_submit(
                    actor=request.user, campaign=campaign, kind=d["kind"], channel=d["channel"], title=d["title"], body=d["body"],
                    contact_name=d["contact_name"], contact_phone=d["contact_phone"], place=d["place"],
                    place_unit=next((u for u in units if u.pk == d.get("place_unit")), None),
                    unit=campaign.unit if is_office(request.user) else unit,
                    submitted_at=d.get("submitted_at") or None,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                # The one time staff see a code: the operator reads it back to the caller.
                messages.success(request, f"已登记。请告知来电人查询码：{s.code_display}")
                return redirect("intake:detail", pk=s.pk)
    return render(request, "intake/new.html", {"form": form, "campaign": campaign}, status=400 if form.errors else 200)


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    if not services.may_import(request.user, campaign):
        raise PermissionDenied("只有推进办可以导入意见建议")
    errors = []
    form = ImportForm()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = suggestions_import(actor=request.user, source=form.cleaned_data["file"], campaign=campaign, max_bytes=20 * 1024 * 1024)
            except ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(request, result.summary())
                return redirect("intake:inbox")
    return render(request, "intake/import.html", {"form": form, "errors": errors, "campaign": campaign}, status=400 if errors else 200)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    f, _ = inbox_filter(request, current_campaign(request.user))
    qs = queries.suggestion_list(request.user, f)
    # Contacts by the rule of the campaign exported (the query string may name another one).
    campaign = campaigns_for(request.user).filter(pk=f.campaign).first() if f.campaign else None
    with_contacts = may_see_contacts(request.user, campaign)
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        suggestions_export(tmp, qs, with_contacts=with_contacts)
    except ExportTooLarge as exc:
        tmp.close()
        return bad_request(request, exc)
    tmp.seek(0)
    name = f"意见建议-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(tmp, as_attachment=True, filename=name, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    p = Photo.objects.select_related("suggestion").filter(pk=pk).first()
    if p is None or not check_visible(request.user, p.suggestion):
        raise Http404("未找到照片或无权查看")
    resp = FileResponse(p.file.open("rb"), content_type=p.content_type)
    resp["Content-Disposition"] = "inline"
    resp["Cache-Control"] = "private, max-age=3600"
    return resp


@login_required
def channels(request: HttpRequest) -> HttpResponse:
    """Per-channel, per-kind and per-status counts, with the headline figures."""
    from duban.intake.figures import figures

    campaign = current_campaign(request.user)
    return render(
        request,
        "intake/channels.html",
        {"campaign": campaign, "fig": figures(user=request.user, campaign=campaign),
         "channels": queries.channel_counts(request.user, campaign=campaign), "kinds": queries.kind_counts(request.user, campaign=campaign),
         "statuses": queries.status_counts(request.user, campaign=campaign), "Channel": Channel, "Kind": Kind},
    )
