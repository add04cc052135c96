"""The REST API: one NinjaAPI, routers from each domain app, session or bearer-token auth.

Errors are `{"detail": "<one Chinese sentence>"}` (ErrorOut); input that fails the
schemas is a 422 whose detail names the field and the rule in Chinese.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from duban.core.contributions import contributions, resolve
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


class SessionAuth(APIKeyCookie):
    """The browser session. A write through it must carry the CSRF token; it is checked
    only once a signed-in session is found, so a token caller (tried first) never meets it."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise HttpError(403, "CSRF 校验失败：请刷新页面后重试，或改用 API 令牌（Authorization: Bearer）")
        return request.user


class DubanAPI(NinjaAPI):
    """The schema is built once per process (and language): it depends only on the code,
    and building it walks every operation's models (a second per request at city load)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        from django.utils.translation import get_language

        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache = self.__dict__.setdefault("_schemas", {})
        key = (path_prefix, get_language())
        if key not in cache:
            cache[key] = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return cache[key]  # read-only: ninja serialises it (a deep copy costs as much as building it)


api = DubanAPI(
    title="duban 督办 API",
    version="1",
    description="整改台账、意见建议、单位与活动。Lists are paginated as {items, count}.",
    # The token first: the session check answers 403 on a write without a CSRF token,
    # which would refuse every token caller before its token was looked at.
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)

# Pydantic's error types, said in Chinese ({…} are filled from the error's context).
INPUT_MESSAGES = {
    "missing": "必填",
    "string_type": "应为文本",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期，如 2024-02-29",
    "date_parsing": "日期无效（应为存在的日期，如 2024-02-29）",
    "date_from_datetime_parsing": "日期无效（应为存在的日期，如 2024-02-29）",
    "date_from_datetime_inexact": "应为日期，不带时间",
    "datetime_type": "应为时间，如 2024-02-29T09:30:00+08:00",
    "datetime_parsing": "时间无效（如 2024-02-29T09:30:00+08:00）",
    "datetime_from_date_parsing": "时间无效（如 2024-02-29T09:30:00+08:00）",
    "list_type": "应为列表",
    "too_long": "最多 {max_length} 项",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "json_invalid": "不是有效的 JSON",
}
HTTP_MESSAGES = {"Cannot parse request body": "请求内容不是有效的 JSON"}


def _input_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    template = INPUT_MESSAGES.get(kind)
    if template is None:
        # Our own validators (NUL, id range) already speak Chinese; pydantic prefixes them.
        msg = str(error.get("msg", ""))
        return msg.removeprefix("Value error, ") if kind in ("value_error", "null_characters_not_allowed") else "格式不正确"
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：") or "格式不正确"


def _field(loc: tuple | list) -> str:
    # ("query", "limit") → "limit"; ("body", "payload", "owner") → "owner" (after "body"
    # comes the view's argument name); ("body", "payload") → the body as a whole.
    parts = [str(p) for p in loc]
    parts = parts[2:] if parts[:1] == ["body"] else parts[1:]
    return ".".join(parts) or "请求内容"


@api.exception_handler(ValidationError)
def _input_error(request, exc: ValidationError):
    errors = [
        {"loc": list(e.get("loc", ())), "msg": _input_message(e), "type": str(e.get("type", ""))}
        for e in exc.errors if isinstance(e, dict)
    ]
    detail = "；".join(f"{_field(e['loc'])}：{e['msg']}" for e in errors) or "输入有误"
    return api.create_response(request, {"detail": f"输入有误：{detail}", "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc: AuthenticationError):
    return api.create_response(request, {"detail": "未登录或 API 令牌无效"}, status=401)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    message = str(exc)
    return api.create_response(request, {"detail": HTTP_MESSAGES.get(message, message)}, status=exc.status_code)


def _register() -> None:
    """Each app's routers as its AppConfig declares them (``ApiRouter``), then the figures."""
    from duban.stats import router as stats_router

    for declared in contributions("api_routers"):
        api.add_router(declared.prefix, resolve(declared.router))
    api.add_router("/stats", stats_router)


_register()
