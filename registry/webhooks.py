"""Webhooks: admins register addresses per use case; promotions, rollbacks, finished or failed
trainings, and drift starting or ending are sent to them as signed JSON.

An event is stored first, one delivery row per webhook that wants it (so it survives the
process that raised it), then a thread in each serving process sends what is due: POST with
the event's JSON, signed with HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret
(headers X-Modelhub-Event, -Delivery, -Timestamp and -Signature: "sha256=<hex>"). A 2xx
answer delivers it; anything else is tried again after 2, 4, 8... seconds (at most an hour
apart), ATTEMPTS times in all. Every attempt is written to the delivery's log.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app

from registry.database import db, utcnow
from registry.models import Webhook, WebhookDelivery
from registry.versions import NotFound, RegistryError

log = logging.getLogger(__name__)

EVENTS = ("promotion", "rollback", "training.succeeded", "training.failed", "drift.started",
          "drift.ended")
ATTEMPTS = 8
TIMEOUT_SECONDS = 5.0
POLL_SECONDS = 1.0
LEASE_SECONDS = 30.0  # a claimed delivery another process may retry after this (a crash)
LOG_CHARS = 4000


def add(usecase: str, url: str, events: list[str] | None, actor: str) -> Webhook:
    """Register an address for a use case's events (all of them by default)."""
    check_url(url)
    chosen = list(events) if events else list(EVENTS)
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown:
        raise RegistryError(f"unknown events: {', '.join(unknown)} (known: {', '.join(EVENTS)})")
    row = Webhook(usecase=usecase, url=url, secret=secrets.token_hex(32), events=chosen,
                  created_by=actor)
    db.session.add(row)
    db.session.commit()
    return row


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise RegistryError("the address must be an http:// or https:// URL of at most 500 "
                            "characters")


def listed(usecase: str) -> list[Webhook]:
    return list(db.session.scalars(sa.select(Webhook).where(Webhook.usecase == usecase)
                                   .order_by(Webhook.id)))


def get(usecase: str, webhook_id: int) -> Webhook:
    row = db.session.get(Webhook, webhook_id)
    if row is None or row.usecase != usecase:
        raise NotFound(f"{usecase} has no webhook {webhook_id}")
    return row


def remove(row: Webhook) -> None:
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.webhook_id == row.id))
    db.session.delete(row)
    db.session.commit()


def deliveries(row: Webhook, limit: int = 50) -> list[WebhookDelivery]:
    return list(db.session.scalars(sa.select(WebhookDelivery)
                                   .where(WebhookDelivery.webhook_id == row.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)))


def emit(usecase: str, event: str, data: dict[str, Any]) -> int:
    """Store the event for every webhook of the use case that wants it; how many."""
    payload = {"event": event, "usecase": usecase, "at": utcnow().isoformat() + "Z",
               "data": data}
    wanted = [w for w in listed(usecase) if event in (w.events or [])]
    for webhook in wanted:
        db.session.add(WebhookDelivery(webhook_id=webhook.id, event=event, payload=payload,
                                       next_attempt_at=utcnow()))
    if wanted:
        db.session.commit()
        sender().wake()
    return len(wanted)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a receiver recomputes to trust a delivery: HMAC-SHA256 of "<timestamp>.<body>"."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()


def send_due(limit: int = 20) -> int:
    """Try the pending deliveries that are due (claimed one by one, so two processes never
    send the same attempt); how many were tried."""
    now = utcnow()
    due = db.session.scalars(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
    tried = 0
    for delivery_id in due:
        claimed = db.session.execute(sa.update(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now).values(
            next_attempt_at=now + timedelta(seconds=LEASE_SECONDS)))
        db.session.commit()
        if claimed.rowcount != 1:
            continue  # another process took it
        attempt(db.session.get(WebhookDelivery, delivery_id))
        tried += 1
    return tried


def attempt(delivery: WebhookDelivery) -> None:
    """Send one delivery once and record how it went."""
    webhook = db.session.get(Webhook, delivery.webhook_id)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(webhook.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "ModelHub-Webhooks",
        "X-Modelhub-Event": delivery.event, "X-Modelhub-Delivery": str(delivery.id),
        "X-Modelhub-Timestamp": stamp,
        "X-Modelhub-Signature": signature(webhook.secret, stamp, body)})
    status, problem = None, None
    try:
        # The scheme was checked when the address was registered (http or https only).
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # nosec B310
            status = answer.status
    except urllib.error.HTTPError as exc:
        status, problem = exc.code, f"answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        problem = f"could not be reached: {getattr(exc, 'reason', exc)}"
    now = utcnow()
    delivery.attempts += 1
    delivery.last_status = status
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = "delivered", now
        line = f"attempt {delivery.attempts}: delivered ({status})"
    elif delivery.attempts >= ATTEMPTS:
        delivery.status = "failed"
        line = f"attempt {delivery.attempts}: {problem}; giving up"
    else:
        wait = min(2 ** delivery.attempts, 3600)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        line = f"attempt {delivery.attempts}: {problem}; next in {wait} s"
    delivery.log = (delivery.log + f"{now.isoformat(timespec='seconds')}Z {line}\n")[-LOG_CHARS:]
    db.session.commit()


EXTENSION = "modelhub.webhooks"


class Sender:
    """One process's webhook sender: a thread that sends what is due every POLL_SECONDS, or at
    once when this process stored an event."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._event = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def start_once(self) -> None:
        if self._thread is None:  # the request path pays one attribute read after that
            self.start()

    def wake(self) -> None:
        self.start()
        self._event.set()

    def start(self) -> None:
        with self._lock:
            if not self._stopped and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """End the thread after its current round (an app that is done with its registry)."""
        self._stopped = True
        self._event.set()
        if self._thread is not None:
            self._thread.join(TIMEOUT_SECONDS * 2)

    def _run(self) -> None:
        while not self._stopped:
            self._event.wait(POLL_SECONDS)
            self._event.clear()
            if self._stopped:
                return
            try:
                with self.app.app_context():
                    while send_due():
                        pass
            except Exception:  # a sender must outlive a database that is away for a while
                log.exception("sending webhooks failed")


def init_app(app: Flask) -> None:
    """Each serving process sends what is due (its own events at once, others' retries within
    POLL_SECONDS), from its first request on; WEBHOOKS_SEND false leaves that to the processes
    that store events and to `flask hub send-webhooks`."""
    found = app.extensions[EXTENSION] = Sender(app)
    if app.config.get("WEBHOOKS_SEND", True):
        app.before_request(found.start_once)


def sender() -> Sender:
    return current_app.extensions[EXTENSION]
