"""The home page: the user's unit, campaign, and the figures and panels the apps declare."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from duban.campaigns.queries import current_campaign
from duban.dashboard.figures import headline
from duban.dashboard.panels import panels


@login_required
def home(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    figures = headline(user=request.user, campaign=campaign, brief=True)  # the page shows the suggestions' total only
    shown = {slot: panels(user=request.user, campaign=campaign, figures=figures, slot=slot) for slot in ("figures", "cards")}
    return render(request, "dashboard/home.html", {"stats": figures, "tiles": shown["figures"], "cards": shown["cards"]})
