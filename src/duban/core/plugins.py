"""Optional modules: domain apps plug into shared commands (stats, import, demo) by name."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(name: str) -> ModuleType | None:
    """The module, or None when it (or a package above it) does not exist yet.

    An ImportError raised *inside* an existing module still propagates: a broken app must
    not pass for an absent one.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


def optional_attr(dotted: str):
    module_name, attr = dotted.rsplit(".", 1)
    module = optional_import(module_name)
    return getattr(module, attr) if module is not None else None
