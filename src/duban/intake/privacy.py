"""Submitters' names and phones: the one rule for who reads them in full, and the masking.

Only the campaign office (推进办) over an item reads its submitter's name and phone in
full; everyone else — leaders, units, anyone on a list — sees 张* and 138****5678. Every
output that carries a contact (pages, API, exports, hot issues) goes through here.
"""

from __future__ import annotations

import re

from duban.orgs.models import Role
from duban.orgs.scoping import can

# A whole value that is a phone number: digits with the separators people type.
_PHONE_LIKE = re.compile(r"^[0-9+\-\s()（）转]+$")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; empty stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_if_phone(text: str) -> str:
    """A poster label from a file ("A0004260" stays, "13812345678" → 138****5678)."""
    text = (text or "").strip()
    if _PHONE_LIKE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        return mask_phone(text)
    return text


# Numbers a citizen types into the text itself ("请联系我 138-1234-5678"): a mobile (with or
# without +86 and separators), a landline with its area code, an 18-character ID number.
_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"(?P<id>[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[0-9Xx])"
    r"|(?P<mobile>(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2})"
    r"|(?P<landline>0\d{2,3}[-\s]?\d{7,8})"
    r")(?![0-9A-Za-z])"
)


def _mask_match(m: re.Match) -> str:
    if m.group("id"):
        return m.group("id")[:6] + "*" * 8 + m.group("id")[-4:]
    digits = "".join(ch for ch in m.group(0) if ch.isdigit())
    return mask_phone(digits[-11:] if m.group("mobile") else digits)


def mask_text(text: str) -> str:
    """A title or message with the phone and ID numbers inside it masked, for everyone who may
    not read contacts (the masked submitter's phone would be no secret if the body had it)."""
    return _IN_TEXT.sub(_mask_match, text or "")


def text_shown(text: str, *, full: bool) -> str:
    return (text or "") if full else mask_text(text)


def may_see_contacts(user, campaign) -> bool:
    """The one rule: the campaign office (推进办) over the campaign reads contacts in full."""
    if getattr(user, "is_superuser", False):
        return True
    return campaign is not None and can(user, campaign.unit, Role.OFFICE)


def can_see_contact(user, suggestion) -> bool:
    """May `user` read this suggestion's submitter's name and phone in full?"""
    return may_see_contacts(user, suggestion.campaign)


def contact_shown(name: str, phone: str, *, full: bool) -> tuple[str, str]:
    """(name, phone) as a reader sees them: in full for the office, else masked."""
    return (name or "", phone or "") if full else (mask_name(name), mask_phone(phone))
