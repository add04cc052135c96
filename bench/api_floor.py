"""URLs for bench_api: the app plus a hand-written floor view.

The floor answers the same question as GET /api/problems (the caller's scoped problems,
newest first, 50 rows, with the total count) as plain `.values()` JSON, with the same
bearer-token authentication: what the API costs beyond that is django-ninja's share.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.urls import include, path

FIELDS = (
    "id", "campaign_id", "seq", "description", "focus_area_id", "focus_area__name", "source", "unit_id", "unit__name",
    "owner", "supervisor_id", "measures", "deadline", "original_deadline", "kind", "progress", "status",
    "completed_on", "extension_to", "extra", "created_at", "updated_at",
)


def floor_problems(request):
    from duban.api import BearerToken
    from duban.ledger.models import Problem
    from duban.orgs.scoping import scope

    header = request.headers.get("Authorization", "")
    user = BearerToken().authenticate(request, header.removeprefix("Bearer ").strip())
    if user is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    qs = scope(user, Problem.objects.all()).order_by("-id")
    return JsonResponse({"items": list(qs.values(*FIELDS)[:50]), "count": qs.count()})


def hello(request):
    return HttpResponse("hello")


urlpatterns = [
    path("floor/problems", floor_problems),
    path("floor/hello", hello),
    path("", include("duban.urls")),
]
