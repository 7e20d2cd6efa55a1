"""What SES publishes to CloudWatch, read back through boto3, and GetAccount's EnforcementStatus.

Every test pins the emulator's clock, so data points land at known times and no test sleeps.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sesmigrate.emulator.metrics import simulated_outcome

ARN = "arn:aws:ses:us-east-1:123456789012"
SIMPLE = {"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}}}
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def sim(local: str) -> str:
    return f"{local}@simulator.amazonses.com"


@pytest.fixture
def account(emulator: Any) -> Any:
    """Tenant acme with its identity and default configuration set; the clock pinned at T0."""
    ses = emulator.ses
    ses.create_configuration_set(ConfigurationSetName="acme-tx")
    ses.create_email_identity(EmailIdentity="acme.example.com", ConfigurationSetName="acme-tx")
    ses.create_tenant(TenantName="acme")
    for resource in ("identity/acme.example.com", "configuration-set/acme-tx"):
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=f"{ARN}:{resource}")
    emulator.control.set_clock(T0)
    return emulator


def send(ses: Any, *recipients: str, **kwargs: Any) -> None:
    ses.send_email(
        FromEmailAddress="news@acme.example.com",
        Destination={"ToAddresses": list(recipients)},
        Content=SIMPLE,
        **kwargs,
    )


def tenant_dimensions(account: Any, name: str = "acme") -> list[dict[str, str]]:
    tenant_id = account.ses.get_tenant(TenantName=name)["Tenant"]["TenantId"]
    return [{"Name": "TenantName", "Value": name}, {"Name": "TenantId", "Value": tenant_id}]


def statistic(
    account: Any, metric: str, dimensions: list[dict[str, str]], stat: str = "Sum"
) -> list[float]:
    """The metric's `stat` per hour from T0 - 1 day to T0 + 1 day, oldest first."""
    points = account.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SES",
        MetricName=metric,
        Dimensions=dimensions,
        StartTime=T0 - 24 * HOUR,
        EndTime=T0 + 24 * HOUR,
        Period=3600,
        Statistics=[stat],
    )["Datapoints"]
    return [point[stat] for point in sorted(points, key=lambda p: p["Timestamp"])]


def metric_data(
    account: Any, metric: str, dimensions: list[dict[str, str]], stat: str = "Sum"
) -> tuple[list[datetime], list[float]]:
    """GetMetricData for one metric, hourly from T0 to T0 + 3 h, oldest first."""
    result = account.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SES",
                        "MetricName": metric,
                        "Dimensions": dimensions,
                    },
                    "Period": 3600,
                    "Stat": stat,
                },
            }
        ],
        StartTime=T0,
        EndTime=T0 + 3 * HOUR,
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    return result["Timestamps"], result["Values"]


def test_tenant_sends_bounces_and_complaints_are_counted_per_recipient(account: Any) -> None:
    ses = account.ses
    send(
        ses, sim("success"), sim("bounce"), sim("complaint"), sim("bounce+label"), TenantName="acme"
    )
    send(ses, sim("ooto"), sim("suppressionlist"), "someone@example.org", TenantName="acme")
    dims = tenant_dimensions(account)

    assert statistic(account, "Send", dims) == [7.0]
    assert statistic(account, "Bounce", dims) == [3.0]
    assert statistic(account, "Complaint", dims) == [1.0]


def test_get_metric_data_finds_the_tenant_metrics_with_both_dimensions_in_any_order(
    account: Any,
) -> None:
    send(account.ses, sim("success"), sim("bounce"), TenantName="acme")
    dims = tenant_dimensions(account)

    assert metric_data(account, "Send", dims) == ([T0], [2.0])
    assert metric_data(account, "Bounce", list(reversed(dims))) == ([T0], [1.0])
    assert metric_data(account, "Complaint", dims) == ([], [])


def test_each_tenant_has_its_own_metrics_and_sends_without_a_tenant_have_none(
    account: Any,
) -> None:
    ses = account.ses
    ses.create_tenant(TenantName="globex")
    for resource in ("identity/acme.example.com", "configuration-set/acme-tx"):
        ses.create_tenant_resource_association(TenantName="globex", ResourceArn=f"{ARN}:{resource}")
    send(ses, sim("bounce"), TenantName="acme")
    send(ses, sim("success"), sim("success"), TenantName="globex")
    send(ses, sim("bounce"))

    assert statistic(account, "Send", tenant_dimensions(account, "acme")) == [1.0]
    assert statistic(account, "Bounce", tenant_dimensions(account, "acme")) == [1.0]
    assert statistic(account, "Send", tenant_dimensions(account, "globex")) == [2.0]
    assert statistic(account, "Bounce", tenant_dimensions(account, "globex")) == []


def test_bulk_sends_are_counted_per_successful_entry(account: Any) -> None:
    account.ses.create_email_template(TemplateName="welcome", TemplateContent={"Subject": "Hi"})
    account.ses.create_tenant_resource_association(
        TenantName="acme", ResourceArn=f"{ARN}:template/welcome"
    )
    account.ses.send_bulk_email(
        FromEmailAddress="news@acme.example.com",
        DefaultContent={"Template": {"TemplateName": "welcome"}},
        BulkEmailEntries=[
            {"Destination": {"ToAddresses": [sim("complaint")]}},
            {"Destination": {"ToAddresses": []}},
            {"Destination": {"ToAddresses": [sim("success"), sim("bounce")]}},
        ],
        TenantName="acme",
    )
    dims = tenant_dimensions(account)

    assert statistic(account, "Send", dims) == [3.0]
    assert statistic(account, "Bounce", dims) == [1.0]
    assert statistic(account, "Complaint", dims) == [1.0]


def test_data_points_follow_the_clock(account: Any) -> None:
    ses = account.ses
    send(ses, sim("success"), TenantName="acme")
    account.control.advance_clock(3600)
    send(ses, sim("success"), TenantName="acme")
    send(ses, sim("bounce"), TenantName="acme")
    account.control.advance_clock(3600)
    send(ses, sim("complaint"), TenantName="acme")
    dims = tenant_dimensions(account)

    assert metric_data(account, "Send", dims) == ([T0, T0 + HOUR, T0 + 2 * HOUR], [1.0, 2.0, 1.0])
    assert metric_data(account, "Bounce", dims) == ([T0 + HOUR], [1.0])


def test_account_reputation_rates_follow_every_send_tenant_or_not(account: Any) -> None:
    ses = account.ses
    send(ses, sim("success"), sim("success"))
    account.control.advance_clock(3600)
    send(ses, sim("bounce"), sim("complaint"), TenantName="acme")
    account.control.advance_clock(3600)
    send(ses, sim("success"), sim("success"), sim("success"), sim("success"))

    assert statistic(account, "Reputation.BounceRate", [], "Maximum") == [0.0, 0.25, 0.125]
    assert statistic(account, "Reputation.ComplaintRate", [], "Maximum") == [0.0, 0.25, 0.125]
    _, rates = metric_data(account, "Reputation.BounceRate", [], "Average")
    assert rates == [0.0, 0.25, 0.125]


def test_get_account_reports_healthy_then_what_the_knob_sets(account: Any) -> None:
    assert account.ses.get_account()["EnforcementStatus"] == "HEALTHY"

    account.control.set_enforcement_status("PROBATION")
    assert account.ses.get_account()["EnforcementStatus"] == "PROBATION"
    send(account.ses, sim("success"), TenantName="acme")

    account.control.set_enforcement_status("HEALTHY")
    assert account.ses.get_account()["EnforcementStatus"] == "HEALTHY"


def test_a_shut_down_account_sends_nothing(account: Any) -> None:
    account.control.set_enforcement_status("SHUTDOWN")

    assert account.ses.get_account()["EnforcementStatus"] == "SHUTDOWN"
    with pytest.raises(account.ses.exceptions.SendingPausedException, match="SHUTDOWN"):
        send(account.ses, sim("success"), TenantName="acme")
    with pytest.raises(account.ses.exceptions.SendingPausedException):
        send(account.ses, sim("success"))
    assert account.control.sent_messages() == []
    assert statistic(account, "Send", tenant_dimensions(account)) == []


@pytest.mark.parametrize("status", ["probation", "SUSPENDED", "", None])
def test_a_bad_enforcement_status_is_refused(account: Any, status: Any) -> None:
    with pytest.raises(
        (ValueError, RuntimeError),
        match="enforcement status must be one of HEALTHY, PROBATION, SHUTDOWN",
    ):
        account.control.set_enforcement_status(status)
    assert account.ses.get_account()["EnforcementStatus"] == "HEALTHY"


def test_metrics_put_adds_history_for_a_tenant_and_the_account(account: Any) -> None:
    control = account.control
    control.put_metric_data("Send", 1000, tenant="acme", timestamp=T0 - 20 * HOUR)
    control.put_metric_data("Bounce", 40, tenant="acme", timestamp=T0 - 20 * HOUR)
    control.put_metric_data("Reputation.BounceRate", 0.04, timestamp=T0 - 20 * HOUR)
    control.put_metric_data("Send", 5, tenant="acme")
    send(account.ses, sim("success"), TenantName="acme")
    dims = tenant_dimensions(account)

    assert statistic(account, "Send", dims) == [1000.0, 6.0]
    assert statistic(account, "Bounce", dims) == [40.0]
    assert statistic(account, "Reputation.BounceRate", [], "Maximum") == [0.04, 0.0]


def test_metrics_put_takes_any_namespace_dimensions_and_epoch_seconds(account: Any) -> None:
    account.control.put_metric_data(
        "Sent",
        3,
        dimensions={"Cohort": "c1"},
        namespace="Custom/Ops",
        unit="Count",
        timestamp=T0.timestamp(),
    )
    points = account.client("cloudwatch").get_metric_statistics(
        Namespace="Custom/Ops",
        MetricName="Sent",
        Dimensions=[{"Name": "Cohort", "Value": "c1"}],
        StartTime=T0 - HOUR,
        EndTime=T0 + HOUR,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [(p["Timestamp"], p["Sum"], p["Unit"]) for p in points] == [(T0, 3.0, "Count")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metric": "Send", "value": "many"}, "value must be a finite number"),
        ({"metric": "", "value": 1}, "metric must be a metric name"),
        ({"metric": "Send", "value": 1, "dimensions": {"TenantName": 7}}, "dimensions must map"),
        ({"metric": "Send", "value": 1, "tenant": "nobody"}, "Tenant nobody does not exist"),
    ],
)
def test_a_bad_metrics_put_is_refused(account: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        account.control.put_metric_data(**fields)


def test_a_bad_clock_is_refused(account: Any) -> None:
    with pytest.raises((ValueError, RuntimeError), match="only moves forward"):
        account.control.advance_clock(-1)
    with pytest.raises((ValueError, RuntimeError), match="epoch must be a finite number"):
        account.control.set_clock("noon")  # type: ignore[arg-type]


def test_the_clock_can_be_given_back_to_the_machine(account: Any) -> None:
    account.control.set_clock(None)
    before = datetime.now(UTC).replace(microsecond=0)
    send(account.ses, sim("success"), TenantName="acme")

    points = account.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SES",
        MetricName="Send",
        Dimensions=tenant_dimensions(account),
        StartTime=before - timedelta(minutes=5),
        EndTime=before + timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in points] == [1.0]


@pytest.mark.parametrize(
    ("recipient", "outcome"),
    [
        (sim("success"), None),
        (sim("bounce"), "bounce"),
        (sim("suppressionlist"), "bounce"),
        (sim("complaint"), "complaint"),
        (sim("ooto"), None),
        ("Bounce+x@Simulator.AmazonSES.com", "bounce"),
        ("Ann <complaint+y@simulator.amazonses.com>", "complaint"),
        ("bounce@example.com", None),
    ],
)
def test_mailbox_simulator_outcomes(recipient: str, outcome: str | None) -> None:
    assert simulated_outcome(recipient) == outcome
