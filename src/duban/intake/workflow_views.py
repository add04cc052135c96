"""The detail page's workflow part: which steps this person gets (from the table's
`available`), the plain step buttons (核查、查结、转办、办结) and the phone callback form.

Thin: the steps fire through `services`; errors come back as messages on the page —
a wrong side answers 403 with the page and the reason, as the ledger's steps do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.core.workflow import TransitionError, error_text
from duban.intake import queries, services, workflow
from duban.intake.forms import CallbackForm, StepForm
from duban.intake.models import Status, Suggestion


def workflow_context(user, s: Suggestion) -> dict[str, Any]:
    """What the detail page needs of the workflow: the steps this user may take now."""
    steps = workflow.available(user, s)
    names = {t.name for t in steps}
    return {
        "steps": sorted((t for t in steps if t.name in workflow.BUTTONS), key=lambda t: workflow.BUTTONS.index(t.name)),
        "may_route": bool(names & {"route", "reroute"}),
        "may_reply": "reply" in names,
        "may_callback": bool(names & {"callback", "callback_unsatisfied"}),
        "callback_form": CallbackForm(),
        "callbacks": list(s.callbacks.select_related("recorded_by")),
    }


def _get(request: HttpRequest, pk: int) -> Suggestion:
    s = queries.suggestion_get(request.user, pk)
    if s is None:
        raise Http404(_("未找到该意见建议或无权查看"))
    return s


def _refused(request: HttpRequest, pk: int, exc: PermissionDenied) -> HttpResponse:
    from duban.intake.views import detail

    messages.error(request, str(exc) or _("无权执行该操作"))
    response = detail(request, pk)
    response.status_code = 403
    return response


@login_required
@require_POST
def transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    s = _get(request, pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("intake:detail", pk=pk)
    try:
        services.suggestion_transition(actor=request.user, suggestion=s, name=name, reason=form.cleaned_data["reason"],
                                       transferred_to=form.cleaned_data["transferred_to"])
    except PermissionDenied as exc:
        return _refused(request, pk, exc)
    except (TransitionError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已%(label)s") % {"label": workflow.TABLE.get(name).label})
    return redirect("intake:detail", pk=pk)


@login_required
@require_POST
def callback(request: HttpRequest, pk: int) -> HttpResponse:
    s = _get(request, pk)
    form = CallbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("intake:detail", pk=pk)
    d = form.cleaned_data
    try:
        s = services.suggestion_callback(actor=request.user, suggestion=s, result=d["result"], note=d["note"], caller=d["caller"],
                                         called_at=d["called_at"])
    except PermissionDenied as exc:
        return _refused(request, pk, exc)
    except (TransitionError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        done = _("已记录电话回访")
        messages.success(request, done + (_("：不满意，已转回重新办理") if s.status == Status.REOPENED else ""))
    return redirect("intake:detail", pk=pk)
