"""The REST API: one NinjaAPI, routers from each domain app, session or bearer-token auth."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from duban.core.plugins import optional_attr
from duban.orgs.models import ApiToken
from duban.orgs.tokens import token_failed, token_guessing_blocked


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` as printed by `duban token create USER`."""

    def authenticate(self, request, token: str):
        # Guessing tokens from one address is cut off, and then even a right guess is not confirmed.
        if token_guessing_blocked(request):
            raise HttpError(429, "无效令牌尝试过多，请稍后再试")
        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.digest_of(token), revoked=False, expires_at__gt=now, user__is_active=True)
            .first()
        )
        if row is None:
            token_failed(request)
            return None
        # Touch last_used_at at most once a minute: no write on every request.
        if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="duban 督办 API",
    version="1",
    description="整改台账、意见建议、单位与活动。Lists are paginated as {items, count}.",
    auth=[django_auth, BearerToken()],
    urls_namespace="api",
    docs_url="/docs",
)


def _register() -> None:
    from duban.campaigns.api import router as campaigns_router
    from duban.orgs.api import router as orgs_router
    from duban.stats import router as stats_router

    api.add_router("/units", orgs_router)
    api.add_router("/campaigns", campaigns_router)
    api.add_router("/stats", stats_router)
    for prefix, dotted in DOMAIN_ROUTERS:
        router = optional_attr(dotted)
        if router is not None:
            api.add_router(prefix, router)


# Domain routers, mounted once their app exists: (url prefix, "module.router").
DOMAIN_ROUTERS: list[tuple[str, str]] = [
    ("/problems", "duban.ledger.api.router"),
    ("/suggestions", "duban.intake.api.router"),
    ("/public", "duban.intake.api.public_router"),
    ("/triage", "duban.triage.api.router"),
    ("/tasks", "duban.campaigns.api_plan.router"),
    ("/projects", "duban.projects.api.router"),
]

_register()
