"""The emulator over HTTP on loopback: moto's server app, the control path, and saved state.

`EmulatorServer` runs in a background thread (tests and the demo embed it); `run` is the
`sesmigrate emulator` command: it prints the endpoint URL alone as the first line of
stdout, serves until SIGTERM or SIGINT, then shuts down cleanly and saves the account to
`--state-file` if one was given, so a restarted emulator carries on where it stopped.
The server binds 127.0.0.1 only: it has no authentication.
"""

import json
import logging
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import HTTPException
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.ses.models import ses_backends
from werkzeug.serving import BaseWSGIServer, make_server

from . import install
from .accounts import load_account, realistic_account
from .control import CONTROL_PREFIX, TrafficSettings, UnknownControlCommand, handle
from .models import emulator_backends, set_auto_verify
from .traffic import set_policy

HOST = "127.0.0.1"
STATE_FORMAT = 1


@dataclass(frozen=True)
class ServerOptions:
    """Everything `sesmigrate emulator` takes."""

    port: int = 0
    traffic: TrafficSettings = field(default_factory=TrafficSettings)
    demo_account: bool = False
    customers: int = 40
    seed: int = 7
    region: str = "us-east-1"
    state_file: Path | None = None
    tenant_quota: int | None = None
    auto_verify: bool = False


class ControlMiddleware:
    """Answers `/_sesmigrate/...` itself and hands every other request to moto's app."""

    def __init__(self, inner: Callable[..., Iterable[bytes]]) -> None:
        self.inner = inner

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return self.inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        command = path[len(CONTROL_PREFIX) :]
        try:
            result = handle(
                command,
                body.pop("region", "us-east-1"),
                body.pop("account", DEFAULT_ACCOUNT_ID),
                body,
            )
            status, payload = "200 OK", result
        except UnknownControlCommand:
            status, payload = "404 Not Found", {"error": f"no control command {command!r}"}
        except KeyError as exc:
            status, payload = "400 Bad Request", {"error": f"missing field {exc}"}
        except (ValueError, HTTPException) as exc:
            status, payload = "400 Bad Request", {"error": str(exc)}
        data = json.dumps(payload).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Per-request logging would drown the URL line and slow benchmarks."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        """Close a dropped connection (a client gone, or a `responses.DroppedAnswer`)
        instead of waiting on it for a next request that, with keep-alive, never comes."""
        self.close_connection = True


class EmulatorServer:
    """The emulator's HTTP server on 127.0.0.1, serving from a background thread."""

    def __init__(self, port: int = 0) -> None:
        install()
        app = ControlMiddleware(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            HOST, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_port}"

    def start(self) -> "EmulatorServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def save_state(path: Path) -> None:
    """Write every emulated account and region to `path`, atomically, with the CloudWatch
    data points its sends published (a state saved before metrics existed still loads)."""
    state = {
        "format": STATE_FORMAT,
        "backends": {
            (account, region): backend.__dict__
            for account, regions in emulator_backends.items()
            for region, backend in regions.items()
        },
        "metric_data": {
            (account, region): cloudwatch_backends[account][region].metric_data
            for account, regions in emulator_backends.items()
            for region in regions
        },
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(pickle.dumps(state))
    os.replace(temporary, path)


def load_state(path: Path) -> None:
    """Restore what `save_state` wrote (a trusted local file: it is a pickle)."""
    state = pickle.loads(path.read_bytes())
    if state.get("format") != STATE_FORMAT:
        raise ValueError(f"{path} is not an emulator state file of format {STATE_FORMAT}")
    for (account, region), saved in state["backends"].items():
        core = ses_backends[account][region]
        core.__dict__.update(saved["core_backend"].__dict__)
        saved["core_backend"] = core
        emulator_backends[account][region].__dict__.update(saved)
    for (account, region), data in state.get("metric_data", {}).items():
        cloudwatch_backends[account][region].metric_data = list(data)


def prepare(options: ServerOptions) -> None:
    """Load the saved or generated account and set the traffic policy, before serving."""
    install()
    set_auto_verify(options.auto_verify)
    if options.state_file is not None and options.state_file.exists():
        load_state(options.state_file)
    elif options.demo_account:
        backend = emulator_backends[DEFAULT_ACCOUNT_ID][options.region]
        load_account(backend, realistic_account(options.customers, options.seed))
    if options.tenant_quota is not None:
        emulator_backends[DEFAULT_ACCOUNT_ID][options.region].tenant_quota = options.tenant_quota
    set_policy(options.traffic.policy())


def run(options: ServerOptions, announce: Callable[[str], None]) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly and save the state if asked."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    prepare(options)
    server = _serve_until_stopped(options.port, announce)
    server.stop()
    if options.state_file is not None:
        save_state(options.state_file)


def _serve_until_stopped(port: int, announce: Callable[[str], None]) -> EmulatorServer:
    """Serve from a thread until SIGTERM or SIGINT reaches this process."""
    stops = {signal.SIGTERM, signal.SIGINT}
    if hasattr(signal, "pthread_sigmask"):
        # Blocked before any thread starts, so every thread inherits the mask and the
        # signal waits for `sigwait` here: delivered to a request thread instead, it would
        # leave the main thread asleep in a lock that no signal interrupts.
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        server = EmulatorServer(port).start()
        announce(server.url)
        signal.sigwait(stops)
        return server
    stopping = threading.Event()
    for signum in stops:
        signal.signal(signum, lambda *_: stopping.set())
    server = EmulatorServer(port).start()
    announce(server.url)
    while not stopping.wait(1.0):
        continue
    return server
