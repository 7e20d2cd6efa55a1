"""The AWS blog's migration script, as the yardstick a phased sesmigrate journey must beat.

The blog's approach: an assessment that reads every identity and configuration set (their
tags say whose they are), then for each customer in turn create its tenant, associate each
of its resources, read the tenant back for its ARN and set its reputation policy, one call
after another through boto3 with its standard retry mode (which backs off on HTTP 429).
"""

from collections import defaultdict
from typing import Any

import boto3
from botocore.config import Config

RETRIES = Config(retries={"mode": "standard", "max_attempts": 10})
"""Standard mode; more attempts than its default 3 so that a throttled run finishes."""


def run_blog_script(url: str, region: str = "us-east-1", customer_tag: str = "customer") -> int:
    """Migrate every tagged customer onto a tenant of its own; returns the calls made."""
    ses: Any = boto3.client("sesv2", region_name=region, endpoint_url=url, config=RETRIES)
    calls = 0

    def call(method: str, **kwargs: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return getattr(ses, method)(**kwargs)

    def listed(method: str, key: str) -> list[Any]:
        items: list[Any] = []
        token = None
        while True:
            page = call(method, PageSize=1000, **({"NextToken": token} if token else {}))
            items += page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return items

    account = call("get_account")
    del account
    owned: dict[str, list[str]] = defaultdict(list)
    arn = f"arn:aws:ses:{region}:{_account_id(url, region)}"
    for item in listed("list_email_identities", "EmailIdentities"):
        name = item["IdentityName"]
        tags = call("get_email_identity", EmailIdentity=name).get("Tags", [])
        for customer in _tagged(tags, customer_tag):
            owned[customer].append(f"{arn}:identity/{name}")
    for name in listed("list_configuration_sets", "ConfigurationSets"):
        tags = call("get_configuration_set", ConfigurationSetName=name).get("Tags", [])
        for customer in _tagged(tags, customer_tag):
            owned[customer].append(f"{arn}:configuration-set/{name}")
    for customer, resources in sorted(owned.items()):
        call("create_tenant", TenantName=customer)
        for resource in resources:
            call("create_tenant_resource_association", TenantName=customer, ResourceArn=resource)
        tenant_arn = call("get_tenant", TenantName=customer)["Tenant"]["TenantArn"]
        call(
            "update_reputation_entity_policy",
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=tenant_arn,
            ReputationEntityPolicy=f"arn:aws:ses:{region}:aws:reputation-policy/standard",
        )
    return calls


def _account_id(url: str, region: str) -> str:
    sts: Any = boto3.client("sts", region_name=region, endpoint_url=url, config=RETRIES)
    return str(sts.get_caller_identity()["Account"])


def _tagged(tags: list[dict[str, str]], key: str) -> list[str]:
    return [tag["Value"] for tag in tags if tag["Key"] == key]
