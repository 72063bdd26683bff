"""What anonymous clients may ask of the models: predictions per address over time, and batches
of a few inputs. Callers who say who they are (an API token, or signed in) are held to neither.

- PREDICTION_RATE_LIMIT ("300 per minute" by default; None turns it off) counts inputs scored,
  not requests, per client address, summed over every protocol (the native API, MLflow's
  scoring, the Open Inference Protocol and the forms), with a sliding window. Over it, the
  answer is 429 with Retry-After, in the protocol's own shape.
- ANONYMOUS_MAX_BATCH (10 by default; None: up to MAX_BATCH) is the largest batch scored without
  a token; a larger one is answered 401, saying a token is needed.

The counts are kept by the `limits` library (the engine under Flask-Limiter) in the storage
RATELIMIT_STORAGE_URI names: with a redis:// URL, one count that every host and worker shares;
by default the JOB_QUEUE_URL's Redis when there is one, else each process's memory (one host's
workers then each keep their own count, so a client may get up to one limit per worker). The
library is called directly rather than through Flask-Limiter's decorators because the cost is
known only once the body is read (a batch costs its inputs), each protocol words a refusal its
own way, and Flask-Limiter keeps its storage on one object per process where the tests build
many apps. If the storage cannot be reached, predictions are served uncounted (and logged):
a quota must not take the models down with it.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import limits
from flask import Flask, current_app, g, request
from flask_login import current_user
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from portal.api.auth import token_user

KEY = "modelhub.quotas"


class QuotaExceeded(Exception):
    """An anonymous client asked for more than it may; `status` is 401 or 429."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after

    @property
    def headers(self) -> dict[str, str]:
        if self.status == 401:
            return {"WWW-Authenticate": 'Bearer realm="modelhub"'}
        return {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class Quotas:
    """One app's limits and the counter that applies them (None: no rate limit)."""

    counter: SlidingWindowCounterRateLimiter | None
    rate: limits.RateLimitItem | None
    max_batch: int | None


def init_app(app: Flask) -> None:
    config = app.config
    spec = config.get("PREDICTION_RATE_LIMIT") or None
    rate = limits.parse(spec) if spec else None
    counter = None
    if rate is not None:
        uri = config.get("RATELIMIT_STORAGE_URI") or _default_storage(config.get("JOB_QUEUE_URL"))
        counter = SlidingWindowCounterRateLimiter(storage_from_string(uri))
    batch = config.get("ANONYMOUS_MAX_BATCH")
    app.extensions[KEY] = Quotas(counter, rate, int(batch) if batch else None)


def _default_storage(queue_url: str | None) -> str:
    if queue_url and queue_url.startswith(("redis://", "rediss://")):
        return queue_url
    return "memory://"


def known_caller() -> bool:
    """Whether the request says who sent it: a valid API token, or a signed-in session."""
    if "quota_known_caller" not in g:
        g.quota_known_caller = bool(
            (request.headers.get("Authorization") and token_user() is not None)
            or current_user.is_authenticated)
    return g.quota_known_caller


def charge(inputs: int) -> None:
    """Count `inputs` scored against the caller's quotas, or raise QuotaExceeded (counting
    nothing). Called by every protocol once it knows how many inputs a request holds."""
    quotas: Quotas = current_app.extensions[KEY]
    if quotas.max_batch is None and quotas.counter is None:
        return
    if known_caller():
        return
    if quotas.max_batch is not None and inputs > quotas.max_batch:
        raise QuotaExceeded(401, f"a batch of more than {quotas.max_batch} inputs needs an API "
                                 f"token (Authorization: Bearer <token>); send these {inputs} "
                                 f"with one, or in batches of {quotas.max_batch}")
    if quotas.counter is None or quotas.rate is None:
        return
    address = request.remote_addr or "unknown"
    try:
        if quotas.counter.hit(quotas.rate, "predictions", address, cost=inputs):
            return
        reset = quotas.counter.get_window_stats(quotas.rate, "predictions", address).reset_time
    except Exception:  # noqa: BLE001  (any storage failure: serve, uncounted)
        current_app.logger.exception("the prediction quota's storage failed; not counting")
        return
    wait = max(1, math.ceil(reset - time.time()))
    window = str(quotas.rate).partition(" per ")[2]  # "1 minute"
    raise QuotaExceeded(429, f"without an API token, an address may have {quotas.rate.amount} "
                             f"inputs scored per {window}; try again in {wait} s, or send a "
                             f"token", wait)
