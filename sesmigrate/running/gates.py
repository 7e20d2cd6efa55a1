"""Health between cohorts: the gate on the applied tenants' reputation, and their probes.

Health is read in bulk (ListReputationEntities filtered by status and impact), not one
call per tenant: a gate over thousands of tenants costs a few pages. The probe (`probe`)
sends one message through each tenant of a cohort to the SES mailbox simulator, the one
check that proves a sender naming the tenant gets through; its results are state, and a
tenant whose latest probe failed keeps the gate closed until a probe passes or the operator
accepts the failure (`--accept-failed-probe`).
"""

from typing import Any

from botocore.exceptions import ClientError

from ..aws.clients import aws_errors
from ..errors import SesmigrateError
from ..planning.plan import Plan
from ..planning.snapshot import MANAGED_TAG
from ..state.probes import ProbeResult


class GateFailedError(SesmigrateError):
    def __init__(self, unhealthy: list[str], what: str = "") -> None:
        problem = what or f"{len(unhealthy)} tenant(s) unhealthy"
        super().__init__(
            f"health gate failed, {problem}: {', '.join(unhealthy[:5])}; "
            "investigate, roll back, or pass --skip-gates"
        )


class ProbeGateError(SesmigrateError):
    def __init__(self, failures: list[ProbeResult], retry: str) -> None:
        self.failures = failures
        shown = "; ".join(f"{r.tenant} after {r.cohort}: {r.detail}" for r in failures[:3])
        super().__init__(
            f"health gate failed, the last probe of {len(failures)} tenant(s) failed: {shown}; "
            f"fix it and re-run {retry}, roll back, or pass --accept-failed-probe"
        )


def unhealthy_tenants(ses: Any, tenants: set[str]) -> tuple[list[str], list[str]]:
    """(unhealthy, reinstated) among `tenants`, read in bulk with ListReputationEntities."""

    def names(filters: dict[str, str]) -> set[str]:
        found, token = set(), None
        while True:
            page = ses.list_reputation_entities(
                Filter=filters, PageSize=100, **({"NextToken": token} if token else {})
            )
            for entity in page.get("ReputationEntities", []):
                reference = entity["ReputationEntityReference"]
                if ":tenant/" in reference:
                    found.add(reference.split(":tenant/", 1)[1].split("/", 1)[0])
            token = page.get("NextToken")
            if not token:
                return found

    with aws_errors():
        disabled = names({"SENDING_STATUS": "DISABLED"})
        high = names({"REPUTATION_IMPACT": "HIGH"})
        reinstated = names({"SENDING_STATUS": "REINSTATED"})
    unhealthy = sorted((disabled | (high - reinstated)) & tenants)
    return unhealthy, sorted(reinstated & tenants)


def reinstated_allowed(spec: dict[str, object]) -> bool:
    """Whether the plan's spec lets a REINSTATED tenant (a HIGH finding the customer chose to
    override) pass the gate: `[gates] allow_reinstated`, true unless set false."""
    gates = spec.get("gates", {})
    return not isinstance(gates, dict) or gates.get("allow_reinstated", True) is not False


def tenants_of(plan: Plan, cohorts: list[str]) -> set[str]:
    return {t for s in plan.steps if s.cohort in cohorts and (t := s.action.tenant_name)}


def live_tenants(plan: Plan, done: set[str]) -> set[str]:
    """Tenants the applied steps (`done` keys) leave in place: touched, not deleted."""
    touched = {t for s in plan.steps if s.action.key in done and (t := s.action.tenant_name)}
    deleted = {
        s.action.tenant_name
        for s in plan.steps
        if s.action.key in done and s.action.kind == "delete_tenant"
    }
    return touched - deleted


def missing_tenants(ses: Any, tenants: set[str]) -> list[str]:
    """Those of `tenants` that do not exist, from ListTenants in bulk."""
    return sorted(tenants - _listed(ses))


def tagged_tenants(ses: Any, names: set[str], migration: str) -> set[str]:
    """Those of `names` that exist tagged with `migration`: one GetTenant each for the
    names ListTenants holds, none for the others."""
    found = set()
    with aws_errors():
        for name in sorted(names & _listed(ses)) if names else ():
            try:
                tenant = ses.get_tenant(TenantName=name)["Tenant"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                    continue
                raise
            tags = {t["Key"]: t.get("Value", "") for t in tenant.get("Tags", [])}
            if tags.get(MANAGED_TAG) == migration:
                found.add(name)
    return found


def _listed(ses: Any) -> set[str]:
    existing, token = set(), None
    with aws_errors():
        while True:
            page = ses.list_tenants(PageSize=100, **({"NextToken": token} if token else {}))
            existing |= {t["TenantName"] for t in page.get("Tenants", [])}
            token = page.get("NextToken")
            if not token:
                return existing
