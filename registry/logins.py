"""Signing in, with repeated failures locked out for a while.

Two counts of recent failed sign-ins are kept, over a sliding window (15 minutes by default):
- per username *and* client address (5 by default): guessing one account's password from one
  place stops quickly, while a stranger elsewhere cannot lock the real admin out by failing on
  purpose;
- per client address (20 by default): trying a few passwords on many names stops too.
While either count is at its limit, sign-ins from there are refused without checking the
password (so a lucky guess does not get in either), and the caller is told how long to wait.

The portal runs as several worker processes on several hosts, so the counts live in the
registry they share: the `login_failures` table, one row per failure and key. A row holds the
time and the key's HMAC-SHA256 under the secret key: the table names no user and no address,
and without the key a copy of it cannot be matched against a list of addresses (a new secret
key starts the counts afresh). Each attempt deletes the rows that have left the window, so the
table holds about one window's failures.

What holds with many requests at once, in any number of processes and hosts: at most the
limit's number of passwords are checked per key within a window (a successful sign-in forgets
the name's count, as before). An attempt first writes its rows as though it had failed and
commits, then counts, and checks the password only if every count, its own row included, is
within its limit. Of attempts racing on one key, the last to commit sees the others' rows: on
PostgreSQL each statement sees every commit made before it, and SQLite has one writer at a
time. The price falls on the safe side: attempts racing near the limit may all be refused, and
an attempt whose password is being checked counts against the others until it succeeds. A
refused attempt takes its rows back, so hammering at a lock does not make it longer. Times come
from `clock` on each host, so the hosts' clocks must agree (NTP): a skew moves the window's edge
by as much.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from registry import users
from registry.database import db
from registry.models import LoginFailure, User

WINDOW_SECONDS = 15 * 60
FAILURES_PER_NAME = 5      # for one username from one address
FAILURES_PER_ADDRESS = 20  # from one address, whatever the usernames

clock = time.time  # wall-clock time, the same in every worker; tests replace it


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or None; `wait_seconds` > 0 while locked out."""

    user: User | None
    wait_seconds: int = 0


def sign_in(username: str, password: str, address: str | None) -> SignIn:
    """The user with this name and password, unless recent failures lock the attempt out.

    A failure is counted; a success forgets the failures of that name from that address (not
    those of the address: an attacker must not reset them by signing in to an account of theirs).
    """
    counts = FailureCounts(username, address)
    wait = counts.wait_seconds()
    if wait:  # locked out already: refused without writing anything
        return SignIn(None, wait)
    mine = counts.reserve()
    if counts.over_limit():  # racing attempts committed theirs first
        counts.withdraw(mine)
        return SignIn(None, max(1, counts.wait_seconds()))
    user = users.authenticate(username, password)
    if user is None:  # the reserved rows stay: they are this failure
        return SignIn(None, counts.wait_seconds())
    counts.withdraw(mine, forget_name=True)
    return SignIn(user)


class FailureCounts:
    """The two counts one sign-in attempt is held to, as (key digest, limit), the name's first."""

    def __init__(self, username: str, address: str | None) -> None:
        config = current_app.config
        where = address or "unknown"
        self.window = timedelta(seconds=float(config.get("LOGIN_WINDOW_SECONDS",
                                                         WINDOW_SECONDS)))
        # Names are stripped as sign-in does, and case-folded too, so that "Ada" and "ada "
        # share one count.
        self.limits = [
            (_digest(f"name:{username.strip().casefold()}\naddress:{where}"),
             int(config.get("LOGIN_FAILURES_PER_NAME", FAILURES_PER_NAME))),
            (_digest(f"address:{where}"),
             int(config.get("LOGIN_FAILURES_PER_ADDRESS", FAILURES_PER_ADDRESS)))]

    def wait_seconds(self) -> int:
        """How long until every count is below its limit; 0 if all are already."""
        now = _now()
        wait = 0
        for digest, limit in self.limits:
            # Failures leave the window oldest first; once the limit-th newest has left, one
            # more attempt is allowed.
            moment = self._nth_newest(digest, limit, now)
            if moment is not None:
                left = math.ceil((moment + self.window - now).total_seconds())
                wait = max(wait, left, 1)
        return wait

    def over_limit(self) -> bool:
        """Whether a count holds more failures than its limit, this attempt's own included."""
        now = _now()
        return any(self._nth_newest(digest, limit + 1, now) is not None
                   for digest, limit in self.limits)

    def reserve(self) -> list[int]:
        """Count this attempt as a failure under each key, commit, and return the rows' ids.

        The rows that have left the window are deleted in the same transaction.
        """
        now = _now()
        db.session.execute(sa.delete(LoginFailure)
                           .where(LoginFailure.failed_at <= now - self.window))
        rows = [LoginFailure(key_digest=digest, failed_at=now) for digest, _ in self.limits]
        db.session.add_all(rows)
        db.session.flush()
        ids = [row.id for row in rows]
        db.session.commit()
        return ids

    def withdraw(self, ids: list[int], *, forget_name: bool = False) -> None:
        """Take back the rows `reserve` wrote; with `forget_name`, all of the name's failures."""
        doomed = LoginFailure.id.in_(ids)
        if forget_name:
            doomed = sa.or_(doomed, LoginFailure.key_digest == self.limits[0][0])
        db.session.execute(sa.delete(LoginFailure).where(doomed))
        db.session.commit()

    def _nth_newest(self, digest: str, n: int, now: datetime) -> datetime | None:
        """When the n-th newest failure in the window counted under `digest` happened (None:
        there are fewer than n). Served by the index on (key_digest, failed_at)."""
        return db.session.scalar(
            sa.select(LoginFailure.failed_at)
            .where(LoginFailure.key_digest == digest, LoginFailure.failed_at > now - self.window)
            .order_by(LoginFailure.failed_at.desc()).offset(n - 1).limit(1))


def _digest(key: str) -> str:
    """The digest a count is stored under: `key` through HMAC-SHA256 with the secret key, so
    that what the table holds tells nothing of the names and addresses without the key."""
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def _now() -> datetime:
    """`clock`'s time as the registry stores times: UTC, without tzinfo."""
    return datetime.fromtimestamp(clock(), UTC).replace(tzinfo=None)
