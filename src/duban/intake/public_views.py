"""Public, no-account pages: submit a suggestion, follow it by its tracking code, rate the reply.

Nothing here reveals anything without the code; every POST and every look-up is rate
limited per client IP; a honeypot field catches naive bots; photos are content-sniffed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from duban.campaigns.models import Campaign
from duban.core.actors import PUBLIC
from duban.core.ratelimit import client_ip, hit
from duban.core.validation import id_or_none
from duban.intake import queries, services
from duban.intake.forms import LookupForm, PublicSubmitForm, RatingForm, add_errors
from duban.intake.models import Channel, Status, format_code
from duban.orgs.models import OrgUnit, UnitKind


def limits() -> dict[str, tuple[int, int]]:
    """(limit, window seconds) per IP; settings may override DUBAN_INTAKE_LIMITS."""
    base = {"submit": (5, 600), "lookup": (60, 600), "rate": (10, 600)}
    base.update(getattr(settings, "DUBAN_INTAKE_LIMITS", {}))
    return base


def too_many(request: HttpRequest, scope: str) -> HttpResponse | None:
    limit, window = limits()[scope]
    if hit(f"intake-{scope}:{client_ip(request)}", limit, window):
        return None
    resp = render(request, "intake/public_message.html", {"title": "操作过于频繁", "message": "您的操作过于频繁，请稍后再试。"}, status=429)
    resp["Retry-After"] = str(window)
    return resp


def public_campaign(request: HttpRequest) -> Campaign | None:
    qs = Campaign.objects.filter(is_active=True).select_related("unit")
    cid = id_or_none(request.GET.get("c") or request.POST.get("c"))
    if cid is not None:
        found = qs.filter(pk=cid).first()
        if found:
            return found
    return qs.order_by("-start_date", "-id").first()


def unit_choices(campaign: Campaign) -> list[OrgUnit]:
    kinds = [UnitKind.COUNTY, UnitKind.TOWN, UnitKind.DEPARTMENT, UnitKind.CITY]
    return list(OrgUnit.objects.filter(parent=campaign.unit, kind__in=kinds).order_by("kind", "name")[:300])


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    campaign = public_campaign(request)
    if campaign is None:
        return render(request, "intake/public_message.html", {"title": "暂未开放", "message": "目前没有正在征集意见的活动。"}, status=404)
    units = unit_choices(campaign)
    form = PublicSubmitForm(units=units)
    if request.method == "POST":
        blocked = too_many(request, "submit")
        if blocked:
            return blocked
        form = PublicSubmitForm(request.POST, request.FILES, units=units)
        if form.is_valid():
            data = form.cleaned_data
            if data.get("website"):
                # A bot filled the hidden field: answer like a success, store nothing.
                return render(request, "intake/public_message.html", {"title": "提交成功", "message": "感谢您的留言。"})
            place_unit = next((u for u in units if u.pk == data.get("place_unit")), None)
            try:
                s = services.suggestion_submit(
                    actor=PUBLIC,
                    skip_checks=True,  # the public door: a citizen submits to the campaign's own unit
                    campaign=campaign,
                    kind=data["kind"],
                    title=data["title"],
                    body=data["body"],
                    channel=Channel.WEB,
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    place=data["place"],
                    place_unit=place_unit,
                    photos=data["photos"],
                    source_ip=client_ip(request),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                request.session["intake_new_code"] = s.tracking_code
                return redirect("public:status", code=s.tracking_code)
    return render(request, "intake/public_submit.html", {"form": form, "campaign": campaign}, status=400 if form.errors else 200)


@require_http_methods(["GET"])
def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        blocked = too_many(request, "lookup")
        if blocked:
            return blocked
        s = queries.by_code(form.cleaned_data["code"])
        if s is not None:
            return redirect("public:status", code=s.tracking_code)
        form.add_error("code", "没有找到这个查询码，请核对后重试。")
        return render(request, "intake/public_lookup.html", {"form": form}, status=404)
    return render(request, "intake/public_lookup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, code: str) -> HttpResponse:
    blocked = too_many(request, "lookup") if request.method == "GET" else too_many(request, "rate")
    if blocked:
        return blocked
    s = queries.by_code(code)
    if s is None:
        form = LookupForm(initial={"code": code})
        return render(request, "intake/public_lookup.html", {"form": form, "not_found": True}, status=404)
    rating_form = RatingForm()
    if request.method == "POST":
        rating_form = RatingForm(request.POST)
        if rating_form.is_valid():
            try:
                services.suggestion_rate(suggestion=s, rating=rating_form.cleaned_data["rating"], comment=rating_form.cleaned_data["comment"])
            except ValidationError as exc:
                add_errors(rating_form, exc)
            else:
                return redirect("public:status", code=s.tracking_code)
    just_submitted = request.session.pop("intake_new_code", None) == s.tracking_code
    steps = [(step["name"], step["at"], step["text"]) for step in queries.public_steps(s)]
    return render(
        request,
        "intake/public_status.html",
        {"s": s, "code": format_code(s.tracking_code), "steps": steps, "rating_form": rating_form, "just_submitted": just_submitted, "can_rate": s.status == Status.REPLIED},
        status=400 if rating_form.errors else 200,
    )
