"""The pure core never imports boto3 or botocore (STYLE.md 2.1): it must run without AWS."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sesmigrate"
PURE = [
    "planning/snapshot.py",
    "planning/ownership.py",
    "report/summary.py",
    "aws/tokenbucket.py",
    "errors.py",
    "redaction.py",
    "planning/naming.py",
    "planning/spec.py",
    "planning/diff.py",
    "planning/graph.py",
    "planning/plan.py",
    "actions/tenant.py",
    "strategies/base.py",
    "strategies/isolated.py",
    "strategies/tiered.py",
    "strategies/shared.py",
]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_aws_sdk(module: str) -> None:
    assert not imported_roots(PACKAGE / module) & {"boto3", "botocore", "moto"}


def test_layer_check_sees_an_aws_import() -> None:
    assert "boto3" in imported_roots(PACKAGE / "aws/clients.py")
