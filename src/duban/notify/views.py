"""Pages: one's inbox, and the units' notification channels (the office edits them)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.core.validation import text_param
from duban.notify import queries, senders, services
from duban.notify.forms import ChannelsForm
from duban.notify.models import Channel


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.inbox_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "items": page.object_list})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    # Ids that cannot be a row's (not digits, beyond a 64-bit key) mark nothing.
    ids = [int(v) for v in request.POST.getlist("item")[:100] if v.isascii() and v.isdigit() and len(v) <= 18]
    mark_all = request.POST.get("all") == "1"
    n = services.inbox_mark_read(user=request.user, item_ids=None if mark_all else ids)
    messages.success(request, _("已标为已读：%(n)s 条") % {"n": n})
    return redirect("notify:inbox")


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    units = queries.channel_units(request.user).select_related("parent")
    q = text_param(request.GET, "q", max_length=60)  # NUL dropped: PostgreSQL refuses it in a query
    if q:
        units = units.filter(name__contains=q)
    only_set = request.GET.get("set") == "1"
    if only_set:
        units = queries.with_channels(units)
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    configured = queries.channels_by_unit(list(page.object_list))
    rows = [
        {"unit": u, **{c: _shown(configured.get(u.pk, {}).get(c)) for c in Channel.values}}
        for u in page.object_list
    ]
    return render(request, "notify/channels.html", {"rows": rows, "page": page, "q": q, "only_set": only_set})


@login_required
def channel_edit(request: HttpRequest, unit_pk: int) -> HttpResponse:
    unit = queries.channel_units(request.user).filter(pk=unit_pk).first()
    if unit is None:
        raise Http404(_("未找到该单位或无权查看"))
    may_edit = queries.may_edit_channels(request.user, unit)
    current = queries.channels_by_unit([unit]).get(unit.pk, {})
    form = _form(current, initial={"emails": current[Channel.EMAIL].target if Channel.EMAIL in current else ""})
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("只有推进办可以修改通知渠道"))
        form = _form(current, data=request.POST)
        if form.is_valid():
            _save(request, unit, form.cleaned_data, current)
            messages.success(request, _("已保存"))
            return redirect("notify:channel_edit", unit_pk=unit.pk)
    return render(request, "notify/channel_edit.html", {
        "unit": unit, "form": form, "may_edit": may_edit,
        "current": {c: _shown(current.get(c)) for c in Channel.values},
        "deliveries": queries.recent_deliveries(request.user, unit, 30),
    })


def _form(current: dict, **kwargs) -> ChannelsForm:
    form = ChannelsForm(**kwargs)
    for channel in (Channel.DINGTALK, Channel.WECOM):
        if channel not in current:  # nothing to clear
            del form.fields[f"{channel}_clear"]
    return form


def _save(request: HttpRequest, unit, data: dict, current: dict) -> None:
    actor = request.user
    for channel, field in ((Channel.DINGTALK, "dingtalk_url"), (Channel.WECOM, "wecom_url")):
        clear = data.get(f"{channel}_clear")
        secret = data.get("dingtalk_secret") if channel == Channel.DINGTALK else ""
        if clear:
            services.unit_channel_set(actor=actor, unit=unit, channel=channel, target=None)
        elif data[field]:
            services.unit_channel_set(actor=actor, unit=unit, channel=channel, target=data[field],
                                      secret=secret if secret else services.KEEP)
        elif channel in current and channel == Channel.DINGTALK and secret:
            services.unit_channel_set(actor=actor, unit=unit, channel=channel, target=current[channel].target, secret=secret)
    if data["emails"]:
        services.unit_channel_set(actor=actor, unit=unit, channel=Channel.EMAIL, target=data["emails"])
    elif Channel.EMAIL in current:
        services.unit_channel_set(actor=actor, unit=unit, channel=Channel.EMAIL, target=None)


def _shown(cfg) -> dict | None:
    """A channel as the pages show it: the address masked (e-mail addresses in full), the secret only as 已设置."""
    if cfg is None:
        return None
    target = cfg.target if cfg.channel == Channel.EMAIL else senders.mask(cfg.target)
    return {"target": target, "has_secret": bool(cfg.secret), "enabled": cfg.enabled}
