"""Webhook delivery against real HTTP receivers on 127.0.0.1: flaky, down and slow."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from assay.accountability.audit_tables import ensure_tables
from assay.accountability.outbox import add_webhook, deliver, emit, pending_events
from assay.errors import UsageError
from assay.registry import Registry

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class Receiver:
    """A local HTTP server that fails the first ``fail`` requests, optionally slowly."""

    def __init__(self, fail: int = 0, delay: float = 0.0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail, self.delay, self.calls = fail, delay, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                outer.calls += 1
                time.sleep(outer.delay)
                ok = outer.calls > outer.fail
                if ok:
                    outer.bodies.append(body)
                self.send_response(204 if ok else 500)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    ensure_tables(reg.engine)
    yield reg
    reg.close()


def _event(registry: Registry, vuln: str) -> None:
    with sessionmaker(registry.engine).begin() as session:
        emit(session, T0, "finding.new", {"vulnerability": vuln, "product": "p"})


def test_flaky_receiver_gets_every_event_after_retries(registry: Registry) -> None:
    rx = Receiver(fail=1)
    try:
        add_webhook(registry.engine, rx.url, T0)
        _event(registry, "CVE-2014-3153")
        _event(registry, "CVE-2016-5195")
        first = deliver(registry.engine, T0)
        assert (first.delivered, first.retried) == (1, 1)  # the first POST got a 500
        assert deliver(registry.engine, T0).waiting == 1  # not due again yet
        later = deliver(registry.engine, T0 + timedelta(seconds=31))
        assert later.delivered == 1
        assert sorted(b["vulnerability"] for b in rx.bodies) == ["CVE-2014-3153", "CVE-2016-5195"]
        assert all(b["kind"] == "finding.new" and "id" in b for b in rx.bodies)
        states = [e["deliveries"] for e in pending_events(registry.engine)]
        assert states == [["delivered"], ["delivered"]]
    finally:
        rx.close()


def test_receiver_down_loses_nothing_and_gives_up_after_max_attempts(registry: Registry) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    add_webhook(registry.engine, f"http://127.0.0.1:{port}/hook", T0)
    _event(registry, "CVE-2013-2094")
    now = T0
    for attempt in range(1, 4):
        report = deliver(registry.engine, now, max_attempts=3)
        if attempt < 3:
            assert report.retried == 1
        now += timedelta(hours=1)
    assert report.failed == 1
    (event,) = pending_events(registry.engine)
    assert (
        event["deliveries"] == ["failed"] and event["payload"]["vulnerability"] == "CVE-2013-2094"
    )


def test_slow_receiver_does_not_block(registry: Registry) -> None:
    rx = Receiver(delay=2.0)
    try:
        add_webhook(registry.engine, rx.url, T0)
        _event(registry, "CVE-2012-0920")
        started = time.perf_counter()
        report = deliver(registry.engine, T0, timeout=0.3)
        assert time.perf_counter() - started < 1.5
        assert report.retried == 1  # timed out: kept for a later attempt
    finally:
        rx.close()


def test_webhook_url_must_be_http(registry: Registry) -> None:
    with pytest.raises(UsageError, match="not http"):
        add_webhook(registry.engine, "file:///etc/passwd", T0)
