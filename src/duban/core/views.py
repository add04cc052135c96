"""The home page: the user's unit, campaign and headline figures."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from duban.campaigns.queries import current_campaign, focus_areas
from duban.stats import headline


@login_required
def home(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    stats = headline(user=request.user, campaign=campaign, brief=True)  # the page shows the suggestions' total only
    by_area = stats["problems"].get("by_area", {})
    # by_area maps an area's name to its figures ({total, rectified, rate, …}), DESIGN §5.
    areas = [{"name": a.name, "count": by_area.get(a.name, {}).get("total", 0)} for a in focus_areas(campaign)]
    return render(request, "home.html", {"stats": stats, "areas": areas})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
