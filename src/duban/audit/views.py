"""The office's audit list, with filters."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from duban.audit.labels import verb_choices
from duban.audit.queries import audit_list, may_read_trail, verbs


@login_required
def audit_events(request: HttpRequest) -> HttpResponse:
    if not may_read_trail(request.user):
        raise PermissionDenied("只有推进办可以查看审计日志")
    g = request.GET
    errors: list[str] = []
    filters = {
        "actor": g.get("actor", "").strip()[:150],
        "verb": g.get("verb", "").strip()[:60],
        "action_id": g.get("action_id", "").strip(),
        "since": _date(g.get("since"), _("起始日期"), errors),
        "until": _date(g.get("until"), _("截止日期"), errors),
    }
    try:
        uuid.UUID(filters["action_id"]) if filters["action_id"] else None
    except ValueError:
        filters["action_id"] = "00000000-0000-0000-0000-000000000000"  # matches nothing
    page = Paginator(audit_list(request.user, **filters), 50).get_page(g.get("page"))
    return render(request, "audit/list.html", {"page": page, "f": g, "verbs": verb_choices(verbs()), "errors": errors})


def _date(raw: str | None, what: str, errors: list[str]) -> dt.date | None:
    """A filter date, or None with a message for an impossible one (2024-02-30)."""
    if not raw:
        return None
    try:
        return parse_date(raw.strip())
    except ValueError:
        pass
    errors.append(_("%(what)s“%(raw)s”不是有效日期，已忽略") % {"what": what, "raw": raw[:20]})
    return None
