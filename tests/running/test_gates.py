"""The gate's metric conditions and account guard, end to end against the emulator: tenants'
Send/Bounce/Complaint sums from CloudWatch, judged per tenant and per cohort, before each
gated cohort; GetAccount's EnforcementStatus."""

import json
import time
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.spec import GateSpec
from sesmigrate.running.apply import RunOptions, run_apply
from sesmigrate.running.executor import Progress
from sesmigrate.running.gates import (
    FAIL,
    INCONCLUSIVE,
    NO_SENDS,
    PASS,
    AccountRates,
    MetricGateFailedError,
    Volume,
    Window,
    account_rates_over,
    gate_metrics,
    judge,
    metric_verdicts,
    tenant_volumes,
)
from tests.running.test_apply import Journey, move_to_another_tier, one_line
from tests.running.test_soak import FakeWallClock

HTTP = pytest.mark.parametrize("emulator", ["http"], indirect=True)
METRIC_SPEC = 'name = "metric-gates"\n\n[gates]\nmin_sends = 10\n'


def send(journey: Journey, customer: str, delivered: int = 0, bounced: int = 0) -> None:
    """One message from `customer` through its tenant to `delivered` + `bounced` recipients
    of the mailbox simulator (each counts as one send)."""
    view = next(c for c in journey.plan.customers if c.id == customer)
    domain = next(i for i in view.identities if "@" not in i)
    to = [f"success+{n}@simulator.amazonses.com" for n in range(delivered)]
    to += [f"bounce+{n}@simulator.amazonses.com" for n in range(bounced)]
    journey.ses.send_email(
        FromEmailAddress=f"news@{domain}",
        Destination={"ToAddresses": to},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        TenantName=view.tenant,
    )


def canary(emulator: Any, tmp_path: Path, spec: str = METRIC_SPEC) -> Journey:
    journey = Journey(emulator, tmp_path, spec=spec)
    assert journey.run("apply", "--auto-approve") == 0
    return journey


@HTTP
def test_a_canary_tenant_over_the_bounce_rate_fails_the_next_cohort_naming_it(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    first = journey.cohort("canary")[0]
    send(journey, first, delivered=15, bounced=5)
    before = journey.tenants()
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve") == 1

    line = one_line(capsys.readouterr().err)
    assert "health gate failed, 1 over the [gates] maximum rates: " in line
    assert f"{journey.tenant_of(first)} bounce rate 25.00% > 5.00% (5 of 20 sends)" in line
    assert "s since 20" in line  # the window
    assert f"roll back (sesmigrate rollback {journey.path} --cohort canary)" in line
    assert journey.tenants() == before


@HTTP
def test_low_volume_is_inconclusive_and_accept_inconclusive_lets_it_pass(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    first, second = journey.cohort("canary")
    send(journey, first, delivered=3)
    before = journey.tenants()
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve") == 1

    line = one_line(capsys.readouterr().err)
    assert "health gate inconclusive, 2 tenant(s) without min_sends 10 sends to judge" in line
    assert f"{journey.tenant_of(first)} low volume (3 sends < min_sends 10)" in line
    assert f"{journey.tenant_of(second)} {NO_SENDS}" in line
    assert "or pass --accept-inconclusive" in line
    assert journey.tenants() == before

    code = journey.run("apply", "--auto-approve", "--accept-inconclusive", "--format", "json")

    assert code == 0
    captured = capsys.readouterr()
    assert "the gate lets it pass (--accept-inconclusive)" in captured.err
    accepted = json.loads(captured.out)["accepted_inconclusive"]
    assert [(v["subject"], v["outcome"], v["sends"]) for v in accepted] == sorted(
        [
            (journey.tenant_of(first), "inconclusive", 3.0),
            (journey.tenant_of(second), "inconclusive", 0.0),
        ]
    )
    assert journey.tenants() != before


@HTTP
def test_healthy_volume_passes_and_a_cohort_of_small_senders_is_judged_on_the_sum(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    for customer in journey.cohort("canary"):
        send(journey, customer, delivered=6)  # 6 < min_sends each, 12 together
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve") == 0

    err = capsys.readouterr().err
    assert "2 tenant(s) sent too little alone and pass on their cohort's summed volume" in err
    assert "Health gate passed" in err


@HTTP
def test_sends_before_the_cohort_finished_are_outside_the_window(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the emulator's account rate counts every send ever (71% here): the guard would fail
    journey = canary(emulator, tmp_path, spec=METRIC_SPEC + "account_bounce_rate_max = 1\n")
    first = journey.cohort("canary")[0]
    emulator.control.set_clock(time.time() - 600)  # bounces dated before the canary finished
    send(journey, first, bounced=50)
    emulator.control.set_clock(None)
    send(journey, first, delivered=20)
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve") == 0


@HTTP
def test_an_account_on_probation_fails_the_gate_unless_the_spec_turns_the_guard_off(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path, spec='name = "guarded"\n')
    emulator.control.set_enforcement_status("PROBATION")
    before = journey.tenants()
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve") == 1

    line = one_line(capsys.readouterr().err)
    assert "health gate failed, the account's EnforcementStatus is PROBATION" in line
    assert journey.tenants() == before


@HTTP
def test_the_spec_can_turn_the_account_guard_off(emulator: Any, tmp_path: Path) -> None:
    spec = 'name = "relaxed"\n\n[gates]\naccount_enforcement = false\n'
    journey = canary(emulator, tmp_path, spec=spec)
    emulator.control.set_enforcement_status("PROBATION")

    assert journey.run("apply", "--auto-approve") == 0


@HTTP
def test_without_metric_keys_the_gate_reads_no_metrics(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path, spec='name = "quiet"\n')
    send(journey, journey.cohort("canary")[0], bounced=50)

    assert journey.run("apply", "--auto-approve") == 0


def test_volumes_are_read_in_calls_of_at_most_500_queries(emulator: Any) -> None:
    cloudwatch = emulator.client("cloudwatch")
    calls: list[int] = []
    cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **_: calls.append(len(params["MetricDataQueries"])),
    )
    now = time.time()
    windows = [Window(f"t-{n}", f"id{n}", "canary", now - 600, now + 1) for n in range(200)]
    for n in (0, 199):
        for metric, value in (("Send", 40.0), ("Bounce", 4.0)):
            emulator.control.put_metric_data(
                metric, value, {"TenantName": f"t-{n}", "TenantId": f"id{n}"}, now - 60
            )

    volumes = tenant_volumes(cloudwatch, windows)

    assert calls == [498, 102]
    assert volumes["t-0"] == volumes["t-199"] == Volume(40.0, 4.0, 0.0)
    assert volumes["t-1"] == Volume()

    calls.clear()
    for rate in (0.02, 0.07, 0.03):
        emulator.control.put_metric_data("Reputation.BounceRate", rate, {}, now - 60)

    volumes, account = gate_metrics(cloudwatch, windows)

    assert calls == [500, 102]  # the account's two queries ride in the first call
    assert volumes["t-0"] == Volume(40.0, 4.0, 0.0)
    assert account == AccountRates(0.07, None, (now - 600, now + 1))  # the Maximum


def test_the_account_rates_fail_over_their_maximum_and_pass_without_data() -> None:
    gates = GateSpec(metrics=True, account_complaint_rate_max=0.002)
    window = (0.0, 60.0)

    assert account_rates_over(AccountRates(None, None, window), gates) == []
    assert account_rates_over(AccountRates(0.05, 0.002, window), gates) == []  # at the maximum
    assert account_rates_over(AccountRates(0.06, 0.003, window), gates) == [
        "bounce rate 6.00% is over [gates] account_bounce_rate_max 5.00%",
        "complaint rate 0.30% is over [gates] account_complaint_rate_max 0.20%",
    ]


@HTTP
def test_the_account_bounce_rate_over_its_maximum_fails_the_gate_naming_it(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    for customer in journey.cohort("canary"):
        send(journey, customer, delivered=20)  # the tenants pass
    emulator.control.put_metric_data("Reputation.BounceRate", 0.06)  # the account's does not
    before = journey.tenants()
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve") == 1

    line = one_line(capsys.readouterr().err)
    assert line.startswith(
        "Error: health gate failed, the account's bounce rate 6.00% is over [gates] "
        "account_bounce_rate_max 5.00% (the maximum of Reputation.*Rate over "
    )
    assert f"roll back (sesmigrate rollback {journey.path} --cohort canary), or pass" in line
    assert journey.tenants() == before


@HTTP
def test_an_account_without_rate_data_points_passes_the_account_rates(
    emulator: Any, tmp_path: Path
) -> None:
    journey = canary(emulator, tmp_path)  # nothing sent: no rate published

    assert journey.run("apply", "--auto-approve", "--accept-inconclusive") == 0


TIERED_SPEC = (
    'name = "tiered-gates"\n\n[gates]\nmin_sends = 10\n\n'
    "[gates.tiers.vip]\nbounce_rate_max = 0.01\n"
)


@HTTP
def test_a_vip_tenant_fails_at_a_bounce_rate_its_free_tier_neighbour_passes_at(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path, spec=TIERED_SPEC, strategy="tiered", wave_size=3)
    assert journey.run("apply", "--auto-approve") == 0
    tiers = {c.id: c for c in journey.plan.customers}
    names = [c.name for c in journey.plan.cohorts]
    first_vip = next(n for n in names if any(tiers[c].tier == "vip" for c in journey.cohort(n)))
    assert names.index(first_vip) < len(names) - 1  # a gate follows it
    vip = next(tiers[c] for c in journey.cohort(first_vip) if tiers[c].tier == "vip")
    free = tiers[journey.cohort("canary")[0]]
    assert free.tier == "free"
    for _ in names[1 : names.index(first_vip) + 1]:
        assert journey.run("apply", "--auto-approve", "--skip-gates") == 0
    for customer in (vip, free):
        send(journey, customer.id, delivered=49, bounced=1)  # 2%: over vip's 1%, not free's 5%
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve", "--accept-inconclusive") == 1

    line = one_line(capsys.readouterr().err)
    assert "health gate failed, 1 over the [gates] maximum rates: " in line
    assert f"{vip.tenant} bounce rate 2.00% > 1.00% (1 of 50 sends)" in line
    assert free.tenant not in line


def test_verdicts_per_tenant_and_per_cohort() -> None:
    gates = GateSpec(metrics=True, min_sends=10)
    span = (0.0, 60.0)
    assert judge("a", Volume(), gates, span).outcome == INCONCLUSIVE
    assert judge("a", Volume(9), gates, span).detail == "low volume (9 sends < min_sends 10)"
    assert judge("a", Volume(10, 0, 1), gates, span).outcome == FAIL
    assert judge("a", Volume(100, 5, 0), gates, span).outcome == PASS  # at the maximum
    windows = [Window(t, t, c, 0.0, 60.0) for t, c in (("a", "w1"), ("b", "w1"), ("c", "w2"))]
    volumes = {"a": Volume(6, 3), "b": Volume(6), "c": Volume(4)}

    got = metric_verdicts(windows, volumes, gates)

    assert [v.subject for v in got.failed] == ["cohort w1"]  # 3 of 12: judged on the sum
    assert [v.subject for v in got.inconclusive] == ["c"]


@HTTP
def test_rollback_of_a_tenant_that_sent_in_the_window_is_refused_unless_accepted(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    first = journey.cohort("canary")[0]
    send(journey, first, delivered=4)
    made = journey.tenants()
    undo = ("rollback", "--cohort", "canary", "--auto-approve", "--allow-irreversible")
    capsys.readouterr()

    assert journey.run(*undo) == 1

    line = one_line(capsys.readouterr().err)
    assert "rolling back canary would break the senders of 1 tenant(s) that sent in the " in line
    assert f"last 3600s: {journey.tenant_of(first)} (4 sends)" in line
    assert line.endswith("or pass --accept-recent-sends")
    assert journey.tenants() == made

    assert journey.run("rollback", "--cohort", "canary", "--dry-run", "--format", "json") == 0
    shown = capsys.readouterr()
    assert json.loads(shown.out)["recent_sends"] == {journey.tenant_of(first): 4.0}
    assert journey.tenants() == made

    assert journey.run(*undo, "--accept-recent-sends") == 0
    assert "sent in the metric window" in capsys.readouterr().err
    assert journey.tenants() == journey.before


@HTTP
def test_rollback_of_tenants_that_sent_nothing_in_the_window_needs_no_flag(
    emulator: Any, tmp_path: Path
) -> None:
    journey = canary(emulator, tmp_path)
    emulator.control.set_clock(time.time() - 7200)  # before the window
    send(journey, journey.cohort("canary")[0], delivered=4)
    emulator.control.set_clock(None)

    undo = ("rollback", "--cohort", "canary", "--auto-approve", "--allow-irreversible")
    assert journey.run(*undo) == 0
    assert journey.tenants() == journey.before


@HTTP
def test_cleanup_is_refused_while_the_tenant_it_detaches_from_still_sends(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path, spec=METRIC_SPEC, strategy="tiered")
    assert journey.run("apply", "--auto-approve", "--cohort", "all", "--accept-inconclusive") == 0
    mover = move_to_another_tier(journey, tmp_path / "migration.toml")
    assert journey.run("apply", "--auto-approve", "--cohort", "all", "--accept-inconclusive") == 0
    send(journey, mover.id, delivered=3)  # still naming its old tier tenant
    made = journey.tenants()
    cleanup = ("apply", "--auto-approve", "--cohort", "cleanup", "--accept-inconclusive")
    capsys.readouterr()

    assert journey.run(*cleanup) == 1

    line = capsys.readouterr().err.splitlines()[-1]
    assert "the cleanup cohort would break the senders of 1 tenant(s)" in line
    assert f"{mover.tenant} (3 sends)" in line
    assert journey.tenants() == made

    assert journey.run(*cleanup, "--accept-recent-sends") == 0
    assert "going on (--accept-recent-sends)" in capsys.readouterr().err
    assert journey.tenants() != made


@HTTP
def test_the_plan_warns_when_a_cohorts_share_of_the_accounts_volume_cannot_reach_min_sends(
    emulator: Any, tmp_path: Path
) -> None:
    emulator.control.load_realistic_account(12, 5)
    sender = next(
        i["IdentityName"]
        for i in emulator.ses.list_email_identities()["EmailIdentities"]
        if "@" not in i["IdentityName"]
    )
    emulator.ses.send_email(
        FromEmailAddress=f"news@{sender}",
        Destination={"ToAddresses": [f"success+{n}@simulator.amazonses.com" for n in range(48)]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )
    spec = tmp_path / "quiet.toml"
    spec.write_text('name = "quiet-canary"\n\n[gates]\nmin_sends = 50\nwindow_seconds = 86400\n')
    request = PlanRequest(
        spec,
        {"strategy": "isolated", "canary": 2, "wave_size": 5},
        None,
        AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
    )
    plan = make_plan(request).plan

    warned = {n.subject: n for n in plan.notices if n.kind == "low volume"}

    # 48 sends a day over 12 customers: the canary's 2 send about 8, wave-1's 5 about 20
    assert set(warned) == {"cohort canary", "cohort wave-1"}
    assert warned["cohort canary"].customers == plan.cohorts[0].customers
    assert "its 2 customer(s) send about 8 in the gate's 86400s window, below min_sends 50" in (
        warned["cohort canary"].message
    )


def test_the_plan_says_once_when_the_account_sent_nothing(emulator: Any, tmp_path: Path) -> None:
    journey = Journey(emulator, tmp_path, spec='name = "silent"\n\n[gates]\nmin_sends = 50\n')

    warned = [n for n in journey.plan.notices if n.kind == "low volume"]

    assert [n.subject for n in warned] == [""]
    assert warned[0].message.startswith("the account sent nothing in the 24 hours")


class Measured:
    """A journey applied through `run_apply` on a fake wall clock, the emulator's dating its
    sends by the same clock: the gate's measurements are `interval_seconds` of fake time."""

    def __init__(self, emulator: Any, tmp_path: Path, gates: str) -> None:
        self.journey = Journey(emulator, tmp_path, spec=f'name = "measured"\n\n[gates]\n{gates}')
        self.time = FakeWallClock(now=float(int(time.time())))
        self.said: list[str] = []
        self.run()  # the canary
        self.time.now += 60

    def run(self) -> Any:
        options = RunOptions(
            plan_path=self.journey.path,
            aws=AwsSettings(region="us-east-1", endpoint_url=self.journey.emulator.endpoint_url),
            state_dir=self.journey.state,
            clock=self.time.clock(),
        )
        return run_apply(options, self.journey.plan, lambda *_: None, self.said.append, Progress())

    def send(self, delivered: int = 0, bounced: int = 0) -> None:
        self.journey.emulator.control.set_clock(self.time.now)
        send(self.journey, self.journey.cohort("canary")[0], delivered, bounced)
        self.journey.emulator.control.set_clock(None)


@HTTP
def test_a_failed_measurement_within_failure_limit_is_tolerated_and_later_ones_decide(
    emulator: Any, tmp_path: Path
) -> None:
    gates = "min_sends = 10\ncount = 3\nfailure_limit = 1\n"
    # the account's rate keeps its maximum: only the tenants' measurements decide here
    measured = Measured(emulator, tmp_path, gates + "account_bounce_rate_max = 1\n")
    measured.send(delivered=15, bounced=5)  # 25%: the first measurement fails; 5 of 120 next
    measured.time.during_sleep = lambda: [measured.send(delivered=50) for _ in range(2)]

    measured.run()

    assert measured.time.slept == [300.0, 300.0]
    assert any("measurement 1 of 3 failed" in line for line in measured.said)
    assert "tolerated: 1 of failure_limit 1" in " ".join(measured.said)
    assert sum("Metric conditions passed (measurement" in line for line in measured.said) == 2


@HTTP
def test_more_failed_measurements_than_failure_limit_fail_the_gate_saying_how_many(
    emulator: Any, tmp_path: Path
) -> None:
    measured = Measured(emulator, tmp_path, "min_sends = 10\ncount = 3\nfailure_limit = 1\n")
    measured.send(delivered=15, bounced=5)
    before = measured.journey.tenants()

    with pytest.raises(MetricGateFailedError) as failed:
        measured.run()

    assert measured.time.slept == [300.0]  # it stops at the second failure, not after count
    assert "(2 of 2 measurements failed, failure_limit 1)" in str(failed.value)
    assert measured.journey.tenants() == before


@HTTP
def test_a_single_measurement_fails_at_once_without_waiting(emulator: Any, tmp_path: Path) -> None:
    measured = Measured(emulator, tmp_path, "min_sends = 10\n")
    measured.send(delivered=15, bounced=5)

    with pytest.raises(MetricGateFailedError) as failed:
        measured.run()

    assert measured.time.slept == []
    assert "measurements" not in str(failed.value)


@pytest.mark.parametrize(
    ("gates", "message"),
    [
        (
            'bounce_rate_max = "5%"\n',
            "gates.bounce_rate_max must be a fraction from 0 to 1 (0.05 is 5%), got '5%'",
        ),
        (
            "[gates.tiers.vip]\nmin_sends = 2.5\n",
            "gates.tiers.vip.min_sends must be an integer >= 1, got 2.5",
        ),
        ("count = 2\nfailure_limit = 2\n", "gates.failure_limit must be below gates.count (2)"),
        ("inconclusive_limit = 1\n", "gates.inconclusive_limit must be below gates.count (1)"),
        ("count = 0\n", "gates.count must be an integer >= 1"),
        ("interval_seconds = -5\n", "gates.interval_seconds must be a number of seconds > 0"),
    ],
)
def test_a_malformed_gate_key_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gates: str, message: str
) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(f'name = "bad"\n\n[gates]\n{gates}')
    capsys.readouterr()

    code = main(["plan", str(spec), "-o", str(tmp_path / "p.json"), "--region", "us-east-1"])

    assert code != 0
    assert message in one_line(capsys.readouterr().err)
