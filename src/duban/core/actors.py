"""Who acts when no person does: the explicit system actors.

Every write names its actor. A person is a user object; work that runs without one — the
command line, the demo builder, the background worker, a citizen on the public pages — is
one of the `SystemActor`s below, never a bare string. A system actor holds no rights of its
own: the permission layer (`orgs.permissions`) answers "no" for it like for an outsider,
so a caller that acts as the system says so at the call site with `skip_checks=True`.
The audit trail records its `name` (命令行, 演示数据, 后台任务…).

A string actor (the old "命令行") raises TypeError: it used to skip every check silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SystemActor:
    """An actor that is not a person; `name` is what the audit trail shows."""

    name: str

    # What the user-facing helpers read from an actor: a system actor is nobody's account.
    pk = None
    is_authenticated = False
    is_active = False
    is_superuser = False

    def get_username(self) -> str:
        return self.name

    def get_full_name(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


CLI = SystemActor("命令行")
DEMO = SystemActor("演示数据")
WORKER = SystemActor("后台任务")
PUBLIC = SystemActor("群众")  # a citizen on the public pages: no account


def check_actor(actor: Any) -> None:
    """Refuse what is not an actor: a string (the old convention) or None."""
    if actor is None or isinstance(actor, (str, bytes)):
        raise TypeError(f"actor must be a user or a SystemActor (duban.core.actors), not {actor!r}")


def is_system(actor: Any) -> bool:
    return isinstance(actor, SystemActor)


def actor_user(actor: Any) -> Any | None:
    """The user object behind `actor` (for foreign keys), None for a system actor."""
    check_actor(actor)
    return actor if getattr(actor, "pk", None) is not None else None


def actor_name(actor: Any) -> str:
    """The name the audit trail and timelines record for `actor`."""
    check_actor(actor)
    return actor.get_username() if hasattr(actor, "get_username") else str(actor)


def require_skip_allowed(actor: Any, skip_checks: bool) -> bool:
    """`skip_checks=True` is for system actors only: a person is always checked."""
    check_actor(actor)
    if skip_checks and not is_system(actor):
        raise TypeError("skip_checks=True is only for a SystemActor: a person's rights are always checked")
    return skip_checks
