"""账号 pages: a person's own API tokens (list, create — shown once — and revoke), and the
page shown when too many wrong passwords locked a login."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from duban.orgs import queries, services
from duban.orgs.forms import TokenForm


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm()
    new_token = ""
    status = 200
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            new_token = services.token_create(
                actor=request.user, user=request.user, label=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
            form = TokenForm()
        else:
            status = 400
    rows = queries.token_list(user=request.user)
    return render(request, "orgs/account_tokens.html", {"form": form, "tokens": rows, "new_token": new_token}, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    row = queries.own_token(request.user, pk)
    if row is None:
        raise Http404(_("未找到该令牌"))
    services.token_revoke(actor=request.user, token=row)
    messages.success(request, _("令牌已吊销，使用它的程序将无法再访问。"))
    return redirect("account:tokens")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes lockout answer: the login layout with a Chinese explanation, status 429."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0
    resp = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if cool_off:
        resp["Retry-After"] = str(int(cool_off.total_seconds()))
    return resp
