"""The SES tenant events the emulator puts on the default EventBridge bus, as SES does.

SES announces a tenant's sending status changes and its reputation findings on the
account's default bus (source `aws.ses`; detail types `Sending Status Enabled`, `Sending
Status Disabled`, `Advisor Recommendation Status Open`, `Advisor Recommendation Status
Resolved` -- the name in the EventBridge event reference; the AWS tenants blog says
`... Closed` -- and the tenant ARN in `resources`). moto's EventBridge then delivers them to the
rules' targets (a CloudWatch Logs group among them), so monitoring can be tested end to end.
"""

import json

from moto.events.models import events_backends

SOURCE = "aws.ses"


def publish(
    account: str, region: str, tenant_arn: str, detail_type: str, detail: dict[str, object]
) -> None:
    """Put one SES tenant event on the default bus of the account and region."""
    events_backends[account][region].put_events(
        [
            {
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "Resources": [tenant_arn],
                "EventBusName": "default",
            }
        ]
    )


def status_changed(
    account: str, region: str, tenant_arn: str, status: str, origin: str, cause: str | None
) -> None:
    detail_type = "Sending Status Disabled" if status == "DISABLED" else "Sending Status Enabled"
    detail = {"origin": origin, "status": status, "cause": cause or ""}
    publish(account, region, tenant_arn, detail_type, detail)


def finding(account: str, region: str, tenant_arn: str, impact: str, open_: bool) -> None:
    state = "Open" if open_ else "Resolved"
    publish(
        account,
        region,
        tenant_arn,
        f"Advisor Recommendation Status {state}",
        {"impact": impact, "status": state.upper()},
    )
