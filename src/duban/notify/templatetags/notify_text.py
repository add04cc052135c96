"""A message body on the inbox page: web addresses and duban's own paths as links.

Reminders name items by path (/ledger/12/) when DUBAN_SITE_URL is not set; inside duban a
path is as good as an address, so the inbox links both."""

from __future__ import annotations

import re

from django import template
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# A path at the start, after a space or a colon ("全部：/ledger/mine/"); never the "//" of an address.
_PATH = re.compile(r"(^|[\s：:])(/(?=\w)[\w\-./?=&;%]*)", re.MULTILINE)


@register.filter(needs_autoescape=True)
def links(text: str, autoescape: bool = True) -> SafeString:
    html = urlize(text or "", autoescape=autoescape)  # escapes everything else
    return mark_safe(_PATH.sub(lambda m: f'{m.group(1)}<a href="{m.group(2)}">{m.group(2)}</a>', html))  # noqa: S308
