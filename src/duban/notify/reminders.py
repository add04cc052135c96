"""Composing reminders (core/reminders.py): the parts the apps contribute to one reminder,
merged per unit into one message — subject, count, the first few items with links.
Reads only; `services.reminder_send` writes what this composes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from duban.core.reminders import Reminder, ReminderPart, declared_reminders, reminder_sources
from duban.orgs.models import OrgUnit


@dataclass(frozen=True)
class Composed:
    unit: OrgUnit
    subject: str
    body: str
    count: int
    dedup_key: str


def reminder_get(key: str) -> Reminder:
    """The declared reminder; a KeyError naming the known ones for a wrong key."""
    known = declared_reminders()
    if key not in known:
        raise KeyError(_("没有名为“%(key)s”的提醒（有：%(known)s）") % {"key": key, "known": "、".join(sorted(known))})
    return known[key]


def dedup_key(key: str, on: dt.date, unit_id: int) -> str:
    """One message per reminder, day and unit: a second run the same day finds it and sends nothing."""
    return f"remind:{key}:{on.isoformat()}:{unit_id}"


def link(path: str) -> str:
    """A path inside duban as people outside it open it (DUBAN_SITE_URL in front, when set)."""
    return f"{settings.DUBAN_SITE_URL}{path}" if path else ""


def compose(reminder: Reminder, on: dt.date) -> list[Composed]:
    """One message per unit with something in any part; units with nothing get none."""
    by_unit: dict[int, list[ReminderPart]] = {}
    for source in reminder_sources(reminder.key):
        for part in source.collect(on):
            if part.count > 0:
                by_unit.setdefault(part.unit_id, []).append(part)
    units = OrgUnit.objects.in_bulk(list(by_unit))
    out = []
    for unit_id in sorted(by_unit, key=lambda u: (units[u].path if u in units else "", u)):
        if unit_id not in units:
            continue  # a unit deleted since (units are protected; defensive)
        parts = by_unit[unit_id]
        subject = reminder.subject % {"unit": units[unit_id].name, "date": f"{on:%Y-%m-%d}"}
        out.append(Composed(units[unit_id], subject[:200], body(parts), sum(p.count for p in parts),
                            dedup_key(reminder.key, on, unit_id)))
    return out


def body(parts: list[ReminderPart]) -> str:
    """Plain text that also reads as Markdown (robots): a heading per part, a "- " list of the
    first few with links, and where to find the rest."""
    blocks = []
    for part in parts:
        lines = [part.heading, ""]
        lines += [f"- {line.text} {link(line.path)}".rstrip() for line in part.lines]
        rest = part.count - len(part.lines)
        if part.more_path:
            more = _("另有 %(n)s 条，全部：%(url)s") % {"n": rest, "url": link(part.more_path)} if rest > 0 else _("查看：%(url)s") % {"url": link(part.more_path)}
            lines += ["", more]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
