"""Health between cohorts: the gate on the applied tenants' reputation, and the probe.

Health is read in bulk (ListReputationEntities filtered by status and impact), not one
call per tenant: a gate over thousands of tenants costs a few pages. The probe sends one
message through each tenant of a cohort to the SES mailbox simulator, the one check that
proves a sender naming the tenant gets through.
"""

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..aws.clients import aws_errors
from ..errors import SesmigrateError
from ..planning.plan import Plan
from ..planning.snapshot import MANAGED_TAG


class GateFailedError(SesmigrateError):
    def __init__(self, unhealthy: list[str], what: str = "") -> None:
        problem = what or f"{len(unhealthy)} tenant(s) unhealthy"
        super().__init__(
            f"health gate failed, {problem}: {', '.join(unhealthy[:5])}; "
            "investigate, roll back, or pass --skip-gates"
        )


class ProbeFailedError(SesmigrateError):
    def __init__(self, failures: list[str]) -> None:
        super().__init__(
            f"probe failed for {len(failures)} tenant(s): {'; '.join(failures[:3])}; "
            "fix the tenant or roll the cohort back before the next one"
        )


PROBE_RECIPIENT = "success@simulator.amazonses.com"


def probe_tenants(plan: Plan, ses: Any, cohort: str, say: Callable[[str], None]) -> None:
    """Send one message through each tenant of the cohort to the SES mailbox simulator."""
    names = {t for s in plan.steps_of(cohort) if (t := s.action.tenant_name)}
    failures = []
    for tenant in (t for t in plan.tenants if t.name in names):
        kinds = {
            arn.split(":")[-1].split("/", 1)[0]: arn.split("/", 1)[1] for arn in tenant.resources
        }
        identity, config_set = kinds.get("identity"), kinds.get("configuration-set")
        if identity is None or config_set is None:
            failures.append(f"{tenant.name} has no identity or configuration set to send with")
            continue
        sender = identity if "@" in identity else f"sesmigrate-probe@{identity}"
        try:
            ses.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": [PROBE_RECIPIENT]},
                Content={
                    "Simple": {
                        "Subject": {"Data": "sesmigrate probe"},
                        "Body": {"Text": {"Data": f"Probe of tenant {tenant.name}"}},
                    }
                },
                ConfigurationSetName=config_set,
                TenantName=tenant.name,
            )
        except ClientError as exc:
            failures.append(f"{tenant.name}: {exc.response.get('Error', {}).get('Code')}")
    if failures:
        raise ProbeFailedError(failures)
    say(f"Probe sent through {len(names)} tenant(s) of {cohort}")


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
