"""The strategy registry: built-ins, entry points and dotted paths, with errors that say where."""

import sys
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sesmigrate import strategies
from sesmigrate.planning.ownership import Customer, Ownership
from sesmigrate.planning.snapshot import AccountInfo, Identity, Inventory
from sesmigrate.planning.spec import MigrationSpec
from sesmigrate.strategies import StrategyError, TenantGroup, desired_state, get_strategy
from sesmigrate.strategies.isolated import Isolated
from sesmigrate.strategies.shared import Shared
from sesmigrate.strategies.tiered import Tiered

HERE = "tests.strategies.test_registry"
ACCOUNT = AccountInfo("123456789012", "us-east-1", "aws", 50000.0, 14.0, True, True)


class OneTenant:
    """A user's strategy: every customer in one tenant."""

    name: ClassVar[str] = "one-tenant"
    options: ClassVar[dict[str, str]] = {}

    def groups(
        self, owners: Ownership, inventory: Inventory, spec: MigrationSpec
    ) -> list[TenantGroup]:
        return [TenantGroup("group", "everyone", owners.customers)]


ONE_TENANT = OneTenant()


class NoGroups:
    name: ClassVar[str] = "no-groups"
    options: ClassVar[dict[str, str]] = {}


class NoOptions:
    name: ClassVar[str] = "no-options"

    def groups(self, owners: Ownership, inventory: Inventory, spec: MigrationSpec) -> list[Any]:
        return []


class NoName:
    options: ClassVar[dict[str, str]] = {}

    def groups(self, owners: Ownership, inventory: Inventory, spec: MigrationSpec) -> list[Any]:
        return []


def customer(customer_id: str) -> Customer:
    return Customer(customer_id, None, (f"{customer_id}.example",), (f"{customer_id}-cs",), (), ())


def world() -> tuple[Ownership, Inventory]:
    owned = Ownership((customer("acme"), customer("globex")), (), (), (), (), ())
    identities = tuple(
        Identity(c.identities[0], "DOMAIN", "SUCCESS", True, True, None) for c in owned.customers
    )
    return owned, Inventory(ACCOUNT, identities, (), (), (), ())


def strategy_error(name: str) -> str:
    with pytest.raises(StrategyError) as caught:
        get_strategy(name)
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "cls"), [("isolated", Isolated), ("tiered", Tiered), ("shared", Shared)]
)
def test_get_strategy_finds_each_built_in(name: str, cls: type) -> None:
    strategy = get_strategy(name)

    assert isinstance(strategy, cls)
    assert strategy.name == name


def test_get_strategy_lists_built_ins_entry_points_and_dotted_paths_for_an_unknown_name() -> None:
    assert strategy_error("clustered") == (
        "unknown strategy 'clustered': use isolated, shared, tiered, an installed "
        "'sesmigrate.strategies' entry point, or a dotted path module:Class"
    )


def test_get_strategy_says_did_you_mean_for_a_mistyped_name() -> None:
    assert strategy_error("tierd").startswith(
        "unknown strategy 'tierd' (did you mean 'tiered'?): use isolated, shared, tiered"
    )


def test_unknown_strategy_option_says_did_you_mean() -> None:
    spec = MigrationSpec(name="m", strategy="shared", strategy_options=(("group_sise", 5),))

    with pytest.raises(StrategyError) as caught:
        desired_state(Shared(), *world(), spec)

    assert "has no option group_sise (did you mean 'group_size'?)" in str(caught.value)


@pytest.mark.parametrize("path", [f"{HERE}:OneTenant", f"{HERE}.OneTenant", f"{HERE}:ONE_TENANT"])
def test_get_strategy_loads_a_strategy_by_dotted_path(path: str) -> None:
    strategy = get_strategy(path)

    assert isinstance(strategy, OneTenant)


def test_get_strategy_dotted_path_works_end_to_end_with_desired_state() -> None:
    owned, inventory = world()
    spec = MigrationSpec(name="acme-migration", strategy=f"{HERE}:OneTenant")

    state = desired_state(get_strategy(spec.strategy), owned, inventory, spec)

    (tenant,) = state.tenants
    assert (tenant.name, tenant.key, tenant.customers) == (
        "group-everyone",
        "group:everyone",
        ("acme", "globex"),
    )
    assert tenant.tags == (
        ("sesmigrate:group", "group:everyone"),
        ("sesmigrate:migration", "acme-migration"),
    )
    assert len(tenant.resources) == 4
    assert state.warnings == ()


def test_get_strategy_finds_an_installed_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = EntryPoint(name="one", value=f"{HERE}:OneTenant", group="sesmigrate.strategies")
    monkeypatch.setattr(
        strategies,
        "entry_points",
        lambda group: [installed] if group == "sesmigrate.strategies" else [],
    )

    assert isinstance(get_strategy("one"), OneTenant)


def test_get_strategy_imports_a_dotted_path_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "site_strategies_for_test.py").write_text(
        "class ByRegion:\n"
        "    name = 'by-region'\n"
        "    options = {}\n"
        "    def groups(self, owners, inventory, spec):\n"
        "        return []\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        strategy = get_strategy("site_strategies_for_test:ByRegion")
    finally:
        sys.modules.pop("site_strategies_for_test", None)

    assert strategy.name == "by-region"
    assert type(strategy).__name__ == "ByRegion"


def test_get_strategy_says_when_the_module_cannot_be_imported() -> None:
    message = strategy_error("tests.strategies.no_such_module:Strategy")

    assert message.startswith("cannot import strategy module 'tests.strategies.no_such_module': ")
    assert "No module named 'tests.strategies.no_such_module'" in message


def test_get_strategy_says_when_the_module_has_no_such_attribute() -> None:
    assert strategy_error(f"{HERE}:Missing") == f"module '{HERE}' has no strategy 'Missing'"


@pytest.mark.parametrize(
    ("attribute", "problem"),
    [
        ("NoGroups", "has no groups(owners, inventory, spec) method"),
        ("HERE", "has no groups(owners, inventory, spec) method"),
        ("NoOptions", "must declare an options dict"),
        ("NoName", "must have a name"),
    ],
)
def test_get_strategy_refuses_an_object_that_is_not_a_strategy(
    attribute: str, problem: str
) -> None:
    assert strategy_error(f"{HERE}:{attribute}") == f"strategy '{HERE}:{attribute}' {problem}"


@pytest.mark.parametrize("name", [":OneTenant", ".OneTenant"])
def test_get_strategy_refuses_a_dotted_path_without_a_module(name: str) -> None:
    assert "must look like package.module:Class" in strategy_error(name)
