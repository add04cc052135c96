"""The campaign page: period, owning unit, focus areas; the office edits them here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from duban.audit.queries import history_for
from duban.campaigns import services
from duban.campaigns.forms import CampaignForm, FocusAreaForm
from duban.campaigns.queries import campaigns_for, focus_areas
from duban.orgs.models import Role
from duban.orgs.scoping import can


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaigns_for(request.user).filter(pk=pk).first()
    if campaign is None:
        raise Http404("未找到该活动或无权查看")
    may_edit = can(request.user, campaign.unit, Role.OFFICE)
    form = CampaignForm(instance=campaign)
    area_form = FocusAreaForm()
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只有推进办可以修改活动")
        try:
            if "add_area" in request.POST:
                area_form = FocusAreaForm(request.POST)
                if area_form.is_valid():
                    services.focus_area_create(actor=request.user, campaign=campaign, name=area_form.cleaned_data["name"], position=focus_areas(campaign).count() + 1)
                    messages.success(request, "已添加聚焦领域")
                    return redirect("campaigns:detail", pk=pk)
            else:
                form = CampaignForm(request.POST, instance=campaigns_for(request.user).get(pk=pk))
                if form.is_valid():
                    services.campaign_update(actor=request.user, campaign=campaign, **form.cleaned_data)
                    messages.success(request, "已保存")
                    return redirect("campaigns:detail", pk=pk)
        except ValidationError as exc:
            (area_form if "add_area" in request.POST else form).add_error(None, exc)
    return render(
        request,
        "campaigns/detail.html",
        {"campaign": campaign, "areas": focus_areas(campaign), "form": form, "area_form": area_form, "may_edit": may_edit, "history": history_for(campaign)[:30]},
    )


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/list.html", {"campaigns": campaigns_for(request.user)})
