"""One workflow engine: a model's states move only through its declared transition table.

An app declares a `Table` for its model: `Transition`s (name, label, source states, target
state or None, the `Side` that may fire it, what it needs, state conditions, input guards
and effects) and the hooks only the app knows (how to lock a row, write its ONE audit entry,
save it). From the table come:

* `available(user, obj)` — the transitions this user may fire now (the buttons, the API's
  list of allowed transitions);
* `check(user, obj, name)` — the transition or, with a Chinese reason, `TransitionError`
  (illegal now: HTTP 409) or `TransitionForbidden` (the wrong side: a PermissionDenied, 403);
* `fire(...)` — in one transaction: lock, optional optimistic version, check, input guards,
  state change, effects, one audit entry, save;
* `waiting_q(user)` — a Q of the objects in states where one of the user's sides may act
  ("waiting for me").

`core` imports no app: sides are callables the app supplies (answering through the
permission layer), and so are the audit and save hooks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _

from duban.core.lookups import in_literal


class TransitionError(Exception):
    """An illegal transition (unknown, or not from the object's state now): HTTP 409."""


class TransitionForbidden(TransitionError, PermissionDenied):
    """A legal transition fired by the wrong side: not for this user, HTTP 403."""


class StaleVersion(TransitionError):
    """The object changed since the caller loaded it: nothing fired (HTTP 409)."""


@dataclass(frozen=True)
class Side:
    """Who may fire a transition. `allows(user, obj)` answers through the app's permission
    layer; `waiting(user)` is the Q of objects where the user is on this side (None: this
    side never has anything waiting, e.g. a citizen holding a tracking code)."""

    name: str
    label: str  # for the refusal: "只有{label}可以{transition}"
    allows: Callable[[Any, Any], bool]
    waiting: Callable[[Any], Q] | None = None


@dataclass(frozen=True)
class Condition:
    """A state the object must be in besides its status (a pending extension, a clue…):
    not met, the transition is not offered, and firing it is illegal (409)."""

    test: Callable[[Any], bool]
    message: str
    q: Q | None = None  # the same condition as a query, for the "waiting for me" list


@dataclass(frozen=True)
class Guard:
    """Something the input must bring (checked on firing only): not met, a
    ValidationError on `field` with the Chinese `message` (422)."""

    test: Callable[[Context], bool]
    message: str
    field: str = ""


@dataclass
class Context:
    """One firing: what effects read and write. `note` goes to the timeline; `extra` carries
    what the app's hooks pass each other (a tally key taken before the change…)."""

    actor: Any
    obj: Any
    transition: Transition
    reason: str = ""
    date: dt.date | None = None
    data: dict[str, Any] = field(default_factory=dict)
    before_status: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


Effect = Callable[[Context], None]


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # lazily translated: the button, the timeline and the trail say it
    sources: frozenset[str]
    target: str | None  # None: the status does not change
    side: str
    needs_reason: bool = False
    needs_evidence: bool = False
    needs_date: bool = False
    conditions: tuple[Condition, ...] = ()
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    verb: str = ""  # the audit verb's last part when it is not the name (two ways of one step)
    # The states in which the object waits on this side for this step (the "waiting for
    # me" query); None: every source state; empty: never waits (corrections, optional steps).
    waits_in: frozenset[str] | None = None
    fields: tuple[str, ...] = ()  # input fields beyond reason/date the step takes (API, forms)

    def state_allows(self, obj: Any, state_of: Callable[[Any], str]) -> bool:
        return state_of(obj) in self.sources and all(c.test(obj) for c in self.conditions)


def updated_at_version(obj: Any) -> int:
    """A model's `updated_at` in whole microseconds: an optimistic version that JSON and
    forms carry exactly (every write of the model sets updated_at)."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (obj.updated_at - epoch) // dt.timedelta(microseconds=1)


class Table:
    """The declared transitions of one model and the hooks its app supplies."""

    def __init__(
        self,
        *,
        model: type[Model],
        transitions: Iterable[Transition],
        sides: Iterable[Side],
        audit: Callable[[Context, str], None],
        state_field: str = "status",
        lock: Callable[[Any], Any] | None = None,
        save: Callable[[Context], None] | None = None,
        version: Callable[[Any], int] | None = None,
        evidence_present: Callable[[Any], bool] | None = None,
        state_label: Callable[[Any], str] | None = None,
        verb_prefix: str = "",
        noun: str = "",
    ) -> None:
        self.model = model
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.name in self.transitions:
                raise ValueError(f"duplicate transition {t.name!r}")
            self.transitions[t.name] = t
        self.sides: dict[str, Side] = {s.name: s for s in sides}
        for t in self.transitions.values():
            if t.side not in self.sides:
                raise ValueError(f"transition {t.name!r}: unknown side {t.side!r}")
            if t.needs_evidence and evidence_present is None:
                raise ValueError(f"transition {t.name!r} needs evidence: give the table evidence_present")
        self.audit = audit
        self.state_field = state_field
        self._lock = lock
        self._save = save
        self.version = version
        self.evidence_present = evidence_present
        self._state_label = state_label
        self.verb_prefix = verb_prefix or model._meta.model_name
        self.noun = noun or str(model._meta.verbose_name)

    # ------------------------------------------------------------------ reading the table

    def state(self, obj: Any) -> str:
        return getattr(obj, self.state_field)

    def state_label(self, obj: Any) -> str:
        if self._state_label is not None:
            return self._state_label(obj)
        return str(getattr(obj, f"get_{self.state_field}_display")())

    def get(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise TransitionError(_("未知的操作“%(name)s”") % {"name": name}) from None

    def state_allows(self, obj: Any, t: Transition) -> bool:
        return t.state_allows(obj, self.state)

    def side_allows(self, user: Any, obj: Any, t: Transition) -> bool:
        return bool(self.sides[t.side].allows(user, obj))

    def available(self, user: Any, obj: Any) -> list[Transition]:
        """The transitions this user may fire on this object now (the buttons)."""
        return [t for t in self.transitions.values() if self.state_allows(obj, t) and self.side_allows(user, obj, t)]

    def check_state(self, obj: Any, name: str) -> Transition:
        """The transition if the object's state allows it now, else TransitionError (409)."""
        t = self.get(name)
        if self.state(obj) not in t.sources:
            raise TransitionError(
                _("“%(state)s”状态的%(noun)s不能%(label)s") % {"state": self.state_label(obj), "noun": self.noun, "label": t.label}
            )
        for c in t.conditions:
            if not c.test(obj):
                raise TransitionError(str(c.message))
        return t

    def check(self, user: Any, obj: Any, name: str) -> Transition:
        """The transition, or why it may not happen now: TransitionError when illegal in this
        state, TransitionForbidden (403) when legal but not for this user."""
        t = self.check_state(obj, name)
        if not self.side_allows(user, obj, t):
            raise TransitionForbidden(_("只有%(who)s可以%(label)s") % {"who": self.sides[t.side].label, "label": t.label})
        return t

    def waiting_q(self, user: Any, sides: Iterable[str] | None = None) -> Q:
        """The objects in states where one of the user's sides may act: for each transition
        that waits, its states, its conditions' Q and its side's Q for this user, OR-ed.
        `sides`: only these sides (a to-do list in parts). Q(pk__in=[]) when nothing can wait
        on this user."""
        only = set(sides) if sides is not None else None
        mine: dict[str, Q | None] = {}
        waits: dict[str, Q] = {}  # per side: its transitions' states and conditions, OR-ed
        for t in self.transitions.values():
            states = t.sources if t.waits_in is None else t.waits_in
            side = self.sides[t.side]
            if not states or side.waiting is None or (only is not None and t.side not in only):
                continue
            if t.side not in mine:
                mine[t.side] = side.waiting(user)
            if mine[t.side] is None:
                continue
            # The states as literals: a partial index on them serves the list on SQLite too.
            part = in_literal(self.state_field, sorted(states))
            for c in t.conditions:
                if c.q is not None:
                    part &= c.q
            waits[t.side] = part if t.side not in waits else waits[t.side] | part
        # Each side's own Q once, AND-ed with its transitions (the same rows as repeating it
        # in each): PostgreSQL turns `unit IN (subquery) AND (…)` into a join over the few
        # units, where the subquery repeated inside an OR made it scan every suggestion.
        cond: Q | None = None
        for name, part in waits.items():
            side_part = mine[name] & part
            cond = side_part if cond is None else cond | side_part
        return cond if cond is not None else Q(pk__in=[])

    def waiting(self, user: Any, queryset=None, *, sides: Iterable[str] | None = None):
        """`waiting_q` applied to `queryset` (default: every object of the model)."""
        qs = self.model._default_manager.all() if queryset is None else queryset
        return qs.filter(self.waiting_q(user, sides))

    def describe(self, t: Transition) -> dict[str, Any]:
        """One transition as the API lists it."""
        return {
            "name": t.name, "label": str(t.label), "target": t.target, "needs_reason": t.needs_reason,
            "needs_date": t.needs_date, "needs_evidence": t.needs_evidence, "fields": list(t.fields),
        }

    # ------------------------------------------------------------------ firing

    def _check_input(self, ctx: Context) -> None:
        """The transition's guards first (their own messages), then what it needs."""
        t = ctx.transition
        errors: dict[str, list[str]] = {}
        for g in t.guards:
            key = g.field or "__all__"
            if not errors.get(key) and not g.test(ctx):
                errors.setdefault(key, []).append(str(g.message))
        if t.needs_reason and not ctx.reason and not errors.get("reason"):
            errors.setdefault("reason", []).append(str(_("%(label)s需要填写理由") % {"label": t.label}))
        if t.needs_date and ctx.date is None and not errors.get("date"):
            errors.setdefault("date", []).append(str(_("%(label)s需要填写日期") % {"label": t.label}))
        if errors:
            raise ValidationError(errors)
        if t.needs_evidence and not self.evidence_present(ctx.obj):
            raise ValidationError({"files": [str(_("%(label)s需要上传佐证材料") % {"label": t.label})]})

    @transaction.atomic
    def fire(
        self,
        *,
        actor: Any,
        obj: Any,
        name: str,
        check_side: bool,
        reason: str = "",
        date: dt.date | None = None,
        data: Mapping[str, Any] | None = None,
        version: int | None = None,
        extra: Mapping[str, Any] | None = None,
        before: Callable[[Context], None] | None = None,
        verb: str = "",
    ) -> Any:
        """Fire transition `name` on `obj` and return the (locked, saved) object.

        `check_side`: whether the actor's side is checked — False only for the system
        (CLI, demo, worker), and visible at every call. `version`: the object's version when
        the caller loaded it; a changed object raises StaleVersion and nothing happens.
        `before(ctx)` runs after the checks and before the change (e.g. attach files the
        evidence guard then finds). Exactly one audit entry is written, by the app's hook,
        under `verb` when the caller names the step more precisely (转为 / 并入问题).
        """
        obj = self._lock(obj) if self._lock is not None else type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        if version is not None and self.version is not None and self.version(obj) != version:
            raise StaleVersion(_("该%(noun)s在您打开后已被他人处理，请刷新后再操作") % {"noun": self.noun})
        t = self.check(actor, obj, name) if check_side else self.check_state(obj, name)
        ctx = Context(actor=actor, obj=obj, transition=t, reason=(reason or "").strip(), date=date,
                      data=dict(data or {}), before_status=self.state(obj), note=(reason or "").strip(), extra=dict(extra or {}))
        if before is not None:
            before(ctx)
        self._check_input(ctx)
        if t.target is not None:
            setattr(obj, self.state_field, t.target)
        for effect in t.effects:
            effect(ctx)
        self.audit(ctx, f"{self.verb_prefix}.{verb or t.verb or t.name}")
        if self._save is not None:
            self._save(ctx)
        else:
            obj.save()
        return obj


def http_status(exc: BaseException) -> int:
    """The HTTP answer for an error of firing: 403 wrong side, 409 illegal or stale, 422 bad input."""
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, TransitionError):
        return 409
    if isinstance(exc, ValidationError):
        return 422
    raise exc


def error_text(exc: BaseException) -> str:
    """The Chinese message of an error of firing, for a page or an API body."""
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)
