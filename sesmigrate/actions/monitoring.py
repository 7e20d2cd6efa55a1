"""The monitoring action kinds: a log group, its resource policy, a rule and its target.

They follow the tenant actions' contract (`actions.tenant`): idempotent, journaled, each with its
inverse. A creation that finds its effect already there counts as *made* if our
journal holds an earlier attempt or botocore retried our call (`tenant.retried`); otherwise
it is *found* and rollback leaves it alone. A
put (policy, rule, target) reads what it replaces, notes it in the journal before writing,
and its inverse restores exactly that, or removes the thing when there was none. The
previous value is JSON: `null` for "there was none".

Each kind talks to one service (`service`), whose client the executor hands it.
"""

import contextlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from ..planning.snapshot import canonical_json
from .tenant import Action, ActionConflict, Memory, Outcome, retried

NOTHING = "null"
"""The noted previous value of something that did not exist."""
RULE_SETTINGS = ("Description", "EventPattern", "RoleArn", "ScheduleExpression", "State")
"""What `PutRule` sets (and so replaces) and `DescribeRule`/`ListRules` return."""
TRANSIENT_TARGET_ERRORS = frozenset(
    {"InternalException", "InternalFailure", "ConcurrentModificationException"}
)
"""Target entry errors EventBridge answers inside a 200: worth another try."""


def rule_settings(described: Any) -> dict[str, Any]:
    """A described or listed rule's settings, its pattern parsed (so equal rules compare
    equal however AWS formats the pattern)."""
    settings = {key: described[key] for key in RULE_SETTINGS if described.get(key)}
    if "EventPattern" in settings:
        with contextlib.suppress(ValueError):
            settings["EventPattern"] = json.loads(settings["EventPattern"])
    return settings


class MonitoringAction(Action, ABC):
    """An action on the migration's monitoring, not on any tenant."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class CreateLogGroup(MonitoringAction):
    """Create the log group that keeps the SES tenant events, tagged as this migration's."""

    log_group: str
    arn: str
    tags: tuple[tuple[str, str], ...] = ()

    kind: ClassVar[str] = "create_log_group"
    glyph: ClassVar[str] = "+"
    operations: ClassVar[tuple[str, ...]] = ("CreateLogGroup",)
    service: ClassVar[str] = "logs"

    def make_key(self) -> str:
        return f"{self.kind}:{self.log_group}"

    def describe(self) -> str:
        return f"create CloudWatch Logs group {self.log_group}"

    def apply(self, logs: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        try:
            logs.create_log_group(
                logGroupName=self.log_group, **({"tags": dict(self.tags)} if self.tags else {})
            )
        except logs.exceptions.ResourceAlreadyExistsException as exc:
            return Outcome(made=attempted_before or retried(exc))
        return Outcome(made=True)

    def is_ours(self, logs: Any, since: float | None = None) -> bool:
        """Whether an interrupted creation's log group exists with every tag we would set."""
        try:
            tags = logs.list_tags_for_resource(resourceArn=self.arn).get("tags", {})
        except logs.exceptions.ResourceNotFoundException:
            return False
        return all(tags.get(key) == value for key, value in self.tags)

    def inverse(self, outcome: Outcome) -> Action | None:
        return DeleteLogGroup(self.log_group) if outcome.made else None


class _Removal(MonitoringAction, ABC):
    """Remove one thing (rollback only); absent already counts as done, and cannot be undone
    by sesmigrate: it never re-creates what it removed."""

    __slots__ = ()

    @abstractmethod
    def remove(self, client: Any) -> bool:
        """Remove it; False if it was not there (a NotFound answer included)."""

    def apply(self, client: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        try:
            removed = self.remove(client)
        except client.exceptions.ResourceNotFoundException as exc:
            removed = retried(exc)
        return Outcome(made=removed or attempted_before)

    def inverse(self, outcome: Outcome) -> Action | None:
        return None


@dataclass(frozen=True, slots=True)
class DeleteLogGroup(_Removal):
    """Delete a log group this migration created (rollback only): its events go with it."""

    log_group: str

    kind: ClassVar[str] = "delete_log_group"
    glyph: ClassVar[str] = "-"
    operations: ClassVar[tuple[str, ...]] = ("DeleteLogGroup",)
    service: ClassVar[str] = "logs"
    irreversible: ClassVar[bool] = True

    def describe(self) -> str:
        return f"delete CloudWatch Logs group {self.log_group} and the events it holds"

    def remove(self, logs: Any) -> bool:
        logs.delete_log_group(logGroupName=self.log_group)
        return True


class _Put(MonitoringAction, ABC):
    """Create or replace one thing, remembering what it replaced (JSON; `null`: nothing)."""

    __slots__ = ()

    @abstractmethod
    def current(self, client: Any) -> Any:
        """What is there now, as JSON-able data, or None."""

    @abstractmethod
    def wanted(self) -> Any:
        """What this action puts there, in the form `current` returns."""

    @abstractmethod
    def write(self, client: Any, creating: bool) -> None:
        """Put `wanted()` in place."""

    @abstractmethod
    def restoring(self, previous: Any) -> Action:
        """The action that puts `previous` back."""

    @abstractmethod
    def removing(self) -> Action:
        """The action that removes what this one created."""

    def apply(self, client: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        current = self.current(client)
        previous = (memory or Memory()).previous(attempted_before, canonical_json(current))
        if current == self.wanted():
            return Outcome(made=attempted_before, previous=previous)
        self.write(client, creating=current is None)
        return Outcome(made=True, previous=previous)

    def inverse(self, outcome: Outcome) -> Action | None:
        if not outcome.made or outcome.previous is None:
            return None
        previous = json.loads(outcome.previous)
        return self.removing() if previous is None else self.restoring(previous)


@dataclass(frozen=True, slots=True)
class PutLogsPolicy(_Put):
    """The CloudWatch Logs resource policy that lets EventBridge write to the log group."""

    name: str
    document: str
    """Canonical JSON."""

    kind: ClassVar[str] = "put_logs_policy"
    glyph: ClassVar[str] = "+"
    operations: ClassVar[tuple[str, ...]] = ("DescribeResourcePolicies", "PutResourcePolicy")
    service: ClassVar[str] = "logs"

    def make_key(self) -> str:
        return f"{self.kind}:{self.name}"

    def describe(self) -> str:
        return f"put CloudWatch Logs resource policy {self.name} (EventBridge may write events)"

    def current(self, client: Any) -> Any:
        token: str | None = None
        while True:
            page = client.describe_resource_policies(**({"nextToken": token} if token else {}))
            for policy in page.get("resourcePolicies", []):
                if policy.get("policyName") == self.name:
                    return json.loads(policy["policyDocument"])
            token = page.get("nextToken")
            if not token:
                return None

    def wanted(self) -> Any:
        return json.loads(self.document)

    def write(self, client: Any, creating: bool) -> None:
        client.put_resource_policy(policyName=self.name, policyDocument=self.document)

    def restoring(self, previous: Any) -> Action:
        return PutLogsPolicy(self.name, canonical_json(previous))

    def removing(self) -> Action:
        return DeleteLogsPolicy(self.name)


@dataclass(frozen=True, slots=True)
class DeleteLogsPolicy(_Removal):
    name: str

    kind: ClassVar[str] = "delete_logs_policy"
    glyph: ClassVar[str] = "-"
    operations: ClassVar[tuple[str, ...]] = ("DeleteResourcePolicy",)
    service: ClassVar[str] = "logs"

    def describe(self) -> str:
        return f"delete CloudWatch Logs resource policy {self.name}"

    def remove(self, logs: Any) -> bool:
        logs.delete_resource_policy(policyName=self.name)
        return True


@dataclass(frozen=True, slots=True)
class PutRule(_Put):
    """The EventBridge rule on the default bus that matches the SES tenant events."""

    rule: str
    settings: str
    """Canonical JSON of what PutRule sets: EventPattern (parsed), State, Description..."""
    tags: tuple[tuple[str, str], ...] = ()

    kind: ClassVar[str] = "put_rule"
    glyph: ClassVar[str] = "+"
    operations: ClassVar[tuple[str, ...]] = ("DescribeRule", "PutRule")
    service: ClassVar[str] = "events"

    def make_key(self) -> str:
        return f"{self.kind}:{self.rule}"

    def describe(self) -> str:
        pattern = json.loads(self.settings).get("EventPattern")
        sources = pattern.get("source") if isinstance(pattern, dict) else None
        source = ", ".join(map(str, sources)) if isinstance(sources, list) else "events"
        return f"put EventBridge rule {self.rule} matching {source} on the default bus"

    def current(self, client: Any) -> Any:
        try:
            got = client.describe_rule(Name=self.rule)
        except client.exceptions.ResourceNotFoundException:
            return None
        return rule_settings(got)

    def wanted(self) -> Any:
        return json.loads(self.settings)

    def write(self, client: Any, creating: bool) -> None:
        request = dict(self.wanted())
        if "EventPattern" in request and not isinstance(request["EventPattern"], str):
            request["EventPattern"] = canonical_json(request["EventPattern"])
        if creating and self.tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in self.tags]
        client.put_rule(Name=self.rule, EventBusName="default", **request)

    def restoring(self, previous: Any) -> Action:
        return PutRule(self.rule, canonical_json(previous))

    def removing(self) -> Action:
        return DeleteRule(self.rule)


@dataclass(frozen=True, slots=True)
class DeleteRule(_Removal):
    """Delete a rule this migration created, once no target is left on it."""

    rule: str

    kind: ClassVar[str] = "delete_rule"
    glyph: ClassVar[str] = "-"
    operations: ClassVar[tuple[str, ...]] = ("ListTargetsByRule", "DeleteRule")
    service: ClassVar[str] = "events"

    def describe(self) -> str:
        return f"delete EventBridge rule {self.rule}"

    def remove(self, events: Any) -> bool:
        targets = events.list_targets_by_rule(Rule=self.rule).get("Targets", [])
        if targets:
            raise ActionConflict(
                f"rule {self.rule} still has targets "
                f"({', '.join(sorted(t['Id'] for t in targets))}): remove them, or keep the rule"
            )
        events.delete_rule(Name=self.rule)
        return True


@dataclass(frozen=True, slots=True)
class PutTarget(_Put):
    """The rule's target: the log group (no role: Logs authorises by resource policy)."""

    rule: str
    target: str
    """Canonical JSON of the EventBridge target: {"Arn", "Id"}."""

    kind: ClassVar[str] = "put_target"
    glyph: ClassVar[str] = "+"
    operations: ClassVar[tuple[str, ...]] = ("ListTargetsByRule", "PutTargets")
    service: ClassVar[str] = "events"

    @staticmethod
    def id_of(target: str) -> str:
        return str(json.loads(target)["Id"])

    def make_key(self) -> str:
        return f"{self.kind}:{self.rule}|{self.id_of(self.target)}"

    def describe(self) -> str:
        arn = str(json.loads(self.target).get("Arn", ""))
        where = arn.split(":log-group:", 1)[-1] if ":log-group:" in arn else arn
        return f"route rule {self.rule} to {where}"

    def current(self, client: Any) -> Any:
        wanted_id = self.id_of(self.target)
        token: str | None = None
        while True:
            page = client.list_targets_by_rule(
                Rule=self.rule, **({"NextToken": token} if token else {})
            )
            for target in page.get("Targets", []):
                if target.get("Id") == wanted_id:
                    return target
            token = page.get("NextToken")
            if not token:
                return None

    def wanted(self) -> Any:
        return json.loads(self.target)

    def write(self, client: Any, creating: bool) -> None:
        answer = client.put_targets(Rule=self.rule, Targets=[self.wanted()])
        _check_entries(answer, "PutTargets", f"target {self.id_of(self.target)} of {self.rule}")

    def restoring(self, previous: Any) -> Action:
        return PutTarget(self.rule, canonical_json(previous))

    def removing(self) -> Action:
        return RemoveTarget(self.rule, self.id_of(self.target))


@dataclass(frozen=True, slots=True)
class RemoveTarget(_Removal):
    rule: str
    target_id: str

    kind: ClassVar[str] = "remove_target"
    glyph: ClassVar[str] = "-"
    operations: ClassVar[tuple[str, ...]] = ("ListTargetsByRule", "RemoveTargets")
    service: ClassVar[str] = "events"

    def describe(self) -> str:
        return f"remove target {self.target_id} from rule {self.rule}"

    def remove(self, events: Any) -> bool:
        targets = events.list_targets_by_rule(Rule=self.rule).get("Targets", [])
        if not any(t.get("Id") == self.target_id for t in targets):
            return False
        answer = events.remove_targets(Rule=self.rule, Ids=[self.target_id])
        _check_entries(answer, "RemoveTargets", f"target {self.target_id} of {self.rule}")
        return True


def _check_entries(answer: dict[str, Any], operation: str, what: str) -> None:
    """EventBridge answers a failed target inside a 200: a transient one becomes a ClientError
    the executor retries, as it does a throttled call; any other is a conflict."""
    if not answer.get("FailedEntryCount"):
        return
    failed = (answer.get("FailedEntries") or [{}])[0]
    code, message = failed.get("ErrorCode", ""), failed.get("ErrorMessage", "")
    if code in TRANSIENT_TARGET_ERRORS:
        raise ClientError({"Error": {"Code": code, "Message": message}}, operation)
    raise ActionConflict(f"EventBridge refused {what}: {code} {message}".strip())
