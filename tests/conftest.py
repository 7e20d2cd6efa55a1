"""Shared fixtures: SES through boto3 against the emulator, in-process and over HTTP.

`ses` is parametrised over both transports, so each test that takes it runs twice: once
under `moto.mock_aws` in this process and once against a real `sesmigrate emulator`
server process on a free loopback port. `control` turns the matching operator knobs.
Both verify new identities at once (`--auto-verify`), so a test that sends need not model
DNS; a test of verification itself turns it off with `control.set_auto_verify(False)`.
"""

import os
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sesmigrate.emulator import install
from sesmigrate.emulator.control import Control, HttpControl, LocalControl, TrafficSettings
from sesmigrate.emulator.models import set_auto_verify
from sesmigrate.emulator.traffic import TrafficPolicy, set_policy

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    """Dummy credentials, no profile: nothing a test does can reach a real account."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            del os.environ[key]
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _own_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own state directory, so no journal or recorded cohort membership made
    by one test is found by the next one's plan."""
    monkeypatch.setenv("SESMIGRATE_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(autouse=True)
def _own_lock_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own machine lock folder (the lock is per machine, not per state
    directory), so tests running in parallel never hold each other's account lock, and no
    test touches the user's ~/.local/state. Subprocesses inherit it."""
    monkeypatch.setenv("SESMIGRATE_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))


@pytest.fixture(autouse=True)
def _local_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Timeouts for an emulator on this machine: a resume after a kill waits out the killed
    run's calls still in flight, up to its connect and read timeouts. Subprocesses inherit."""
    monkeypatch.setenv("SESMIGRATE_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("SESMIGRATE_READ_TIMEOUT", "10")


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[str]


def start_server(*args: str) -> RunningServer:
    """`sesmigrate emulator --port 0 ARGS` as a subprocess, once its URL line is out."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sesmigrate.cli", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise RuntimeError(f"emulator did not start: {url!r} {process.stderr.read()}")
    return RunningServer(url, process)


def stop_server(server: RunningServer) -> int:
    server.process.terminate()
    return server.process.wait(timeout=30)


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    running = start_server("--auto-verify")
    yield running
    stop_server(running)


HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><h1>Bad Gateway</h1><p>The proxy got no answer from upstream.</p></body></html>\n"
)


class _HtmlPage(BaseHTTPRequestHandler):
    """Answers every request with the server's HTTP status and `HTML_PAGE`, as a proxy or
    a web server at the wrong endpoint would."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = HTML_PAGE.encode()
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(params=[403, 502])
def html_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a loopback server that answers every call with an HTML error page."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlPage)
    server.status = request.param  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def client(service: str, endpoint_url: str | None = None, **config: Any) -> Any:
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**config) if config else None,
    )


@dataclass
class Emulator:
    """One emulated account as a test sees it: an SES v2 client and the knobs."""

    mode: str
    ses: Any
    control: Control
    endpoint_url: str | None

    def client(self, service: str, **config: Any) -> Any:
        return client(service, self.endpoint_url, **config)


@pytest.fixture(params=["memory", "http"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    if request.param == "memory":
        install()
        previous = set_policy(TrafficPolicy())
        verifying = set_auto_verify(True)
        with mock_aws():
            yield Emulator("memory", client("sesv2"), LocalControl(REGION, ACCOUNT), None)
        set_auto_verify(verifying)
        set_policy(previous)
    else:
        running: RunningServer = request.getfixturevalue("server")
        reset = urllib.request.Request(f"{running.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=30).close()
        control = HttpControl(running.url, REGION, ACCOUNT)
        control.set_traffic(TrafficSettings())
        control.set_auto_verify(True)
        yield Emulator("http", client("sesv2", running.url), control, running.url)
        control.set_traffic(TrafficSettings())


@pytest.fixture
def ses(emulator: Emulator) -> Any:
    return emulator.ses


def count_calls(ses: Any) -> Counter[str]:
    """Count every SES operation `ses` calls from now on, by name (a retry counts once: the
    count is of calls the code makes, which the per-operation limits are charged for)."""
    calls: Counter[str] = Counter()

    def count(model: Any, **kwargs: Any) -> None:
        calls[model.name] += 1

    ses.meta.events.register(
        f"before-call.{ses.meta.service_model.service_id.hyphenize()}.*", count
    )
    return calls


def lose_answers(client: Any, operation: str, times: int = 1) -> list[int]:
    """Make the first `times` answers of `operation` that report success get lost after the
    service acted on them, as a 5xx after the commit or a dropped connection would: botocore
    retries the call, and the retry meets the effect its lost attempt made. Returns the list
    of attempt numbers lost, for the test to count."""
    lost: list[int] = []

    def lose(response: Any, attempts: int, **kwargs: Any) -> int | None:
        if response is None or len(lost) >= times:
            return None
        http, _ = response
        if http.status_code >= 300:
            return None
        lost.append(attempts)
        return 0

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"needs-retry.{service}.{operation}", lose)
    return lost
