"""Compare the tenants that exist with the ones the strategy wants.

Pure: no AWS calls, no clock, no I/O. Same inputs, same actions in the same order -- that
is what makes a saved plan reproducible and a second `plan` after a full `apply` empty.

Managed tenants (tagged with this migration) are matched by their customer or group tag,
never by name, so a changed name template does not recreate them. Tenants without the tags
are reported and left alone unless adopted by name; a desired name held by one of them is
an error. Moves are make-before-break: a resource gets its new association in its
customer's cohort, and its old association is removed only in the `cleanup` cohort.
"""

from dataclasses import dataclass

from ..actions.tenant import (
    CREATION_POLICY,
    Action,
    AttachResource,
    CreateTenant,
    DeleteTenant,
    DetachResource,
    SetReputationPolicy,
    SetSuppressionAttributes,
)
from ..errors import SesmigrateError
from ..strategies import DesiredState, DesiredTenant
from .ownership import Ownership, holders
from .snapshot import CUSTOMER_TAG, GROUP_TAG, ExistingTenant, Inventory
from .spec import MigrationSpec


class PlanError(SesmigrateError):
    """The desired state cannot be reached from this account without the user's decision."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """What apply must find before acting; otherwise the plan is stale."""

    kind: str
    """tenant_absent, tenant_present, resource_present, association_absent or
    association_present."""
    subject: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PlannedAction:
    action: Action
    customers: tuple[str, ...]
    """Customers whose cohort needs this action; the earliest of their cohorts gets it."""
    cleanup: bool
    """Removals that break senders still naming the old tenant: the `cleanup` cohort only."""
    reason: str
    """Why the action is planned: for the report only, never read by apply."""
    expectations: tuple[Expectation, ...]


@dataclass(frozen=True, slots=True)
class Changes:
    actions: tuple[PlannedAction, ...]
    tenants: tuple[tuple[str, DesiredTenant], ...]
    """(the tenant's actual name, what it should be) for every desired tenant."""
    unmanaged: tuple[str, ...]
    """Existing tenants sesmigrate leaves alone."""
    adopted: tuple[str, ...]
    warnings: tuple[str, ...]


def policy_arn(inventory: Inventory, policy: str) -> str:
    account = inventory.account
    return f"arn:{account.partition}:ses:{account.region}:aws:reputation-policy/{policy}"


def _key_of(tenant: ExistingTenant) -> tuple[str, str] | None:
    tags = dict(tenant.tags)
    if CUSTOMER_TAG in tags:
        return ("customer", tags[CUSTOMER_TAG])
    if GROUP_TAG in tags:
        return ("group", tags[GROUP_TAG])
    return None


def _wanted_key(desired: DesiredTenant) -> tuple[str, str]:
    return ("customer", desired.key) if desired.kind == "customer" else ("group", desired.key)


def diff(
    inventory: Inventory, desired: DesiredState, owners: Ownership, spec: MigrationSpec
) -> Changes:
    """The actions that take the account's tenants to `desired`, with their expectations."""
    by_name = {t.name: t for t in inventory.tenants}
    ours = {
        key: tenant
        for tenant in inventory.tenants
        if tenant.migration == spec.name and (key := _key_of(tenant)) is not None
    }
    users = holders(owners.customers, inventory)

    problems: list[str] = []
    actions: list[PlannedAction] = []
    tenants: list[tuple[str, DesiredTenant]] = []
    adopted: list[str] = []
    kept: set[str] = set()
    for wanted in desired.tenants:
        current = ours.get(_wanted_key(wanted))
        if current is None and wanted.name in by_name:
            holder = by_name[wanted.name]
            if holder.migration is None and wanted.name in spec.adopt:
                current = holder
                adopted.append(holder.name)
            elif holder.migration is None:
                problems.append(
                    f"tenant {wanted.name} exists and is not managed by sesmigrate: adopt it with "
                    f"--adopt {wanted.name} or change tenant_name_template"
                )
                continue
            else:
                problems.append(
                    f"tenant {wanted.name} belongs to migration {holder.migration!r} "
                    f"(key {_key_of(holder)}), not to {wanted.kind} {wanted.key!r} of {spec.name!r}"
                )
                continue
        name = current.name if current else wanted.name
        kept.add(name)
        tenants.append((name, wanted))
        actions += _tenant_actions(inventory, spec, wanted, name, current, users)

    wanted_by_name = dict(tenants)
    for tenant in sorted(inventory.tenants, key=lambda t: t.name):
        if tenant.name in kept:
            if tenant.migration == spec.name:
                wanted_arns = {arn for _, arn in wanted_by_name[tenant.name].resources}
                actions += _removals(tenant, wanted_arns)
            continue
        if tenant.migration == spec.name:
            actions += _orphan(tenant, spec)
    if problems:
        raise PlanError("; ".join(problems))
    unmanaged = tuple(
        t.name for t in inventory.tenants if t.migration is None and t.name not in adopted
    )
    _check_quota(inventory, spec, actions)
    warnings = list(desired.warnings)
    warnings += [
        f"tenant {t} is managed by this migration but no longer wanted; "
        + ("it is deleted in cleanup" if spec.delete_orphaned_tenants else "it is left in place")
        for t in sorted(
            t.name for t in inventory.tenants if t.migration == spec.name and t.name not in kept
        )
    ]
    return Changes(
        actions=tuple(sorted(actions, key=lambda a: a.action.key)),
        tenants=tuple(sorted(tenants, key=lambda pair: pair[0])),
        unmanaged=unmanaged,
        adopted=tuple(sorted(adopted)),
        warnings=tuple(warnings),
    )


def _tenant_actions(
    inventory: Inventory,
    spec: MigrationSpec,
    wanted: DesiredTenant,
    name: str,
    current: ExistingTenant | None,
    users: dict[str, set[str]],
) -> list[PlannedAction]:
    customers = wanted.customers
    planned: list[PlannedAction] = []
    present = {r.arn for r in current.resources} if current else set()
    if current is None:
        suppression = wanted.suppression
        planned.append(
            PlannedAction(
                CreateTenant(
                    name,
                    wanted.tags,
                    suppression.reasons if suppression else (),
                    suppression.scope if suppression else None,
                ),
                customers,
                False,
                f"new tenant for {wanted.kind} {wanted.key.split(':', 1)[-1]}",
                (Expectation("tenant_absent", name),),
            )
        )
    tenant_state = (
        () if current is None else (Expectation("tenant_present", name, current.tenant_id),)
    )
    for resource_type, arn in wanted.resources:
        if arn in present:
            continue
        if len(customers) == 1:
            needs = customers
        else:
            needs = tuple(sorted(users.get(arn, set()) & set(customers))) or customers
        planned.append(
            PlannedAction(
                AttachResource(name, arn, resource_type),
                needs,
                False,
                f"{resource_type.lower().replace('_', ' ')} of {', '.join(needs[:3])}"
                + (" and others" if len(needs) > 3 else ""),
                (
                    *tenant_state,
                    Expectation("resource_present", arn),
                    Expectation("association_absent", name, arn),
                ),
            )
        )
    if wanted.policy is not None:
        # SES gives every new tenant the standard policy: only another one needs a call
        default = policy_arn(inventory, CREATION_POLICY)
        if (current.reputation_policy if current else default) != policy_arn(
            inventory, wanted.policy
        ):
            planned.append(
                PlannedAction(
                    SetReputationPolicy(name, wanted.policy),
                    customers,
                    False,
                    f"{wanted.tier or 'default'} tier uses the {wanted.policy} reputation policy",
                    tenant_state,
                )
            )
    if current is not None and wanted.suppression is not None:
        want = wanted.suppression
        if (tuple(sorted(current.suppressed_reasons)), current.suppression_scope) != (
            tuple(sorted(want.reasons)),
            want.scope,
        ):
            planned.append(
                PlannedAction(
                    SetSuppressionAttributes(name, want.reasons, want.scope),
                    customers,
                    False,
                    f"{wanted.tier} tier suppression attributes",
                    tenant_state,
                )
            )
    return planned


def _removals(tenant: ExistingTenant, wanted: set[str]) -> list[PlannedAction]:
    return [
        PlannedAction(
            DetachResource(tenant.name, resource.arn, resource.type),
            (),
            True,
            "no longer belongs to this tenant (removed after senders switch)",
            (
                Expectation("tenant_present", tenant.name, tenant.tenant_id),
                Expectation("association_present", tenant.name, resource.arn),
            ),
        )
        for resource in tenant.resources
        if resource.arn not in wanted
    ]


def _orphan(tenant: ExistingTenant, spec: MigrationSpec) -> list[PlannedAction]:
    if not spec.delete_orphaned_tenants:
        return []
    return [
        PlannedAction(
            DeleteTenant(tenant.name),
            (),
            True,
            "managed by this migration but no longer wanted",
            (Expectation("tenant_present", tenant.name, tenant.tenant_id),),
        )
    ]


def _check_quota(inventory: Inventory, spec: MigrationSpec, actions: list[PlannedAction]) -> None:
    creates = sum(isinstance(a.action, CreateTenant) for a in actions)
    deletes = sum(isinstance(a.action, DeleteTenant) for a in actions)
    total = len(inventory.tenants) + creates - deletes
    if total > spec.tenant_quota:
        raise PlanError(
            f"the plan needs {total} tenants ({len(inventory.tenants)} existing + {creates} new"
            f"{f' - {deletes} deleted' if deletes else ''}) but the tenant quota is "
            f"{spec.tenant_quota}: raise it in Service Quotas and set tenant_quota, or choose "
            "a strategy with fewer tenants"
        )
