"""The executor against the emulator (in-process and over HTTP), with a real journal."""

import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import networkx as nx
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from sesmigrate.actions.tenant import (
    Action,
    AttachResource,
    CreateTenant,
    Memory,
    Outcome,
    SetReputationPolicy,
    SetSuppressionAttributes,
    TenantAction,
)
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.planning.snapshot import CUSTOMER_TAG, MANAGED_TAG
from sesmigrate.running.executor import Executor, Progress, RunResult, describe_error, is_transient
from sesmigrate.state.journal import APPLY, DONE, FAILED, SqliteJournal
from tests.conftest import Emulator, count_calls, lose_answers

ARN = "arn:aws:ses:us-east-1:123456789012"
CHECKSUM = "sha256:" + "c3" * 32
TAGS = tuple(sorted(((MANAGED_TAG, "acme-move"), (CUSTOMER_TAG, "acme"))))

Batch = list[tuple[Action, str]]


def no_dependencies(key: str) -> Iterable[str]:
    return ()


def identities(ses: Any, count: int) -> list[str]:
    arns = []
    for n in range(count):
        ses.create_email_identity(EmailIdentity=f"c{n}.example.com")
        arns.append(f"{ARN}:identity/c{n}.example.com")
    return arns


def attachments(ses: Any, count: int, tenant: str = "acme") -> list[AttachResource]:
    ses.create_tenant(TenantName=tenant)
    return [AttachResource(tenant, arn, "EMAIL_IDENTITY") for arn in identities(ses, count)]


def resources_of(ses: Any, tenant: str = "acme") -> list[str]:
    listed = ses.list_tenant_resources(TenantName=tenant)["TenantResources"]
    return sorted(r["ResourceArn"] for r in listed)


def states(journal: SqliteJournal) -> dict[str, tuple[str, bool]]:
    return {e.key: (e.state, e.made) for e in journal.entries() if e.direction == APPLY}


def one_batch(actions: Iterable[Action], cohort: str = "canary") -> list[Batch]:
    return [[(action, cohort) for action in actions]]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SqliteJournal]:
    opened = SqliteJournal(tmp_path / "journal.sqlite", CHECKSUM)
    yield opened
    opened.close()


class CountingJournal(SqliteJournal):
    """A real journal that also remembers which actions came back for another try (re-queues)."""

    def __init__(
        self, path: Path, plan_checksum: str, on_retry: Callable[[str], None] = lambda key: None
    ) -> None:
        super().__init__(path, plan_checksum)
        self.retried: list[str] = []
        self._seen: set[str] = set()
        self._on_retry = on_retry

    def intent(self, key: str, direction: str, cohort: str) -> bool:
        if key in self._seen:
            self.retried.append(key)
            self._on_retry(key)
        self._seen.add(key)
        return super().intent(key, direction, cohort)


@dataclass
class StopAfter(Progress):
    """Progress that sets the stop event (as Ctrl-C would) once `after` actions completed."""

    stop: threading.Event
    after: int = 1
    advanced: int = 0

    def advance(self, calls: int = 1) -> None:
        self.advanced += calls
        if self.advanced >= self.after:
            self.stop.set()


@dataclass(frozen=True, slots=True)
class Broken(TenantAction):
    """An action with a bug in it: it raises something that is not an AWS error."""

    kind: ClassVar[str] = "broken"

    def describe(self) -> str:
        return f"break {self.tenant}"

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        raise RuntimeError(f"bug while applying to {self.tenant}")

    def inverse(self, outcome: Outcome) -> Action | None:
        return None


class Recording:
    """The emulator's client, noting when each CreateTenant and association starts and ends.

    CreateTenant for `held` returns only once an association has started (or, if none ever
    does, after a minute, so a wrong order fails instead of hanging).
    """

    def __init__(self, ses: Any, held: str = "") -> None:
        self._ses, self.held = ses, held
        self.events: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._associating = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ses, name)

    def _note(self, *event: str) -> None:
        with self._lock:
            self.events.append((event[0], event[1], event[2]))

    def create_tenant(self, **request: Any) -> Any:
        name = request["TenantName"]
        self._note("start", "CreateTenant", name)
        if name == self.held:
            self._associating.wait(timeout=60)
        try:
            return self._ses.create_tenant(**request)
        finally:
            self._note("end", "CreateTenant", name)

    def create_tenant_resource_association(self, **request: Any) -> Any:
        self._note("start", "associate", request["TenantName"])
        self._associating.set()
        try:
            return self._ses.create_tenant_resource_association(**request)
        finally:
            self._note("end", "associate", request["TenantName"])


@dataclass
class Timeline:
    """A fake client for `Noted` actions: the order in which they started and ended."""

    events: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, key: str) -> None:
        with self.lock:
            self.events.append((what, key))

    def started(self) -> list[str]:
        return [key for what, key in self.events if what == "start"]

    def ended(self, key: str) -> int:
        return self.events.index(("end", key))

    def began(self, key: str) -> int:
        return self.events.index(("start", key))


@dataclass(frozen=True, slots=True)
class Noted(TenantAction):
    """An action that only notes itself on a `Timeline`, or fails as SES would refuse it."""

    fails: bool = False

    kind: ClassVar[str] = "noted"

    def describe(self) -> str:
        return f"note {self.tenant}"

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        ses.note("start", self.key)
        try:
            if self.fails:
                error: Any = {"Error": {"Code": "BadRequestException", "Message": "refused"}}
                raise ClientError(error, "CreateTenant")
        finally:
            ses.note("end", self.key)
        return Outcome(made=True)

    def inverse(self, outcome: Outcome) -> Action | None:
        return None


def tenant_setup(ses: Any, tenants: dict[str, int]) -> tuple[list[Batch], dict[str, list[str]]]:
    """CreateTenant for each tenant, then one association per resource: batches and needs."""
    creates = [CreateTenant(name, TAGS) for name in tenants]
    attaches = []
    for name, count in tenants.items():
        for n in range(count):
            ses.create_email_identity(EmailIdentity=f"{name}{n}.example.com")
            arn = f"{ARN}:identity/{name}{n}.example.com"
            attaches.append(AttachResource(name, arn, "EMAIL_IDENTITY"))
    needs = {a.key: [f"create_tenant:{a.tenant}"] for a in attaches}
    return [[(c, "canary") for c in creates], [(a, "canary") for a in attaches]], needs


def run_in_fresh_journal(
    client: Any,
    parallelism: int,
    batches: list[Batch],
    depends_on: Callable[[str], Iterable[str]],
    after: Callable[[str], Iterable[str]] = no_dependencies,
) -> RunResult:
    """Run with a journal of its own (hypothesis runs many examples in one test)."""
    with tempfile.TemporaryDirectory() as folder:
        journal = SqliteJournal(Path(folder) / "journal.sqlite", CHECKSUM)
        try:
            executor = Executor(client, journal, APPLY, parallelism=parallelism)
            return executor.run(batches, depends_on, after=after)
        finally:
            journal.close()


@st.composite
def action_graphs(draw: st.DrawFn) -> tuple[nx.DiGraph, dict[str, int], set[str]]:
    """A random plan-like DAG: each node's cohort, edges only forward, some nodes failing."""
    size = draw(st.integers(1, 12))
    names = [f"t{n}" for n in range(size)]
    cohort = dict(
        zip(
            names,
            sorted(draw(st.lists(st.integers(0, 2), min_size=size, max_size=size))),
            strict=True,
        )
    )
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    for j in range(size):
        for i in draw(st.sets(st.integers(0, j - 1), max_size=3)) if j else ():
            graph.add_edge(names[i], names[j])
    failing = draw(st.sets(st.sampled_from(names)))
    return graph, cohort, failing


class TestBatches:
    def test_executor_makes_and_journals_a_batch_of_attachments(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        actions = attachments(emulator.ses, 6)

        result = Executor(emulator.ses, journal, APPLY, parallelism=4).run(
            one_batch(actions), no_dependencies
        )

        keys = sorted(a.key for a in actions)
        assert result.ok
        assert sorted(result.made) == keys
        assert (result.found, result.failed, result.skipped) == ([], [], [])
        assert states(journal) == {key: (DONE, True) for key in keys}
        assert {e.cohort for e in journal.entries()} == {"canary"}
        assert resources_of(emulator.ses) == sorted(a.resource_arn for a in actions)

    def test_executor_finds_effects_already_there_when_run_again_with_a_fresh_journal(
        self, emulator: Emulator, journal: SqliteJournal, tmp_path: Path
    ) -> None:
        actions = attachments(emulator.ses, 5)
        Executor(emulator.ses, journal, APPLY).run(one_batch(actions), no_dependencies)
        fresh = SqliteJournal(tmp_path / "fresh.sqlite", CHECKSUM)

        try:
            again = Executor(emulator.ses, fresh, APPLY).run(one_batch(actions), no_dependencies)
            found = states(fresh)
        finally:
            fresh.close()

        keys = sorted(a.key for a in actions)
        assert again.ok
        assert again.made == []
        assert sorted(again.found) == keys
        assert found == {key: (DONE, False) for key in keys}
        assert resources_of(emulator.ses) == sorted(a.resource_arn for a in actions)

    def test_executor_keeps_made_when_run_again_with_the_same_journal(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        actions = attachments(emulator.ses, 3)
        Executor(emulator.ses, journal, APPLY).run(one_batch(actions), no_dependencies)

        again = Executor(emulator.ses, journal, APPLY).run(one_batch(actions), no_dependencies)

        # the journal holds our intent, so the effect is still ours for rollback to undo
        keys = sorted(a.key for a in actions)
        assert again.ok
        assert sorted(again.made) == keys
        assert states(journal) == {key: (DONE, True) for key in keys}
        assert resources_of(emulator.ses) == sorted(a.resource_arn for a in actions)

    def test_executor_runs_batches_in_order_with_their_cohorts(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        create = CreateTenant("acme", TAGS)
        arns = identities(emulator.ses, 2)
        attach = [AttachResource("acme", arn, "EMAIL_IDENTITY") for arn in arns]
        batches: list[Batch] = [[(create, "canary")], [(a, "canary") for a in attach]]

        result = Executor(emulator.ses, journal, APPLY).run(
            batches, lambda key: [create.key] if key != create.key else []
        )

        assert result.ok
        assert result.made[0] == create.key
        assert sorted(result.made[1:]) == sorted(a.key for a in attach)
        assert journal.entries()[0].key == create.key
        assert resources_of(emulator.ses) == sorted(arns)


class TestDependencies:
    def test_an_association_starts_once_its_own_tenant_exists_not_every_tenant(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        ses = Recording(emulator.ses, held="bravo")
        batches, needs = tenant_setup(emulator.ses, {"alpha": 1, "bravo": 1})

        result = Executor(ses, journal, APPLY, parallelism=2).run(
            batches, lambda key: needs.get(key, [])
        )

        assert result.ok
        events = ses.events
        assert events.index(("start", "associate", "alpha")) < events.index(
            ("end", "CreateTenant", "bravo")
        )
        assert events.index(("end", "CreateTenant", "alpha")) < events.index(
            ("start", "associate", "alpha")
        )
        assert events.index(("end", "CreateTenant", "bravo")) < events.index(
            ("start", "associate", "bravo")
        )
        assert resources_of(emulator.ses, "bravo") == [f"{ARN}:identity/bravo0.example.com"]

    def test_no_association_of_a_tenant_whose_creation_failed_starts(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        emulator.ses.create_tenant(TenantName="bravo")  # made by hand: no migration tags
        ses = Recording(emulator.ses)
        batches, needs = tenant_setup(emulator.ses, {"alpha": 2, "bravo": 3})

        result = Executor(ses, journal, APPLY, parallelism=4).run(
            batches, lambda key: needs.get(key, [])
        )

        started = [
            tenant for what, call, tenant in ses.events if (what, call) == ("start", "associate")
        ]
        assert started == ["alpha", "alpha"]
        assert [key for key, _ in result.failed] == ["create_tenant:bravo"]
        assert [blocker for _, blocker in result.skipped] == ["create_tenant:bravo"] * 3
        assert resources_of(emulator.ses, "bravo") == []

    def test_an_action_waits_for_what_its_done_predecessor_waited_for(
        self, journal: SqliteJournal
    ) -> None:
        first, done, last = Noted("first"), Noted("done"), Noted("last")
        needs = {last.key: [done.key], done.key: [first.key]}
        timeline = Timeline()

        # `done` is not in the run (journaled done already), yet `last` still follows `first`
        result = Executor(timeline, journal, APPLY, parallelism=2).run(
            [[(first, "canary"), (last, "canary")]], lambda key: needs.get(key, [])
        )

        assert result.ok
        assert timeline.events == [
            ("start", first.key),
            ("end", first.key),
            ("start", last.key),
            ("end", last.key),
        ]

    def test_an_action_after_a_failed_one_still_runs_once_it_finished(
        self, journal: SqliteJournal
    ) -> None:
        refused, then = Noted("refused", fails=True), Noted("then")
        timeline = Timeline()

        result = Executor(timeline, journal, APPLY, parallelism=2).run(
            [[(refused, "canary"), (then, "canary")]],
            no_dependencies,
            after=lambda key: [refused.key] if key == then.key else [],
        )

        assert [key for key, _ in result.failed] == [refused.key]
        assert result.made == [then.key]
        assert result.skipped == []
        assert timeline.ended(refused.key) < timeline.began(then.key)

    @settings(max_examples=60, deadline=None)
    @given(action_graphs(), st.integers(1, 4))
    def test_every_order_the_graph_and_the_cohorts_give_is_kept(
        self, drawn: tuple[nx.DiGraph, dict[str, int], set[str]], parallelism: int
    ) -> None:
        graph, cohort, failing = drawn
        actions = {name: Noted(name, fails=name in failing) for name in graph}
        key = {action.key: name for name, action in actions.items()}
        batches = [
            [(actions[name], f"cohort-{cohort[name]}") for name in sorted(generation)]
            for c in sorted(set(cohort.values()))
            for generation in nx.topological_generations(
                graph.subgraph(n for n in graph if cohort[n] == c)
            )
        ]
        timeline = Timeline()

        result = run_in_fresh_journal(
            timeline,
            parallelism,
            batches,
            lambda k: [actions[p].key for p in graph.predecessors(key[k])],
        )

        blocked = {d for f in failing for d in nx.descendants(graph, f)}
        started = {key[k] for k in timeline.started()}
        assert started == set(graph) - blocked
        assert {key[k] for k, _ in result.failed} == failing - blocked
        assert {key[k] for k, _ in result.skipped} == blocked
        assert {key[k] for k in result.made} == set(graph) - failing - blocked
        for before, then in graph.edges:
            if then in started:
                assert timeline.ended(actions[before].key) < timeline.began(actions[then].key)
        for first in started:
            for then in started:
                if cohort[first] < cohort[then]:
                    assert timeline.ended(actions[first].key) < timeline.began(actions[then].key)

    @settings(max_examples=60, deadline=None)
    @given(action_graphs(), st.integers(1, 4))
    def test_rollback_order_undoes_dependents_first_and_goes_on_past_failures(
        self, drawn: tuple[nx.DiGraph, dict[str, int], set[str]], parallelism: int
    ) -> None:
        graph, cohort, failing = drawn
        inverses = {name: Noted(name, fails=name in failing) for name in graph}
        key = {action.key: name for name, action in inverses.items()}
        # latest cohort first, as rollback gives them (journaled as apply: the journal pairs a
        # rollback with an applied entry); within a cohort only `after` orders them
        batches = [
            [(inverses[name], f"cohort-{c}") for name in sorted(graph) if cohort[name] == c]
            for c in sorted(set(cohort.values()), reverse=True)
        ]
        timeline = Timeline()

        result = run_in_fresh_journal(
            timeline,
            parallelism,
            batches,
            no_dependencies,
            after=lambda k: [inverses[s].key for s in graph.successors(key[k])],
        )

        assert {key[k] for k in timeline.started()} == set(graph)
        assert {key[k] for k, _ in result.failed} == failing
        assert result.skipped == []
        for before, then in graph.edges:
            assert timeline.ended(inverses[then].key) < timeline.began(inverses[before].key)


class TestFailures:
    def test_executor_reports_a_failure_once_and_skips_its_dependents(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        ok_first, ok_second, dependent, transitive = attachments(emulator.ses, 4)
        ghost = AttachResource("ghost", ok_first.resource_arn, "EMAIL_IDENTITY")
        needs = {
            dependent.key: [ghost.key],
            ok_second.key: [ok_first.key],
            transitive.key: [dependent.key],
        }
        batches: list[Batch] = [
            [(ghost, "canary"), (ok_first, "canary")],
            [(dependent, "canary"), (ok_second, "canary")],
            [(transitive, "canary")],
        ]

        result = Executor(emulator.ses, journal, APPLY).run(batches, lambda k: needs.get(k, []))

        assert not result.ok
        assert len(result.failed) == 1
        failed_key, message = result.failed[0]
        assert failed_key == ghost.key
        assert message == "NotFoundException: Tenant ghost does not exist."
        assert result.skipped == [(dependent.key, ghost.key), (transitive.key, ghost.key)]
        assert sorted(result.made) == sorted([ok_first.key, ok_second.key])
        assert states(journal) == {
            ghost.key: (FAILED, False),
            ok_first.key: (DONE, True),
            ok_second.key: (DONE, True),
        }
        assert [e.error for e in journal.entries() if e.key == ghost.key] == [message]
        assert resources_of(emulator.ses) == sorted([ok_first.resource_arn, ok_second.resource_arn])

    def test_executor_leaves_a_failed_action_resumable(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        (later,) = identities(emulator.ses, 1)
        action = AttachResource("late-tenant", later, "EMAIL_IDENTITY")
        first = Executor(emulator.ses, journal, APPLY).run(one_batch([action]), no_dependencies)
        emulator.ses.create_tenant(TenantName="late-tenant")

        resumed = Executor(emulator.ses, journal, APPLY).run(one_batch([action]), no_dependencies)

        assert [key for key, _ in first.failed] == [action.key]
        assert resumed.ok
        assert resumed.made == [action.key]
        assert states(journal) == {action.key: (DONE, True)}
        assert [e.error for e in journal.entries()] == [None]

    def test_executor_reports_a_conflict_with_an_unmanaged_tenant_and_skips_dependents(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        emulator.ses.create_tenant(TenantName="acme")  # made by hand: no migration tags
        (arn,) = identities(emulator.ses, 1)
        create = CreateTenant("acme", TAGS)
        attach = AttachResource("acme", arn, "EMAIL_IDENTITY")

        result = Executor(emulator.ses, journal, APPLY).run(
            [[(create, "canary")], [(attach, "canary")]],
            lambda key: [create.key] if key == attach.key else [],
        )

        assert len(result.failed) == 1
        failed_key, message = result.failed[0]
        assert failed_key == create.key
        assert message.startswith("ActionConflict: tenant acme already exists")
        assert "--adopt acme" in message
        assert result.skipped == [(attach.key, create.key)]
        assert states(journal) == {create.key: (FAILED, False)}
        assert emulator.ses.get_tenant(TenantName="acme")["Tenant"].get("Tags", []) == []
        assert resources_of(emulator.ses) == []

    def test_executor_raises_a_bug_after_journaling_it_failed(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        broken = Broken("acme")

        with pytest.raises(RuntimeError, match="bug while applying to acme"):
            Executor(emulator.ses, journal, APPLY).run(one_batch([broken]), no_dependencies)

        assert states(journal) == {broken.key: (FAILED, False)}
        assert [e.error for e in journal.entries()] == ["RuntimeError: bug while applying to acme"]


class TestTransientFaults:
    def test_executor_requeues_transient_faults_until_every_action_is_done(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        actions = attachments(emulator.ses, 8)
        emulator.control.set_traffic(TrafficSettings(fault_rate=0.5, seed=20261124))
        no_retries = emulator.client("sesv2", retries={"total_max_attempts": 1})
        journal = CountingJournal(tmp_path / "journal.sqlite", CHECKSUM)

        try:
            result = Executor(no_retries, journal, APPLY, parallelism=1, requeues=20).run(
                one_batch(actions), no_dependencies
            )
            done = states(journal)
        finally:
            journal.close()
            emulator.control.set_traffic(TrafficSettings())

        keys = sorted(a.key for a in actions)
        assert result.ok, result.failed
        assert sorted(result.made) == keys
        assert journal.retried, "the seed should have injected at least one fault"
        assert done == {key: (DONE, True) for key in keys}
        assert resources_of(emulator.ses) == sorted(a.resource_arn for a in actions)

    def test_executor_fails_a_transient_fault_once_its_requeues_run_out(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        actions = attachments(emulator.ses, 8)
        emulator.control.set_traffic(TrafficSettings(fault_rate=0.5, seed=20261124))
        no_retries = emulator.client("sesv2", retries={"total_max_attempts": 1})

        try:
            result = Executor(no_retries, journal, APPLY, parallelism=1, requeues=0).run(
                one_batch(actions), no_dependencies
            )
        finally:
            emulator.control.set_traffic(TrafficSettings())

        assert result.failed, "the seed should have injected at least one fault"
        assert all(
            message.startswith(("InternalFailure:", "ServiceUnavailable:"))
            for _, message in result.failed
        )
        failed = {key for key, _ in result.failed}
        assert failed | set(result.made) == {a.key for a in actions}
        assert {k for k, (state, _) in states(journal).items() if state == FAILED} == failed

    def test_executor_finds_an_effect_made_by_someone_else_when_first_throttled(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        drain, theirs = identities(emulator.ses, 2)
        emulator.ses.create_tenant(TenantName="acme")
        emulator.ses.create_tenant_resource_association(TenantName="acme", ResourceArn=theirs)
        rate = (("CreateTenantResourceAssociation", 0.001),)
        emulator.control.set_traffic(TrafficSettings(op_rates=rate))
        # the bucket's one token goes to another caller, so our first call gets a 429
        emulator.ses.create_tenant_resource_association(TenantName="acme", ResourceArn=drain)
        no_retries = emulator.client("sesv2", retries={"total_max_attempts": 1})
        journal = CountingJournal(
            tmp_path / "journal.sqlite",
            CHECKSUM,
            on_retry=lambda key: emulator.control.set_traffic(TrafficSettings()),
        )
        action = AttachResource("acme", theirs, "EMAIL_IDENTITY")

        try:
            result = Executor(no_retries, journal, APPLY, parallelism=1).run(
                one_batch([action]), no_dependencies
            )
            done = states(journal)
        finally:
            journal.close()
            emulator.control.set_traffic(TrafficSettings())

        assert journal.retried == [action.key]
        assert result.found == [action.key]
        assert done == {action.key: (DONE, False)}

    def test_executor_keeps_the_intent_when_a_throttled_retry_followed_a_lost_answer(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        (identity,) = identities(emulator.ses, 1)
        emulator.ses.create_tenant(TenantName="acme")
        rate = (("CreateTenantResourceAssociation", 0.001),)
        emulator.control.set_traffic(TrafficSettings(op_rates=rate))
        # the first attempt takes the bucket's one token and lands, its answer is lost; the
        # retry is throttled: the last answer says 429, yet the association is ours
        one_retry = emulator.client("sesv2", retries={"total_max_attempts": 2})
        lost = lose_answers(one_retry, "CreateTenantResourceAssociation")
        journal = CountingJournal(
            tmp_path / "journal.sqlite",
            CHECKSUM,
            on_retry=lambda key: emulator.control.set_traffic(TrafficSettings()),
        )
        action = AttachResource("acme", identity, "EMAIL_IDENTITY")

        try:
            result = Executor(one_retry, journal, APPLY, parallelism=1).run(
                one_batch([action]), no_dependencies
            )
            done = states(journal)
        finally:
            journal.close()
            emulator.control.set_traffic(TrafficSettings())

        assert lost == [1]
        assert journal.retried == [action.key]
        assert result.made == [action.key]
        assert done == {action.key: (DONE, True)}


class TestStop:
    def test_executor_runs_nothing_when_stopped_before_it_starts(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        actions = attachments(emulator.ses, 3)
        stop = threading.Event()
        stop.set()

        result = Executor(emulator.ses, journal, APPLY, stop=stop).run(
            [[(actions[0], "canary")], [(a, "wave-1") for a in actions[1:]]], no_dependencies
        )

        assert result.interrupted
        assert not result.ok
        assert (result.made, result.found, result.failed, result.skipped) == ([], [], [], [])
        assert journal.entries() == []
        assert resources_of(emulator.ses) == []

    def test_executor_starts_nothing_more_once_stopped_after_the_first_completion(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        actions = attachments(emulator.ses, 4)
        stop = threading.Event()
        executor = Executor(
            emulator.ses, journal, APPLY, parallelism=1, progress=StopAfter(stop), stop=stop
        )

        result = executor.run(
            [[(a, "canary") for a in actions[:3]], [(actions[3], "wave-1")]], no_dependencies
        )

        assert result.interrupted
        assert result.made == [actions[0].key]
        assert [e.key for e in journal.entries()] == [actions[0].key]
        assert resources_of(emulator.ses) == [actions[0].resource_arn]


class TestIsTransient:
    @staticmethod
    def client_error(code: str, status: int) -> ClientError:
        response: Any = {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return ClientError(response, "CreateTenantResourceAssociation")

    @pytest.mark.parametrize(
        ("code", "status"),
        [
            ("TooManyRequestsException", 429),
            ("ThrottlingException", 400),
            ("InternalFailure", 500),
            ("ServiceUnavailable", 503),
            ("SomethingNew", 502),
        ],
    )
    def test_is_transient_accepts_throttling_and_server_errors(
        self, code: str, status: int
    ) -> None:
        assert is_transient(self.client_error(code, status))

    @pytest.mark.parametrize(
        ("code", "status"),
        [
            ("NotFoundException", 404),
            ("BadRequestException", 400),
            ("AlreadyExistsException", 400),
            ("LimitExceededException", 400),
        ],
    )
    def test_is_transient_rejects_client_mistakes(self, code: str, status: int) -> None:
        assert not is_transient(self.client_error(code, status))

    @pytest.mark.parametrize(
        "error",
        [
            EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
            ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
            ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
        ],
    )
    def test_is_transient_accepts_connection_errors(self, error: Exception) -> None:
        assert is_transient(error)

    def test_is_transient_rejects_errors_that_are_not_aws_ones(self) -> None:
        assert not is_transient(ValueError("bad value"))

    def test_describe_error_gives_the_code_and_message(self) -> None:
        error = self.client_error("NotFoundException", 404)

        assert describe_error(error) == "NotFoundException: NotFoundException happened"
        assert describe_error(ValueError("bad value")) == "ValueError: bad value"


class TestRunResult:
    def test_run_result_is_ok_only_with_no_failure_skip_or_interruption(self) -> None:
        assert RunResult(made=["a"], found=["b"]).ok
        assert not RunResult(failed=[("a", "NotFoundException: gone")]).ok
        assert not RunResult(skipped=[("b", "a")]).ok
        assert not RunResult(interrupted=True).ok


class TestCallsSaved:
    """What the journal already knows costs no call: the ARN CreateTenant returned, and the
    settings of a tenant this plan created."""

    CREATE = CreateTenant("acme", TAGS)
    POLICY = SetReputationPolicy("acme", "strict")
    SUPPRESSION = SetSuppressionAttributes("acme", ("BOUNCE",), "TENANT")

    def after_creation(self, key: str) -> Iterable[str]:
        """The tenant's settings wait for its creation, as the plan's graph says."""
        return () if key == self.CREATE.key else (self.CREATE.key,)

    def policy_of(self, ses: Any) -> str:
        arn = ses.get_tenant(TenantName="acme")["Tenant"]["TenantArn"]
        return str(
            ses.get_reputation_entity(
                ReputationEntityType="RESOURCE", ReputationEntityReference=arn
            )["ReputationEntity"]["ReputationManagementPolicy"]
        )

    def test_created_tenant_gets_its_policy_and_suppression_without_a_read(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        calls = count_calls(emulator.ses)

        result = Executor(emulator.ses, journal, APPLY).run(
            [[(self.CREATE, "canary")], [(self.POLICY, "canary"), (self.SUPPRESSION, "canary")]],
            self.after_creation,
        )

        assert result.ok
        assert calls == Counter(
            ["CreateTenant", "UpdateReputationEntityPolicy", "PutTenantSuppressionAttributes"]
        )
        assert self.policy_of(emulator.ses).endswith("/strict")

    def test_found_tenant_is_read_once_before_its_policy_changes(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        emulator.ses.create_tenant(TenantName="acme")
        calls = count_calls(emulator.ses)

        Executor(emulator.ses, journal, APPLY).run(one_batch([self.POLICY]), no_dependencies)

        assert calls == Counter(
            ["GetTenant", "GetReputationEntity", "UpdateReputationEntityPolicy"]
        )

    def test_resumed_run_takes_the_arn_from_the_journaled_creation(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        path = tmp_path / "journal.sqlite"
        first = SqliteJournal(path, CHECKSUM)
        Executor(emulator.ses, first, APPLY).run(one_batch([self.CREATE]), no_dependencies)
        first.close()
        resumed = SqliteJournal(path, CHECKSUM)
        calls = count_calls(emulator.ses)

        Executor(emulator.ses, resumed, APPLY).run(one_batch([self.POLICY]), no_dependencies)
        resumed.close()

        assert calls == Counter(["UpdateReputationEntityPolicy"])
        assert self.policy_of(emulator.ses).endswith("/strict")

    def test_interrupted_creation_costs_one_get_tenant_then_none(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        # the creation landed; the run died before its outcome was journaled
        journal.intent(self.CREATE.key, APPLY, "canary")
        self.CREATE.apply(emulator.ses, attempted_before=False)
        calls = count_calls(emulator.ses)

        result = Executor(emulator.ses, journal, APPLY).run(
            [[(self.CREATE, "canary")], [(self.POLICY, "canary")]], self.after_creation
        )

        assert result.made == [self.CREATE.key, self.POLICY.key]
        assert calls == Counter(["CreateTenant", "GetTenant", "UpdateReputationEntityPolicy"])

    def test_tenant_found_by_its_creation_is_not_asked_again_but_its_policy_is_read(
        self, emulator: Emulator, journal: SqliteJournal
    ) -> None:
        emulator.ses.create_tenant(
            TenantName="acme", Tags=[{"Key": k, "Value": v} for k, v in TAGS]
        )
        calls = count_calls(emulator.ses)

        result = Executor(emulator.ses, journal, APPLY).run(
            [[(self.CREATE, "canary")], [(self.POLICY, "canary")]], self.after_creation
        )

        assert result.found == [self.CREATE.key]
        assert calls == Counter(
            ["CreateTenant", "GetTenant", "GetReputationEntity", "UpdateReputationEntityPolicy"]
        )
