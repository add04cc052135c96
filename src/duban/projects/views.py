"""The project library's list pages: the library with its filters and light tabs, the office's
red/yellow list, the board (kanban by stage), one's own projects (包保领导, 项目秘书, 责任部门,
所属单位), the figures, and the office's light rules and pools.

Views are thin: they read through `queries` (scoped by the permission layer), write through
`services`, and decide rights only through orgs.permissions and services.may_manage.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from duban.campaigns.http import chosen_campaign as campaign_of
from duban.core.dates import today
from duban.core.templatetags.duban_fmt import cn_money
from duban.orgs.scoping import home_unit, visible_units
from duban.projects import queries, services
from duban.projects.forms import LightRuleForm, PoolsForm, filters_from
from duban.projects.models import STAGE_ORDER, Light, Stage

PER_PAGE = 50
COLUMN_CAP = 40  # cards per board column: a province's 10,000 projects page through the list
LIST_CAP = 200  # rows of each block of 我的项目


def errors_of(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _filter_context(request, campaign) -> dict:
    """The filter form's choices: units one level under the user's home, pools, industries, leaders."""
    home = home_unit(request.user)
    leaders = (get_user_model().objects.filter(pk__in=queries.visible(request.user, campaign).exclude(leader=None).values("leader_id"))
               .order_by("first_name", "id")[:200])
    return {
        "units": visible_units(request.user).filter(depth__lte=(home.depth + 1 if home else 1)).order_by("path")[:300],
        "pools": queries.pools(campaign), "industries": queries.industries(request.user, campaign)[:200], "leaders": leaders,
        "stages": Stage.choices,
    }


# ------------------------------------------------------------------ the library


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    campaign = campaign_of(request)
    if campaign is None:
        return render(request, "projects/list.html", {"campaign": None})
    f, shown = filters_from(request.GET, request.user, campaign)
    light = f.light
    f.light = ""
    counts = queries.light_counts(queries.filtered(request.user, campaign, f))
    f.light = light
    qs = queries.filtered(request.user, campaign, f).select_related("unit", "pool").order_by("-total_wan", "id")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = queries.with_open_blocker_counts(list(page.object_list))
    params = {k: v for k, v in request.GET.items() if k not in ("light", "page")}
    tabs = [("red_yellow", _("红黄灯"), counts[Light.RED] + counts[Light.YELLOW])]
    tabs += [(k, Light(k).label, counts[k]) for k in queries.LIGHT_ORDER]
    ctx = {"campaign": campaign, "page": page, "f": shown, "params": params, "tabs": tabs, "total": sum(counts.values()),
           "may_manage": services.may_manage(request.user, campaign), **_filter_context(request, campaign)}
    template = "projects/_table.html" if request.headers.get("HX-Request") else "projects/list.html"
    return render(request, template, ctx)


@login_required
def warnings(request: HttpRequest) -> HttpResponse:
    campaign = campaign_of(request)
    qs = queries.red_yellow(request.user, campaign).select_related("unit") if campaign else queries.visible(request.user).none()
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    # Open blockers counted for the page's rows only (an annotation grouped the whole list).
    page.object_list = queries.with_open_blocker_counts(list(page.object_list))
    counts = queries.light_counts(queries.visible(request.user, campaign)) if campaign else {}
    return render(request, "projects/warnings.html", {"campaign": campaign, "page": page, "counts": counts})


# ------------------------------------------------------------------ the board


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The filtered set by stage: each column shows its first COLUMN_CAP cards (largest first)
    and its count; "more" opens the list filtered to that stage."""
    campaign = campaign_of(request)
    if campaign is None:
        return render(request, "projects/board.html", {"campaign": None})
    f, shown = filters_from(request.GET, request.user, campaign)
    f.stage = ""
    qs = queries.filtered(request.user, campaign, f)
    counts = queries.stage_counts(qs)
    cards = queries.board_columns(qs, COLUMN_CAP)
    labels = dict(Stage.choices)
    columns = [{"stage": s, "label": labels[s], "n": counts[s], "cards": cards[s]} for s in STAGE_ORDER]
    _card_urls(c for col in columns for c in col["cards"])
    params = {k: v for k, v in request.GET.items() if k not in ("stage", "page")}
    day = today()
    return render(request, "projects/board.html", {
        "campaign": campaign, "columns": columns, "f": shown, "params": params, "cap": COLUMN_CAP,
        "today": day, "today_iso": day.isoformat(), **_filter_context(request, campaign),
    })


_PK_MARK = 987654321


def _card_urls(projects) -> None:
    """Each card's page and move URLs from one reverse() each (a reverse per card and link was
    a fifth of the board's time at 200 cards), and its light's label and its money in words,
    computed here once per card rather than through a template include and filters."""
    page, move = (reverse(name, args=[_PK_MARK]) for name in ("projects:project", "projects:project_move"))
    mark = str(_PK_MARK)
    lights = {v: str(label) for v, label in Light.choices}
    for p in projects:
        p.url, p.move_url = page.replace(mark, str(p.pk)), move.replace(mark, str(p.pk))
        p.light_label, p.money = lights.get(p.light, p.light), cn_money(p.total_wan)


# ------------------------------------------------------------------ mine


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    campaign = campaign_of(request)
    blocks = queries.mine(request.user, campaign)
    secretary = blocks["secretary"]
    due = queries.due_this_period(secretary).select_related("unit").order_by("id")[:LIST_CAP] if campaign else []
    rows = {k: list(queries.with_open_blockers(qs).select_related("unit").order_by("-light", "-total_wan", "id")[:LIST_CAP])
            for k, qs in blocks.items()}
    due_list = list(due)
    periods = {p.pk: queries.current_period(p)[2] for p in due_list}
    return render(request, "projects/mine.html", {"campaign": campaign, "rows": rows, "due": due_list, "periods": periods,
                                                  "cap": LIST_CAP})


# ------------------------------------------------------------------ figures


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    campaign = campaign_of(request)
    if campaign is None:
        return render(request, "projects/figures.html", {"campaign": None})
    labels = dict(Stage.choices)
    row = queries.figures(user=request.user, campaign=campaign)
    return render(request, "projects/figures.html", {
        "campaign": campaign, "fig": row, "by_stage": [(labels[s], n) for s, n in row["by_stage"].items()],
        "by_unit": queries.totals_by(request.user, campaign, "unit")[:100],
        "by_industry": queries.totals_by(request.user, campaign, "industry")[:100],
        "by_pool": queries.totals_by(request.user, campaign, "pool")[:50],
    })


# ------------------------------------------------------------------ the office's settings


def _require_manager(request, campaign, words: str) -> None:
    if campaign is None or not services.may_manage(request.user, campaign):
        raise PermissionDenied(words)


@login_required
def light_rule(request: HttpRequest) -> HttpResponse:
    campaign = campaign_of(request)
    _require_manager(request, campaign, _("只有本活动的推进办可以设置项目亮灯规则"))
    rule = services.rule_of(campaign)
    form = LightRuleForm(request.POST or None, initial=rule.__dict__)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.light_rule_set(actor=request.user, campaign=campaign, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, errors_of(exc))
            else:
                messages.success(request, _("已保存项目亮灯规则，各项目灯色已重新计算"))
                return redirect("projects:warnings")
    return render(request, "projects/light_rule.html", {"form": form, "campaign": campaign}, status=status)


@login_required
def pools(request: HttpRequest) -> HttpResponse:
    campaign = campaign_of(request)
    _require_manager(request, campaign, _("只有本活动的推进办可以设置项目库"))
    current = queries.pools(campaign)
    form = PoolsForm(request.POST or None, initial={"names": "\n".join(p.name for p in current)})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.pools_set(actor=request.user, campaign=campaign, names=form.cleaned_data["names"])
            except ValidationError as exc:
                form.add_error(None, errors_of(exc))
            else:
                messages.success(request, _("已保存项目库"))
                return redirect("projects:pools")
    counts = {r["name"]: r["n"] for r in queries.totals_by(request.user, campaign, "pool")}
    return render(request, "projects/pools.html", {"form": form, "campaign": campaign, "current": current, "counts": counts},
                  status=status)
