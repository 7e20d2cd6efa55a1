"""The tenant action kinds: each applies itself through the SES client and knows its inverse.

An action is a frozen value in the plan. The plan holds only actions whose effect was
absent at scan time, so when `apply` finds the effect already there, two cases remain and
the journal tells them apart (DESIGN, "Idempotence"): an intent journaled by an earlier,
interrupted attempt, or an earlier HTTP attempt of this very call (`retried`: its answer
may have been lost after SES acted), means the effect is ours (*made*, undone by rollback);
neither means someone else made it (*found*, left alone by rollback). A change of policy,
status or suppression attributes returns the value it read just before the change, and its
inverse restores exactly that value; on a tenant this plan created (`Known`, from the
journal) that value is the creation default, so nothing is read, and the ARN CreateTenant
returned is journaled so no action asks SES for it again. Deleting a tenant cannot be
undone (a new tenant gets a new id and no reputation history): it is `irreversible`.

The client is passed in (a boto3 client of the action's `service`, or anything with its
methods and `exceptions`), so this module imports no AWS SDK. The monitoring kinds live in
`actions.monitoring`, and `actions.kinds` reads any kind back from a plan.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, ClassVar

from ..errors import SesmigrateError
from ..listing import first_few
from ..planning.snapshot import MANAGED_TAG


class ActionConflict(SesmigrateError):
    """The account holds something the action may not overwrite (e.g. an unmanaged tenant)."""


@cache
def field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.init)


@dataclass(frozen=True, slots=True)
class Known:
    """What the journal knows of an action's tenant, so the action need not ask SES again."""

    tenant_arn: str | None = None
    """The ARN CreateTenant returned (or found), if journaled; None costs one GetTenant."""
    created: bool = False
    """Made by this plan's CreateTenant: its settings are still the creation defaults (and its
    rollback deletes it), so a change on it reads nothing before writing."""


@dataclass(frozen=True, slots=True)
class Memory:
    """The journal's hold on what a change replaced, across an interrupted attempt."""

    recalled: str | None = None
    """What an earlier attempt of ours noted before its write, if any."""
    note: Callable[[str], None] = lambda value: None
    """Journal `value` before the write."""
    known: Known = Known()
    """What the journal knows of the action's tenant."""
    since: float | None = None
    """When our first attempt's intent was journaled (wall time): what SES dates before it
    is not ours. None: unknown, so an effect found after an attempt of ours counts as ours."""

    def previous(self, attempted_before: bool, current: str | None) -> str | None:
        """The value to restore: the one noted by our earlier attempt, else what is there now."""
        previous = self.recalled if attempted_before and self.recalled is not None else current
        if previous is not None:
            self.note(previous)
        return previous


@dataclass(frozen=True, slots=True)
class Outcome:
    made: bool
    """True if this run (or an interrupted earlier one of ours) made the effect."""
    previous: str | None = None
    """What the action replaced (policy ARN, status, suppression JSON), for its inverse."""
    tenant_arn: str | None = None
    """The tenant's ARN, from CreateTenant's answer: journaled so later actions need no read."""


CLOCK_SKEW_S = 1.0
"""How far this machine's clock may run ahead of SES's when an association's date is
compared with our intent's: an association made by hand less than this before our first
attempt counts as ours."""

CREATION_POLICY = "standard"
"""The reputation policy SES gives every new tenant (SES developer guide, tenants)."""


def retried(exc: BaseException) -> bool:
    """Made means made: an answer that came after botocore retried our own call.

    An earlier attempt may have reached SES and acted, its answer lost (a 5xx after the
    commit, a dropped connection, a read timeout). So AlreadyExists (NotFound for a removal)
    after a retry proves nothing against us: the effect counts as *made*, and rollback
    undoes it. Only a first attempt's AlreadyExists (no intent of ours in the journal either)
    shows that someone else made it.
    """
    response = getattr(exc, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0) > 0


def _tenant_arn(ses: Any, tenant: str, known: Known) -> str:
    if known.tenant_arn is not None:
        return known.tenant_arn
    return str(ses.get_tenant(TenantName=tenant)["Tenant"]["TenantArn"])


def _suppression(reasons: Iterable[str], scope: str | None) -> str:
    """Suppression attributes as the journal notes them: canonical JSON, reasons sorted."""
    return json.dumps({"reasons": sorted(reasons), "scope": scope}, sort_keys=True)


CREATION_SUPPRESSION = _suppression((), None)
"""A tenant created without suppression attributes: the diff sets any wanted ones in
CreateTenant itself, so a later change of a created tenant starts from these."""


def _policy_arn(tenant_arn: str, policy: str) -> str:
    _, partition, _, region, *_ = tenant_arn.split(":")
    return f"arn:{partition}:ses:{region}:aws:reputation-policy/{policy}"


@dataclass(frozen=True, slots=True)
class Action(ABC):
    """Base of the action kinds: a stable key, the API calls it costs, and its inverse."""

    _key: str = field(init=False, repr=False, compare=False, default="")

    kind: ClassVar[str] = ""
    glyph: ClassVar[str] = "~"
    """How the diff shows it: + create, ~ change, - remove."""
    operations: ClassVar[tuple[str, ...]] = ()
    """The API operations one application calls, for the plan's call count and duration."""
    irreversible: ClassVar[bool] = False
    breaks_senders: ClassVar[bool] = False
    """Whether a send naming the action's tenant can fail once it ran (the tenant, or one
    of its associations, is gone): cleanup and rollback look for such sends first."""
    service: ClassVar[str] = "sesv2"
    """The botocore service whose client `apply` is given."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", self.make_key())

    def operations_for(self, created: bool) -> tuple[str, ...]:
        """The operations one application calls when its tenant is (or is not) created by
        this plan: a created tenant's ARN is journaled and its settings are the defaults."""
        return self.operations

    @property
    def key(self) -> str:
        """The action's node in the graph and row in the journal: unique within a plan."""
        return self._key

    def make_key(self) -> str:
        values = [str(getattr(self, name)) for name in field_names(type(self))]
        return f"{self.kind}:{'|'.join(values)}"

    @abstractmethod
    def describe(self) -> str:
        """One line for the diff and the journal."""

    @property
    def tenant_name(self) -> str | None:
        """The tenant this action changes; None for the migration's own resources."""
        return None

    @abstractmethod
    def apply(self, ses: Any, attempted_before: bool, memory: "Memory | None" = None) -> Outcome:
        """Make the effect through the client of `service`; `attempted_before` if the journal
        holds our intent.

        A change reads the value it replaces and hands it to `memory.note` before writing,
        so the journal holds it even if the run dies right after the write; a resumed run
        gets it back from `memory.recalled` instead of reading its own new value.
        """

    @abstractmethod
    def inverse(self, outcome: Outcome) -> "Action | None":
        """The action that undoes `outcome`, or None if there is nothing of ours to undo."""

    def is_ours(self, client: Any, since: float | None = None) -> bool:
        """After an interrupted attempt (intent journaled at `since`, no outcome): is the
        effect ours?

        A change notes what it replaces before writing, so its noted value answers that;
        only a creation, which notes nothing, has to look at what it would have made.
        """
        return True

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name in field_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            data[name] = value
        return data


@dataclass(frozen=True, slots=True)
class TenantAction(Action, ABC):
    """An action on one tenant of the account."""

    tenant: str

    @property
    def tenant_name(self) -> str | None:
        return self.tenant


@dataclass(frozen=True, slots=True)
class CreateTenant(TenantAction):
    """Create a managed tenant, tagged with its migration and its customer or group."""

    tags: tuple[tuple[str, str], ...] = ()
    suppressed_reasons: tuple[str, ...] = ()
    suppression_scope: str | None = None

    kind: ClassVar[str] = "create_tenant"
    glyph: ClassVar[str] = "+"
    operations: ClassVar[tuple[str, ...]] = ("CreateTenant",)

    def make_key(self) -> str:
        return f"{self.kind}:{self.tenant}"

    def describe(self) -> str:
        if not (self.suppressed_reasons or self.suppression_scope):
            return f"create tenant {self.tenant}"
        reasons = ", ".join(self.suppressed_reasons) or "no reason"
        scope = f" at {self.suppression_scope} scope" if self.suppression_scope else ""
        return f"create tenant {self.tenant}, suppressing {reasons}{scope}"

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        request: dict[str, Any] = {
            "TenantName": self.tenant,
            "Tags": [{"Key": k, "Value": v} for k, v in self.tags],
        }
        if self.suppressed_reasons or self.suppression_scope:
            request["SuppressionAttributes"] = {
                "SuppressedReasons": list(self.suppressed_reasons),
                **({"SuppressionScope": self.suppression_scope} if self.suppression_scope else {}),
            }
        try:
            created = ses.create_tenant(**request)
        except ses.exceptions.AlreadyExistsException as exc:
            existing = ses.get_tenant(TenantName=self.tenant)["Tenant"]
            theirs = {t["Key"]: t["Value"] for t in existing.get("Tags", [])}
            ours = dict(self.tags)
            if MANAGED_TAG not in ours or any(theirs.get(k) != v for k, v in ours.items()):
                raise ActionConflict(
                    f"tenant {self.tenant} already exists and is not this migration's "
                    f"({ours.get(MANAGED_TAG)!r}) tenant for it; adopt it with --adopt "
                    f"{self.tenant} or re-run sesmigrate plan"
                ) from None
            return Outcome(
                made=attempted_before or retried(exc), tenant_arn=existing.get("TenantArn")
            )
        return Outcome(made=True, tenant_arn=created.get("TenantArn"))

    def is_ours(self, client: Any, since: float | None = None) -> bool:
        """Whether the tenant exists with every tag we would have set."""
        ses = client
        try:
            tags = ses.get_tenant(TenantName=self.tenant)["Tenant"].get("Tags", [])
        except ses.exceptions.NotFoundException:
            return False
        present = {t["Key"]: t["Value"] for t in tags}
        return all(present.get(key) == value for key, value in self.tags)

    def inverse(self, outcome: Outcome) -> Action | None:
        if not outcome.made:
            return None
        return DeleteCreatedTenant(self.tenant, migration=dict(self.tags).get(MANAGED_TAG, ""))


@dataclass(frozen=True, slots=True)
class DeleteTenant(TenantAction):
    """Delete a managed tenant: its associations go with it, never the resources."""

    kind: ClassVar[str] = "delete_tenant"
    glyph: ClassVar[str] = "-"
    operations: ClassVar[tuple[str, ...]] = ("DeleteTenant",)
    irreversible: ClassVar[bool] = True
    breaks_senders: ClassVar[bool] = True

    def describe(self) -> str:
        return f"delete tenant {self.tenant} (irreversible: its id and reputation history are lost)"

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        try:
            ses.delete_tenant(TenantName=self.tenant)
        except ses.exceptions.NotFoundException as exc:
            return Outcome(made=attempted_before or retried(exc))
        return Outcome(made=True)

    def inverse(self, outcome: Outcome) -> Action | None:
        return None


@dataclass(frozen=True, slots=True)
class DeleteCreatedTenant(DeleteTenant):
    """Rollback's deletion of a tenant the migration created, while it is still the
    migration's: a tenant someone took over (its migration tag changed or removed) is left
    in place, and one holding associations sesmigrate did not make (`ours`: those its
    journal made, whose own inverses may have failed) is deleted only when `foreign_allowed`
    (`rollback --delete-foreign-associations`), since deleting the tenant removes them."""

    migration: str = ""
    ours: frozenset[str] = frozenset()
    foreign_allowed: bool = False

    operations: ClassVar[tuple[str, ...]] = ("GetTenant", "ListTenantResources", "DeleteTenant")

    def make_key(self) -> str:
        return f"{self.kind}:{self.tenant}"

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        try:
            tenant = ses.get_tenant(TenantName=self.tenant)["Tenant"]
        except ses.exceptions.NotFoundException as exc:
            return Outcome(made=attempted_before or retried(exc))
        tag = {t["Key"]: t["Value"] for t in tenant.get("Tags", [])}.get(MANAGED_TAG)
        if tag != self.migration:
            now = f"tagged {MANAGED_TAG}={tag}" if tag else f"no longer tagged {MANAGED_TAG}"
            raise ActionConflict(
                f"tenant {self.tenant} is {now}, not {self.migration!r}: it is no longer "
                "this migration's, so it is left in place; delete it by hand, or restore "
                "the tag and roll back again"
            )
        foreign = sorted(self._held(ses) - self.ours)
        if foreign and not self.foreign_allowed:
            shown = first_few([arn.rsplit(":", 1)[-1] for arn in foreign], 5)
            raise ActionConflict(
                f"tenant {self.tenant} holds {len(foreign)} association(s) sesmigrate did not "
                f"make ({shown}): deleting it would remove them, so it is left in place; "
                "remove them by hand, or roll back again with --delete-foreign-associations"
            )
        return DeleteTenant.apply(self, ses, attempted_before, memory)

    def _held(self, ses: Any) -> set[str]:
        pages = ses.get_paginator("list_tenant_resources").paginate(TenantName=self.tenant)
        return {r["ResourceArn"] for page in pages for r in page.get("TenantResources", [])}


@dataclass(frozen=True, slots=True)
class AttachResource(TenantAction):
    """Associate one resource with one tenant; undone by removing exactly that pair."""

    resource_arn: str = ""
    resource_type: str = ""

    kind: ClassVar[str] = "attach"
    glyph: ClassVar[str] = "+"
    operations: ClassVar[tuple[str, ...]] = ("CreateTenantResourceAssociation",)

    def describe(self) -> str:
        return f"associate {self.resource_arn.rsplit(':', 1)[-1]} with {self.tenant}"

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        try:
            ses.create_tenant_resource_association(
                TenantName=self.tenant, ResourceArn=self.resource_arn
            )
        except ses.exceptions.AlreadyExistsException as exc:
            since = memory.since if memory else None
            made = (attempted_before or retried(exc)) and self.is_ours(ses, since)
            return Outcome(made=made)
        return Outcome(made=True)

    def is_ours(self, client: Any, since: float | None = None) -> bool:
        """Whether the association exists and SES dates it no earlier than our first intent:
        one made by hand before we tried is someone else's, kill or lost answer or not.
        Without `since` an association found after our attempt counts as ours."""
        associated = self._associated(client)
        if associated is None or since is None:
            return associated is not None
        return associated.timestamp() >= since - CLOCK_SKEW_S

    def _associated(self, ses: Any) -> Any:
        """When SES made the association (a datetime), or None if there is none."""
        pages = ses.get_paginator("list_resource_tenants").paginate(ResourceArn=self.resource_arn)
        for page in pages:
            for held in page.get("ResourceTenants", []):
                if held.get("TenantName") == self.tenant:
                    return held.get("AssociatedTimestamp")
        return None

    def inverse(self, outcome: Outcome) -> Action | None:
        if not outcome.made:
            return None
        return DetachResource(self.tenant, self.resource_arn, self.resource_type)


@dataclass(frozen=True, slots=True)
class DetachResource(TenantAction):
    """Remove one association (make-before-break: only in the cleanup cohort)."""

    resource_arn: str = ""
    resource_type: str = ""

    kind: ClassVar[str] = "detach"
    glyph: ClassVar[str] = "-"
    operations: ClassVar[tuple[str, ...]] = ("DeleteTenantResourceAssociation",)
    breaks_senders: ClassVar[bool] = True

    def describe(self) -> str:
        return f"remove {self.resource_arn.rsplit(':', 1)[-1]} from {self.tenant}"

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        try:
            ses.delete_tenant_resource_association(
                TenantName=self.tenant, ResourceArn=self.resource_arn
            )
        except ses.exceptions.NotFoundException as exc:
            return Outcome(made=attempted_before or retried(exc))
        return Outcome(made=True)

    def inverse(self, outcome: Outcome) -> Action | None:
        if not outcome.made:
            return None
        return AttachResource(self.tenant, self.resource_arn, self.resource_type)


@dataclass(frozen=True, slots=True)
class SetReputationPolicy(TenantAction):
    """Set the tenant's reputation policy (standard, strict, none, or a policy ARN)."""

    policy: str = "standard"

    kind: ClassVar[str] = "set_policy"
    operations: ClassVar[tuple[str, ...]] = (
        "GetTenant",
        "GetReputationEntity",
        "UpdateReputationEntityPolicy",
    )

    def make_key(self) -> str:
        return f"{self.kind}:{self.tenant}"

    def describe(self) -> str:
        return f"set reputation policy of {self.tenant} to {self.policy.rsplit('/', 1)[-1]}"

    def operations_for(self, created: bool) -> tuple[str, ...]:
        return ("UpdateReputationEntityPolicy",) if created else self.operations

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        memory = memory or Memory()
        arn = _tenant_arn(ses, self.tenant, memory.known)
        wanted = self.policy if self.policy.startswith("arn:") else _policy_arn(arn, self.policy)
        if memory.known.created:
            current = _policy_arn(arn, CREATION_POLICY)
        else:
            current = ses.get_reputation_entity(
                ReputationEntityType="RESOURCE", ReputationEntityReference=arn
            )["ReputationEntity"].get("ReputationManagementPolicy")
        previous = memory.previous(attempted_before, current)
        if current == wanted:
            return Outcome(made=attempted_before, previous=previous)
        ses.update_reputation_entity_policy(
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=arn,
            ReputationEntityPolicy=wanted,
        )
        return Outcome(made=True, previous=previous)

    def inverse(self, outcome: Outcome) -> Action | None:
        if not outcome.made or not outcome.previous:
            return None
        return SetReputationPolicy(self.tenant, outcome.previous)


@dataclass(frozen=True, slots=True)
class SetCustomerManagedStatus(TenantAction):
    """Set the tenant's customer-managed sending status (ENABLED, REINSTATED, DISABLED)."""

    status: str = "ENABLED"

    kind: ClassVar[str] = "set_status"
    operations: ClassVar[tuple[str, ...]] = (
        "GetTenant",
        "GetReputationEntity",
        "UpdateReputationEntityCustomerManagedStatus",
    )

    def make_key(self) -> str:
        return f"{self.kind}:{self.tenant}"

    def describe(self) -> str:
        return f"set customer-managed status of {self.tenant} to {self.status}"

    def operations_for(self, created: bool) -> tuple[str, ...]:
        return self.operations[1:] if created else self.operations

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        memory = memory or Memory()
        arn = _tenant_arn(ses, self.tenant, memory.known)
        entity = ses.get_reputation_entity(
            ReputationEntityType="RESOURCE", ReputationEntityReference=arn
        )["ReputationEntity"]
        current = (entity.get("CustomerManagedStatus") or {}).get("Status")
        previous = memory.previous(attempted_before, current)
        if current == self.status:
            return Outcome(made=attempted_before, previous=previous)
        ses.update_reputation_entity_customer_managed_status(
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=arn,
            SendingStatus=self.status,
        )
        return Outcome(made=True, previous=previous)

    def inverse(self, outcome: Outcome) -> Action | None:
        if not outcome.made or not outcome.previous:
            return None
        return SetCustomerManagedStatus(self.tenant, outcome.previous)


@dataclass(frozen=True, slots=True)
class SetSuppressionAttributes(TenantAction):
    """Set which bounces and complaints suppress, and at which scope, for one tenant."""

    reasons: tuple[str, ...] = ()
    scope: str | None = None

    kind: ClassVar[str] = "set_suppression"
    operations: ClassVar[tuple[str, ...]] = ("GetTenant", "PutTenantSuppressionAttributes")

    def make_key(self) -> str:
        return f"{self.kind}:{self.tenant}"

    def describe(self) -> str:
        reasons = ", ".join(self.reasons) or "nothing"
        return f"suppress {reasons} for {self.tenant} at {self.scope or 'ACCOUNT'} scope"

    def operations_for(self, created: bool) -> tuple[str, ...]:
        return ("PutTenantSuppressionAttributes",) if created else self.operations

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        memory = memory or Memory()
        if memory.known.created:
            now = CREATION_SUPPRESSION
        else:
            current = (
                ses.get_tenant(TenantName=self.tenant)["Tenant"].get("SuppressionAttributes") or {}
            )
            now = _suppression(
                current.get("SuppressedReasons") or [], current.get("SuppressionScope")
            )
        previous = memory.previous(attempted_before, now)
        if now == _suppression(self.reasons, self.scope):
            return Outcome(made=attempted_before, previous=previous)
        request: dict[str, Any] = {
            "TenantName": self.tenant,
            "SuppressedReasons": list(self.reasons),
        }
        if self.scope:
            request["SuppressionScope"] = self.scope
        ses.put_tenant_suppression_attributes(**request)
        return Outcome(made=True, previous=previous)

    def inverse(self, outcome: Outcome) -> Action | None:
        if not outcome.made or not outcome.previous:
            return None
        previous = json.loads(outcome.previous)
        return SetSuppressionAttributes(self.tenant, tuple(previous["reasons"]), previous["scope"])
