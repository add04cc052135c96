"""The office's audit list, with filters."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from duban.audit.queries import audit_list, verbs
from duban.core.validation import date_or_none, text_param
from duban.orgs.scoping import is_office


@login_required
def audit_events(request: HttpRequest) -> HttpResponse:
    if not is_office(request.user):
        raise PermissionDenied("只有推进办可以查看审计日志")
    g = request.GET
    filters = {
        "actor": text_param(g, "actor"),
        "verb": text_param(g, "verb"),
        "action_id": text_param(g, "action_id"),
        # An impossible date (2024-02-30) is ignored like a malformed one, not a 500.
        "since": date_or_none(g.get("since")),
        "until": date_or_none(g.get("until")),
    }
    try:
        uuid.UUID(filters["action_id"]) if filters["action_id"] else None
    except ValueError:
        filters["action_id"] = "00000000-0000-0000-0000-000000000000"  # matches nothing
    page = Paginator(audit_list(request.user, **filters), 50).get_page(g.get("page"))
    return render(request, "audit/list.html", {"page": page, "f": g, "verbs": verbs()})
