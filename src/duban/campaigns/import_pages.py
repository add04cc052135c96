"""The pages of an office's file import: upload → preview (new rows, changed cells) →
confirm, and the error report, the same for every layout that has a preview (the
任务分工表, the 项目库).

Each app describes its import in one `ImportPages` (its io functions, who may import, its
words and templates) and keeps thin views that call it. The upload is kept in the data
dir under a token held in the uploader's session: only that session can confirm it or
fetch its error report, and the confirmation checks the stored file again, because the
data may have changed since the preview.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from duban.campaigns.http import chosen_campaign
from duban.core.xlsx import CellError, ImportRejected, write_errors

KEEP_PER_SESSION = 10  # uploads a session can still confirm


def import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class ImportPages:
    prefix: str  # file names in the data dir: "<prefix>-<token>.bin"
    session_key: str
    check: Callable[..., Any]  # io.plan_import(source=, campaign=, actor=, max_bytes=) → a plan, or raises ImportRejected
    apply: Callable[..., Any]  # io.apply_plan(actor=, plan=) → the plan applied (its summary() is shown)
    may_import: Callable[[Any, Any], bool]  # (user, campaign)
    refused: str  # why someone else is refused
    stale: str  # the confirmation failed: "%(n)s" errors, nothing written
    errors_filename: str
    page: str  # url name of the upload page
    done: str  # url name where a finished import lands (the page itself while it is missing)
    template: str
    fragment: str  # the preview alone, for htmx
    max_bytes: int = 50 * 1024 * 1024

    def campaign(self, request: HttpRequest):
        campaign = chosen_campaign(request)
        if campaign is None or not self.may_import(request.user, campaign):
            raise PermissionDenied(self.refused)
        return campaign

    def _path(self, request: HttpRequest, token: str, suffix: str) -> Path:
        """The stored upload (or its error report) of this session's own import, or 404."""
        if not token.isalnum() or token not in request.session.get(self.session_key, []):
            raise Http404(_("导入已失效，请重新上传"))
        return import_dir() / f"{self.prefix}-{token}{suffix}"

    def upload(self, request: HttpRequest, form, ctx: dict[str, Any]) -> HttpResponse:
        """The upload page; on a valid POST, the preview or the errors of the file."""
        campaign = ctx["campaign"]
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            token = uuid.uuid4().hex
            request.session[self.session_key] = [*request.session.get(self.session_key, [])[-(KEEP_PER_SESSION - 1):], token]
            if upload.size > self.max_bytes:
                ctx["errors"] = [CellError(0, "", f"文件过大，上限 {self.max_bytes // 1048576} MB")]
            else:
                data = upload.read()
                try:
                    plan = self.check(source=data, campaign=campaign, actor=request.user, max_bytes=self.max_bytes)
                except ImportRejected as exc:
                    write_errors(import_dir() / f"{self.prefix}-{token}-errors.xlsx", exc.errors)
                    ctx.update(errors=exc.errors[:500], n_errors=len(exc.errors), token=token)
                else:
                    (import_dir() / f"{self.prefix}-{token}.bin").write_bytes(data)
                    ctx.update(plan=plan, changes=plan.changes[:500], new_rows=plan.new_rows[:500], token=token, filename=upload.name)
        return render(request, self.fragment if request.headers.get("HX-Request") else self.template, {"form": form, **ctx})

    def confirm(self, request: HttpRequest, token: str) -> HttpResponse:
        campaign = self.campaign(request)
        path = self._path(request, token, ".bin")
        if not path.exists():
            raise Http404(_("导入已失效，请重新上传"))
        try:
            plan = self.apply(actor=request.user, plan=self.check(source=path.read_bytes(), campaign=campaign, actor=request.user,
                                                                  max_bytes=self.max_bytes))
        except ImportRejected as exc:
            messages.error(request, self.stale % {"n": len(exc.errors)})
            return redirect(f"{reverse(self.page)}?campaign={campaign.pk}")
        path.unlink(missing_ok=True)
        messages.success(request, plan.summary())
        try:
            return redirect(reverse(self.done))
        except NoReverseMatch:
            return redirect(reverse(self.page))

    def error_report(self, request: HttpRequest, token: str) -> HttpResponse:
        path = self._path(request, token, "-errors.xlsx")
        if not path.exists():
            raise Http404(_("错误报告不存在"))
        return FileResponse(path.open("rb"), as_attachment=True, filename=self.errors_filename)
