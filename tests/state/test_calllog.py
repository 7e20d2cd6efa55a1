"""The call log: one JSON line per AWS call, with its outcome, and never a credential."""

import json
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.cli import main
from sesmigrate.state.calllog import CallLog, one_line
from tests.state.test_history import Cli

ACCESS_KEY = "AKIAAUDITTESTKEY0001"
SECRET_KEY = "audit-secret-key-never-logged-0123456789"
over_http = pytest.mark.parametrize("emulator", ["http"], indirect=True)
in_memory = pytest.mark.parametrize("emulator", ["memory"], indirect=True)


@in_memory
def test_each_call_is_logged_with_its_outcome_status_and_subject(emulator: Any) -> None:
    records: list[dict[str, Any]] = []
    ticks = iter(float(n) for n in range(100))
    ses = emulator.client("sesv2")
    CallLog([records.append], monotonic=lambda: next(ticks), wall=lambda: 5.0).attach(ses)

    ses.create_tenant(TenantName="acme")
    with pytest.raises(ses.exceptions.NotFoundException):
        ses.get_tenant(TenantName="nobody")

    assert [(r["operation"], r["outcome"], r["http_status"]) for r in records] == [
        ("CreateTenant", "ok", 200),
        ("GetTenant", "NotFoundException", 404),
    ]
    assert records[0]["subject"] == {"TenantName": "acme"}
    assert records[0]["ms"] == 1000.0 and records[0]["service"] == "sesv2"
    assert one_line(records[0]) == "AWS sesv2 CreateTenant 200 ok 1000ms"


@over_http
def test_apply_log_file_holds_every_call_and_no_credential(
    emulator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    cli = Cli(emulator, tmp_path)
    log = tmp_path / "calls.jsonl"

    assert cli.run("apply", "--auto-approve", "--log-file", str(log), "-v") == 0

    text = log.read_text()
    records = [json.loads(line) for line in text.splitlines()]
    operations = {r["operation"] for r in records}
    assert {"GetCallerIdentity", "CreateTenant", "CreateTenantResourceAssociation"} <= operations
    assert all(r["http_status"] == 200 and r["outcome"] == "ok" for r in records)
    assert all(isinstance(r["ms"], float) for r in records)
    err = capsys.readouterr().err
    for secret in (ACCESS_KEY, SECRET_KEY, "Signature", "Authorization", "X-Amz"):
        assert secret not in text and secret not in err
    assert "AWS sesv2 CreateTenant 200 ok" in err


@in_memory
def test_a_log_file_that_cannot_be_written_is_one_line(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(emulator, tmp_path)

    code = cli.run("apply", "--auto-approve", "--log-file", str(tmp_path / "no" / "such.log"))

    assert code == 1
    assert "cannot write the log file" in capsys.readouterr().err
    assert main(["history", "--state-dir", str(cli.state)]) == 0
