"""The office's audit list, with filters."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from duban.audit.queries import audit_list, verbs
from duban.orgs.scoping import is_office


@login_required
def audit_events(request: HttpRequest) -> HttpResponse:
    if not is_office(request.user):
        raise PermissionDenied("只有推进办可以查看审计日志")
    g = request.GET
    filters = {
        "actor": g.get("actor", "").strip(),
        "verb": g.get("verb", "").strip(),
        "action_id": g.get("action_id", "").strip(),
        "since": parse_date(g.get("since", "") or "") if g.get("since") else None,
        "until": parse_date(g.get("until", "") or "") if g.get("until") else None,
    }
    try:
        uuid.UUID(filters["action_id"]) if filters["action_id"] else None
    except ValueError:
        filters["action_id"] = "00000000-0000-0000-0000-000000000000"  # matches nothing
    page = Paginator(audit_list(request.user, **filters), 50).get_page(g.get("page"))
    return render(request, "audit/list.html", {"page": page, "f": g, "verbs": verbs()})
