"""倒排工期: backward scheduling of the plan from its deadlines, in working days.

Each item has a deadline and a duration (工期, working days; when absent, the working days
from its planned start to its deadline). Dependencies are finish-to-start. Backward pass:
an item must finish by its own deadline and the working day before its successors' latest
start; its latest start is that finish less its duration. Forward pass: it can start at its
planned start (or today, if not started) and after its predecessors' earliest finish
(a finished item: its finish date). Slack (机动时间) is latest start less earliest start in
working days; the critical chain (关键链) is, in each chain of linked items, the items with the
chain's least slack — and any linked item without slack.

Pure functions over plain records: the services store the results on the items.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from duban.core.workcalendar import WorkCalendar


class CycleError(ValueError):
    """The dependencies go round in a circle: no order exists."""

    def __init__(self, ids: list[int]):
        self.ids = ids
        super().__init__(f"前置事项形成循环：{ids}")


@dataclass(frozen=True)
class Step:
    id: int
    deadline: dt.date | None
    duration: int | None
    start: dt.date | None = None  # planned start
    started_on: dt.date | None = None
    finished_on: dt.date | None = None


@dataclass(frozen=True)
class Scheduled:
    latest_start: dt.date | None
    latest_finish: dt.date | None
    earliest_start: dt.date | None
    slack: int | None
    critical: bool


def duration_of(step: Step, cal: WorkCalendar) -> int | None:
    if step.duration:
        return step.duration
    if step.start and step.deadline and step.deadline >= step.start:
        return cal.workdays_between(step.start, step.deadline) + (1 if cal.is_workday(step.start) else 0)
    return None


def order(ids: Iterable[int], edges: Iterable[tuple[int, int]]) -> list[int]:
    """The ids in an order where every predecessor comes first; CycleError otherwise."""
    ids = list(ids)
    known = set(ids)
    succ: dict[int, list[int]] = defaultdict(list)
    indeg = {i: 0 for i in ids}
    for a, b in edges:
        if a in known and b in known:
            succ[a].append(b)
            indeg[b] += 1
    queue = deque(i for i in ids if indeg[i] == 0)
    out: list[int] = []
    while queue:
        i = queue.popleft()
        out.append(i)
        for s in succ[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                queue.append(s)
    if len(out) != len(ids):
        raise CycleError(sorted(i for i in ids if indeg[i] > 0))
    return out


def would_cycle(edges: Iterable[tuple[int, int]], new: tuple[int, int]) -> bool:
    """Whether adding `new` (predecessor, successor) closes a circle."""
    a, b = new
    if a == b:
        return True
    succ: dict[int, list[int]] = defaultdict(list)
    for x, y in edges:
        succ[x].append(y)
    seen, stack = set(), [b]
    while stack:
        n = stack.pop()
        if n == a:
            return True
        if n in seen:
            continue
        seen.add(n)
        stack.extend(succ[n])
    return False


def _first_workday(d: dt.date, cal: WorkCalendar) -> dt.date:
    return d if cal.is_workday(d) else cal.add_workdays(d, 1)


def _last_workday(d: dt.date, cal: WorkCalendar) -> dt.date:
    return d if cal.is_workday(d) else cal.add_workdays(d, -1)


def schedule(steps: Iterable[Step], edges: Iterable[tuple[int, int]], *, today: dt.date, cal: WorkCalendar) -> dict[int, Scheduled]:
    by_id = {s.id: s for s in steps}
    edges = [(a, b) for a, b in edges if a in by_id and b in by_id]
    seq = order(by_id, edges)
    preds: dict[int, list[int]] = defaultdict(list)
    succs: dict[int, list[int]] = defaultdict(list)
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    dur = {i: duration_of(by_id[i], cal) for i in by_id}

    # Backward: latest finish and start.
    lf: dict[int, dt.date | None] = {}
    ls: dict[int, dt.date | None] = {}
    for i in reversed(seq):
        limits = [by_id[i].deadline] if by_id[i].deadline else []
        # A successor without a duration still bounds its predecessors by its finish.
        limits += [cal.add_workdays(ls[s] or lf[s], -1) for s in succs[i] if (ls[s] or lf[s]) is not None]
        lf[i] = min(limits) if limits else None
        if lf[i] is not None:
            lf[i] = _last_workday(lf[i], cal)
        ls[i] = cal.add_workdays(lf[i], -(dur[i] - 1)) if lf[i] is not None and dur[i] else None

    # Forward: earliest start and finish.
    es: dict[int, dt.date | None] = {}
    ef: dict[int, dt.date | None] = {}
    for i in seq:
        s = by_id[i]
        if s.finished_on is not None:
            es[i], ef[i] = s.started_on or s.start, s.finished_on
            continue
        begin = s.started_on or max(d for d in (s.start, today) if d is not None)
        for p in preds[i]:
            if ef.get(p) is not None:
                begin = max(begin, cal.add_workdays(ef[p], 1))
        es[i] = _first_workday(begin, cal)
        ef[i] = cal.add_workdays(es[i], dur[i] - 1) if dur[i] else None

    slack: dict[int, int | None] = {}
    for i in seq:
        open_ = by_id[i].finished_on is None
        slack[i] = cal.workdays_between(es[i], ls[i]) if open_ and es[i] and ls[i] else None

    # Chains: connected components through the dependencies; least slack per chain.
    comp: dict[int, int] = {}
    for i in seq:
        if i in comp:
            continue
        stack, comp[i] = [i], i
        while stack:
            n = stack.pop()
            for m in preds[n] + succs[n]:
                if m not in comp:
                    comp[m] = i
                    stack.append(m)
    least: dict[int, int] = {}
    for i in seq:
        if slack[i] is not None and (preds[i] or succs[i]):
            least[comp[i]] = min(least.get(comp[i], slack[i]), slack[i])
    out: dict[int, Scheduled] = {}
    for i in seq:
        sl = slack[i]
        # Only linked items form a chain: a lone late item is flagged by its light and its
        # passed latest start, not marked critical.
        critical = sl is not None and bool(preds[i] or succs[i]) and (sl <= 0 or sl == least.get(comp[i]))
        out[i] = Scheduled(ls[i], lf[i], es[i], sl, bool(critical))
    return out
