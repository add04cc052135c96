"""The office's audit list, with filters."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from duban.audit.labels import verb_choices
from duban.audit.queries import audit_list, may_read_trail, verbs
from duban.core.validation import date_or_none, text_param


@login_required
def audit_events(request: HttpRequest) -> HttpResponse:
    if not may_read_trail(request.user):
        raise PermissionDenied("只有推进办可以查看审计日志")
    g = request.GET
    errors: list[str] = []
    filters = {
        "actor": text_param(g, "actor", max_length=150),
        "verb": text_param(g, "verb", max_length=60),
        "action_id": text_param(g, "action_id"),
        "since": _date(g, "since", _("起始日期"), errors),
        "until": _date(g, "until", _("截止日期"), errors),
    }
    try:
        uuid.UUID(filters["action_id"]) if filters["action_id"] else None
    except ValueError:
        filters["action_id"] = "00000000-0000-0000-0000-000000000000"  # matches nothing
    page = Paginator(audit_list(request.user, **filters), 50).get_page(g.get("page"))
    return render(request, "audit/list.html", {"page": page, "f": g, "verbs": verb_choices(verbs()), "errors": errors})


def _date(params, name: str, what: str, errors: list[str]) -> dt.date | None:
    """A filter date, or None with a message for a malformed or impossible one (2024-02-30)."""
    raw = text_param(params, name, max_length=40)
    found = date_or_none(raw)
    if raw and found is None:
        errors.append(_("%(what)s“%(raw)s”不是有效日期，已忽略") % {"what": what, "raw": raw[:20]})
    return found
