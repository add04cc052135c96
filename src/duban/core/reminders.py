"""Reminders (提醒): digests the worker sends on a schedule, one message per unit.

What this module holds is the vocabulary apps share, so that no app needs another's code:

* an app **declares** a reminder on its AppConfig (``reminders = [Reminder(...)]``, a lazy
  property like ``schedules``): its key, name, subject and when it runs (every working day
  10:00 by default; the office changes the time at /settings/background/);
* apps **contribute parts** to any declared reminder (``reminder_parts = [ReminderSource(...)]``):
  a function of the day that returns, per unit, a heading, a count and the first few items
  with links. The office's digest, for instance, gathers the ledger's 销号 and extension
  requests and intake's 待分拣 suggestions into one message;
* notify sends them (``duban.notify.services.reminder_send``): it merges the parts per unit,
  writes one message per unit and day (idempotent by its key) to the unit's members' inboxes
  and its DingTalk/WeCom/e-mail channels, and makes a schedule of every declared reminder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps

FIRST_FEW = 5  # items listed by name in a digest; the rest are counted and linked


@dataclass(frozen=True)
class Reminder:
    key: str  # "ledger-due": the schedule is "remind-ledger-due", the messages "remind:ledger-due:DATE:UNIT"
    name: str  # what the office reads on the background page: 整改到期提醒
    subject: str  # "%(unit)s：…（%(date)s）"
    rule: str = "workdays"
    at: dt.time = dt.time(10, 0)
    weekday: int | None = None


@dataclass(frozen=True)
class ReminderLine:
    text: str
    path: str = ""  # a path inside duban (/ledger/12/); notify turns it into a link


@dataclass
class ReminderPart:
    """What one app has to say to one unit: "3 个问题 3 个工作日内到期" and the first few."""

    unit_id: int
    heading: str
    count: int
    lines: list[ReminderLine] = field(default_factory=list)
    more_path: str = ""  # the list with everything (a filtered ledger or inbox page)


@dataclass(frozen=True)
class ReminderSource:
    reminder: str  # the key of a declared Reminder
    collect: Callable[[dt.date], list[ReminderPart]]
    order: int = 0  # where its part goes in the message


def declared_reminders() -> dict[str, Reminder]:
    """Every reminder the apps declare, by key; a key declared twice fails here, at start."""
    out: dict[str, Reminder] = {}
    for config in apps.get_app_configs():
        for r in getattr(config, "reminders", ()) or ():
            if r.key in out:
                raise ValueError(f"reminder {r.key!r} is declared twice ({config.label})")
            out[r.key] = r
    return out


def reminder_sources(key: str | None = None) -> list[ReminderSource]:
    """The parts contributed (to `key`, or to any reminder), in message order. A part naming
    a reminder nobody declares fails loudly: a typo must not silently send nothing."""
    known = declared_reminders()
    found: list[ReminderSource] = []
    for config in apps.get_app_configs():
        for s in getattr(config, "reminder_parts", ()) or ():
            if s.reminder not in known:
                raise ValueError(f"{config.label} contributes to reminder {s.reminder!r}, which no app declares")
            if key is None or s.reminder == key:
                found.append(s)
    return sorted(found, key=lambda s: s.order)
