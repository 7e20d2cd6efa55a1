"""Every action kind by name, and the one way back from a plan's JSON to an action.

A plan is sealed by its checksum, but a plan resealed by hand is still untrusted input:
each field is checked for its type, and each name for the rules AWS will apply to it, so a
malformed action is one `ValueError` here and never a crash halfway through an apply.
"""

import json
from dataclasses import fields
from typing import Any

from ..planning.naming import TENANT_NAME
from ..planning.spec import LOG_GROUP_NAME, RULE_NAME
from .monitoring import (
    CreateLogGroup,
    DeleteLogGroup,
    DeleteLogsPolicy,
    DeleteRule,
    PutLogsPolicy,
    PutRule,
    PutTarget,
    RemoveTarget,
)
from .tenant import (
    Action,
    AttachResource,
    CreateTenant,
    DeleteTenant,
    DetachResource,
    SetCustomerManagedStatus,
    SetReputationPolicy,
    SetSuppressionAttributes,
    TenantAction,
    field_names,
)

KINDS: dict[str, type[Action]] = {
    cls.kind: cls
    for cls in (
        CreateTenant,
        DeleteTenant,
        AttachResource,
        DetachResource,
        SetReputationPolicy,
        SetCustomerManagedStatus,
        SetSuppressionAttributes,
        CreateLogGroup,
        DeleteLogGroup,
        PutLogsPolicy,
        DeleteLogsPolicy,
        PutRule,
        DeleteRule,
        PutTarget,
        RemoveTarget,
    )
}
NAME_RULES = {"log_group": LOG_GROUP_NAME, "rule": RULE_NAME, "target_id": RULE_NAME}
"""Fields holding an AWS name, with the pattern AWS checks it against (a target's Id, inside
PutTarget's JSON, follows the same rule as `target_id`)."""
JSON_OBJECTS = ("document", "settings", "target")
"""Fields holding canonical JSON of an object."""


def action_from_dict(data: dict[str, Any]) -> Action:
    """Rebuild an action from its plan form; a malformed one raises ValueError."""
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"unknown action kind {kind!r}")
    cls = KINDS[kind]
    names = set(field_names(cls))
    values = {k: v for k, v in data.items() if k != "kind"}
    if set(values) != names:
        raise ValueError(f"action {kind} needs fields {sorted(names)}, got {sorted(values)}")
    for f in fields(cls):
        if f.init:
            values[f.name] = _checked(kind, f.name, f.type, values[f.name])
    if issubclass(cls, TenantAction) and not TENANT_NAME.match(values["tenant"]):
        raise ValueError(f"action {kind} names an invalid tenant {values['tenant']!r}")
    for name, rule in NAME_RULES.items():
        if name in values and not rule.fullmatch(values[name]):
            raise ValueError(f"action {kind} has an invalid {name} {values[name]!r}")
    for name in JSON_OBJECTS:
        if name in values and not isinstance(_object(values[name]), dict):
            raise ValueError(f"action {kind}: field {name} must hold a JSON object")
    if cls is PutTarget and not all(
        isinstance(_object(values["target"]).get(key), str) for key in ("Arn", "Id")
    ):
        raise ValueError(f"action {kind}: its target needs an Arn and an Id")
    if cls is PutTarget and not RULE_NAME.fullmatch(target_id := PutTarget.id_of(values["target"])):
        raise ValueError(f"action {kind} has an invalid target Id {target_id!r}")
    return cls(**values)


def _object(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _strings(kind: str, name: str, values: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"action {kind}: field {name} must hold strings")
    return tuple(values)


def _checked(kind: str, name: str, annotation: Any, value: Any) -> Any:
    """A field's value from JSON, if it has the field's type (tuples arrive as lists)."""
    if annotation is str and isinstance(value, str):
        return value
    if annotation == (str | None) and (value is None or isinstance(value, str)):
        return value
    if isinstance(value, list) and annotation == tuple[str, ...]:
        return _strings(kind, name, value)
    if isinstance(value, list) and annotation == tuple[tuple[str, str], ...]:
        pairs = [v for v in value if isinstance(v, list) and len(v) == 2]
        if len(pairs) == len(value):
            return tuple(_strings(kind, name, pair) for pair in pairs)
    raise ValueError(f"action {kind}: field {name} has the wrong type")
