"""Ledger pages: list (filters, sort, counts, bulk actions, export), detail (timeline,
history, evidence, workflow buttons), create/edit, my items, rates, import with diff preview.

Views are thin: they read through `queries` (the scoping rule), write through `services`
and translate errors into messages.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from duban.audit.queries import history_for
from duban.campaigns.http import chosen_campaign as _campaign
from duban.campaigns.queries import focus_areas
from duban.core import evidence_files as storage
from duban.core import todo
from duban.core.dates import today
from duban.core.errors import bad_request
from duban.core.redirects import redirect_back
from duban.core.validation import ids_in
from duban.core.xlsx import ExportTooLarge, ImportRejected, write_errors
from duban.ledger import io, queries, services, workflow
from duban.ledger.forms import (
    BulkForm,
    EvidenceForm,
    ImportForm,
    NoteForm,
    ProblemEditForm,
    ProblemForm,
    TransitionForm,
    problem_initial,
)
from duban.ledger.models import Kind, Source, Status
from duban.orgs import permissions
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import home_unit, is_office, scope, visible_units

IMPORT_MAX_BYTES = 200 * 1024 * 1024


def _problem_or_404(request, pk: int):
    problem = queries.problem_get(request.user, pk)
    if problem is None:
        raise Http404("未找到该问题或无权查看")
    return problem


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    f, errors = queries.ProblemFilter.from_params(request.GET)
    campaign = _campaign(request)
    if f.campaign is None and campaign is not None:
        f.campaign = campaign.pk
    qs = queries.problem_list(request.user, f)
    page = queries.paginate(qs, f, request.GET.get("page"))
    home = home_unit(request.user)
    ctx = {
        "page": page, "f": f, "errors": errors, "campaign": campaign, "areas": focus_areas(campaign),
        "counts": queries.status_counts(request.user, f) if not f.q else None,
        "statuses": Status.choices, "sources": Source.choices, "kinds": Kind.choices, "sorts": queries.SORT_LABELS,
        "units": visible_units(request.user).filter(depth__lte=(home.depth + 1 if home else 1)).order_by("path")[:300],
        "today": today(), "is_office": is_office(request.user), "bulk_form": BulkForm(user=request.user),
        "params": f.as_params(), "may_create": workflow.may_create_problem(request.user),
        "may_import": workflow.may_import_problems(request.user),
    }
    template = "ledger/_table.html" if request.headers.get("HX-Request") else "ledger/problem_list.html"
    return render(request, template, ctx)


@login_required
def problem_export(request: HttpRequest) -> HttpResponse:
    f, _ = queries.ProblemFilter.from_params(request.GET)
    qs = queries.apply_filter(queries.visible_problems(request.user), f)
    fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        io.problems_export(fh, qs)
    except ExportTooLarge as exc:
        fh.close()
        return bad_request(request, exc)
    fh.seek(0)
    return FileResponse(fh, as_attachment=True, filename=f"问题整改台账-{today():%Y%m%d}.xlsx")


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_or_404(request, pk)
    available = workflow.available(request.user, problem)
    can_write = permissions.may_report(request.user, problem) or permissions.may_review(request.user, problem)  # as problem_note asks
    return render(request, "ledger/problem_detail.html", {
        "p": problem, "timeline": queries.timeline(problem), "evidence": queries.evidence_list(problem),
        "history": history_for(problem)[:50], "transitions": available, "transition_form": TransitionForm(),
        "note_form": NoteForm(), "evidence_form": EvidenceForm(), "can_write": can_write and problem.is_open,
        "can_edit": bool(workflow.editable_fields(request.user, problem)),
        "deadline_state": queries.deadline_state(problem), "labels": queries.DEADLINE_LABELS,
    })


@login_required
def problem_create(request: HttpRequest) -> HttpResponse:
    if not workflow.may_create_problem(request.user):
        raise PermissionDenied("只有推进办或单位联络员可以登记问题")
    campaign = _campaign(request)
    if campaign is None:
        raise PermissionDenied("没有可用的活动")
    form = ProblemForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            p = services.problem_create(actor=request.user, campaign=campaign, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, f"已登记问题（序号 {p.seq}）")
            return redirect("ledger:problem_detail", pk=p.pk)
    return render(request, "ledger/problem_form.html", {"form": form, "campaign": campaign}, status=400 if form.errors else 200)


@login_required
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_or_404(request, pk)
    if not permissions.may_change(request.user, problem):
        raise PermissionDenied("无权修改该问题")
    editable = workflow.editable_fields(request.user, problem)
    if not editable:  # signed off, and this user is not the supervising side
        messages.error(request, services.SIGNED_OFF_MESSAGE)
        return redirect("ledger:problem_detail", pk=problem.pk)
    form = ProblemEditForm(request.POST or None, initial=problem_initial(request.user, problem), user=request.user,
                           campaign=problem.campaign, editable=editable)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            # Only what this editor changed (against the values the form was loaded with).
            changed = {k: form.cleaned_data[k] for k in form.changed_data if k in editable}
            try:
                services.problem_update(actor=request.user, problem=problem, version=form.cleaned_data.get("version"), **changed)
            except services.EditConflict as exc:
                form, status = _conflict_form(request, exc, mine=set(changed), editable=editable), 409
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or "无权修改该问题")
                status = 403
            except ValidationError as exc:
                form.add_error(None, "；".join(exc.messages))
            else:
                messages.success(request, "已保存")
                return redirect("ledger:problem_detail", pk=problem.pk)
    return render(request, "ledger/problem_form.html", {"form": form, "p": problem, "campaign": problem.campaign,
                                                        "editable": editable}, status=status)


def _conflict_form(request: HttpRequest, exc: services.EditConflict, *, mine: set[str], editable) -> ProblemEditForm:
    """The form again, on the current problem: fields someone else changed show their new
    value unless this editor changed them too (then both are named); the new version lets
    the editor save once they have checked."""
    values = problem_initial(request.user, exc.problem)
    current = {k: "" if v is None else str(v) for k, v in values.items()}
    data = request.POST.copy()
    for name in editable:
        unit = values[name] if isinstance(values[name], OrgUnit) else None
        # A unit travels as its name in the box and its id beside it (orgs.forms.UnitField).
        data[f"initial-{name}"] = str(unit.pk) if unit else current[name]
        if name in exc.changed and name not in mine:
            data[name] = current[name]
            if name in ("unit", "supervisor"):
                data[f"{name}_id"] = str(unit.pk) if unit else ""
    data["version"] = current["version"]
    form = ProblemEditForm(data, initial=current, user=request.user, campaign=exc.problem.campaign, editable=editable)
    form.is_valid()
    form.add_error(None, str(exc))
    for name, c in exc.changed.items():
        who = f"（{c['by']}，{timezone.localtime(c['at']):%m-%d %H:%M}）"
        text = f"{c['label']}：“{c['before'] or '空'}” → “{c['after'] or '空'}”{who}"
        if name in mine and name in form.fields:
            form.add_error(name, f"他人已修改{text}；您填写的内容未保存，确认后再次保存")
        else:
            form.add_error(None, f"已被修改：{text}")
    return form


@login_required
@require_POST
def problem_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    problem = _problem_or_404(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("ledger:problem_detail", pk=pk)
    files = [(f.name, f.read()) for f in request.FILES.getlist("files")]
    try:
        services.problem_transition(actor=request.user, problem=problem, name=name, reason=form.cleaned_data["reason"],
                                    date=form.cleaned_data["date"], files=files)
    except PermissionDenied as exc:  # the wrong side (TransitionForbidden): 403 with the page and the reason
        messages.error(request, str(exc) or "无权执行该操作")
        response = problem_detail(request, pk)
        response.status_code = 403
        return response
    except (workflow.TransitionError, storage.EvidenceRejected) as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已{workflow.get(name).label}")
    return redirect("ledger:problem_detail", pk=pk)


@login_required
@require_POST
def problem_note(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_or_404(request, pk)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("进展说明不能为空")
        services.problem_note(actor=request.user, problem=problem, note=form.cleaned_data["note"])
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "无权填写该问题的整改进展")
        response = problem_detail(request, pk)
        response.status_code = 403
        return response
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("ledger:problem_detail", pk=pk)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_or_404(request, pk)
    files = request.FILES.getlist("file")
    if not files:
        messages.error(request, "请选择文件")
    for f in files:
        if f.size > storage.max_bytes():
            messages.error(request, f"文件“{f.name}”过大，上限 {storage.max_bytes() // 1048576} MB")
            continue
        try:
            services.problem_add_evidence(actor=request.user, problem=problem, name=f.name, data=f.read())
        except (storage.EvidenceRejected, PermissionDenied) as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已上传“{f.name}”")
    return redirect("ledger:problem_detail", pk=pk)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    ev = services.evidence_for_download(request.user, pk)
    if ev is None:
        raise Http404("未找到该材料或无权查看")
    inline = ev.content_type.startswith("image/") or ev.content_type == "application/pdf"
    return FileResponse(storage.storage().open(ev.key), as_attachment=not inline, filename=ev.name, content_type=ev.content_type)


@login_required
@require_POST
def problem_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST, user=request.user)
    ids = ids_in(request.POST.getlist("ids"))
    visible_ids = list(scope(request.user, queries.visible_problems(request.user).filter(pk__in=ids)).values_list("id", flat=True))
    if not visible_ids:
        messages.error(request, "请先勾选问题")
    elif not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    else:
        d = form.cleaned_data
        try:
            if d["action"] == "assign":
                n = services.problem_bulk_assign(actor=request.user, problem_ids=visible_ids, unit=d["unit"], owner=d["owner"] or None)
                messages.success(request, f"已将 {n} 个问题交办给 {d['unit'].name}")
            else:
                n = services.problem_bulk_extend(actor=request.user, problem_ids=visible_ids, deadline=d["deadline"], reason=d["reason"])
                messages.success(request, f"已调整 {n} 个问题的整改时限")
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    return redirect_back(request, "ledger:problem_list")


@login_required
def my_items(request: HttpRequest) -> HttpResponse:
    items = queries.my_items(request.user)
    own = [todo.TodoSection(gettext("待审核（销号申请、延期申请）"), "ledger/_todo_review.html", items["review"], order=0, key="review"),
           todo.TodoSection(gettext("本单位待整改（按时限）"), "ledger/_todo_mine.html", items["todo"], order=10, key="todo")]
    # Other apps' items waiting for this person (suggestions to answer…), through core.todo;
    # each section one page of 50 with its count (`todo.paged`).
    sections = todo.paged([*own, *todo.sections(request.user, exclude=("ledger",))], request.GET)
    return render(request, "ledger/my_items.html", {"sections": sections, "today": today()})


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    by = request.GET.get("by", "area")
    if by not in queries.GROUPINGS:
        by = "area"
    rows = queries.rates(request.user, campaign=campaign, by=by)
    _link_rows(rows, by=by, campaign=campaign, home=home_unit(request.user))
    return render(request, "ledger/summary.html", {
        "campaign": campaign, "by": by, "groupings": queries.GROUPINGS, "rows": rows,
        "totals": queries.totals(request.user, campaign=campaign), "due_soon_days": queries.due_soon_days(),
        "chart": {"labels": [r["label"] for r in rows], "rate": [round(r["rate"] * 100, 1) for r in rows], "total": [r["total"] for r in rows]},
    })


def _link_rows(rows: list[dict], *, by: str, campaign, home) -> None:
    """Each rate row's problems as a ledger-list query (`row["link"]`, "" when the list has no
    filter for that group: 未分类, a unit's own level, a month)."""
    base = {"campaign": campaign.pk} if campaign is not None else {}
    for r in rows:
        key = r.get("key")
        if by == "unit" and key and not (home is not None and key == home.pk):
            r["link"] = urlencode({**base, "unit": key})
        elif by in ("area", "source") and key:
            r["link"] = urlencode({**base, by: key})
        else:
            r["link"] = ""


# ------------------------------------------------------------------------------ import

def _import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _session_token(request, token: str) -> Path:
    if token not in request.session.get("ledger_imports", []) or not token.replace("-", "").isalnum():
        raise Http404("导入已失效，请重新上传")
    return _import_dir() / token


def _plan(request, campaign, source, *, override: bool = False):
    return io.plan_import(
        source=source, campaign=campaign, actor=request.user, override=override, units=visible_units(request.user),
        max_bytes=IMPORT_MAX_BYTES,
        visible_ids=lambda ids: set(queries.visible_problems(request.user).filter(pk__in=ids).values_list("id", flat=True)),
    )


@login_required
def problem_import(request: HttpRequest) -> HttpResponse:
    if not workflow.may_import_problems(request.user):
        raise PermissionDenied("只有推进办可以导入台账")
    campaign = _campaign(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    ctx = {"form": form, "campaign": campaign, "status_words": io.status_words()}
    if request.method == "POST" and form.is_valid() and campaign is not None:
        token = uuid.uuid4().hex
        upload = form.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            ctx["errors"] = [io.CellError(0, "", f"文件过大，上限 {IMPORT_MAX_BYTES // 1048576} MB")]
        else:
            data = upload.read()
            request.session["ledger_imports"] = [*request.session.get("ledger_imports", [])[-9:], token]
            try:
                plan = _plan(request, campaign, data, override=form.cleaned_data["override"])
            except ImportRejected as exc:
                write_errors(_import_dir() / f"{token}-errors.xlsx", exc.errors)
                ctx.update(errors=exc.errors[:500], n_errors=len(exc.errors), token=token)
            else:
                (_import_dir() / f"{token}.xlsx").write_bytes(data)
                ctx.update(plan=plan, changes=plan.changes[:500], token=token, filename=upload.name)
    template = "ledger/_import_result.html" if request.headers.get("HX-Request") else "ledger/import.html"
    return render(request, template, ctx)


@login_required
@require_POST
def problem_import_apply(request: HttpRequest, token: str) -> HttpResponse:
    if not workflow.may_import_problems(request.user):
        raise PermissionDenied("只有推进办可以导入台账")
    path = _session_token(request, f"{token}.xlsx".removesuffix(".xlsx"))
    path = path.with_name(f"{token}.xlsx")
    if not path.exists():
        raise Http404("导入已失效，请重新上传")
    campaign = _campaign(request)
    try:
        plan = io.apply_plan(actor=request.user, plan=_plan(request, campaign, path.read_bytes(), override=request.POST.get("override") == "1"))
    except ImportRejected as exc:
        messages.error(request, f"导入失败：{len(exc.errors)} 处错误，未写入任何数据（台账可能已被修改，请重新上传）")
        return redirect("ledger:problem_import")
    path.unlink(missing_ok=True)
    messages.success(request, plan.summary())
    return redirect("ledger:problem_list")


@login_required
def problem_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    path = _session_token(request, token).with_name(f"{token}-errors.xlsx")
    if not path.exists():
        raise Http404("错误报告不存在")
    return FileResponse(path.open("rb"), as_attachment=True, filename="导入错误报告.xlsx")
