"""One project: its page (fields, three-level owners, stage buttons, nodes with 容缺受理,
dispatch records as a timeline and a chart, blockers with their ledger status, files, the
timeline), the project form, stage moves (buttons and the board's drop), the record form
with its blockers, the nodes editor, a node done, files in and out.

Thin: reads through `queries`, writes through `services`, rights through orgs.permissions.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.core import evidence_files as storage
from duban.core.dates import today
from duban.core.workflow import StaleVersion, TransitionError, TransitionForbidden
from duban.orgs import permissions
from duban.orgs.models import Role
from duban.orgs.scoping import home_unit
from duban.projects import queries, services, workflow
from duban.projects.forms import (
    BlockerForm,
    BlockerFormSet,
    FileForm,
    MoveForm,
    NodeDoneForm,
    NodeFormSet,
    ProjectForm,
    RecordForm,
    node_rows,
    nodes_initial,
    project_initial,
)
from duban.projects.models import Node
from duban.projects.views import campaign_of, errors_of


def _project_or_404(request, pk: int):
    p = queries.project_get(request.user, pk)
    if p is None:
        raise Http404(_("未找到该项目或无权查看"))
    return p


def _form_errors(form, exc: ValidationError) -> None:
    """A service's refusal on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


# ------------------------------------------------------------------ the page


def _page(request, project, *, status: int = 200, record_form=None, blocker_form=None, file_form=None) -> HttpResponse:
    p = queries.project_page(request.user, project)
    day = today()
    may_lead = permissions.may_change(request.user, project)
    doneable = {n.pk for n in p.nodes if n.done_on is None and (may_lead or (
        n.unit is not None and permissions.may_act_for(request.user, n.unit, Role.OFFICE, Role.LIAISON)))}
    return render(request, "projects/detail.html", {
        "p": p, "x": project, "today": day, "late": {n.pk for n in p.nodes if n.is_late(day)}, "doneable": doneable,
        "steps": workflow.available(request.user, project), "history": queries.record_history(project),
        "openable": queries.openable_problems(request.user, p.blockers),
        "may_report": permissions.may_report(request.user, project), "may_register": services.may_register(request.user, project.unit),
        "may_delete": services.may_manage(request.user, project.campaign),
        "blocker_form": blocker_form or BlockerForm(user=request.user, campaign=project.campaign, prefix="blk"),
        "file_form": file_form or FileForm(), "move_form": MoveForm(), "record_form": record_form,
    }, status=status)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _project_or_404(request, pk))


# ------------------------------------------------------------------ the project form


def _save_project(request, campaign, project=None) -> HttpResponse:
    department = services.department_of(project) if project is not None else None
    initial = project_initial(project, department) if project is not None else {}
    form = ProjectForm(request.POST or None, initial=initial, user=request.user, campaign=campaign, project=project)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                if project is None:
                    saved = services.project_create(actor=request.user, campaign=campaign, new=form.new_project())
                else:
                    saved = services.project_update(actor=request.user, project=project, changes=form.changes(), department=d["department"],
                                                    set_department=True, version=d.get("version"))
            except StaleVersion as exc:
                form.add_error(None, str(exc))
                status = 409
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已保存"))
                return redirect("projects:project", pk=saved.pk)
    return render(request, "projects/form.html", {"form": form, "x": project, "campaign": campaign}, status=status)


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    campaign = campaign_of(request)
    home = home_unit(request.user)
    # An office registers its own unit's projects (and those below it); the campaign's office all.
    if campaign is None or not (services.may_manage(request.user, campaign) or (
            home is not None and home.path.startswith(campaign.unit.path) and services.may_register(request.user, home))):
        raise PermissionDenied(_("只有推进办或本单位办公室可以登记项目"))
    return _save_project(request, campaign)


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_or_404(request, pk)
    if not services.may_register(request.user, project.unit):
        raise PermissionDenied(_("只有项目所属单位的上级推进办或本单位办公室可以修改项目"))
    return _save_project(request, project.campaign, project)


@login_required
@require_POST
def project_delete(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_or_404(request, pk)
    services.project_delete(actor=request.user, project=project)
    messages.success(request, _("已删除项目，其要素保障问题保留在问题台账中"))
    return redirect("projects:list")


# ------------------------------------------------------------------ stage moves


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _moved(request, project, fire) -> HttpResponse:
    """Fire a move; answer the board's script in JSON, a form with the page or a redirect.
    Refusals carry the engine's Chinese words: 403 the wrong side, 409 not from this stage or
    stale, 400 bad input."""
    form = MoveForm(request.POST)
    status, words = 200, ""
    if not form.is_valid():
        status, words = 400, "；".join(e for errs in form.errors.values() for e in errs)
    else:
        d = form.cleaned_data
        try:
            project = fire(d)
        except (TransitionForbidden, PermissionDenied) as exc:
            status, words = 403, str(exc) or _("无权执行该操作")
        except TransitionError as exc:  # StaleVersion included
            status, words = 409, str(exc)
        except ValidationError as exc:
            status, words = 400, errors_of(exc)
    if _wants_json(request):
        if status != 200:
            return JsonResponse({"ok": False, "error": words}, status=status)
        return JsonResponse({"ok": True, "stage": project.stage, "stage_label": project.get_stage_display(), "light": project.light,
                             "light_label": project.get_light_display(), "version": project.version})
    back = request.POST.get("next") or ""
    if status != 200:
        messages.error(request, words)
        if back == "board":
            return redirect("projects:board")
        return _page(request, queries.project_get(request.user, project.pk), status=status)
    messages.success(request, _("“%(name)s”已移至“%(stage)s”") % {"name": project.name, "stage": project.get_stage_display()})
    return redirect("projects:board" if back == "board" else "projects:project", **({} if back == "board" else {"pk": project.pk}))


@login_required
@require_POST
def project_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    project = _project_or_404(request, pk)
    if workflow.TABLE.transitions.get(name) is None:
        raise Http404(_("没有该操作"))
    return _moved(request, project, lambda d: services.project_transition(
        actor=request.user, project=project, name=name, reason=d["reason"], date=d["date"], version=d.get("version")))


@login_required
@require_POST
def project_move(request: HttpRequest, pk: int) -> HttpResponse:
    """The board's drop (or its no-script form): the move that brings the project to `stage`."""
    project = _project_or_404(request, pk)

    def fire(d):
        if not d["stage"]:
            raise ValidationError(_("请选择要移至的阶段"))
        return services.project_move(actor=request.user, project=project, stage=d["stage"], reason=d["reason"], date=d["date"],
                                     version=d.get("version"))

    return _moved(request, project, fire)


# ------------------------------------------------------------------ dispatch records and blockers


@login_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    """This period's dispatch record (a correction when it exists), with 0..n blockers."""
    project = _project_or_404(request, pk)
    if not permissions.may_report(request.user, project):
        raise PermissionDenied(_("只有该项目的包保单位可以填报调度记录"))
    start, end, label = queries.current_period(project)
    current = project.records.filter(period_start=start).first()
    initial = {"progress": project.progress}
    if current is not None:
        initial = {"progress": current.progress, "invested_wan": current.invested_wan, "progress_note": current.progress_note,
                   "problems": current.problems, "next_steps": current.next_steps}
    initial["version"] = project.version
    form = RecordForm(request.POST or None, initial=initial)
    blockers = BlockerFormSet(request.POST or None, prefix="b", form_kwargs={"user": request.user, "campaign": project.campaign})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and blockers.is_valid():
            d = form.cleaned_data
            new = [b for b in (f.blocker() for f in blockers) if b is not None]
            try:
                services.record_save(actor=request.user, project=project, day=d["day"] or today(), progress=d["progress"],
                                     progress_note=d["progress_note"], invested_wan=d["invested_wan"], problems=d["problems"],
                                     next_steps=d["next_steps"], blockers=new, version=d.get("version"))
            except StaleVersion as exc:
                form.add_error(None, str(exc))
                status = 409
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                words = _("已填报调度记录")
                if new:
                    words += _("，%(n)s个要素保障问题已转入问题台账") % {"n": len(new)}
                messages.success(request, words)
                return redirect("projects:project", pk=project.pk)
    return render(request, "projects/record_form.html", {"x": project, "form": form, "blockers": blockers, "period": label,
                                                         "start": start, "end": end, "current": current}, status=status)


@login_required
@require_POST
def blocker_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_or_404(request, pk)
    if not permissions.may_report(request.user, project):
        raise PermissionDenied(_("只有该项目的包保单位可以提出要素保障问题"))
    form = BlockerForm(request.POST, user=request.user, campaign=project.campaign, prefix="blk")
    if form.is_valid() and form.blocker() is None:
        form.add_error("description", _("请填写问题描述"))
    if not form.is_valid():
        return _page(request, project, status=400, blocker_form=form)
    try:
        b = services.blocker_add(actor=request.user, project=project, new=form.blocker())
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _page(request, project, status=403, blocker_form=form)
    except ValidationError as exc:
        _form_errors(form, exc)
        return _page(request, project, status=400, blocker_form=form)
    messages.success(request, _("已提出要素保障问题，问题台账第%(n)s号") % {"n": b.problem.seq})
    return redirect("projects:project", pk=project.pk)


# ------------------------------------------------------------------ nodes


def _nodes_mark(nodes) -> str:
    """A fingerprint of the nodes as the editor showed them: a save over changed nodes is stale."""
    text = "|".join(f"{n.pk}:{n.title}:{n.planned_on}:{n.done_on}:{n.accepted_on}:{n.allowed_days}:{n.unit_id}" for n in nodes)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@login_required
def nodes(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_or_404(request, pk)
    if not services.may_register(request.user, project.unit):
        raise PermissionDenied(_("只有项目所属单位的上级推进办或本单位办公室可以设置节点"))
    current = list(project.nodes.select_related("unit"))
    mark = _nodes_mark(current)
    kwargs = {"user": request.user, "campaign": project.campaign}
    formset = NodeFormSet(request.POST or None, prefix="n", initial=nodes_initial(current), form_kwargs=kwargs)
    status, error = 200, ""
    if request.method == "POST":
        status = 400
        if request.POST.get("mark") != mark:
            status, error = 409, _("该项目的节点在您打开后已被他人修改，请刷新后再保存")
        elif formset.is_valid():
            try:
                services.nodes_set(actor=request.user, project=project, nodes=node_rows(formset))
            except PermissionDenied as exc:
                status, error = 403, str(exc)
            except ValidationError as exc:
                error = errors_of(exc)
            else:
                messages.success(request, _("已保存节点"))
                return redirect("projects:project", pk=project.pk)
    return render(request, "projects/nodes_form.html", {"x": project, "formset": formset, "mark": mark, "error": error}, status=status)


@login_required
@require_POST
def node_done(request: HttpRequest, pk: int) -> HttpResponse:
    node = Node.objects.filter(pk=pk).only("pk", "project_id").first()
    project = queries.project_get(request.user, node.project_id) if node is not None else None
    if project is None:
        raise Http404(_("未找到该节点或无权查看"))
    form = NodeDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return _page(request, project, status=400)
    d = form.cleaned_data
    try:
        done = services.node_done(actor=request.user, node=node, done_on=d["done_on"], accepted_on=d["accepted_on"], note=d["note"])
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return _page(request, project, status=403)
    except ValidationError as exc:
        messages.error(request, errors_of(exc))
        return _page(request, project, status=400)
    messages.success(request, _("节点“%(t)s”已完成") % {"t": done.title})
    return redirect("projects:project", pk=project.pk)


# ------------------------------------------------------------------ files


@login_required
@require_POST
def file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project_or_404(request, pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, project, status=400, file_form=form)
    f = form.cleaned_data["file"]
    if f.size > storage.max_bytes():
        form.add_error("file", _("文件“%(name)s”过大，上限 %(mb)s MB") % {"name": f.name, "mb": storage.max_bytes() // 1048576})
        return _page(request, project, status=400, file_form=form)
    try:
        services.file_add(actor=request.user, project=project, name=f.name, data=f.read())
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _page(request, project, status=403, file_form=form)
    except (storage.EvidenceRejected, ValidationError) as exc:
        form.add_error("file", errors_of(exc) if isinstance(exc, ValidationError) else str(exc))
        return _page(request, project, status=400, file_form=form)
    messages.success(request, _("已上传“%(name)s”") % {"name": f.name})
    return redirect("projects:project", pk=project.pk)


@login_required
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    f = services.file_for_download(request.user, pk)
    if f is None:
        raise Http404(_("未找到该文件或无权查看"))
    inline = f.is_photo or f.content_type == "application/pdf"
    return FileResponse(storage.storage().open(f.key), as_attachment=not inline, filename=f.name, content_type=f.content_type)
