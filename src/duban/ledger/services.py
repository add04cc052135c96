"""Every write to the ledger and every workflow transition: one transaction each, audited.

Services take the acting user (or a `duban.core.actors.SystemActor` for the CLI, the demo
and the worker) and keyword-only arguments. The actor is checked by the permission layer
(`orgs.permissions`) and the transition table; a caller acting as the system says so with
`skip_checks=True` (a person is always checked). Views and the API only translate errors.

Bulk path: `problems_bulk_insert` writes many new problems with PostgreSQL COPY or
SQLite executemany in the caller's transaction and writes ONE audit row per batch of
up to `AUDIT_BATCH` problems (verb `problem.bulk_create`, with the id range and count)
instead of one per problem. Imports and the demo use it; everything else goes row by row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from duban.audit.services import audit_bulk, audit_record, diff, snapshot, user_action
from duban.campaigns.models import Campaign, FocusArea
from duban.core import evidence_files as storage
from duban.core.actors import actor_name, actor_user
from duban.ledger import workflow
from duban.ledger.models import Evidence, Kind, Problem, ProblemEvent, Source, Status
from duban.ledger.queries import changes_since
from duban.ledger.search import index_new, terms_text
from duban.ledger.tally import key_of, tally_add_rows, tally_apply, tally_shift
from duban.orgs import permissions
from duban.orgs.models import OrgUnit, Role
from duban.orgs.scoping import check_visible

PROBLEM_FIELDS = (
    "seq", "description", "focus_area", "source", "unit", "owner", "supervisor", "measures",
    "deadline", "kind", "progress", "status", "completed_on",
)
EDITABLE, LIAISON_EDITABLE = workflow.EDITABLE, workflow.LIAISON_EDITABLE
AUDIT_BATCH = 5000


def _event(problem: Problem, actor, action: str, *, before: str = "", note: str = "") -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem,
        at=timezone.now(),
        actor=actor_user(actor),
        actor_name=actor_name(actor),
        action=action,
        from_status=before,
        to_status=problem.status,
        note=note,
    )


def _validate(problem: Problem) -> None:
    errors: dict[str, str] = {}
    if not (problem.description or "").strip():
        errors["description"] = "问题描述不能为空"
    if problem.focus_area_id and problem.focus_area.campaign_id != problem.campaign_id:
        errors["focus_area"] = "聚焦领域不属于该活动"
    if problem.source not in Source.values:
        errors["source"] = f"未知问题来源“{problem.source}”"
    if problem.kind not in Kind.values:
        errors["kind"] = f"未知整改类型“{problem.kind}”"
    if problem.supervisor_id and problem.supervisor_id == problem.unit_id:
        errors["supervisor"] = "督办单位不能是责任单位本身"
    if problem.kind != Kind.LONG_TERM and problem.deadline is None and problem.kind == Kind.DEADLINE:
        errors["deadline"] = "限期整改的问题需要整改时限"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def problem_create(
    *,
    actor,
    campaign: Campaign,
    description: str,
    unit: OrgUnit,
    focus_area: FocusArea | None = None,
    source: str = Source.SELF_CHECK,
    owner: str = "",
    supervisor: OrgUnit | None = None,
    measures: str = "",
    deadline: dt.date | None = None,
    kind: str = Kind.DEADLINE,
    seq: int | None = None,
    extra: dict[str, Any] | None = None,
    skip_checks: bool = False,
) -> Problem:
    """Register one problem; office or liaison of the responsible unit (or the system)."""
    permissions.require_for_unit(actor, unit, Role.OFFICE, Role.LIAISON, message="只能为本单位或下级单位登记问题", skip_checks=skip_checks)
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    if seq is None:
        seq = (Problem.objects.filter(campaign=campaign).aggregate(m=Max("seq"))["m"] or 0) + 1
    elif Problem.objects.filter(campaign=campaign, seq=seq).exists():
        raise ValidationError({"seq": f"序号 {seq} 已存在"})
    now = timezone.now()
    problem = Problem(
        campaign=campaign, seq=seq, description=(description or "").strip(), focus_area=focus_area, source=source,
        unit=unit, owner=owner.strip(), supervisor=supervisor, measures=measures.strip(), deadline=deadline,
        original_deadline=deadline, kind=kind, region_id=unit.region_id, extra=extra or {},
        created_at=now, updated_at=now,
    )
    _validate(problem)
    problem.search_terms = terms_text(problem.description)
    problem.save()
    index_new(problem.pk, problem.pk)
    tally_shift(None, key_of(problem))
    _event(problem, actor, "create", note="登记问题")
    audit_record(actor=actor, verb="problem.create", obj=problem, changes=diff({}, snapshot(problem, PROBLEM_FIELDS)))
    return problem


SIGNED_OFF_MESSAGE = "该问题已销号，不能再修改或填写整改进展；如需继续整改，请由督办单位“重新整改”"


class EditConflict(Exception):
    """The problem was changed after the editor loaded it (a stale version): nothing saved.

    `changed` says what changed since, from the audit trail (queries.changes_since).
    """

    def __init__(self, problem: Problem, changed: dict[str, dict[str, Any]]):
        self.problem, self.changed = problem, changed
        names = "、".join(c["label"] for c in changed.values()) or "内容"
        super().__init__(f"保存失败：该问题在您打开后已被他人修改（{names}）。请核对最新内容后再保存。")


def _text(value: str) -> str:
    return value.replace("\r\n", "\n").strip()  # browsers post textareas with CRLF


def _same(problem: Problem, name: str, value: Any) -> bool:
    """Is `value` what the problem already has? Units and areas by id, dates as dates, text stripped."""
    f = Problem._meta.get_field(name)
    if f.is_relation:
        return getattr(problem, f.attname) == (value.pk if value is not None else None)
    current = getattr(problem, name)
    if isinstance(value, str):
        value = _text(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if value is None and isinstance(current, str):
        value = ""
    return current == value


def _stamp(problem: Problem) -> None:
    # Called after the write's audit row: rows later than a version's time are then
    # exactly the later writes (queries.changes_since, the edit conflict's "what changed").
    problem.updated_at = timezone.now()


@transaction.atomic
def problem_update(*, actor, problem: Problem, version: int | None = None, skip_checks: bool = False, **fields: Any) -> Problem:
    """Edit the ledger fields. The office edits everything; a liaison only owner and measures.

    Only fields whose value really changes count (units and areas by id, dates as dates,
    text without surrounding spaces): a form that posts every field changes — and needs
    permission for — only what was edited. With `version` (Problem.version when the editor
    loaded it) a problem changed since raises EditConflict and nothing is saved. On a
    signed-off problem only the supervising side may change anything.
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"不能修改：{', '.join(sorted(unknown))}")
    problem = Problem.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "unit", "supervisor").get(pk=problem.pk)
    permissions.require(actor, permissions.CHANGE, problem, message="无权修改该问题", skip_checks=skip_checks)
    if version is not None and version != problem.version:
        raise EditConflict(problem, changes_since(problem, version))
    if "unit" in fields and fields["unit"] is None:
        raise ValidationError({"unit": "责任单位不能为空"})
    fields = {k: v for k, v in fields.items() if not _same(problem, k, v)}
    if not fields:
        return problem
    if permissions.checked(actor, skip_checks):
        if set(fields) - set(permissions.editable_fields(actor, problem, office=EDITABLE, liaison=LIAISON_EDITABLE)):
            raise PermissionDenied("联络员只能修改责任人和整改措施")
        if not workflow.may_change_signed_off(actor, problem):
            raise PermissionDenied(SIGNED_OFF_MESSAGE)
        new_unit = fields.get("unit")
        if new_unit is not None and new_unit.pk != problem.unit_id:
            permissions.require_for_unit(actor, new_unit, Role.OFFICE, message="只能把问题交给本人可管理的单位")
    before = snapshot(problem, PROBLEM_FIELDS)
    old_key = key_of(problem)
    for k, v in fields.items():
        if isinstance(v, str):
            v = _text(v)
        elif v is None and isinstance(getattr(problem, k), str):
            v = ""  # a text field sent as null means empty, never NULL
        setattr(problem, k, v)
    if "unit" in fields:
        problem.region_id = problem.unit.region_id
    _validate(problem)
    problem.search_terms = terms_text(problem.description)
    changes = diff(before, snapshot(problem, PROBLEM_FIELDS))
    if changes:
        audit_record(actor=actor, verb="problem.update", obj=problem, changes=changes)
    _stamp(problem)
    problem.save()
    tally_shift(old_key, key_of(problem))
    return problem


@transaction.atomic
def problem_note(*, actor, problem: Problem, note: str, skip_checks: bool = False) -> ProblemEvent:
    """Add a progress note (整改进展) to the timeline; it becomes the problem's latest progress."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "进展说明不能为空"})
    problem = Problem.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "unit", "supervisor").get(pk=problem.pk)
    if permissions.checked(actor, skip_checks):
        if not (permissions.may_report(actor, problem) or permissions.may_review(actor, problem)):
            raise PermissionDenied("无权填写该问题的整改进展")
        if not workflow.may_change_signed_off(actor, problem):
            raise PermissionDenied(SIGNED_OFF_MESSAGE)
    before = problem.progress
    problem.progress = note
    event = _event(problem, actor, "progress", before=problem.status, note=note)
    audit_record(actor=actor, verb="problem.note", obj=problem, changes={"progress": [before, note]})
    _stamp(problem)
    problem.save(update_fields=["progress", "updated_at"])
    return event


def _add_evidence(actor, problem: Problem, name: str, data: bytes) -> Evidence:
    sniffed = storage.check(data, name)
    key = storage.storage().save(data, sniffed.ext)
    try:
        ev = Evidence.objects.create(
            problem=problem, name=(name or "file")[:200], key=key, content_type=sniffed.content_type, size=sniffed.size,
            sha256=sniffed.sha256, uploaded_by=actor_user(actor), uploaded_at=timezone.now(),
        )
    except Exception:
        storage.storage().delete(key)
        raise
    # A later rollback of the surrounding transaction leaves the file orphaned (no row
    # points at it): harmless, and never served, since downloads go through a row.
    audit_record(actor=actor, verb="problem.evidence_add", obj=problem, changes={"佐证材料": [None, ev.name]}, note=storage.describe(sniffed))
    return ev


@transaction.atomic
def problem_add_evidence(*, actor, problem: Problem, name: str, data: bytes, skip_checks: bool = False) -> Evidence:
    """Attach one evidence file (type sniffed from content, size-limited)."""
    problem = Problem.objects.select_for_update(of=("self",)).select_related("campaign", "unit").get(pk=problem.pk)
    permissions.require_any(actor, (permissions.may_report(actor, problem), permissions.may_review(actor, problem)),
                            message="无权为该问题上传佐证材料", skip_checks=skip_checks)
    if problem.status == Status.SIGNED_OFF:
        raise ValidationError("已销号的问题不能再上传佐证材料")
    return _add_evidence(actor, problem, name, data)


@transaction.atomic
def problem_transition(
    *,
    actor,
    problem: Problem,
    name: str,
    reason: str = "",
    date: dt.date | None = None,
    files: Sequence[tuple[str, bytes]] = (),
    version: int | None = None,
    skip_checks: bool = False,
) -> Problem:
    """Fire transition `name` of the ledger's table (workflow.TABLE, on the one engine);
    illegal ones raise TransitionError, the wrong side TransitionForbidden. The effects are
    the table's functions; this loads the problem, attaches the files and fires. The system
    (`skip_checks=True`) is held to the table's states, not to a side."""

    def attach(ctx) -> None:
        # Files come before the evidence guard, which then finds them; the tally key is the
        # problem's before the change.
        ctx.extra["old_key"] = key_of(ctx.obj)
        ctx.extra["before"] = snapshot(ctx.obj, TRANSITION_FIELDS)
        for fname, data in files:
            _add_evidence(actor, ctx.obj, fname, data)

    return workflow.TABLE.fire(
        actor=actor, obj=problem, name=name, check_side=permissions.checked(actor, skip_checks), reason=reason, date=date, version=version, before=attach,
    )


TRANSITION_FIELDS = ("status", "deadline", "completed_on", "extension_to")


def transition_recorded(ctx, verb: str) -> None:
    """The engine's audit hook for problems: the timeline entry and ONE audit row."""
    problem = ctx.obj
    _event(problem, ctx.actor, ctx.transition.name, before=ctx.before_status, note=ctx.note)
    audit_record(actor=ctx.actor, verb=verb, obj=problem, changes=diff(ctx.extra["before"], snapshot(problem, TRANSITION_FIELDS)), note=ctx.reason)


def transition_saved(ctx) -> None:
    """The engine's save hook: stamp after the audit row (see _stamp), save, move the tally."""
    problem = ctx.obj
    _stamp(problem)
    problem.save()
    tally_shift(ctx.extra["old_key"], key_of(problem))


def problem_claim(*, actor, problem: Problem, note: str = "", skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="claim", reason=note, skip_checks=skip_checks)


def problem_submit(*, actor, problem: Problem, note: str = "", files: Sequence[tuple[str, bytes]] = (), skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="submit", reason=note, files=files, skip_checks=skip_checks)


def problem_sign_off(*, actor, problem: Problem, note: str = "", skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="sign_off", reason=note, skip_checks=skip_checks)


def problem_return(*, actor, problem: Problem, reason: str, skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="return", reason=reason, skip_checks=skip_checks)


def problem_request_extension(*, actor, problem: Problem, until: dt.date, reason: str, skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="request_extension", reason=reason, date=until, skip_checks=skip_checks)


def problem_approve_extension(*, actor, problem: Problem, note: str = "", skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="approve_extension", reason=note, skip_checks=skip_checks)


def problem_refuse_extension(*, actor, problem: Problem, reason: str, skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="refuse_extension", reason=reason, skip_checks=skip_checks)


def problem_reopen(*, actor, problem: Problem, reason: str, skip_checks: bool = False) -> Problem:
    return problem_transition(actor=actor, problem=problem, name="reopen", reason=reason, skip_checks=skip_checks)


def _bulk_targets(actor, problem_ids: Iterable[int], skip_checks: bool) -> list[Problem]:
    check = permissions.checked(actor, skip_checks)
    if check and not permissions.is_office(actor):
        raise PermissionDenied("只有推进办可以批量操作")
    problems = list(Problem.objects.select_for_update(of=("self",)).select_related("unit").filter(pk__in=list(problem_ids)).order_by("pk"))
    if check:
        for p in problems:
            permissions.require_for_unit(actor, p.unit, Role.OFFICE, message=f"无权操作问题 {p.seq}")
    return problems


@transaction.atomic
def problem_bulk_assign(*, actor, problem_ids: Iterable[int], unit: OrgUnit, owner: str | None = None, skip_checks: bool = False) -> int:
    """Give many problems to one responsible unit (and person); one audit row each."""
    permissions.require_for_unit(actor, unit, Role.OFFICE, message="只能交给本人可管理的单位", skip_checks=skip_checks)
    problems = _bulk_targets(actor, problem_ids, skip_checks)
    befores = {p.pk: snapshot(p, ("unit", "owner")) for p in problems}
    deltas: Counter = Counter()
    for p in problems:
        deltas[key_of(p)] -= 1
        p.unit, p.region_id = unit, unit.region_id
        deltas[key_of(p)] += 1
        if owner is not None:
            p.owner = owner.strip()
    with user_action():
        audit_bulk(actor=actor, verb="problem.assign", objects=problems, changes_of=lambda p: diff(befores[p.pk], snapshot(p, ("unit", "owner"))))
    now = timezone.now()  # after the audit rows: see _stamp
    for p in problems:
        p.updated_at = now
    Problem.objects.bulk_update(problems, ["unit", "region", "owner", "updated_at"], batch_size=1000)
    tally_apply(deltas)
    return len(problems)


@transaction.atomic
def problem_bulk_extend(*, actor, problem_ids: Iterable[int], deadline: dt.date, reason: str, skip_checks: bool = False) -> int:
    """Move the deadline of many open problems (an office decision, with a reason)."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "批量延期需要填写理由"})
    problems = [p for p in _bulk_targets(actor, problem_ids, skip_checks) if p.status != Status.SIGNED_OFF]
    befores = {p.pk: p.deadline for p in problems}
    now = timezone.now()
    deltas: Counter = Counter()
    for p in problems:
        deltas[key_of(p)] -= 1
        p.deadline = deadline
        deltas[key_of(p)] += 1
    ProblemEvent.objects.bulk_create(
        [ProblemEvent(problem=p, at=now, actor=actor_user(actor), actor_name=actor_name(actor), action="extend",
                      from_status=p.status, to_status=p.status, note=f"整改时限调整为 {deadline:%Y-%m-%d}：{reason}") for p in problems]
    )
    with user_action():
        audit_bulk(actor=actor, verb="problem.extend", objects=problems, changes_of=lambda p: {"deadline": [befores[p.pk], deadline]}, note=reason)
    now = timezone.now()  # after the audit rows: see _stamp
    for p in problems:
        p.updated_at = now
    Problem.objects.bulk_update(problems, ["deadline", "updated_at"], batch_size=1000)
    tally_apply(deltas)
    return len(problems)


def evidence_for_download(user, evidence_id: int) -> Evidence | None:
    """The evidence row if the user may see its problem (the scoping rule), else None."""
    from duban.orgs.scoping import scope

    return scope(user, Evidence.objects.select_related("problem")).filter(pk=evidence_id).first()


# --------------------------------------------------------------------------- bulk path


@dataclass
class NewProblem:
    seq: int
    description: str
    unit_id: int
    region_id: int | None
    focus_area_id: int | None = None
    source: str = Source.SELF_CHECK
    owner: str = ""
    supervisor_id: int | None = None
    measures: str = ""
    deadline: dt.date | None = None
    kind: str = Kind.DEADLINE
    progress: str = ""
    status: str = Status.PENDING
    completed_on: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None


COLUMNS = (
    "campaign_id", "seq", "description", "focus_area_id", "source", "unit_id", "owner", "supervisor_id", "measures",
    "deadline", "original_deadline", "kind", "progress", "status", "completed_on", "extension_to", "extension_reason",
    "return_reason", "region_id", "extra", "search_terms", "created_at", "updated_at",
)


def _tuples(campaign_id: int, rows: Iterable[NewProblem], now: Any, json_dump):
    for r in rows:
        created = r.created_at or now
        yield (
            campaign_id, r.seq, r.description, r.focus_area_id, r.source, r.unit_id, r.owner, r.supervisor_id, r.measures,
            r.deadline, r.deadline, r.kind, r.progress, r.status, r.completed_on, None, "", "", r.region_id,
            json_dump(r.extra) if r.extra else "{}", terms_text(r.description), created, now,
        )


def problems_bulk_insert(*, actor, campaign: Campaign, rows: Sequence[NewProblem], note: str = "") -> int:
    """Insert many new problems fast, inside the caller's transaction (all or nothing).

    PostgreSQL: COPY FROM STDIN; SQLite: executemany. One audit row per AUDIT_BATCH
    problems records the id range. Returns the number of rows written.
    """
    import json

    if not rows:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("problems_bulk_insert must run inside transaction.atomic()")
    now: Any = timezone.now()
    dump = json.JSONEncoder(ensure_ascii=False, default=str).encode
    table = Problem._meta.db_table
    stamp = now  # the rows' created_at where they carry none (their tally month)
    if connection.vendor == "sqlite":
        now = connection.ops.adapt_datetimefield_value(now)  # once, not per row
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first_id = cur.fetchone()[0] + 1
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for t in _tuples(campaign.pk, rows, now, dump):
                    copy.write_row(t)
        else:
            placeholders = ", ".join(["%s"] * len(COLUMNS))
            cur.executemany(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})", _tuples(campaign.pk, rows, now, dump))
        cur.execute(f"SELECT MIN(id), MAX(id) FROM {table} WHERE campaign_id = %s AND id >= %s", [campaign.pk, first_id])
        lo, hi = cur.fetchone()
    index_new(lo, hi)
    tally_add_rows(rows, campaign.pk, created_at=stamp)
    for i in range(0, len(rows), AUDIT_BATCH):
        batch = rows[i : i + AUDIT_BATCH]
        audit_record(
            actor=actor, verb="problem.bulk_create", object_type="ledger.problem", object_id=f"{batch[0].seq}-{batch[-1].seq}",
            object_repr=f"{campaign.name}：序号 {batch[0].seq}–{batch[-1].seq}（{len(batch)} 条）", unit=campaign.unit,
            changes={"count": len(batch), "seq": [batch[0].seq, batch[-1].seq], "ids": [lo, hi]}, note=note,
        )
    return len(rows)


@transaction.atomic
def problems_bulk_update(*, problems: Sequence[Problem], fields: Sequence[str], before_keys: dict[int, Any]) -> int:
    """Write changed ledger fields of many problems (re-import apply) and move their tallies.

    `before_keys` maps each problem id to its tally key before the caller changed it; the
    caller audits the changes (it knows the cell-level diff).
    """
    deltas: Counter = Counter()
    for p in problems:
        deltas[before_keys[p.pk]] -= 1
        deltas[key_of(p)] += 1
    Problem.objects.bulk_update(problems, list(fields), batch_size=1000)
    tally_apply(deltas)
    return len(problems)


def visible_problem(user, pk: int) -> Problem | None:
    from duban.orgs.scoping import scope

    return scope(user, Problem.objects.select_related("campaign", "unit", "supervisor", "focus_area")).filter(pk=pk).first()


__all__ = [
    "EditConflict", "NewProblem", "problem_add_evidence", "problem_approve_extension", "problem_bulk_assign", "problem_bulk_extend",
    "problem_claim", "problem_create", "problem_note", "problem_refuse_extension", "problem_reopen", "problem_request_extension",
    "problem_return", "problem_sign_off", "problem_submit", "problem_transition", "problem_update", "problems_bulk_insert",
    "transition_recorded", "transition_saved",
    "problems_bulk_update",
    "check_visible",
]
