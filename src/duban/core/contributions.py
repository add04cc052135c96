"""What each app contributes to the shared doors, declared on its AppConfig and collected here.

An AppConfig may carry any of these lists (plain attributes or lazy properties, like
``schedules`` in core/schedules.py), each of the dataclasses below:

    stats_sections    StatsSection   a section of the headline figures (DESIGN §5)
    api_routers       ApiRouter      a ninja router mounted under /api<prefix>
    ledgers           LedgerIO       ``duban import|export KIND``: importer, exporter, column layout
    demo_builders     DemoBuilder    demo data, run after the builders it names
    home_panels       HomePanel      a tile or a card of the home page
    regional_models   RegionalModel  a big table whose rows follow their unit's region
    region_listeners  RegionListener told which units moved region (roll-ups keyed by region)
    hooks             Hook           an extension point this app offers the apps above it
    hook_impls        HookImpl       this app's implementation of another app's hook

Targets are dotted names resolved when used (models are not loaded when AppConfigs are, and
an app must not import the apps above it). A name that does not resolve fails loudly: the
system check below reports it (``duban check``, and every command that runs the checks —
serve, demo, migrate, worker — refuses to start), and a lookup at run time raises instead
of reading as an absent part. Nothing here guesses modules by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from django.apps import AppConfig, apps
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class StatsSection:
    """``figures(user=, campaign=)`` → the section's dict; ``brief`` the home page's fewer keys."""

    key: str
    figures: str
    brief: str = ""


@dataclass(frozen=True)
class ApiRouter:
    prefix: str  # "/problems"
    router: str  # "duban.ledger.api.router"


@dataclass(frozen=True)
class LedgerIO:
    """One Excel ledger in and out. The importer takes (actor=, source=, **options) and returns a
    result with ``summary()`` or ``created``/``rows``; the exporter (out=, campaign_id=) → rows."""

    kind: str  # what the user types: "problems"
    layout: str  # the column layout's name, as DESIGN §5 calls the ledger: "问题整改台账"
    importer: str = ""
    exporter: str = ""


@dataclass(frozen=True)
class DemoBuilder:
    """``build(ctx: DemoContext)``; runs after every builder named in ``after`` (their keys)."""

    key: str
    build: str
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class HomePanel:
    """``template`` renders one tile of the figures strip (slot "figures") or one card below it
    (slot "cards") from the headline ``figures``, the ``campaign`` and what ``context`` adds."""

    key: str
    template: str
    order: int
    slot: str = "cards"
    context: str = ""  # dotted (user=, campaign=, figures=) → dict, or "" for none


@dataclass(frozen=True)
class RegionalModel:
    model: str  # "ledger.Problem": has unit and region foreign keys to orgs.OrgUnit


@dataclass(frozen=True)
class RegionListener:
    target: str  # dotted, called with a queryset of the moved units' ids


@dataclass(frozen=True)
class Hook:
    name: str  # "intake.reply_flags": the offering app's label first
    doc: str  # what an implementation is called with and returns


@dataclass(frozen=True)
class HookImpl:
    hook: str
    target: str  # dotted callable


KINDS: dict[str, type] = {
    "stats_sections": StatsSection,
    "api_routers": ApiRouter,
    "ledgers": LedgerIO,
    "demo_builders": DemoBuilder,
    "home_panels": HomePanel,
    "regional_models": RegionalModel,
    "region_listeners": RegionListener,
    "hooks": Hook,
    "hook_impls": HookImpl,
}
SLOTS = ("figures", "cards")


def declared(kind: str) -> list[tuple[AppConfig, Any]]:
    """(app, declaration) for every app that declares ``kind``, in INSTALLED_APPS order."""
    if kind not in KINDS:
        raise KeyError(f"unknown contribution kind {kind!r}; one of {', '.join(KINDS)}")
    out = []
    for config in apps.get_app_configs():
        for item in getattr(config, kind, None) or ():
            out.append((config, item))
    return out


def contributions(kind: str) -> list[Any]:
    return [item for _config, item in declared(kind)]


def resolve(dotted: str) -> Any:
    """The object a declaration names; a typo raises ImportError (never None)."""
    return import_string(dotted)


def hook_targets(name: str) -> list[Callable]:
    """The implementations of hook ``name`` the installed apps declare (none is a valid answer:
    the offering app works alone). Asking for a hook no app declares is a programming error."""
    if not any(h.name == name for h in contributions("hooks")):
        raise LookupError(f"no installed app declares the hook {name!r}")
    return [resolve(impl.target) for impl in contributions("hook_impls") if impl.hook == name]


def demo_order(builders: Iterable[DemoBuilder]) -> list[DemoBuilder]:
    """Builders in declaration order, each moved after those it names (a stable topological
    order, so the seeded demo draws its random numbers in the same order every run)."""
    pending = list(builders)
    keys = {b.key for b in pending}
    done: list[DemoBuilder] = []
    placed: set[str] = set()
    while pending:
        ready = next((b for b in pending if all(a in placed or a not in keys for a in b.after)), None)
        if ready is None:
            raise ValueError("demo builders wait on each other: " + ", ".join(f"{b.key} after {b.after}" for b in pending))
        pending.remove(ready)
        done.append(ready)
        placed.add(ready.key)
    return done


# ---------------------------------------------------------------------------- the start-up check

# What a dotted field must resolve to.
_DOTTED = {
    StatsSection: ("figures", "brief"),
    ApiRouter: ("router",),
    LedgerIO: ("importer", "exporter"),
    DemoBuilder: ("build",),
    HomePanel: ("context",),
    RegionListener: ("target",),
    HookImpl: ("target",),
}
# Declarations whose key must be unique across apps.
_UNIQUE = {"stats_sections": "key", "api_routers": "prefix", "ledgers": "kind", "demo_builders": "key",
           "home_panels": "key", "regional_models": "model", "hooks": "name"}


@register("duban")
def contributions_resolve(app_configs=None, **kwargs) -> list[Error]:
    """Every declared name resolves, keys are unique, demo builders can be ordered, hooks exist.

    duban.E101 a dotted name does not resolve; E102 a declaration of the wrong type;
    E103 a key declared twice; E104 a demo builder waits on an unknown builder or a cycle;
    E105 an implementation of a hook no app offers; E106 a model label that is not a model;
    E107 a home panel in an unknown slot."""
    errors: list[Error] = []
    for kind, cls in KINDS.items():
        seen: dict[str, str] = {}
        for config, item in declared(kind):
            where = f"{config.name}.apps {kind}"
            if not isinstance(item, cls):
                errors.append(Error(f"{where}: {item!r} is not a {cls.__name__}", id="duban.E102", obj=config))
                continue
            errors += _dotted_errors(where, item, config)
            key_field = _UNIQUE.get(kind)
            if key_field:
                key = getattr(item, key_field)
                if key in seen:
                    errors.append(Error(f"{where}: {key_field} {key!r} is also declared by {seen[key]}", id="duban.E103", obj=config))
                seen[key] = config.name
            if isinstance(item, RegionalModel):
                try:
                    apps.get_model(item.model)
                except (LookupError, ValueError):
                    errors.append(Error(f"{where}: {item.model!r} is not an installed model", id="duban.E106", obj=config))
            if isinstance(item, HomePanel) and item.slot not in SLOTS:
                errors.append(Error(f"{where}: slot {item.slot!r} is not one of {SLOTS}", id="duban.E107", obj=config))
    builders = [b for b in contributions("demo_builders") if isinstance(b, DemoBuilder)]
    keys = {b.key for b in builders}
    for b in builders:
        for a in b.after:
            if a not in keys:
                errors.append(Error(f"demo builder {b.key!r} runs after {a!r}, which no app declares", id="duban.E104"))
    try:
        demo_order(builders)
    except ValueError as exc:
        errors.append(Error(str(exc), id="duban.E104"))
    offered = {h.name for h in contributions("hooks") if isinstance(h, Hook)}
    for config, impl in declared("hook_impls"):
        if isinstance(impl, HookImpl) and impl.hook not in offered:
            errors.append(Error(f"{config.name}.apps hook_impls: no installed app offers the hook {impl.hook!r}", id="duban.E105", obj=config))
    return errors


def contributions_require() -> None:
    """For servers started without a management command (``gunicorn duban.wsgi``): the same
    check, refusing to serve instead of answering with a part missing."""
    errors = contributions_resolve()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id} {e.msg}" for e in errors))


def _dotted_errors(where: str, item: Any, config: AppConfig) -> list[Error]:
    errors = []
    names = {f.name for f in fields(item)}
    for attr in _DOTTED.get(type(item), ()):
        dotted = getattr(item, attr) if attr in names else ""
        if not dotted:
            continue
        try:
            resolve(dotted)
        except ImportError as exc:
            errors.append(Error(f"{where}: {attr} {dotted!r} does not resolve ({exc})", id="duban.E101", obj=config,
                                hint="a misspelt module or attribute name in the AppConfig's declaration"))
    return errors
