"""Strategies: how customers map onto tenants, behind one registry a user can extend.

A strategy is found by name among the built-ins (`isolated`, `tiered`, `shared`), then
among installed entry points of the group `sesmigrate.strategies`, then as a dotted path
`package.module:Class` (or `package.module.Class`) importable from the working directory.
"""

import importlib
import sys
from importlib.metadata import entry_points
from pathlib import Path

from ..planning.suggest import did_you_mean
from .base import (
    DesiredState,
    DesiredTenant,
    Strategy,
    StrategyError,
    TenantGroup,
    desired_state,
)
from .isolated import Isolated
from .shared import Shared
from .tiered import Tiered

__all__ = [
    "BUILT_IN",
    "DesiredState",
    "DesiredTenant",
    "Strategy",
    "StrategyError",
    "TenantGroup",
    "desired_state",
    "get_strategy",
]

BUILT_IN: dict[str, type] = {cls.name: cls for cls in (Isolated, Tiered, Shared)}
ENTRY_POINT_GROUP = "sesmigrate.strategies"


def get_strategy(name: str) -> Strategy:
    """The strategy called `name`, or one line saying where sesmigrate looked."""
    if name in BUILT_IN:
        return BUILT_IN[name]()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            return _instance(entry.load(), name)
    if ":" in name or "." in name:
        module_name, _, attribute = name.replace(":", ".").rpartition(".")
        if not module_name or not attribute:
            raise StrategyError(f"strategy path {name!r} must look like package.module:Class")
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise StrategyError(f"cannot import strategy module {module_name!r}: {exc}") from None
        if not hasattr(module, attribute):
            raise StrategyError(f"module {module_name!r} has no strategy {attribute!r}")
        return _instance(getattr(module, attribute), name)
    names = {*BUILT_IN, *(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))}
    known = ", ".join(sorted(BUILT_IN))
    raise StrategyError(
        f"unknown strategy {name!r}{did_you_mean(name, names)}: use {known}, an installed "
        f"'{ENTRY_POINT_GROUP}' entry point, or a dotted path module:Class"
    )


def _instance(found: object, name: str) -> Strategy:
    strategy = found() if isinstance(found, type) else found
    if not callable(getattr(strategy, "groups", None)):
        raise StrategyError(f"strategy {name!r} has no groups(owners, inventory, spec) method")
    if not isinstance(getattr(strategy, "options", None), dict):
        raise StrategyError(f"strategy {name!r} must declare an options dict")
    if not getattr(strategy, "name", None):
        raise StrategyError(f"strategy {name!r} must have a name")
    return strategy
