"""The 项目库 pages: upload → preview (new projects, changed cells, stage moves) → confirm;
the error report; the export of what the user sees, filtered as the list is. Thin:
projects.io checks and plans, projects.services writes."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from duban.campaigns.queries import campaigns_for, current_campaign
from duban.core.dates import today
from duban.core.errors import bad_request
from duban.core.validation import flag_param, id_or_none, text_param
from duban.core.xlsx import CellError, ExportTooLarge, ImportRejected, write_errors
from duban.orgs.queries import unit_get
from duban.projects import io, queries, services
from duban.projects.models import Light, Stage

IMPORT_MAX_BYTES = 50 * 1024 * 1024  # a 项目库 of 1,031 projects is well under 1 MB
SESSION_KEY = "project_imports"


class ImportForm(forms.Form):
    file = forms.FileField(label=_("项目库（.xlsx、.xls、.et、.ods、.csv）"))


def _campaign(request: HttpRequest):
    cid = id_or_none(request.GET.get("campaign") or request.POST.get("campaign"))
    if cid is not None:
        c = campaigns_for(request.user).filter(pk=cid).first()
        if c is not None:
            return c
    return current_campaign(request.user)


def _manager_campaign(request: HttpRequest):
    campaign = _campaign(request)
    if campaign is None or not services.may_manage(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以导入项目库"))
    return campaign


def _import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(request: HttpRequest, token: str, suffix: str) -> Path:
    """The stored upload (or its error report) of this session's own import, or 404."""
    if not token.isalnum() or token not in request.session.get(SESSION_KEY, []):
        raise Http404(_("导入已失效，请重新上传"))
    return _import_dir() / f"projects-{token}{suffix}"


def _list_url() -> str:
    """Where a finished import lands: the project list when the views have landed, else this page."""
    try:
        return reverse("projects:list")
    except NoReverseMatch:
        return reverse("projects:import")


@login_required
def project_import(request: HttpRequest) -> HttpResponse:
    campaign = _manager_campaign(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    ctx = {"form": form, "campaign": campaign, "layout": io.REQUIRED_HEADER,
           "optional": [h for h in io.HEADER[len(io.REQUIRED_HEADER):] if h not in io.EXPORT_ONLY]}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        token = uuid.uuid4().hex
        request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-9:], token]
        if upload.size > IMPORT_MAX_BYTES:
            ctx["errors"] = [CellError(0, "", f"文件过大，上限 {IMPORT_MAX_BYTES // 1048576} MB")]
        else:
            data = upload.read()
            try:
                plan = io.plan_import(source=data, campaign=campaign, actor=request.user, max_bytes=IMPORT_MAX_BYTES)
            except ImportRejected as exc:
                write_errors(_import_dir() / f"projects-{token}-errors.xlsx", exc.errors)
                ctx.update(errors=exc.errors[:500], n_errors=len(exc.errors), token=token)
            else:
                (_import_dir() / f"projects-{token}.bin").write_bytes(data)
                ctx.update(plan=plan, changes=plan.changes[:500], new_rows=plan.new_rows[:500], token=token, filename=upload.name)
    template = "projects/_import_result.html" if request.headers.get("HX-Request") else "projects/import.html"
    return render(request, template, ctx)


@login_required
@require_POST
def project_import_apply(request: HttpRequest, token: str) -> HttpResponse:
    campaign = _manager_campaign(request)
    path = _upload_path(request, token, ".bin")
    if not path.exists():
        raise Http404(_("导入已失效，请重新上传"))
    # Checked again from the stored file: the library may have changed since the preview.
    try:
        plan = io.apply_plan(actor=request.user, plan=io.plan_import(source=path.read_bytes(), campaign=campaign, actor=request.user,
                                                                     max_bytes=IMPORT_MAX_BYTES))
    except ImportRejected as exc:
        messages.error(request, _("导入失败：%(n)s 处错误，未写入任何数据（项目库可能已被修改，请重新上传）") % {"n": len(exc.errors)})
        return redirect(f"{reverse('projects:import')}?campaign={campaign.pk}")
    path.unlink(missing_ok=True)
    messages.success(request, plan.summary())
    return redirect(_list_url())


@login_required
def project_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    path = _upload_path(request, token, "-errors.xlsx")
    if not path.exists():
        raise Http404(_("错误报告不存在"))
    return FileResponse(path.open("rb"), as_attachment=True, filename="项目库导入错误.xlsx")


def filters_from(request: HttpRequest) -> queries.Filters:
    """The list's filters from the query string (the same names as /api/projects)."""
    g = request.GET
    light = text_param(g, "light", max_length=20)
    stage = text_param(g, "stage", max_length=20)
    unit_id = id_or_none(g.get("unit"))
    return queries.Filters(
        light=light if light in {*Light.values, "red_yellow"} else "", stage=stage if stage in Stage.values else "",
        pool=id_or_none(g.get("pool")), unit=unit_get(request.user, unit_id) if unit_id else None,
        industry=text_param(g, "industry", max_length=60), leader=id_or_none(g.get("leader")), secretary=id_or_none(g.get("secretary")),
        major=flag_param(g, "major"), sanzao=flag_param(g, "sanzao"), q=text_param(g, "q"), blocked=flag_param(g, "blocked"),
    )


@login_required
def project_export(request: HttpRequest) -> HttpResponse:
    """The projects the user sees (queries.filtered: the permission layer's scope and the
    list's filters), in the import's layout."""
    campaign = _campaign(request)
    qs = queries.filtered(request.user, campaign, filters_from(request))
    fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        io.projects_export(fh, qs)
    except ExportTooLarge as exc:
        fh.close()
        return bad_request(request, exc)
    fh.seek(0)
    return FileResponse(fh, as_attachment=True, filename=f"项目库-{today():%Y%m%d}.xlsx")
