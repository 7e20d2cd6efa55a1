"""Lanes: each operation's work has workers of its own."""

import threading

import pytest

from sesmigrate.aws.lanes import Lanes


def test_a_full_lane_does_not_hold_back_another_lane() -> None:
    release = threading.Event()
    with Lanes(1) as lanes:
        held = lanes.submit("GetEmailIdentity", release.wait, 30)
        other = lanes.submit("GetConfigurationSet", lambda: "read")

        assert other.result(timeout=30) == "read"
        assert not held.done()
        release.set()
    assert held.result() is True


def test_map_keeps_the_order_of_its_items() -> None:
    with Lanes(4) as lanes:
        assert lanes.map("lane", lambda n: n * n, range(10)) == [n * n for n in range(10)]


def test_leaving_on_an_error_drops_the_work_not_yet_started() -> None:
    release = threading.Event()
    started: list[int] = []
    with pytest.raises(RuntimeError), Lanes(1) as lanes:
        running = lanes.submit("lane", release.wait, 30)
        queued = [lanes.submit("lane", started.append, n) for n in range(3)]
        # the running read ends once the queued ones are dropped, not before
        queued[-1].add_done_callback(lambda _: release.set())
        raise RuntimeError("scan failed")
    assert all(f.cancelled() for f in queued)
    assert started == []
    assert running.result() is True


def test_a_lane_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Lanes(0)
