"""`sesmigrate demo`: the migration journey on the embedded emulator, narrated.

It starts the emulator in this process on a loopback port, loads the realistic account
and reads it back through the SES v2 API with the same clients a real run uses. The later
steps (scan, plan, show, apply, gate, status, rollback) join the journey as they land;
until then the demo says what each will do. Nothing is written to disk.
"""

from collections.abc import Callable

from .aws import AwsSettings, make_clients
from .emulator.accounts import realistic_account
from .emulator.server import EmulatorServer, ServerOptions, prepare

_JOURNEY = (
    "scan: inventory identities, configuration sets, pools, templates and tenants",
    "plan: choose a strategy (isolated, tiered, shared) and seal a reviewable plan",
    "show: render the plan for reviewers (text, Markdown, HTML, JSON)",
    "apply: create tenants cohort by cohort, canary first, with health gates",
    "status and rollback: watch the tenants' health and undo a cohort from its journal",
)


def run_demo(customers: int, seed: int, say: Callable[[str], None]) -> None:
    """Stand up the emulated account, show what is in it, and narrate the journey."""
    region = "us-east-1"
    account = realistic_account(customers, seed)
    prepare(ServerOptions(demo_account=True, customers=customers, seed=seed, region=region))
    with EmulatorServer() as server:
        say(f"Started the SES emulator at {server.url}: an ISV account of {customers} customers.")
        ses = make_clients(
            AwsSettings(region=region, endpoint_url=server.url, emulator_credentials=True)
        ).ses
        identities = ses.list_email_identities(PageSize=1000)["EmailIdentities"]
        config_sets = ses.list_configuration_sets(PageSize=1000)["ConfigurationSets"]
        tenants = ses.list_tenants()["Tenants"]
        tiers = {
            tier: sum(c.tier == tier for c in account.customers) for tier in ("free", "pro", "vip")
        }
        say(
            f"Through the SES v2 API it holds {len(identities)} identities, "
            f"{len(config_sets)} configuration sets and {len(tenants)} pre-existing tenant(s); "
            f"customers per tier: {tiers}."
        )
    say("The full journey runs here as each step lands in sesmigrate:")
    for step in _JOURNEY:
        say(f"  - {step}")
    say("Stopped the emulator; nothing was written to disk.")
