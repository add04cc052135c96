"""`{{ s.body|contacts_masked:show_contact }}`: a message's own phone and ID numbers, masked
for readers who may not see contacts (intake.privacy decides; the template only asks)."""

from __future__ import annotations

from django import template

from duban.intake.privacy import text_shown

register = template.Library()


@register.filter
def contacts_masked(text: str, full: bool = False) -> str:
    return text_shown(text, full=bool(full))
