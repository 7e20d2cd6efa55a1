"""The `sesmigrate` command line: parse, call one function, render. Nothing else.

Exit codes are part of the contract (README's table lists them): 0 success, 1 error (one
line on stderr, usage errors included), 2 "changes present" (plan and status with
--detailed-exitcode), 3 a soak still running (apply without --wait), 130 Ctrl-C outside the
executor. Click's usage errors would exit 2, so `main` runs typer outside standalone mode
and maps them to 1.
"""

import json
import os
import shlex
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.exceptions import TyperException

from . import __version__
from .aws.clients import AwsSettings, caller_identity, make_clients, parse_op_rates, positive_rate
from .aws.scanner import scan_account
from .errors import AwsCallError, AwsConfigError, SesmigrateError, UsageError
from .files import failure_line, read_text, writable_target, write_atomically
from .helptext import ReadableHelp
from .listing import first_few
from .planning.build import (
    PlanRequest,
    check_overwrite,
    default_plan_path,
    make_plan,
    save_membership,
)
from .planning.durations import duration
from .planning.estimates import PlanEstimate
from .planning.notices import Notice
from .planning.ownership import ownership
from .planning.plan import Plan, Step, plan_to_json, read_plan
from .planning.rules import ownership_rules, scan_rules
from .redaction import redact
from .report import render
from .report.files import write_cutover_pages
from .report.kits import cutover_combined, iam_document
from .report.progress import Phases, call_progress
from .report.render import visible
from .report.summary import ScanSummary, plan_text
from .report.views import Part, cohort_notices, plan_part
from .running.apply import NothingToDo, RunOptions, load_plan, run_apply
from .running.executor import RunResult
from .running.gates import Verdict
from .running.offboard import offboard as run_offboard
from .running.onboard import LOCK_WAIT, Resources
from .running.onboard import onboard as run_onboard
from .running.recorded import names_one_customer, one_customer_plan
from .running.rollback import RollbackPreview, run_rollback
from .running.soak import SoakPendingError
from .running.status import run_status
from .state import home
from .state.calllog import CallLog, json_lines, one_line
from .state.history import (
    RunRecord,
    SqliteHistory,
    cohort_counts,
    counts_by_cohort,
    describe,
    open_history,
    recorded_runs,
)
from .state.lock import ApplyLock
from .state.rates import DEFAULT_HEADROOM, RateMemory, checked_headroom

app = typer.Typer(
    name="sesmigrate",
    help="Plan, review, apply and roll back the move of an SES account onto SES tenants.",
    add_completion=True,
    pretty_exceptions_show_locals=False,
    cls=ReadableHelp,
    rich_markup_mode=None,
)
stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

_PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        stdout.print(f"sesmigrate {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """sesmigrate: SES tenant migrations made reviewable, gradual and reversible."""
    if ctx.invoked_subcommand is None:
        stdout.print(ctx.get_help(), markup=False, highlight=False)


Region = Annotated[
    str | None,
    typer.Option(help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)."),
]
Profile = Annotated[str | None, typer.Option(help="AWS profile from ~/.aws/config.")]
EndpointUrl = Annotated[
    str | None,
    typer.Option(envvar="AWS_ENDPOINT_URL", help="SES/STS endpoint, e.g. the emulator's URL."),
]
StateDir = Annotated[
    Path | None,
    typer.Option(
        envvar="SESMIGRATE_STATE_DIR",
        help="Where the migration's state lives (default ~/.local/state/sesmigrate; "
        "not the lock: SESMIGRATE_LOCK_DIR).",
    ),
]
Rate = Annotated[float | None, typer.Option(help="Cap on all API calls, per second.")]
OpRate = Annotated[
    list[str] | None,
    typer.Option(help="Cap on one operation, per second, e.g. GetEmailIdentity=1 (repeatable)."),
]
Headroom = Annotated[
    float,
    typer.Option(
        help="Share of each learned per-operation rate to use, in (0, 1]: the rest is left "
        "to the platform's own calls."
    ),
]


@app.command()
def scan(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the inventory (JSON).")
    ] = Path("inventory.json"),
    format: Annotated[
        SummaryFormat, typer.Option("--format", help="Summary on stdout: text or json.")
    ] = SummaryFormat.text,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    rate: Rate = None,
    op_rate: OpRate = None,
    headroom: Headroom = DEFAULT_HEADROOM,
    state_dir: StateDir = None,
    parallelism: Annotated[int, typer.Option(min=1, max=64, help="Concurrent reads.")] = 16,
    mapping: Annotated[
        Path | None, typer.Option(help="CSV of resource,customer,tier that overrides other rules.")
    ] = None,
    name_pattern: Annotated[
        list[str] | None,
        typer.Option(help="Regex with groups (?P<customer>...) and (?P<tier>...) (repeatable)."),
    ] = None,
    customer_tag: Annotated[str, typer.Option(help="Tag key naming the customer.")] = "customer",
    tier_tag: Annotated[str, typer.Option(help="Tag key naming the tier.")] = "tier",
) -> None:
    """Inventory the account's identities, configuration sets, pools, templates and tenants."""
    rules = ownership_rules(mapping, name_pattern or [], customer_tag, tier_tag)
    writable_target(output)
    settings = AwsSettings(profile=profile, region=region, endpoint_url=endpoint_url)
    memory = RateMemory(home.writable_state_dir(state_dir), checked_headroom(headroom))
    with call_progress(stderr, "Scanning SES") as progress:
        inventory = scan_account(
            settings,
            rate=positive_rate("--rate", rate) if rate is not None else None,
            op_rates=dict(parse_op_rates(op_rate or [])),
            parallelism=parallelism,
            progress=progress,
            memory=memory,
        )
    write_atomically(output, replace(inventory, rules=scan_rules(rules)).to_json(__version__))
    summary = ScanSummary(inventory, ownership(inventory, rules), str(output), rules)
    if format is SummaryFormat.json:
        print(summary.to_json(), end="")
    else:
        stdout.print(summary.to_text(), end="", markup=False, highlight=False)


@app.command()
def plan(
    spec: Annotated[
        Path | None, typer.Argument(help="Migration spec (TOML); flags and defaults suffice.")
    ] = None,
    strategy: Annotated[
        str | None, typer.Option(help="isolated, tiered, shared, an entry point or module:Class.")
    ] = None,
    dedicated_tiers: Annotated[
        str | None, typer.Option(help="Tiered: tiers whose customers get their own tenant (a,b).")
    ] = None,
    canary: Annotated[
        int | None, typer.Option(min=0, help="Customers in the canary cohort.")
    ] = None,
    wave_size: Annotated[int | None, typer.Option(min=1, help="Customers per wave.")] = None,
    waves: Annotated[
        str | None,
        typer.Option(help="Waves as cumulative shares of the customers, e.g. 1%,10%,50%,100%."),
    ] = None,
    growth: Annotated[
        float | None,
        typer.Option(help="Each wave this many times the previous (default 4 after the canary)."),
    ] = None,
    reslice: Annotated[
        bool,
        typer.Option(help="Re-slice the pending cohorts instead of keeping their membership."),
    ] = False,
    adopt: Annotated[
        list[str] | None, typer.Option(help="Take over this unmanaged tenant (repeatable).")
    ] = None,
    delete_orphans: Annotated[
        bool | None,
        typer.Option(
            "--delete-orphans/--keep-orphans",
            help="Delete managed tenants no longer wanted (irreversible; cleanup cohort).",
        ),
    ] = None,
    monitoring: Annotated[
        bool | None,
        typer.Option(
            "--monitoring/--no-monitoring",
            help="Route SES tenant events to CloudWatch Logs (EventBridge rule, log group).",
        ),
    ] = None,
    inventory: Annotated[
        Path | None, typer.Option(help="Plan from this inventory instead of scanning live.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Plan file (default plans/NAME.plan.json)."),
    ] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option(help="Exit 0 without changes, 2 with changes, 1 on error.")
    ] = False,
    state_dir: StateDir = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    rate: Rate = None,
    op_rate: OpRate = None,
    headroom: Headroom = DEFAULT_HEADROOM,
) -> None:
    """Turn an inventory and a strategy into a sealed, reviewable plan."""
    request = PlanRequest(
        spec_path=spec,
        overrides={
            "strategy": strategy,
            "dedicated_tiers": [t.strip() for t in dedicated_tiers.split(",") if t.strip()]
            if dedicated_tiers is not None
            else None,
            "canary": canary,
            "wave_size": wave_size,
            "waves": waves.split(",") if waves is not None else None,
            "growth": growth,
            "adopt": adopt,
            "delete_orphaned_tenants": delete_orphans,
            "monitoring": monitoring,
        },
        inventory_path=inventory,
        aws=AwsSettings(profile=profile, region=region, endpoint_url=endpoint_url),
        rate=positive_rate("--rate", rate) if rate is not None else None,
        op_rates=dict(parse_op_rates(op_rate or [])),
        state_dir=home.writable_state_dir(state_dir),
        headroom=checked_headroom(headroom),
        reslice=reslice,
    )
    if output is not None:  # refused before a scan that can take hours, not after
        writable_target(output)
        check_overwrite(output, request.state_dir)
    scanning = call_progress(stderr, "Scanning SES") if inventory is None else nullcontext()
    with scanning as progress:  # no bar while planning from an inventory file
        result = make_plan(request, progress)
    target = output or default_plan_path(result.spec, result.plan)
    check_overwrite(target, request.state_dir)
    sealed = plan_to_json(result.plan)
    write_atomically(target, sealed)
    save_membership(result, sealed)
    stdout.print(plan_text(result.plan, str(target)), end="", markup=False, highlight=False)
    if detailed_exitcode and result.plan.has_changes:
        raise typer.Exit(2)


class ReportFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"


@app.command()
def show(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN", help="A plan file.")],
    format: Annotated[
        ReportFormat, typer.Option("--format", help="text, markdown, html or json.")
    ] = ReportFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    iam: Annotated[
        bool, typer.Option("--iam", help="Print the IAM policies instead of the report.")
    ] = False,
    cutover: Annotated[
        Path | None, typer.Option(help="Write one cut-over page per customer into this folder.")
    ] = None,
    cutover_file: Annotated[
        Path | None, typer.Option(help="Write every customer's cut-over page into one file.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Markdown: every action, not the summary.")
    ] = False,
    cohort: Annotated[str | None, typer.Option("--cohort", help="Show only this cohort.")] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Show only this customer.")
    ] = None,
) -> None:
    """Render a plan as text, Markdown, HTML or JSON; no AWS access needed."""
    part = Part(cohort, customer)
    sealed = read_plan(read_text(plan_file, "plan"), str(plan_file))
    plan = plan_part(sealed, part)
    if cutover is not None:
        pages = write_cutover_pages(plan, cutover)
        _say(f"Wrote {len(pages):,} cut-over page(s), one per customer, into {cutover}")
    if cutover_file is not None:
        kit = cutover_combined(plan)
        write_atomically(cutover_file, kit)
        _say(f"Wrote the cut-over kit ({len(kit):,} characters) to {cutover_file}")
    if (cutover or cutover_file) and output is None and not iam and format is ReportFormat.text:
        return
    text = (
        iam_document(plan)
        if iam
        else render(sealed, format.value, full=full, part=part, source=str(plan_file))
    )
    if output is not None:
        write_atomically(output, text)
        what = "the IAM policies" if iam else f"the {format.value} report"
        _say(f"Wrote {what} ({len(text):,} characters) to {output}")
    elif format is ReportFormat.text and not iam:
        print_diff(text)
    else:
        print(text, end="")


def print_diff(text: str) -> None:
    """The text report, coloured by each line's glyph when stdout is a terminal."""
    styles = {"+": "green", "-": "red", "~": "yellow", "!": "yellow", "=": "bold"}
    for line in text.splitlines():
        mark = line.lstrip()[:1]
        style = styles.get(mark, "")
        if "IRREVERSIBLE" in line:
            style = "bold red"
        stdout.print(Text(line, style=style), highlight=False)


ResultFormat = Annotated[
    SummaryFormat,
    typer.Option("--format", help="Result on stdout: text, or json (progress stays on stderr)."),
]
LogFile = Annotated[
    Path | None,
    typer.Option("--log-file", help="Append a JSON line per AWS call here (never credentials)."),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say each AWS call on stderr.")]
JournalPath = Annotated[
    Path | None, typer.Option("--journal", help="Journal file (default: in the state directory).")
]
DryRun = Annotated[
    bool, typer.Option(help="Check and print what would run, then stop; nothing changes.")
]
AllowIrreversible = Annotated[
    bool, typer.Option(help="Allow irreversible actions (tenant deletion) with --auto-approve.")
]
AcceptRecentSends = Annotated[
    bool,
    typer.Option(
        help="Cleanup and rollback: take associations from (or delete) tenants that sent in "
        "the [gates] metric window, though senders still naming them then fail."
    ),
]
PlanArgument = Annotated[Path, typer.Argument(metavar="PLAN", help="A plan file.")]


def _run_options(
    plan_file: Path,
    cohort: str | None,
    state_dir: Path | None,
    journal: Path | None,
    parallelism: int,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    rate: float | None,
    op_rate: list[str] | None,
    skip_gates: bool = False,
    headroom: float = DEFAULT_HEADROOM,
    dry_run: bool = False,
) -> RunOptions:
    return RunOptions(
        plan_path=plan_file,
        aws=AwsSettings(profile=profile, region=region, endpoint_url=endpoint_url),
        cohort=cohort,
        state_dir=home.writable_state_dir(state_dir),
        journal=journal,
        parallelism=parallelism,
        rate=positive_rate("--rate", rate) if rate is not None else None,
        op_rates=dict(parse_op_rates(op_rate or [])),
        skip_gates=skip_gates,
        headroom=checked_headroom(headroom),
        dry_run=dry_run,
    )


def _needs_terminal(what: str) -> None:
    if not sys.stdin.isatty():
        raise SesmigrateError(
            f"{what} needs confirmation but there is no terminal: review the plan with "
            "'sesmigrate show' and pass --auto-approve"
        )


@app.command()
def apply(
    plan_file: PlanArgument,
    cohort: Annotated[
        str | None, typer.Option(help="Cohort to apply, or 'all' (default: the next pending one).")
    ] = None,
    auto_approve: Annotated[bool, typer.Option(help="Apply without asking.")] = False,
    allow_irreversible: AllowIrreversible = False,
    dry_run: DryRun = False,
    parallelism: Annotated[int, typer.Option(min=1, max=64, help="Concurrent actions.")] = 10,
    skip_gates: Annotated[
        bool, typer.Option(help="Do not check earlier cohorts' health first (loudly).")
    ] = False,
    probe: Annotated[
        bool,
        typer.Option(
            help="After the cohort, send one message per tenant to the SES mailbox simulator "
            "as one of its customers; re-probes a cohort with nothing left to apply."
        ),
    ] = False,
    accept_failed_probe: Annotated[
        bool,
        typer.Option(help="Let the gate pass though an earlier cohort's last probe failed."),
    ] = False,
    accept_inconclusive: Annotated[
        bool,
        typer.Option(
            help="Let the gate's metric conditions pass though tenants sent too little to "
            "judge (below [gates] min_sends); a rate over its maximum still fails."
        ),
    ] = False,
    accept_recent_sends: AcceptRecentSends = False,
    wait: Annotated[
        bool,
        typer.Option(help="Wait out a soak still running (lock released), then apply."),
    ] = False,
    format: ResultFormat = SummaryFormat.text,
    log_file: LogFile = None,
    verbose: Verbose = False,
    journal: JournalPath = None,
    state_dir: StateDir = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    rate: Rate = None,
    op_rate: OpRate = None,
    headroom: Headroom = DEFAULT_HEADROOM,
) -> None:
    """Apply a plan one cohort at a time, journaled and gated."""
    plan = load_plan(plan_file)
    options = _run_options(
        plan_file,
        cohort,
        state_dir,
        journal,
        parallelism,
        region,
        profile,
        endpoint_url,
        rate,
        op_rate,
        skip_gates,
        dry_run=dry_run,
        headroom=headroom,
    )
    options = replace(
        options,
        wait=wait,
        accept_failed_probe=accept_failed_probe,
        accept_inconclusive=accept_inconclusive,
        accept_recent_sends=accept_recent_sends,
    )
    options = _record("apply", plan, options, format, log_file, verbose)
    listing = stderr if format is SummaryFormat.json else stdout

    confirmed: list[bool] = []

    def confirm(cohorts: list[str], steps: list[Step], estimate: PlanEstimate) -> None:
        confirmed.append(True)
        irreversible = [s.action.describe() for s in steps if s.action.irreversible]
        if auto_approve and not dry_run:
            _refuse_irreversible(irreversible, allow_irreversible)
            return
        _show_steps(listing, cohorts, steps, plan_file)
        _show_notices(listing, cohort_notices(plan, cohorts), plan_file, cohorts)
        took = ", ".join(f"{c.cohort} about {duration(c.seconds)}" for c in estimate.cohorts)
        listing.print(f"Duration: {took} {estimate.rates.describe()}", highlight=False)
        if dry_run:
            return
        err = listing is stderr
        if not typer.confirm("Apply these changes?", default=False, err=err):
            raise typer.Abort()
        if irreversible and not typer.confirm(
            f"{len(irreversible)} action(s) cannot be undone. Run them too?",
            default=False,
            err=err,
        ):
            raise typer.Abort()

    if not auto_approve and not dry_run:
        _needs_terminal("apply")  # before any long work, not after it
    stop = threading.Event()
    try:
        report = run_apply(
            options,
            plan,
            confirm,
            _say,
            Phases(stderr),
            stop=stop,
            probe=probe,
            countdown=_countdown(),
            ask_inconclusive=None if auto_approve else _ask_inconclusive(listing),
        )
    except (AwsConfigError, AwsCallError) as exc:
        if not confirmed or dry_run:
            raise
        # SES stopped answering between or during cohorts (a gate, a soak's re-check): what
        # ran is journaled, and the operator needs the way back in
        resume = _resume("apply", plan_file, cohort, options, skip_gates=skip_gates)
        raise SesmigrateError(f"{exc}; the journal is intact: re-run {resume} to resume") from None
    results = dict(report.cohorts)
    _recorded(
        [cohort_counts(name, result) for name, result in report.cohorts],
        reinstated=report.reinstated,
        gate_skipped=report.gate_skipped,
        dry_run=report.dry_run,
        not_run={name: report.not_run(name) for name in report.pending},
        probes=[result.to_dict() for result in report.probes],
        accepted_failed_probes=[result.to_dict() for result in report.accepted_probes],
        accepted_inconclusive=[verdict.to_dict() for verdict in report.accepted_inconclusive],
    )
    if report.dry_run:
        if format is SummaryFormat.text:
            stdout.print("Dry run: nothing was changed.", highlight=False)
        return
    for name in report.pending if format is SummaryFormat.text else ():
        not_run = report.not_run(name)
        if name not in results:
            stdout.print(f"{name}: not run ({not_run} action(s))", highlight=False)
            continue
        result = results[name]
        stdout.print(
            f"{name}: {len(result.made)} made, {len(result.found)} found already in place, "
            f"{len(result.failed)} failed, {len(result.skipped)} skipped"
            + (f", {not_run} not run" if not_run else ""),
            highlight=False,
        )
    if report.reinstated and format is SummaryFormat.text:
        stdout.print(f"Reinstated tenants (passed the gate): {', '.join(report.reinstated)}")
    _fail_on(
        report.cohorts[-1][1] if report.cohorts else None,
        _resume("apply", plan_file, cohort, options, skip_gates=skip_gates),
    )
    if report.probe_failed is not None:
        raise report.probe_failed
    if report.soak_pending is not None:
        raise report.soak_pending


def _ask_inconclusive(listing: Console) -> Callable[[list[Verdict]], bool]:
    """The operator's call on a gate whose tenants sent too little to judge: each verdict,
    then a question whose default is no (as the gate's own refusal)."""

    def ask(verdicts: list[Verdict]) -> bool:
        listing.print(
            f"The health gate is inconclusive: {len(verdicts)} tenant(s) sent too little to "
            "judge by the [gates] metric conditions:",
            highlight=False,
        )
        for verdict in verdicts[:SHOWN]:
            listing.print(f"  {escape(verdict.line())}", highlight=False)
        if len(verdicts) > SHOWN:
            listing.print(f"  … and {len(verdicts) - SHOWN} more", highlight=False)
        return typer.confirm(
            "Go on without judging them (as --accept-inconclusive)?",
            default=False,
            err=listing is stderr,
        )

    return ask


def _countdown() -> Callable[[str, float], None]:
    """The soak's countdown on stderr: rewritten each second on a terminal, else a line a
    minute (a log of a day's soak stays short)."""
    shown: list[float] = []

    def tick(cohort: str, left: float) -> None:
        text = f"Soak before {cohort}: {duration(left)} left (the lock is free meanwhile)"
        if stderr.is_terminal:
            stderr.file.write(f"\r{text}\x1b[K" + ("\n" if left <= 0 else ""))
            stderr.file.flush()
        elif not shown or shown[-1] - left >= 60 or left <= 0:
            shown.append(left)
            _say(text)

    return tick


def _say(text: str) -> None:
    """A line for the operator; account data in it (customer ids, names) is not markup,
    and an error it quotes keeps no credential."""
    stderr.print(redact(text), markup=False, highlight=False)


def _refuse_irreversible(irreversible: list[str], allowed: bool) -> None:
    """--auto-approve alone never runs what cannot be undone: the operator says so too."""
    if irreversible and not allowed:
        raise SesmigrateError(
            f"{len(irreversible)} irreversible action(s) ({irreversible[0]}); pass "
            "--allow-irreversible with --auto-approve to run them"
        )


def _resume(
    command: str, plan_file: Path, cohort: str | None, options: RunOptions, skip_gates: bool = False
) -> str:
    """The command line that resumes this run: its plan, cohort, state and AWS target, as
    given; never credentials (an endpoint URL carrying a user or password is left out, and
    approval flags are for the operator to give again)."""
    words = [command, str(plan_file)]
    if cohort is not None:
        words += ["--cohort", cohort]
    if options.state_dir != home.state_dir():
        words += ["--state-dir", str(options.state_dir)]
    if options.journal is not None:
        words += ["--journal", str(options.journal)]
    if skip_gates:
        words.append("--skip-gates")
    aws = options.aws
    if aws.region:
        words += ["--region", aws.region]
    if aws.profile:
        words += ["--profile", aws.profile]
    if aws.endpoint_url and "@" not in aws.endpoint_url:
        words += ["--endpoint-url", aws.endpoint_url]
    return "sesmigrate " + shlex.join(words)


def _fail_on(result: RunResult | None, resume: str) -> None:
    if result is None or result.ok:
        return
    if result.interrupted:
        raise SesmigrateError(f"interrupted; the journal is intact: re-run {resume} to resume")
    first = result.failed[0] if result.failed else (result.skipped[0][0], "skipped")
    raise SesmigrateError(
        f"{len(result.failed)} action(s) failed and {len(result.skipped)} were skipped "
        f"(first: {first[0]}: {first[1]}); fix the cause and re-run {resume} to resume"
    )


@app.command()
def rollback(
    plan_file: PlanArgument,
    cohort: Annotated[
        str | None, typer.Option(help="Cohort to undo, or 'all' (default: the last applied one).")
    ] = None,
    auto_approve: Annotated[bool, typer.Option(help="Roll back without asking.")] = False,
    allow_irreversible: AllowIrreversible = False,
    delete_foreign_associations: Annotated[
        bool,
        typer.Option(
            help="Delete a tenant the migration created even though it holds associations "
            "sesmigrate did not make (they are removed with it); without it such a tenant "
            "is named and left in place."
        ),
    ] = False,
    accept_recent_sends: AcceptRecentSends = False,
    at: Annotated[
        str | None,
        typer.Option(
            help="With --cohort onboard-CUSTOMER or offboard-CUSTOMER: the one sealed at this "
            "time (a prefix of its ISO time, e.g. 2026-12-04T23:10; default: the newest)."
        ),
    ] = None,
    dry_run: DryRun = False,
    parallelism: Annotated[int, typer.Option(min=1, max=64, help="Concurrent actions.")] = 10,
    format: ResultFormat = SummaryFormat.text,
    log_file: LogFile = None,
    verbose: Verbose = False,
    journal: JournalPath = None,
    state_dir: StateDir = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    rate: Rate = None,
    op_rate: OpRate = None,
    headroom: Headroom = DEFAULT_HEADROOM,
) -> None:
    """Undo a plan's applied cohorts from its journal, newest first."""
    plan = load_plan(plan_file)
    if names_one_customer(plan, cohort):
        where = home.writable_state_dir(state_dir)
        plan, plan_file = one_customer_plan(plan, str(cohort), at, where, journal)
    elif at is not None:
        raise SesmigrateError(
            "--at names an onboarding or offboarding: give it with --cohort "
            "onboard-CUSTOMER or offboard-CUSTOMER"
        )
    options = _run_options(
        plan_file,
        cohort,
        state_dir,
        journal,
        parallelism,
        region,
        profile,
        endpoint_url,
        rate,
        op_rate,
        dry_run=dry_run,
        headroom=headroom,
    )
    options = replace(
        options,
        delete_foreign_associations=delete_foreign_associations,
        accept_recent_sends=accept_recent_sends,
    )
    options = _record("rollback", plan, options, format, log_file, verbose)
    shown = stderr if format is SummaryFormat.json else stdout

    def confirm(preview: RollbackPreview) -> None:
        customers, losses = preview.customers, preview.losses
        warning = (
            f"Rolling back {', '.join(preview.cohorts)} removes the tenant associations of "
            f"{len(customers)} customer(s). Any of them already sending with TenantName must "
            "switch back to sending without a tenant first, or their sends fail."
        )
        if any(u.inverse.breaks_senders for u in preview.undo):
            stderr.print(f"[bold yellow]Warning:[/] {escape(warning)}")
        for loss in losses[:3]:
            stderr.print(f"[bold yellow]Warning:[/] rollback will {escape(loss)}")
        if len(losses) > 3:
            stderr.print(f"[bold yellow]Warning:[/] … and {len(losses) - 3} more such deletions")
        if preview.recent_sends:
            sending = [f"{tenant} ({sends:g} sends)" for tenant, sends in preview.recent_sends]
            stderr.print(
                f"[bold yellow]Warning:[/] {len(sending)} tenant(s) it takes from their "
                f"senders sent in the metric window: {escape(first_few(sending, 5))}"
                + ("" if dry_run else "; going on (--accept-recent-sends)")
            )
        irreversible = [u.describe() for u in preview.irreversible]
        if auto_approve and not dry_run:
            _refuse_irreversible(irreversible, allow_irreversible)
            return
        _show_undo(shown, preview)
        if dry_run:
            return
        if not typer.confirm("Roll back?", default=False, err=shown is stderr):
            raise typer.Abort()
        if irreversible and not typer.confirm(
            f"{len(irreversible)} action(s) cannot be undone. Run them too?",
            default=False,
            err=shown is stderr,
        ):
            raise typer.Abort()

    if not auto_approve and not dry_run:
        _needs_terminal("rollback")  # before any long work, not after it
    report = run_rollback(options, plan, confirm, Phases(stderr))
    result = report.result
    preview = report.preview.to_dict()
    _recorded(
        report.counts or counts_by_cohort(plan, result, report.cohorts),
        kept=len(report.kept),
        dry_run=report.dry_run,
        not_run=report.not_run,
        actions=preview["actions"],
        recent_sends=preview["recent_sends"],
        result=None
        if report.dry_run
        else {
            "undone": len(result.made),
            "left_as_found": len(result.found),
            "failed": len(result.failed),
            "skipped": len(result.skipped),
            "not_run": report.not_run,
            "interrupted": result.interrupted,
        },
    )
    if format is SummaryFormat.text and report.dry_run:
        stdout.print("Dry run: nothing was changed.", highlight=False)
    elif format is SummaryFormat.text:
        stdout.print(
            f"{', '.join(report.cohorts)}: {len(result.made)} undone, {len(result.found)} left as "
            f"found, {len(report.kept)} kept for later cohorts, {len(result.failed)} failed"
            + (f", {report.not_run} not run" if report.not_run else ""),
            highlight=False,
        )
    _fail_on(result, _resume("rollback", plan_file, cohort, options))


SHOWN = 50
"""Beyond this many actions (or notices) a confirmation summarises the rest by kind: a wave
of a large account has thousands, which would scroll the prompt's context away. Irreversible
actions are always listed; `show` (or rollback's --dry-run --format json) lists every one."""


def _show_steps(console: Console, cohorts: list[str], steps: list[Step], plan_file: Path) -> None:
    console.print(f"Cohort(s) {', '.join(cohorts)}: {len(steps)} action(s)", highlight=False)
    reversible = [s for s in steps if not s.action.irreversible]
    hidden = {s.action.key for s in reversible[SHOWN:]}
    for step in steps:
        if step.action.key not in hidden:
            console.print(Text(f"  {step.action.glyph} {step.action.describe()}"), highlight=False)
    rest = Counter(s.action.kind.replace("_", " ") for s in reversible[SHOWN:])
    if rest:
        counts = ", ".join(f"{n:,} {kind}" for kind, n in sorted(rest.items()))
        console.print(
            Text(
                f"  … and {sum(rest.values()):,} more ({counts}), none irreversible; "
                f"{_show_command(plan_file, cohorts)} lists every one"
            ),
            highlight=False,
        )


def _show_command(plan_file: Path, cohorts: list[str]) -> str:
    cohort = cohorts[0] if len(cohorts) == 1 else "NAME"
    return f"sesmigrate show {plan_file} --cohort {cohort}"


def _show_notices(
    console: Console, notices: tuple[Notice, ...], plan_file: Path, cohorts: list[str]
) -> None:
    if not notices:
        return
    console.print("Blockers, warnings and notes of the plan:", highlight=False)
    for notice in notices[:SHOWN]:
        console.print(Text(f"  ! {notice.severity}: {notice.text}"), highlight=False)
    if len(notices) > SHOWN:
        rest = Counter(notice.severity for notice in notices[SHOWN:])
        counts = ", ".join(f"{n:,} {severity}(s)" for severity, n in rest.items())
        console.print(
            Text(
                f"  … and {len(notices) - SHOWN:,} more ({counts}); "
                f"{_show_command(plan_file, cohorts)} lists every one"
            ),
            highlight=False,
        )


def _show_undo(console: Console, preview: RollbackPreview) -> None:
    undo = preview.undo
    console.print(
        f"Rollback of {', '.join(preview.cohorts)}: {len(undo)} inverse action(s), newest first"
        + (f"; {len(preview.kept)} kept for later cohorts" if preview.kept else ""),
        highlight=False,
    )
    for item in undo[:SHOWN]:
        console.print(Text(f"  {item.inverse.glyph} {item.describe()}"), highlight=False)
    if len(undo) > SHOWN:
        rest = undo[SHOWN:]
        irreversible = sum(1 for u in rest if u.inverse.irreversible)
        console.print(
            f"  … and {len(rest)} more ({irreversible} irreversible); "
            "--dry-run --format json lists every one",
            highlight=False,
        )


@app.command()
def onboard(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN", help="The migration's latest sealed plan file.")
    ],
    customer: Annotated[str, typer.Option(help="The customer id, as the ownership rules name it.")],
    identity: Annotated[
        list[str] | None, typer.Option(help="An identity of the customer (repeatable).")
    ] = None,
    configuration_set: Annotated[
        list[str] | None, typer.Option(help="A configuration set of the customer (repeatable).")
    ] = None,
    template: Annotated[
        list[str] | None, typer.Option(help="A template of the customer (repeatable).")
    ] = None,
    tier: Annotated[str | None, typer.Option(help="The customer's tier (tiered strategy).")] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the onboarding's plan (default: the state's)."
        ),
    ] = None,
    lock_wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for a run holding the account's lock.")
    ] = LOCK_WAIT,
    state_dir: StateDir = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Provision a new customer's tenant the migration's way, after the migration."""
    result = run_onboard(
        plan=plan_file,
        customer=customer,
        resources=Resources(
            tuple(identity or ()), tuple(configuration_set or ()), tuple(template or ())
        ),
        tier=tier,
        aws=AwsSettings(profile=profile, region=region, endpoint_url=endpoint_url),
        state_dir=state_dir,
        output=output,
        lock_wait=lock_wait,
    )
    lines = [f"{result.customer}: {line}" for line in result.made]
    lines += [f"{result.customer}: already done: {line}" for line in result.found]
    if not result.changed and not result.found:
        lines.append(f"{result.customer}: already onboarded: nothing to do")
    lines += [
        f"{result.customer}: pending: cannot send until verified: {name}"
        for name in result.pending_verification
    ]
    if result.plan_path is not None:
        lines.append(
            f"Undo it with: sesmigrate rollback {shlex.quote(str(result.plan_path))} "
            f"--cohort {shlex.quote(result.cohort)}"
        )
    for line in lines:
        stdout.print(visible(line), markup=False, highlight=False)
    stdout.print(visible(result.cutover), markup=False, highlight=False)


@app.command()
def offboard(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN", help="The migration's latest sealed plan file.")
    ],
    customer: Annotated[str, typer.Option(help="The customer id, as the ownership rules name it.")],
    identity: Annotated[
        list[str] | None,
        typer.Option(help="An identity of the customer beyond its record (repeatable)."),
    ] = None,
    configuration_set: Annotated[
        list[str] | None,
        typer.Option(help="A configuration set of the customer beyond its record (repeatable)."),
    ] = None,
    template: Annotated[
        list[str] | None,
        typer.Option(help="A template of the customer beyond its record (repeatable)."),
    ] = None,
    keep_tenant: Annotated[
        bool,
        typer.Option(
            help="Remove only the customer's associations; keep its own tenant (and its "
            "reputation history)."
        ),
    ] = False,
    allow_irreversible: Annotated[
        bool,
        typer.Option(help="Delete the customer's own tenant without asking (irreversible)."),
    ] = False,
    accept_recent_sends: AcceptRecentSends = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the offboarding's plan (default: the state's)."
        ),
    ] = None,
    lock_wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for a run holding the account's lock.")
    ] = LOCK_WAIT,
    state_dir: StateDir = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Take a customer who has left off its tenant; never its identities, sets or templates."""

    def ask(irreversible: list[str]) -> bool:
        for line in irreversible:
            stderr.print(visible(f"  - {line}"), markup=False, highlight=False)
        return typer.confirm("This cannot be undone. Go on?", default=False, err=True)

    result = run_offboard(
        plan=plan_file,
        customer=customer,
        resources=Resources(
            tuple(identity or ()), tuple(configuration_set or ()), tuple(template or ())
        ),
        keep_tenant=keep_tenant,
        allow_irreversible=allow_irreversible,
        confirm=ask if sys.stdin.isatty() and sys.stderr.isatty() else None,
        accept_recent_sends=accept_recent_sends,
        aws=AwsSettings(profile=profile, region=region, endpoint_url=endpoint_url),
        state_dir=state_dir,
        output=output,
        lock_wait=lock_wait,
    )
    lines = [f"{result.customer}: {line}" for line in result.made]
    lines += [f"{result.customer}: already done: {line}" for line in result.found]
    lines += [f"{result.customer}: kept: {line}" for line in result.kept]
    if not result.changed and not result.found:
        lines.append(f"{result.customer}: already offboarded: nothing to do")
    if result.plan_path is not None and not result.deleted_tenant:
        lines.append(
            f"Undo it with: sesmigrate rollback {shlex.quote(str(result.plan_path))} "
            f"--cohort {shlex.quote(result.cohort)}"
        )
    for line in lines:
        stdout.print(visible(line), markup=False, highlight=False)
    for warning in result.warnings:
        stderr.print(visible(f"warning: {warning}"), markup=False, highlight=False)


@app.command()
def status(
    plan_file: PlanArgument,
    format: Annotated[
        SummaryFormat, typer.Option("--format", help="text or json.")
    ] = SummaryFormat.text,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            help="Exit 2 on drift, an unhealthy tenant or one the metric conditions fail."
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            help="Read every identity, configuration set and template for drift, not only "
            "the started cohorts' and what is new (one call each)."
        ),
    ] = False,
    journal: JournalPath = None,
    state_dir: StateDir = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    rate: Rate = None,
    op_rate: OpRate = None,
    headroom: Headroom = DEFAULT_HEADROOM,
) -> None:
    """Show each cohort's progress and the live health of the plan's tenants."""
    plan = load_plan(plan_file)
    options = _run_options(
        plan_file,
        None,
        state_dir,
        journal,
        10,
        region,
        profile,
        endpoint_url,
        rate,
        op_rate,
        headroom=headroom,
    )
    report = run_status(options, plan, full, Phases(stderr))
    if format is SummaryFormat.json:
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        lines = [f"{name}: {state}" for name, state in report.cohorts.items()]
        lines += [f"  tenant {tenant}: {health}" for tenant, health in report.health.items()]
        lines += [f"  drift: {line}" for line in report.drift]
        if report.metrics is not None:
            lines += report.metrics.lines()
        if report.monitoring is not None:
            lines.append(f"Tenant events in {report.monitoring}:")
            lines += [f"  tenant {t}: {e.describe()}" for t, e in report.events.items()]
            if not report.events:
                lines.append("  none since the plan was made")
            lines += [f"  note: {note}" for note in report.notes]
        for line in lines:
            stdout.print(visible(line), markup=False, highlight=False)
    if detailed_exitcode and report.attention:
        raise typer.Exit(2)


@app.command()
def history(
    format: Annotated[
        SummaryFormat, typer.Option("--format", help="text or json.")
    ] = SummaryFormat.text,
    state_dir: StateDir = None,
) -> None:
    """List the runs that changed or could change the account: who, when, what, result."""
    state_dir = home.state_dir(state_dir)
    runs = recorded_runs(state_dir)
    if format is SummaryFormat.json:
        print(json.dumps([run.to_dict() for run in runs], indent=2, sort_keys=True))
        return
    for run in runs:
        stdout.print(visible(describe(run)), markup=False, highlight=False)
    if not runs:
        stdout.print(f"No runs recorded in {state_dir}", markup=False, highlight=False)


@dataclass
class _Recording:
    """The run `main` records: its history row, its log file, how its result is shown."""

    command: str
    plan_path: str
    plan: Plan
    history: SqliteHistory
    row: RunRecord
    format: SummaryFormat
    requested: list[str]
    log: TextIO | None = None
    cohorts: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


_recording: ContextVar[_Recording | None] = ContextVar("recording", default=None)


def _record(
    command: str,
    plan: Plan,
    options: RunOptions,
    format: SummaryFormat,
    log_file: Path | None,
    verbose: bool,
) -> RunOptions:
    """Start this run's history row and call log; `main` completes them with its exit."""
    trail = open_history(options.state_dir)
    requested = [options.cohort or "next"]
    row = trail.start(command, str(options.plan_path), plan.checksum, requested)
    recording = _Recording(command, str(options.plan_path), plan, trail, row, format, requested)
    _recording.set(recording)
    sinks: list[Callable[[dict[str, Any]], None]] = []
    if log_file is not None:
        try:
            recording.log = log_file.open("a", encoding="utf-8")
        except OSError as exc:
            raise SesmigrateError(f"cannot write the log file {log_file}: {exc.strerror}") from None
        sinks.append(json_lines(recording.log))
    if verbose:
        sinks.append(lambda record: _say(one_line(record)))
    return replace(options, audit=row, call_log=CallLog(sinks) if sinks else None)


def _recorded(cohorts: list[dict[str, Any]], **extra: Any) -> None:
    """What the recorded run did, per cohort, for its history row and --format json."""
    recording = _recording.get()
    if recording is not None:
        recording.cohorts, recording.extra = cohorts, extra


def _finish_recording(outcome: str, status: int, message: str) -> None:
    recording = _recording.get()
    if recording is None:
        return
    if outcome == "error":
        outcome = "failed" if recording.cohorts else "refused"
    result = {
        "command": recording.command,
        "plan": recording.plan_path,
        "checksum": recording.plan.checksum,
        "outcome": outcome,
        "exit_status": status,
        "message": message,
        "cohorts": recording.cohorts,
        **recording.extra,
    }
    names = [c["name"] for c in recording.cohorts] or recording.requested
    try:
        recording.row.finish(outcome, status, names, result, message)
    finally:
        recording.history.close()
        if recording.log is not None:
            recording.log.close()
    if recording.format is SummaryFormat.json:
        print(redact(json.dumps(result, indent=2, sort_keys=True)))


@app.command()
def unlock(
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Clear the account and region's apply lock when its holder is gone (the machine's lock,
    wherever the state directory is: see SESMIGRATE_LOCK_DIR)."""
    clients = make_clients(AwsSettings(profile=profile, region=region, endpoint_url=endpoint_url))
    binding = caller_identity(clients)
    stdout.print(ApplyLock(binding.account, binding.region).clear(), highlight=False)


@app.command()
def demo(
    customers: Annotated[
        int,
        typer.Option(
            min=2, help="Customers in the generated account (a canary and at least one wave)."
        ),
    ] = 40,
    strategy: Annotated[str, typer.Option(help="Strategy to plan with.")] = "tiered",
    dir: Annotated[
        Path, typer.Option("--dir", help="Where the demo writes everything (nothing elsewhere).")
    ] = Path("sesmigrate-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the generated account.")] = 7,
) -> None:
    """Run the whole migration journey on the embedded emulator (no AWS account needed)."""
    from .demo import run_demo

    result = run_demo(
        customers,
        seed,
        strategy,
        dir,
        lambda text: stdout.print(text, markup=False, highlight=False),
    )
    if not result.restored:
        raise SesmigrateError("the demo's rollback did not restore the account's tenants")


@app.command()
def emulator(
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one.")
    ] = 0,
    latency_ms: Annotated[float, typer.Option(min=0, help="Delay added to every call.")] = 0.0,
    rate_limit: Annotated[
        float | None, typer.Option(help="Account-wide calls per second; more get HTTP 429.")
    ] = None,
    op_rate: Annotated[
        list[str] | None,
        typer.Option(help="Per-operation calls per second, e.g. CreateTenant=1 (repeatable)."),
    ] = None,
    fault_rate: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Fraction of calls answered 500/503 before any change."
        ),
    ] = 0.0,
    lost_response_rate: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Fraction of changing calls (not Get/List/Describe) that make their change "
            "and then lose the answer, in one of --lost-response-kinds.",
        ),
    ] = 0.0,
    lost_response_kinds: Annotated[
        str,
        typer.Option(
            help="How answers are lost, a comma list: 500, 503 (answered as failed), drop "
            "(connection closed unanswered), slow (answered after --slow-response-ms).",
        ),
    ] = "500,503,drop,slow",
    slow_response_ms: Annotated[
        int,
        typer.Option(
            min=0, help="Delay of a slow lost answer; longer than the client's read timeout."
        ),
    ] = 61_000,
    demo_account: Annotated[bool, typer.Option(help="Load the realistic demo account.")] = False,
    customers: Annotated[int, typer.Option(min=1, help="Customers in the demo account.")] = 40,
    seed: Annotated[
        int, typer.Option(help="Seed of the demo account's generator and of injected faults.")
    ] = 7,
    region: Annotated[
        str, typer.Option(help="Region the demo account is loaded into.")
    ] = "us-east-1",
    state_file: Annotated[
        Path | None, typer.Option(help="Load the account from here at start; save it here on exit.")
    ] = None,
    tenant_quota: Annotated[
        int | None, typer.Option(min=0, help="Tenants per account and region (default 10,000).")
    ] = None,
    auto_verify: Annotated[
        bool,
        typer.Option(
            help="Verify new identities at once (else PENDING, as in SES, until verified)."
        ),
    ] = False,
) -> None:
    """Serve the SES emulator on 127.0.0.1; prints its endpoint URL as the first line."""
    from .emulator.control import TrafficSettings
    from .emulator.server import ServerOptions, run

    traffic = TrafficSettings(
        latency_ms=latency_ms,
        rate_limit=positive_rate("--rate-limit", rate_limit) if rate_limit is not None else None,
        op_rates=parse_op_rates(op_rate or [], services=("sesv2",)),
        fault_rate=fault_rate,
        seed=seed,
        lost_rate=lost_response_rate,
        lost_kinds=lost_kinds(lost_response_kinds),
        slow_ms=float(slow_response_ms),
    )
    options = ServerOptions(
        port=port,
        traffic=traffic,
        demo_account=demo_account,
        customers=customers,
        seed=seed,
        region=region,
        state_file=state_file,
        tenant_quota=tenant_quota,
        auto_verify=auto_verify,
    )

    def announce(url: str) -> None:
        print(url, flush=True)
        stderr.print(f"SES emulator serving at {url} (Ctrl-C or SIGTERM to stop)")

    run(options, announce)


def lost_kinds(value: str) -> tuple[str, ...]:
    """`--lost-response-kinds`: a comma list of `traffic.LOST_KINDS`."""
    from .emulator.traffic import check_lost_kinds

    kinds = frozenset(kind.strip() for kind in value.split(",") if kind.strip())
    try:
        check_lost_kinds(kinds)
    except ValueError as exc:
        raise UsageError(f"--lost-response-kinds {value!r}: {exc}") from None
    return tuple(sorted(kinds))


def _one_line(message: str) -> str:
    """An error's message as every artefact shows it (stderr, the history, --format json):
    one line, with no credential an endpoint URL carried."""
    return redact(" ".join(message.split()))


INTERRUPTED = 130
"""128 + SIGINT, as shells report a command Ctrl-C stopped."""


DEBUG_ENV = "SESMIGRATE_DEBUG"
"""Set to 1, an internal error shows its traceback instead of one line."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a command and map every failure to exit status 1 with one line."""
    token = _recording.set(None)
    try:
        try:
            status, outcome, message = _run(argv)
        except KeyboardInterrupt:  # typer turns most into exit 130 (see `_run`); not all
            status, outcome, message = _say_interrupted(argv)
        return _finished(outcome, status, message)
    except BaseException as exc:
        _finish_recording("interrupted", INTERRUPTED, type(exc).__name__)
        raise
    finally:
        _recording.reset(token)


def _finished(outcome: str, status: int, message: str) -> int:
    """`status`, once the run's history row is completed; a history that cannot be written
    (a full disk) is said in one line, unless the run already failed with its own."""
    try:
        _finish_recording(outcome, status, message)
    except SesmigrateError as exc:
        if status == 0:
            stderr.print(f"[bold red]Error:[/] {escape(_one_line(str(exc)))}")
            return 1
    return status


def _say_interrupted(argv: list[str] | None) -> tuple[int, str, str]:
    line = _interrupted(argv)
    stderr.print(f"[bold yellow]Interrupted:[/] {escape(line)}")
    return INTERRUPTED, "interrupted", line


def _interrupted(argv: list[str] | None) -> str:
    """Where Ctrl-C stopped a command outside the executor (which says so itself), and how
    to go on: what was done is kept, what was not started is not half done."""
    words = sys.argv[1:] if argv is None else argv
    command = next((word for word in words if not word.startswith("-")), "the command")
    recording = _recording.get()
    if recording is not None:
        return (
            f"{command} of {recording.plan_path} stopped before it finished; the journal keeps "
            f"every action done: run sesmigrate {command} {shlex.quote(recording.plan_path)} "
            "again with the same options to resume"
        )
    return (
        f"{command} stopped; nothing further was changed and no file was left half written: "
        "run the same command again to resume"
    )


def _run(argv: list[str] | None) -> tuple[int, str, str]:
    """(exit status, outcome for the history, message) of one command, its errors said."""
    try:
        result = app(args=argv, prog_name="sesmigrate", standalone_mode=False)
    except TyperException as exc:
        stderr.print(f"[bold red]Error:[/] {escape(_one_line(exc.format_message()))} (see --help)")
        return 1, "error", _one_line(exc.format_message())
    except typer.Abort:
        stderr.print("[bold red]Aborted.[/]")
        return 1, "aborted", "aborted"
    except SoakPendingError as exc:
        stderr.print(f"[bold yellow]Soaking:[/] {escape(_one_line(str(exc)))}")
        return exc.exit_status, "soaking", _one_line(str(exc))
    except NothingToDo as exc:
        recording = _recording.get()
        if recording is None or recording.format is SummaryFormat.text:
            stdout.print(f"Nothing to do: {escape(_one_line(str(exc)))}")
        return 0, "nothing to do", _one_line(str(exc))
    except SesmigrateError as exc:
        stderr.print(f"[bold red]Error:[/] {escape(_one_line(str(exc)))}")
        return 1, "error", _one_line(str(exc))
    except (OSError, sqlite3.Error) as exc:  # a file-system failure no module foresaw
        stderr.print(f"[bold red]Error:[/] {escape(_one_line(failure_line(exc)))}")
        return 1, "error", _one_line(failure_line(exc))
    except Exception as exc:  # a bug: one line all the same, the traceback on request
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        line = _one_line(
            f"internal error: {type(exc).__name__}: {redact(str(exc))}; this is a bug in "
            "sesmigrate, please report it (set SESMIGRATE_DEBUG=1 for the traceback); every "
            "action journaled so far is kept, so the same command resumes once it is fixed"
        )
        stderr.print(f"[bold red]Error:[/] {escape(line)}")
        return 1, "error", line
    status = result if isinstance(result, int) else 0
    if status == INTERRUPTED:  # typer's answer to Ctrl-C outside the executor: no command
        return _say_interrupted(argv)  # of ours exits 130 itself
    return status, "ok" if status == 0 else "error", ""


if __name__ == "__main__":
    sys.exit(main())
