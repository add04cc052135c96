"""URLs for bench_api: the app plus a hand-written floor view.

The floor answers the same question as GET /api/problems (the caller's scoped problems,
newest first, 50 rows, with the total count) with the same queryset and bearer-token
authentication, as plain `.values()` JSON: what the API costs beyond that is the
framework's share (django-ninja, parameter parsing, labels).
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
    from duban.ledger.queries import ProblemFilter, problem_list

    header = request.headers.get("Authorization", "")
    user = BearerToken().authenticate(request, header.removeprefix("Bearer ").strip())
    if user is None:
        return JsonResponse({"detail": "Unauthorized"}, status=401)
    # The same rows the API selects (scope, default filter, newest first), without the framework.
    qs = problem_list(user, ProblemFilter())
    return JsonResponse({"items": list(qs.values(*FIELDS)[:50]), "count": qs.count()})


def hello(request):
    return HttpResponse("hello")


urlpatterns = [
    path("floor/problems", floor_problems),
    path("floor/hello", hello),
    path("", include("duban.urls")),
]
