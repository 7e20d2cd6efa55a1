"""No credential ever reaches a plan, inventory, journal, report, output or log.

The whole journey (scan, plan, show in every form, apply, status, rollback) runs through
`sesmigrate.cli.main` against the HTTP emulator with distinctive fake credentials from each
source in turn: the environment, a profile in a shared credentials file, and an endpoint URL
carrying a user and password. Then every file written (the SQLite journal included),
everything printed and every log record is searched for them. When the endpoint cannot be
reached, the one-line error must not repeat the URL's password either.
"""

import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from botocore.exceptions import EndpointConnectionError

from sesmigrate.actions.tenant import CreateTenant
from sesmigrate.cli import main
from sesmigrate.redaction import redact
from sesmigrate.running.executor import describe_error
from sesmigrate.state.journal import SqliteJournal

ACCESS_KEY = "AKIAFAKESECRETMARKER1"
SECRET_KEY = "SecretMarker/Shhh+123"
SESSION_TOKEN = "TokenMarker-XYZ"
PROFILE = "hostile-secrets"
REGION = "us-east-1"

SECRET_MARKERS = (SECRET_KEY, "SecretMarker", "Shhh+123", quote(SECRET_KEY, safe=""))
"""The secret key, its distinctive parts and its URL-encoded form."""
URL_USER, URL_PASSWORD = "urluser", "p4ssw0rd"
MARKERS = (
    ACCESS_KEY,
    SESSION_TOKEN,
    "FAKESECRETMARKER",
    "TokenMarker",
    URL_PASSWORD,
    *SECRET_MARKERS,
)


def leaked(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


def leaked_bytes(data: bytes) -> list[str]:
    found = leaked(data.decode("utf-8", errors="replace"))
    # SQLite may store text as UTF-16 as well; search that form too.
    found += [m for m in MARKERS if m.encode("utf-16-le") in data and m not in found]
    return found


def log_leaks(records: list[logging.LogRecord]) -> list[tuple[str, str, list[str]]]:
    """Leaking records, except botocore's own DEBUG dumps of the signed request.

    botocore.endpoint and botocore.auth log every request's headers at DEBUG, access key id
    (in Authorization) and session token (X-Amz-Security-Token) included; that is botocore's
    behaviour, off unless a user turns DEBUG on, and sesmigrate configures no logging. The
    secret key is never sent, so no record of any logger may hold it.
    """
    found = []
    for record in records:
        markers = leaked(record.getMessage())
        ours = record.name.split(".")[0] == "sesmigrate" or record.levelno > logging.DEBUG
        if markers and (ours or set(markers) & set(SECRET_MARKERS)):
            found.append((record.name, record.levelname, markers))
    return found


def use_environment_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str
) -> list[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    return ["--endpoint-url", endpoint_url]


def use_endpoint_url_with_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str
) -> list[str]:
    """The environment's credentials, and a password in the endpoint URL too."""
    use_environment_credentials(monkeypatch, tmp_path, endpoint_url)
    return ["--endpoint-url", endpoint_url.replace("://", f"://{URL_USER}:{URL_PASSWORD}@", 1)]


def use_profile_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str
) -> list[str]:
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        f"[{PROFILE}]\n"
        f"aws_access_key_id = {ACCESS_KEY}\n"
        f"aws_secret_access_key = {SECRET_KEY}\n"
        f"aws_session_token = {SESSION_TOKEN}\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    return ["--profile", PROFILE, "--endpoint-url", endpoint_url]


def run_journey(tmp_path: Path, source: list[str]) -> list[tuple[str, int]]:
    """Every command of the journey, with the exit status each returned."""
    aws = [*source, "--region", REGION]
    state = ["--state-dir", str(tmp_path / "state")]
    plan = str(tmp_path / "tiered.plan.json")
    commands = [
        ["scan", "-o", str(tmp_path / "inventory.json"), *aws],
        ["plan", "--strategy", "tiered", "--monitoring", "-o", plan, *state, *aws],
        *(
            ["show", plan, "--format", fmt, "-o", str(tmp_path / f"report.{fmt}")]
            for fmt in ("text", "markdown", "html", "json")
        ),
        ["show", plan, "--format", "markdown"],
        ["show", plan, "--iam", "-o", str(tmp_path / "iam.json")],
        ["show", plan, "--iam"],
        ["show", plan, "--cutover", str(tmp_path / "cutover")],
        ["apply", plan, "--cohort", "all", "--auto-approve", *state, *aws],
        ["status", plan, *state, *aws],
        ["status", plan, "--format", "json", *state, *aws],
        [
            "rollback",
            plan,
            "--cohort",
            "all",
            "--auto-approve",
            "--allow-irreversible",
            *state,
            *aws,
        ],
    ]
    return [(" ".join(argv[:2]), main(argv)) for argv in commands]


@pytest.mark.parametrize("emulator", ["http"], indirect=True)
@pytest.mark.parametrize(
    "credentials",
    [use_environment_credentials, use_profile_credentials, use_endpoint_url_with_credentials],
    ids=["environment", "profile", "endpoint-url"],
)
def test_journey_leaks_no_credential_into_files_output_or_logs(
    emulator,
    credentials: Callable[[pytest.MonkeyPatch, Path, str], list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.control.load_realistic_account(6, 2)
    monkeypatch.chdir(tmp_path)
    source = credentials(monkeypatch, tmp_path, emulator.endpoint_url)
    caplog.set_level(logging.DEBUG)

    statuses = run_journey(tmp_path, source)
    captured = capsys.readouterr()

    assert all(status == 0 for _, status in statuses), (statuses, captured.err)
    written = [
        path for path in tmp_path.rglob("*") if path.is_file() and path.name != "aws-credentials"
    ]
    journals = [p for p in written if p.name == "journal.sqlite"]
    # Positive controls: the journal holds the run's actions, and the fake credentials were
    # the ones used (botocore's DEBUG dump of a signed request names the access key id).
    assert journals and all(b"create_tenant:" in p.read_bytes() for p in journals)
    assert any(
        ACCESS_KEY in r.getMessage() for r in caplog.records if r.name == "botocore.endpoint"
    )
    assert {p.name for p in written} >= {"inventory.json", "tiered.plan.json", "report.html"}
    assert {str(p.relative_to(tmp_path)): leaked_bytes(p.read_bytes()) for p in written} == {
        str(p.relative_to(tmp_path)): [] for p in written
    }
    assert leaked(captured.out) == []
    assert leaked(captured.err) == []
    assert log_leaks(caplog.records) == []


def test_scan_error_hides_the_password_of_an_endpoint_url_with_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    endpoint = f"http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:9"

    status = main(["scan", "--endpoint-url", endpoint, "--region", REGION])

    err = capsys.readouterr().err
    assert status == 1
    assert "cannot reach" in err
    assert URL_PASSWORD not in err


# --- one redaction, every failing path ----------------------------------------------------

CLOSED_PASSWORD = "s3cretpass"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://user:s3cretpass@127.0.0.1:1/", "http://***@127.0.0.1:1/"),
        (
            'endpoint URL: "https://u:p%40ss@h.example:443/x"',
            'endpoint URL: "https://***@h.example:443/x"',
        ),
        ("see http://u:p@ss@host/ and HTTP://me@host", "see http://***@host/ and HTTP://***@host"),
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA/x&X-Amz-Signature=abc&a=1",
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&a=1",
        ),
        (
            "https://h/k?AWSAccessKeyId=AKIA&Signature=x%2B",
            "https://h/k?AWSAccessKeyId=***&Signature=***",
        ),
        (
            "http://127.0.0.1:1/ refused: user@example.com",
            "http://127.0.0.1:1/ refused: user@example.com",
        ),
        ("no URL here", "no URL here"),
    ],
)
def test_redact_hides_userinfo_and_query_credentials_and_keeps_the_rest(
    text: str, expected: str
) -> None:
    assert redact(text) == expected


def test_describe_error_of_a_connection_error_hides_the_endpoint_password() -> None:
    url = f"http://{URL_USER}:{CLOSED_PASSWORD}@127.0.0.1:1/"

    described = describe_error(EndpointConnectionError(endpoint_url=url))

    assert CLOSED_PASSWORD not in described and "127.0.0.1:1" in described


def test_journal_keeps_no_password_a_failure_message_quotes(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite", "sha256:x")
    journal.intent("create_tenant:t", "apply", "canary")

    journal.failed("create_tenant:t", "apply", f"refused: http://u:{CLOSED_PASSWORD}@h:1/")
    journal.close()

    reader = SqliteJournal(tmp_path / "journal.sqlite", "sha256:x")
    try:
        assert [e.error for e in reader.entries()] == ["refused: http://***@h:1/"]
    finally:
        reader.close()
    assert files_holding(tmp_path, CLOSED_PASSWORD) == []


def files_holding(root: Path, secret: str) -> list[str]:
    """Every file under `root` whose bytes (UTF-8 or UTF-16) hold `secret`."""
    return [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file()
        and (secret.encode() in (data := path.read_bytes()) or secret.encode("utf-16-le") in data)
    ]


@pytest.fixture
def sealed_plan(emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plan made over an endpoint URL carrying a password; the state it made is in
    tmp_path/state."""
    emulator.control.load_realistic_account(4, 2)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "emulator")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "emulator")
    endpoint = emulator.endpoint_url.replace("://", f"://{URL_USER}:{CLOSED_PASSWORD}@", 1)
    plan = tmp_path / "tiered.plan.json"
    argv = ["plan", "--strategy", "tiered", "-o", str(plan), "--state-dir", str(tmp_path / "state")]
    assert main([*argv, "--endpoint-url", endpoint, "--region", REGION]) == 0
    return plan


@pytest.mark.parametrize("emulator", ["http"], indirect=True)
def test_every_command_refused_by_a_closed_port_keeps_the_endpoint_password_out_of_everything(
    sealed_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://{URL_USER}:{CLOSED_PASSWORD}@127.0.0.1:9/"
    aws = ["--endpoint-url", closed, "--region", REGION]
    state = ["--state-dir", str(tmp_path / "state")]
    log = ["--log-file", str(tmp_path / "calls.jsonl")]
    commands = [
        ["scan", "-o", str(tmp_path / "inventory.json"), *aws],
        ["plan", "--strategy", "tiered", "-o", str(tmp_path / "again.plan.json"), *state, *aws],
        ["apply", str(sealed_plan), "--auto-approve", *log, *state, *aws],
        ["apply", str(sealed_plan), "--auto-approve", "--format", "json", *state, *aws],
        ["status", str(sealed_plan), *state, *aws],
        ["rollback", str(sealed_plan), "--auto-approve", "-v", *log, *state, *aws],
        ["unlock", *aws],
    ]
    capsys.readouterr()

    statuses = {argv[0] + " " + " ".join(argv[1:3]): main(argv) for argv in commands}
    out, err = capsys.readouterr()

    assert set(statuses.values()) == {1}, (statuses, err)
    assert err.count("cannot reach http://***@127.0.0.1:9/") == len(commands), err
    assert CLOSED_PASSWORD not in out + err
    assert files_holding(tmp_path, CLOSED_PASSWORD) == []


@pytest.mark.parametrize("emulator", ["http"], indirect=True)
def test_an_action_failing_on_a_connection_error_keeps_the_password_out_of_journal_and_output(
    emulator,
    sealed_plan: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint = emulator.endpoint_url.replace("://", f"://{URL_USER}:{CLOSED_PASSWORD}@", 1)

    def refused(self: CreateTenant, *args: object, **kwargs: object) -> None:
        raise EndpointConnectionError(endpoint_url=endpoint.rstrip("/") + "/")

    monkeypatch.setattr(CreateTenant, "apply", refused)
    capsys.readouterr()
    argv = ["apply", str(sealed_plan), "--auto-approve", "--state-dir", str(tmp_path / "state")]
    log = ["--log-file", str(tmp_path / "calls.jsonl"), "-v"]

    text = main([*argv, *log, "--endpoint-url", endpoint, "--region", REGION])
    as_json = main([*argv, "--format", "json", "--endpoint-url", endpoint, "--region", REGION])
    out, err = capsys.readouterr()

    assert (text, as_json) == (1, 1), err
    journal = next((tmp_path / "state").rglob("journal.sqlite"))
    errors = [e.error for e in SqliteJournal(journal, "").migration_entries() if e.error]
    assert errors and all("EndpointConnectionError" in e and "***@" in e for e in errors)
    assert "failed" in err and "***@" in err
    assert CLOSED_PASSWORD not in out + err
    assert files_holding(tmp_path, CLOSED_PASSWORD) == []
