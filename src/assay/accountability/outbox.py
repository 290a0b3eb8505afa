"""Events of the re-audit: written to the outbox table in the re-audit's transaction, then
delivered to webhooks with retries. A receiver that is down or slow never blocks a re-audit
(delivery is a separate step with a short timeout) and never loses an event (an undelivered
event stays pending, then failed, with its last error)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from assay.accountability import audit_tables as a
from assay.errors import UsageError

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
TIMEOUT = 3.0

# post(url, body, timeout) -> HTTP status; raises OSError when the receiver cannot be reached
Poster = Callable[[str, bytes, float], int]


def emit(session: Session, now: datetime, kind: str, payload: dict[str, Any]) -> a.OutboxEvent:
    """Add one event to the outbox, with a pending delivery for each active webhook."""
    event = a.OutboxEvent(created=now, kind=kind, payload={"kind": kind, **payload})
    session.add(event)
    session.flush()
    hooks = session.scalars(select(a.Webhook).where(a.Webhook.active.is_(True)))
    session.add_all(
        a.Delivery(event_id=event.id, webhook_id=h.id, state="pending", next_attempt=now)
        for h in hooks
    )
    return event


def emit_many(
    session: Session, now: datetime, kinds: list[str], payloads: list[dict[str, Any]]
) -> None:
    """Add many events in bulk (same effect as ``emit`` for each)."""
    if not kinds:
        return
    rows = [
        {"created": now, "kind": kind, "payload": {"kind": kind, **payload}}
        for kind, payload in zip(kinds, payloads, strict=True)
    ]
    ids = session.scalars(
        insert(a.OutboxEvent).returning(a.OutboxEvent.id, sort_by_parameter_order=True), rows
    ).all()
    hooks = session.scalars(select(a.Webhook.id).where(a.Webhook.active.is_(True))).all()
    deliveries = [
        {
            "event_id": eid,
            "webhook_id": hid,
            "state": "pending",
            "attempts": 0,
            "next_attempt": now,
            "last_error": "",
        }
        for eid in ids
        for hid in hooks
    ]
    if deliveries:
        session.execute(insert(a.Delivery), deliveries)


def add_webhook(engine: Engine, url: str, now: datetime) -> int:
    """Register a webhook (http or https URL); events from now on are sent to it."""
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"webhook URL {url!r} is not http(s)", hint="give an http(s):// URL")
    a.ensure_tables(engine)
    with sessionmaker(engine).begin() as session:
        hook = a.Webhook(url=url, active=True, created=now)
        session.add(hook)
        session.flush()
        return int(hook.id)


def http_post(url: str, body: bytes, timeout: float) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "assay-webhook/1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    retried: int  # failed this time, will be tried again
    failed: int  # gave up (kept in the table with the last error)
    waiting: int  # pending but not due yet

    def to_dict(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "retried": self.retried,
            "failed": self.failed,
            "waiting": self.waiting,
        }


def _backoff(attempts: int) -> timedelta:
    delay: timedelta = BASE_DELAY * (2 ** max(0, attempts - 1))
    return min(delay, MAX_DELAY)


def deliver(
    engine: Engine,
    now: datetime,
    *,
    post: Poster = http_post,
    timeout: float = TIMEOUT,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryReport:
    """Try every due delivery once. 2xx = delivered; anything else is retried later with
    exponential backoff (30 s, 1 min, 2 min ... at most 1 h) until ``max_attempts``."""
    a.ensure_tables(engine)
    delivered = retried = failed = 0
    with sessionmaker(engine).begin() as session:
        due = session.execute(
            select(a.Delivery, a.OutboxEvent, a.Webhook)
            .join(a.OutboxEvent, a.OutboxEvent.id == a.Delivery.event_id)
            .join(a.Webhook, a.Webhook.id == a.Delivery.webhook_id)
            .where(a.Delivery.state == "pending")
            .order_by(a.Delivery.id)
        ).all()
        waiting = 0
        for delivery, event, hook in due:
            if _aware(delivery.next_attempt) > now:
                waiting += 1
                continue
            body = json.dumps(
                {"id": event.id, "created": event.created.isoformat(), **event.payload}
            ).encode()
            delivery.attempts += 1
            try:
                status = post(hook.url, body, timeout)
                error = "" if 200 <= status < 300 else f"HTTP {status}"
            except (OSError, ValueError) as err:
                error = f"{err.__class__.__name__}: {err}"[:500]
            if not error:
                delivery.state, delivery.delivered, delivery.last_error = "delivered", now, ""
                delivered += 1
            elif delivery.attempts >= max_attempts:
                delivery.state, delivery.last_error = "failed", error
                failed += 1
            else:
                delivery.next_attempt = now + _backoff(delivery.attempts)
                delivery.last_error = error
                retried += 1
    return DeliveryReport(delivered, retried, failed, waiting)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def pending_events(engine: Engine) -> list[dict[str, Any]]:
    """Every outbox event with its delivery states (for status pages and tests)."""
    a.ensure_tables(engine)
    with sessionmaker(engine)() as session:
        out = []
        for event in session.scalars(select(a.OutboxEvent).order_by(a.OutboxEvent.id)):
            states = session.scalars(
                select(a.Delivery.state).where(a.Delivery.event_id == event.id)
            ).all()
            out.append(
                {
                    "id": event.id,
                    "kind": event.kind,
                    "payload": event.payload,
                    "deliveries": list(states),
                }
            )
        return out
