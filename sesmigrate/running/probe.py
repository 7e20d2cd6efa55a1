"""The probe: one message through each tenant a cohort touched, sent as a customer of that
cohort would send it, to the SES mailbox simulator.

A sender that names its tenant gets through only if its identity and configuration set are
associated with the tenant and SES has verified the identity. A tier tenant holds customers
of several waves, and a later wave's resources are not associated yet, so the probe sends as
a customer *of the applied cohort*: from the first of its identities (associated with the
tenant) that SES reports verified for sending (one GetEmailIdentity per identity tried,
read live: the plan's scan may be old), through that customer's configuration set (the
identity's default when it is one of the customer's, else the customer's first), naming
the tenant. The message goes through that configuration set's event destinations like the
customer's own mail (the cut-over kit says so), to `success@simulator.amazonses.com`.

Each tenant gets one result (`state.probes`): passed, failed (SES's error), or "cannot
probe" when the cohort gives nothing to send as (no verified identity, no configuration
set): a result of its own, not a failure. `apply` records every result in the migration's
state; a failed one blocks the next cohort's gate (`gates.check_probes`). The cleanup
cohort is never probed: it only removes associations from tenants senders left.
"""

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..aws.clients import aws_errors
from ..errors import SesmigrateError
from ..planning.graph import CLEANUP
from ..planning.plan import CustomerView, Plan, TenantView
from ..state.journal import SqliteJournal
from ..state.probes import CANNOT, FAILED, PASSED, ProbeResult

PROBE_RECIPIENT = "success@simulator.amazonses.com"
PROBE_LOCAL_PART = "sesmigrate-probe"
"""The From address's local part when the verified identity is a domain."""


class ProbeFailedError(SesmigrateError):
    def __init__(self, failures: list[ProbeResult], retry: str) -> None:
        self.failures = failures
        shown = "; ".join(f"{r.tenant}: {r.detail}" for r in failures[:3])
        super().__init__(
            f"probe failed for {len(failures)} tenant(s): {shown}; the next cohort's gate "
            f"stays closed until a probe passes: fix it and re-run {retry}, roll the cohort "
            "back, or pass --accept-failed-probe to the next apply"
        )


def probe_and_record(
    plan: Plan,
    ses: Any,
    journal: SqliteJournal,
    cohorts: list[str],
    plan_path: object,
    say: Callable[[str], None],
) -> tuple[list[ProbeResult], ProbeFailedError | None]:
    """Probe each cohort's tenants in turn, keep each result in the migration's state and
    say it; stop after a cohort with a failure, returned as the error to raise."""
    everything: list[ProbeResult] = []
    for cohort in cohorts:
        results = probe_cohort(plan, ses, cohort)
        for result in results:
            journal.record_probe(result)
            say(result.describe())
        if not results:
            say(f"{cohort}: no tenant to probe")
        everything += results
        if failed := [r for r in results if r.outcome == FAILED]:
            return everything, ProbeFailedError(failed, retry_command(plan_path, cohort))
    return everything, None


def retry_command(plan_path: object, cohort: str) -> str:
    """The command that probes `cohort` again (give it the run's AWS and state options)."""
    return f"sesmigrate apply {plan_path} --probe --cohort {cohort}"


def probe_cohort(plan: Plan, ses: Any, cohort: str) -> list[ProbeResult]:
    """One result per tenant the cohort's actions touch (and do not delete), by name."""
    if cohort == CLEANUP:
        return []
    steps = plan.steps_of(cohort)
    deleted = {s.action.tenant_name for s in steps if s.action.kind == "delete_tenant"}
    names = {t for s in steps if (t := s.action.tenant_name)} - deleted
    members = set(next(c.customers for c in plan.cohorts if c.name == cohort))
    results = []
    for tenant in sorted((t for t in plan.tenants if t.name in names), key=lambda t: t.name):
        customers = sorted(
            (c for c in plan.customers if c.id in members and c.tenant == tenant.name),
            key=lambda c: c.id,
        )
        results.append(_probe(ses, tenant, cohort, customers))
    return results


def _probe(ses: Any, tenant: TenantView, cohort: str, customers: list[CustomerView]) -> ProbeResult:
    if not customers:
        return ProbeResult(cohort, tenant.name, CANNOT, f"no customer of {cohort} sends through it")
    associated = {arn.split(":", 5)[-1] for arn in tenant.resources}
    tried, without_set = 0, 0
    for customer in customers:
        sets = [s for s in customer.configuration_sets if f"configuration-set/{s}" in associated]
        for identity in customer.identities:
            if f"identity/{identity}" not in associated:
                continue
            tried += 1
            found = _read_identity(ses, identity)
            if found is None or not found.get("VerifiedForSendingStatus"):
                continue
            default = found.get("ConfigurationSetName")
            chosen = default if default in sets else next(iter(sets), None)
            if chosen is None:
                without_set += 1
                break
            sender = identity if "@" in identity else f"{PROBE_LOCAL_PART}@{identity}"
            return _send(ses, tenant.name, cohort, customer.id, sender, chosen)
    if without_set:
        reason = (
            f"no configuration set of {cohort}'s customers with a verified identity is "
            "associated with it (a send naming a tenant needs one)"
        )
    else:
        reason = (
            f"no verified identity among the {tried} identit{'y' if tried == 1 else 'ies'} "
            f"of {cohort}'s {len(customers)} customer(s) in it"
        )
    return ProbeResult(cohort, tenant.name, CANNOT, reason)


def _read_identity(ses: Any, identity: str) -> dict[str, Any] | None:
    """GetEmailIdentity's answer; None for an identity deleted since the plan."""
    with aws_errors():
        try:
            return dict(ses.get_email_identity(EmailIdentity=identity))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                return None
            raise


def _send(
    ses: Any, tenant: str, cohort: str, customer: str, sender: str, config_set: str
) -> ProbeResult:
    sent_as = {"customer": customer, "sender": sender, "configuration_set": config_set}
    try:
        answer = ses.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [PROBE_RECIPIENT]},
            Content={
                "Simple": {
                    "Subject": {"Data": "sesmigrate probe"},
                    "Body": {"Text": {"Data": f"Probe of tenant {tenant} after {cohort}"}},
                }
            },
            ConfigurationSetName=config_set,
            TenantName=tenant,
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        detail = f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}".rstrip(": ")
        return ProbeResult(cohort, tenant, FAILED, detail, **sent_as)
    return ProbeResult(cohort, tenant, PASSED, f"message {answer.get('MessageId', '')}", **sent_as)
