"""Terminal summaries: what a scan found and what a plan will do.

Pure: an `Inventory` and its `Ownership` in, a summary value out, rendered as text
(tables by tabulate) or as JSON for pipelines. Every value that came from the account is
passed through as data; escaping is the renderer's (and the terminal's) job.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tabulate import tabulate

from ..planning.coverage import empty_account, unmatched_rows
from ..planning.durations import duration
from ..planning.estimates import plan_estimate
from ..planning.notices import VERIFIED
from ..planning.ownership import Finding, Ownership, OwnershipRules
from ..planning.plan import Plan
from ..planning.snapshot import Inventory
from .model import monitoring_view

SUMMARY_FORMAT_VERSION = 1
SHOWN = 10
"""Unverified identities the text summary names before counting the rest."""


@dataclass(frozen=True, slots=True)
class ScanSummary:
    inventory: Inventory
    ownership: Ownership
    output: str
    """Where the inventory was written."""
    rules: OwnershipRules = field(default_factory=OwnershipRules)
    """The ownership rules the scan was made with."""

    @property
    def empty(self) -> str | None:
        """Why there is nothing to migrate, if there is nothing (an empty region, ...)."""
        return empty_account(self.inventory, self.ownership, self.rules)

    def to_dict(self) -> dict[str, Any]:
        inventory, owners = self.inventory, self.ownership
        tiers = Counter(c.tier or "(none)" for c in owners.customers)
        empty = self.empty
        region = f"{inventory.account.account_id} {inventory.account.region}"
        nothing = [{"kind": "account", "name": region, "message": empty}] if empty else []
        nothing += [
            {"kind": "mapping row", "name": row.resource, "message": said}
            for row, said in unmatched_rows(self.rules, inventory)
        ]
        return {
            "format_version": SUMMARY_FORMAT_VERSION,
            "inventory": self.output,
            "fingerprint": inventory.fingerprint(),
            "account": inventory.account.account_id,
            "region": inventory.account.region,
            "counts": {
                "identities": len(inventory.identities),
                "configuration_sets": len(inventory.configuration_sets),
                "dedicated_ip_pools": len(inventory.pools),
                "templates": len(inventory.templates),
                "tenants": len(inventory.tenants),
                "customers": len(owners.customers),
            },
            "customers_per_tier": dict(sorted(tiers.items())),
            "shared": [
                {"kind": s.kind, "name": s.name, "customers": list(s.customers)}
                for s in owners.shared
            ],
            "unowned": [
                {"kind": u.kind, "name": u.name, "consequence": u.consequence}
                for u in owners.unowned
            ],
            "unverified": [
                {"name": i.name, "status": i.verification_status or "unknown"}
                for i in inventory.identities
                if i.verification_status != VERIFIED
            ],
            "tenants": [
                {
                    "name": t.name,
                    "managed_by": t.migration,
                    "sending_status": t.sending_status,
                    "resources": len(t.resources),
                }
                for t in inventory.tenants
            ],
            "monitoring": {
                "scanned": inventory.monitoring.scanned,
                "rules": [
                    {"name": r.name, "targets": [t.arn for t in r.targets]}
                    for r in inventory.monitoring.rules
                ],
            },
            "conflicts": [_finding(f) for f in owners.conflicts],
            "blockers": [_finding(f) for f in owners.blockers],
            "warnings": nothing + [_finding(f) for f in owners.warnings],
            "notes": list(inventory.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        data = self.to_dict()
        counts = data["counts"]
        lines = [
            f"Scanned account {data['account']} in {data['region']}; inventory written to "
            f"{data['inventory']} ({data['fingerprint'][:19]}...).",
            *([f"Warning: {self.empty}."] if self.empty else []),
            "",
            tabulate(
                [(kind.replace("_", " "), n) for kind, n in counts.items()],
                headers=["resources", "count"],
            ),
            "",
            tabulate(list(data["customers_per_tier"].items()), headers=["tier", "customers"]),
        ]
        if data["tenants"]:
            lines += ["", "Existing tenants:"]
            lines += [
                f"  {t['name']}: "
                + (
                    f"managed by migration {t['managed_by']!r}"
                    if t["managed_by"]
                    else "not managed by sesmigrate (left alone unless adopted)"
                )
                + f", {t['sending_status']}, {t['resources']} resource(s)"
                for t in data["tenants"]
            ]
        if unverified := data["unverified"]:
            lines += ["", "Not verified (SES refuses sends from them until they are):"]
            lines += [f"  identity {u['name']}: {u['status']}" for u in unverified[:SHOWN]]
            if len(unverified) > SHOWN:
                lines.append(f"  … and {len(unverified) - SHOWN} more (--format json lists all)")
        if data["monitoring"]["rules"]:
            lines += ["", "EventBridge rules routing SES events:"]
            lines += [
                f"  {r['name']} -> " + (", ".join(r["targets"]) or "no target")
                for r in data["monitoring"]["rules"]
            ]
        if data["shared"]:
            lines += ["", "Shared by several customers:"]
            lines += [
                f"  {s['kind']} {s['name']}: {_names(s['customers'])}" for s in data["shared"]
            ]
        if data["unowned"]:
            lines += ["", "Unowned:"]
            lines += [f"  {u['kind']} {u['name']}: {u['consequence']}" for u in data["unowned"]]
        for title, key in (
            ("Blocks a migration", "blockers"),
            ("Rules that disagree", "conflicts"),
            ("Warnings", "warnings"),
        ):
            if data[key]:
                lines += ["", f"{title}:"]
                lines += [f"  {f['kind']} {f['name']}: {f['message']}" for f in data[key]]
        if data["notes"]:
            lines += ["", "Notes:"] + [f"  {note}" for note in data["notes"]]
        return "\n".join(lines) + "\n"


def _finding(finding: Finding) -> dict[str, str]:
    return {"kind": finding.kind, "name": finding.name, "message": finding.message}


def _names(names: list[str], shown: int = 8) -> str:
    head = ", ".join(names[:shown])
    return f"{head} and {len(names) - shown} more" if len(names) > shown else head


def plan_text(plan: Plan, output: str) -> str:
    """The terminal summary of a plan: per cohort what it creates, associates and sets, and
    the notices sealed in it (what `show` and apply's confirmation say too)."""
    lines = [
        f"Plan for migration {plan.migration!r} ({plan.spec['strategy']}) on account "
        f"{plan.account} in {plan.region}, written to {output}.",
        "",
    ]
    estimate = plan_estimate(plan)
    rows = []
    for cohort in plan.cohorts:
        kinds = Counter(step.action.kind for step in plan.steps_of(cohort.name))
        rows.append(
            (
                cohort.name,
                len(cohort.customers),
                kinds["create_tenant"],
                kinds["attach"],
                kinds["set_policy"] + kinds["set_suppression"] + kinds["set_status"],
                kinds["detach"] + kinds["delete_tenant"],
                sum(len(b) for b in cohort.batches),
                duration(estimate.of(cohort.name).seconds),
            )
        )
    lines.append(
        tabulate(
            rows,
            headers=[
                "cohort",
                "customers",
                "+tenants",
                "+associations",
                "~settings",
                "-removals",
                "actions",
                "duration",
            ],
        )
    )
    irreversible = [s for s in plan.steps if s.action.irreversible]
    lines += [
        "",
        f"{len(plan.steps)} actions, {estimate.calls} API calls; about "
        f"{duration(estimate.seconds)} {plan.rates.describe()} (each cohort: verification "
        "reads, health gate, changes; its busiest operation sets the pace).",
    ]
    if not plan.has_changes:
        lines.append("No changes: the account's tenants already match the plan.")
    if irreversible:
        described = ", ".join(s.action.describe() for s in irreversible[:5])
        lines.append(f"{len(irreversible)} irreversible action(s): {described}")
    monitoring = monitoring_view(plan)
    if monitoring:
        lines.append(
            f"Monitoring: SES tenant events -> EventBridge rule {monitoring['rule']} -> "
            f"CloudWatch Logs group {monitoring['log_group']}; "
            + (
                f"{monitoring['changes']} action(s) in {monitoring['cohort']}."
                if monitoring["changes"]
                else "already in place."
            )
        )
    if plan.unmanaged:
        lines.append(f"Unmanaged tenants left alone: {_names(list(plan.unmanaged))}")
    if plan.adopted:
        lines.append(f"Adopted tenants: {_names(list(plan.adopted))}")
    if plan.notices:
        lines += ["", "Blockers, warnings and notes:"]
        lines += [f"  {n.severity}: {n.text}" for n in plan.notices]
    return "\n".join(lines) + "\n"
