"""The 任务分工表 pages: upload → preview (new items, changed cells) → confirm; the error
report; the export of what the user sees. Thin: plan.io checks and plans, plan.services writes."""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from duban.campaigns.http import chosen_campaign
from duban.campaigns.import_pages import ImportPages
from duban.core.dates import today
from duban.core.errors import bad_request
from duban.core.xlsx import ExportTooLarge
from duban.plan import io, queries, services

IMPORT_MAX_BYTES = 50 * 1024 * 1024  # a 任务分工表 of 5,000 items is well under 2 MB
SESSION_KEY = "plan_imports"

PAGES = ImportPages(
    prefix="plan", session_key=SESSION_KEY, check=io.plan_import, apply=io.apply_plan, may_import=services.may_plan,
    refused=_("只有本活动的推进办可以导入任务分工表"),
    stale=_("导入失败：%(n)s 处错误，未写入任何数据（任务分工可能已被修改，请重新上传）"),
    errors_filename="任务分工表导入错误.xlsx", page="plan:import", done="plan:item_list",
    template="plan/import.html", fragment="plan/_import_result.html", max_bytes=IMPORT_MAX_BYTES,
)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("任务分工表（.xlsx、.xls、.et、.ods、.csv）"))


@login_required
def plan_import(request: HttpRequest) -> HttpResponse:
    campaign = PAGES.campaign(request)
    return PAGES.upload(request, ImportForm(request.POST or None, request.FILES or None), {
        "campaign": campaign, "layout": io.HEADER[:8], "optional": [h for h in io.HEADER[8:] if h not in io.EXPORT_ONLY]})


@login_required
@require_POST
def plan_import_apply(request: HttpRequest, token: str) -> HttpResponse:
    return PAGES.confirm(request, token)


@login_required
def plan_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    return PAGES.error_report(request, token)


@login_required
def plan_export(request: HttpRequest) -> HttpResponse:
    """The items the user sees (queries.visible), in the import's layout."""
    campaign = chosen_campaign(request)
    qs = queries.visible(request.user, campaign)
    fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        io.tasks_export(fh, qs)
    except ExportTooLarge as exc:
        fh.close()
        return bad_request(request, exc)
    fh.seek(0)
    return FileResponse(fh, as_attachment=True, filename=f"任务分工表-{today():%Y%m%d}.xlsx")
