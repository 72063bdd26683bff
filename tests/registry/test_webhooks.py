"""Webhooks: events stored per webhook, sent signed to a real loopback server, retried with
backoff until delivered or given up, and every attempt logged; on both databases."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from registry import jobs, serving, versions, webhooks
from registry.database import db, utcnow
from registry.models import WebhookDelivery
from registry.monitoring import inputs
from tests.conftest import add_copy_of_production, make_app
from usecases import get_usecase

HEART = "heart-disease"


class Receiver:
    """A loopback HTTP server that records each POST and answers the statuses it is given
    (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers), body))
                self.send_response(owner.statuses.pop(0) if owner.statuses else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def wait_for(self, count: int, seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def test_a_promotion_is_sent_signed_to_each_webhook_that_wants_it(app, receiver):
    with app.app_context():
        hook = webhooks.add(HEART, receiver.url, None, "ada")
        webhooks.add(HEART, receiver.url, ["training.failed"], "ada")  # does not want it
        number = add_copy_of_production(HEART)
        versions.promote(HEART, number, actor="ada", reason="better")
        secret = hook.secret
    receiver.wait_for(1)
    time.sleep(0.3)
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    stamp = headers["X-Modelhub-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{stamp}.".encode() + body,
                                    hashlib.sha256).hexdigest()
    assert headers["X-Modelhub-Signature"] == expected
    assert headers["X-Modelhub-Event"] == "promotion"
    assert abs(int(stamp) - time.time()) < 60
    sent = json.loads(body)
    assert sent["usecase"] == HEART and sent["data"]["to_version"] == number
    assert sent["data"]["from_version"] == 1 and sent["data"]["reason"] == "better"
    with app.app_context():
        delivery = db.session.scalars(sa.select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
        assert "attempt 1: delivered (200)" in delivery.log


def due_now(app) -> None:
    """Make every pending delivery due (instead of waiting out its backoff)."""
    with app.app_context():
        db.session.execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()


def stored_delivery(app, url: str) -> None:
    """A webhook and one pending delivery, stored without waking this process's sender (the
    test sends it itself)."""
    with app.app_context():
        hook = webhooks.add(HEART, url, ["rollback"], "ada")
        db.session.add(WebhookDelivery(webhook_id=hook.id, event="rollback",
                                       payload={"event": "rollback", "data": {}}))
        db.session.commit()


def test_failed_deliveries_are_retried_with_backoff_and_logged(app):
    failing = Receiver([500, 503])
    try:
        stored_delivery(app, failing.url)
        with app.app_context():
            assert webhooks.send_due() == 1
            delivery = db.session.scalars(sa.select(WebhookDelivery)).one()
            assert (delivery.status, delivery.attempts, delivery.last_status) == (
                "pending", 1, 500)
            waited = (delivery.next_attempt_at - utcnow()).total_seconds()
            assert 0 < waited <= 2
            assert webhooks.send_due() == 0  # not due yet
        for _ in range(2):
            due_now(app)
            with app.app_context():
                webhooks.send_due()
        with app.app_context():
            delivery = db.session.scalars(sa.select(WebhookDelivery)).one()
            assert (delivery.status, delivery.attempts) == ("delivered", 3)
            lines = delivery.log.strip().splitlines()
        assert "answered 500; next in 2 s" in lines[0]
        assert "answered 503; next in 4 s" in lines[1]
        assert "delivered (200)" in lines[2]
        assert len(failing.received) == 3
    finally:
        failing.close()


def test_an_address_that_never_answers_is_given_up_after_the_last_attempt(app):
    stored_delivery(app, "http://127.0.0.1:9/nobody")
    for _ in range(webhooks.ATTEMPTS):
        due_now(app)
        with app.app_context():
            webhooks.send_due()
    with app.app_context():
        delivery = db.session.scalars(sa.select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts) == ("failed", webhooks.ATTEMPTS)
        assert "could not be reached" in delivery.log and "giving up" in delivery.log


def test_finished_and_failed_trainings_are_events(app, receiver):
    with app.app_context():
        webhooks.add(HEART, receiver.url, ["training.succeeded", "training.failed"], "ada")
    for sample, event in ((300, "training.succeeded"), (3, "training.failed")):
        trainer = make_app(app.instance_path, TRAINING_SAMPLE=sample)
        with trainer.app_context():
            jobs.run(jobs.enqueue(HEART, requested_by="ada").id)
    receiver.wait_for(2)
    events = sorted(json.loads(body)["event"] for _, body in receiver.received)
    assert events == ["training.failed", "training.succeeded"]


def test_drift_starting_and_ending_are_events(app, receiver):
    name = "sentiment"
    with app.app_context():
        webhooks.add(name, receiver.url, ["drift.started", "drift.ended"], "ada")
        production = versions.production_version(name)
        usecase = get_usecase(name)
        calm = inputs.report(usecase, production)  # no predictions: nothing tested
        assert inputs.note_state(name, calm) is False  # a first calm look is not news
        serving.predict(name, [{"review": "Great coffee, I love it."}] * 40, source="api")
        moved = inputs.report(usecase, production)
        assert moved["drifting"]  # its one field (the review's length) drifts
        assert inputs.note_state(name, moved) is True
        assert inputs.note_state(name, moved) is False  # still drifting: no news
        assert inputs.note_state(name, calm) is True
    receiver.wait_for(2)
    sent = [json.loads(body) for _, body in receiver.received]
    assert [s["event"] for s in sent] == ["drift.started", "drift.ended"]
    assert sent[0]["data"]["fields"] == ["review"]


def test_addresses_and_events_are_checked(app):
    with app.app_context():
        for url in ("ftp://example.org/x", "javascript:alert(1)", "http:///nohost", "x" * 600):
            with pytest.raises(versions.RegistryError, match="http"):
                webhooks.add(HEART, url, None, "ada")
        with pytest.raises(versions.RegistryError, match="unknown events: deploy"):
            webhooks.add(HEART, "https://example.org/hook", ["deploy"], "ada")
        assert webhooks.listed(HEART) == []
