"""The 任务分工表 pages: upload → preview (new items, changed cells) → confirm; the error
report; the export of what the user sees. Thin: plan.io checks and plans, plan.services writes."""

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
from duban.core.validation import id_or_none
from duban.core.xlsx import CellError, ExportTooLarge, ImportRejected, write_errors
from duban.plan import io, queries, services

IMPORT_MAX_BYTES = 50 * 1024 * 1024  # a 任务分工表 of 5,000 items is well under 2 MB
SESSION_KEY = "plan_imports"


class ImportForm(forms.Form):
    file = forms.FileField(label=_("任务分工表（.xlsx、.xls、.et、.ods、.csv）"))


def _campaign(request: HttpRequest):
    cid = id_or_none(request.GET.get("campaign") or request.POST.get("campaign"))
    if cid is not None:
        c = campaigns_for(request.user).filter(pk=cid).first()
        if c is not None:
            return c
    return current_campaign(request.user)


def _planner_campaign(request: HttpRequest):
    campaign = _campaign(request)
    if campaign is None or not services.may_plan(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以导入任务分工表"))
    return campaign


def _import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(request: HttpRequest, token: str, suffix: str) -> Path:
    """The stored upload (or its error report) of this session's own import, or 404."""
    if not token.isalnum() or token not in request.session.get(SESSION_KEY, []):
        raise Http404(_("导入已失效，请重新上传"))
    return _import_dir() / f"plan-{token}{suffix}"


def _list_url() -> str:
    """Where a finished import lands: the plan's list when the app has one, else this page."""
    try:
        return reverse("plan:item_list")
    except NoReverseMatch:
        return reverse("plan:import")


@login_required
def plan_import(request: HttpRequest) -> HttpResponse:
    campaign = _planner_campaign(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    ctx = {"form": form, "campaign": campaign, "layout": io.HEADER[:8], "optional": [h for h in io.HEADER[8:] if h not in io.EXPORT_ONLY]}
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
                write_errors(_import_dir() / f"plan-{token}-errors.xlsx", exc.errors)
                ctx.update(errors=exc.errors[:500], n_errors=len(exc.errors), token=token)
            else:
                (_import_dir() / f"plan-{token}.bin").write_bytes(data)
                ctx.update(plan=plan, changes=plan.changes[:500], new_rows=plan.new_rows[:500], token=token, filename=upload.name)
    template = "plan/_import_result.html" if request.headers.get("HX-Request") else "plan/import.html"
    return render(request, template, ctx)


@login_required
@require_POST
def plan_import_apply(request: HttpRequest, token: str) -> HttpResponse:
    campaign = _planner_campaign(request)
    path = _upload_path(request, token, ".bin")
    if not path.exists():
        raise Http404(_("导入已失效，请重新上传"))
    # Checked again from the stored file: the plan may have changed since the preview.
    try:
        plan = io.apply_plan(actor=request.user, plan=io.plan_import(source=path.read_bytes(), campaign=campaign, actor=request.user,
                                                                     max_bytes=IMPORT_MAX_BYTES))
    except ImportRejected as exc:
        messages.error(request, _("导入失败：%(n)s 处错误，未写入任何数据（任务分工可能已被修改，请重新上传）") % {"n": len(exc.errors)})
        return redirect(f"{reverse('plan:import')}?campaign={campaign.pk}")
    path.unlink(missing_ok=True)
    messages.success(request, plan.summary())
    return redirect(_list_url())


@login_required
def plan_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    path = _upload_path(request, token, "-errors.xlsx")
    if not path.exists():
        raise Http404(_("错误报告不存在"))
    return FileResponse(path.open("rb"), as_attachment=True, filename="任务分工表导入错误.xlsx")


@login_required
def plan_export(request: HttpRequest) -> HttpResponse:
    """The items the user sees (queries.visible), in the import's layout."""
    campaign = _campaign(request)
    qs = queries.visible(request.user, campaign)
    fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        io.tasks_export(fh, qs)
    except ExportTooLarge as exc:
        fh.close()
        return bad_request(request, exc)
    fh.seek(0)
    return FileResponse(fh, as_attachment=True, filename=f"任务分工表-{today():%Y%m%d}.xlsx")
