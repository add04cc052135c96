"""Who may read a submitter's name and phone, and how lists show them (masked)."""

from __future__ import annotations

from duban.orgs.models import Role
from duban.orgs.scoping import can


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


def can_see_contact(user, suggestion) -> bool:
    """Only the campaign office (推进办) over the item's campaign reads name and phone."""
    if getattr(user, "is_superuser", False):
        return True
    return can(user, suggestion.campaign.unit, Role.OFFICE)
