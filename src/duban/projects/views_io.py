"""The 项目库 pages: upload → preview (new projects, changed cells, stage moves) → confirm;
the error report; the export of what the user sees, filtered as the list is. Thin:
projects.io checks and plans, projects.services writes."""

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
from duban.core.validation import flag_param, id_or_none, text_param
from duban.core.xlsx import ExportTooLarge
from duban.orgs.queries import unit_get
from duban.projects import io, queries, services
from duban.projects.models import Light, Stage

IMPORT_MAX_BYTES = 50 * 1024 * 1024  # a 项目库 of 1,031 projects is well under 1 MB
SESSION_KEY = "project_imports"

PAGES = ImportPages(
    prefix="projects", session_key=SESSION_KEY, check=io.plan_import, apply=io.apply_plan, may_import=services.may_manage,
    refused=_("只有本活动的推进办可以导入项目库"),
    stale=_("导入失败：%(n)s 处错误，未写入任何数据（项目库可能已被修改，请重新上传）"),
    errors_filename="项目库导入错误.xlsx", page="projects:import", done="projects:list",
    template="projects/import.html", fragment="projects/_import_result.html", max_bytes=IMPORT_MAX_BYTES,
)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("项目库（.xlsx、.xls、.et、.ods、.csv）"))


@login_required
def project_import(request: HttpRequest) -> HttpResponse:
    campaign = PAGES.campaign(request)
    return PAGES.upload(request, ImportForm(request.POST or None, request.FILES or None), {
        "campaign": campaign, "layout": io.REQUIRED_HEADER,
        "optional": [h for h in io.HEADER[len(io.REQUIRED_HEADER):] if h not in io.EXPORT_ONLY]})


@login_required
@require_POST
def project_import_apply(request: HttpRequest, token: str) -> HttpResponse:
    return PAGES.confirm(request, token)


@login_required
def project_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    return PAGES.error_report(request, token)


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
    campaign = chosen_campaign(request)
    qs = queries.filtered(request.user, campaign, filters_from(request))
    fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        io.projects_export(fh, qs)
    except ExportTooLarge as exc:
        fh.close()
        return bad_request(request, exc)
    fh.seek(0)
    return FileResponse(fh, as_attachment=True, filename=f"项目库-{today():%Y%m%d}.xlsx")
