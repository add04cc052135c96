"""Error pages inside the layout, in the user's language, with the reason a service gave.

Services and views raise PermissionDenied / Http404 with a Chinese sentence for the
person ("只有推进办可以销号"); Django's own errors carry English internals (a resolver
dump, a class name) that must not reach the screen, so only a message written for people
— one with Chinese in it — is shown, and otherwise a plain sentence for the status.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

_HAN = re.compile(r"[\u4e00-\u9fff]")


def reason_of(exception: BaseException | None) -> str:
    """The message written for people, or "" for Django's internal ones."""
    args = getattr(exception, "args", ()) or ()
    message = args[0] if args else ""
    if isinstance(message, (list, tuple)):
        message = "；".join(str(m) for m in message)
    message = str(message) if message else ""
    return message if _HAN.search(message) else ""


def _page(request: HttpRequest, status: int, title: str, reason: str) -> HttpResponse:
    body = loader.render_to_string("error.html", {"status": status, "title": title, "reason": reason}, request)
    return HttpResponse(body, status=status)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page(request, 403, _("没有权限"), reason_of(exception) or _("你的账号没有做这件事的权限。"))


def not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page(request, 404, _("没有找到"), reason_of(exception) or _("这个页面不存在，或者你无权查看。"))


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page(request, 400, _("请求有误"), reason_of(exception) or _("请求的内容不完整或格式不对，请返回重试。"))


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors and no database here: the error may be the database itself.
    body = loader.get_template("500.html").render({})
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Most often a form left open past its session, or a second tab after logging out.
    return _page(request, 403, _("页面已过期"), _("表单已过期或来源无法确认，请刷新页面后再提交一次。"))
