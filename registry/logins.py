"""Signing in, with repeated failures locked out or slowed down for a while.

Two counts of recent failed sign-ins are kept, over a sliding window (15 minutes by default):
- per username *and* client address (5 by default): guessing one account's password from one
  place stops: while the count is at its limit, that name's sign-ins from there are refused
  without checking the password (so a lucky guess does not get in either), and the caller is
  told how long to wait. A stranger elsewhere cannot lock the real admin out by failing on
  purpose.
- per client address (20 by default): trying a few passwords on many names is slowed, not
  stopped. Past the limit, the address may make one more attempt once a pause has passed since
  its latest failure; the pause doubles with each failure over the limit (1 s, 2 s, 4 s ... up
  to a minute by default). A refused attempt is told how long the pause still runs. People who
  share an address with someone guessing (an office, a campus) still sign in with their own
  password after at most that pause, instead of being shut out for the whole window.
The client address is what Werkzeug sees: behind a reverse proxy, set PROXY_COUNT so that it is
the client's, not the proxy's.

The portal runs as several worker processes on several hosts, so the counts live in the
registry they share: the `login_failures` table, one row per failure and key. A row holds the
time and the key's HMAC-SHA256 under the secret key: the table names no user and no address,
and without the key a copy of it cannot be matched against a list of addresses (a new secret
key starts the counts afresh). Each attempt deletes the rows that have left the window, so the
table holds about one window's failures.

What holds with many requests at once, in any number of processes and hosts: at most the
limit's number of passwords are checked per name and address within a window, and past the
address's limit at most one per pause (a successful sign-in forgets the name's count, as
before). An attempt first writes its rows as though it had failed and commits, then counts, and
checks the password only if the counts, its own rows included, allow it. Of attempts racing on
one key, the last to commit sees the others' rows: on PostgreSQL each statement sees every
commit made before it, and SQLite has one writer at a time. The price falls on the safe side:
attempts racing near a limit may all be refused, and an attempt whose password is being checked
counts against the others until it succeeds. A refused attempt takes its rows back, so
hammering at a lock does not make it longer. Times come from `clock` on each host, so the
hosts' clocks must agree (NTP): a skew moves the window's edge by as much.
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
FAILURES_PER_ADDRESS = 20  # from one address, whatever the usernames, before pauses
FIRST_PAUSE_SECONDS = 1.0  # after the address's limit; doubles with each failure past it
LONGEST_PAUSE_SECONDS = 60.0

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
    if counts.over_limit(mine):  # racing attempts committed theirs first
        counts.withdraw(mine)
        return SignIn(None, max(1, counts.wait_seconds()))
    user = users.authenticate(username, password)
    if user is None:  # the reserved rows stay: they are this failure
        return SignIn(None, counts.wait_seconds())
    counts.withdraw(mine, forget_name=True)
    return SignIn(user)


class FailureCounts:
    """The two counts one sign-in attempt is held to: the name's (from this address), which
    locks, and the address's, which slows."""

    def __init__(self, username: str, address: str | None) -> None:
        config = current_app.config
        where = address or "unknown"
        self.window = timedelta(seconds=float(config.get("LOGIN_WINDOW_SECONDS",
                                                         WINDOW_SECONDS)))
        # Names are stripped as sign-in does, and case-folded too, so that "Ada" and "ada "
        # share one count.
        self.name = _digest(f"name:{username.strip().casefold()}\naddress:{where}")
        self.name_limit = int(config.get("LOGIN_FAILURES_PER_NAME", FAILURES_PER_NAME))
        self.address = _digest(f"address:{where}")
        self.address_limit = int(config.get("LOGIN_FAILURES_PER_ADDRESS", FAILURES_PER_ADDRESS))
        self.first_pause = float(config.get("LOGIN_FIRST_PAUSE_SECONDS", FIRST_PAUSE_SECONDS))
        self.longest_pause = float(config.get("LOGIN_LONGEST_PAUSE_SECONDS",
                                              LONGEST_PAUSE_SECONDS))

    def wait_seconds(self) -> int:
        """How long until an attempt would be checked; 0 if one would be now."""
        now = _now()
        wait = 0.0
        # Failures leave the window oldest first; once the limit-th newest has left, one more
        # attempt is allowed.
        moment = self._nth_newest(self.name, self.name_limit, now)
        if moment is not None:
            wait = max(wait, (moment + self.window - now).total_seconds())
        failures = self._failures(self.address, now)
        if len(failures) >= self.address_limit:
            pause = self.pause(len(failures) - self.address_limit + 1)
            wait = max(wait, (failures[0] + pause - now).total_seconds())
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def over_limit(self, mine: list[int]) -> bool:
        """Whether the counts, with this attempt's own rows (`mine`) in them, refuse it."""
        now = _now()
        if self._nth_newest(self.name, self.name_limit + 1, now) is not None:
            return True
        others = self._failures(self.address, now, besides=mine)
        if len(others) < self.address_limit:
            return False
        # Past the address's limit: refused unless the pause since the newest other failure,
        # racing attempts' included, has passed.
        return now - others[0] < self.pause(len(others) - self.address_limit + 1)

    def pause(self, past_limit: int) -> timedelta:
        """The pause the address owes before its next attempt, `past_limit` failures in (>= 1)."""
        seconds = self.first_pause * 2.0 ** min(past_limit - 1, 62)
        return timedelta(seconds=min(seconds, self.longest_pause))

    def reserve(self) -> list[int]:
        """Count this attempt as a failure under each key, commit, and return the rows' ids.

        The rows that have left the window are deleted in the same transaction.
        """
        now = _now()
        db.session.execute(sa.delete(LoginFailure)
                           .where(LoginFailure.failed_at <= now - self.window))
        rows = [LoginFailure(key_digest=digest, failed_at=now)
                for digest in (self.name, self.address)]
        db.session.add_all(rows)
        db.session.flush()
        ids = [row.id for row in rows]
        db.session.commit()
        return ids

    def withdraw(self, ids: list[int], *, forget_name: bool = False) -> None:
        """Take back the rows `reserve` wrote; with `forget_name`, all of the name's failures."""
        doomed = LoginFailure.id.in_(ids)
        if forget_name:
            doomed = sa.or_(doomed, LoginFailure.key_digest == self.name)
        db.session.execute(sa.delete(LoginFailure).where(doomed))
        db.session.commit()

    def _nth_newest(self, digest: str, n: int, now: datetime) -> datetime | None:
        """When the n-th newest failure in the window counted under `digest` happened (None:
        there are fewer than n). Served by the index on (key_digest, failed_at)."""
        return db.session.scalar(
            sa.select(LoginFailure.failed_at)
            .where(LoginFailure.key_digest == digest, LoginFailure.failed_at > now - self.window)
            .order_by(LoginFailure.failed_at.desc()).offset(n - 1).limit(1))

    def _failures(self, digest: str, now: datetime, besides: list[int] = ()) -> list[datetime]:
        """When each failure in the window counted under `digest` happened, newest first,
        leaving out the rows `besides`. At most a window's worth: an address past its limit
        makes only a few attempts more per window."""
        return list(db.session.scalars(
            sa.select(LoginFailure.failed_at)
            .where(LoginFailure.key_digest == digest, LoginFailure.failed_at > now - self.window,
                   LoginFailure.id.not_in(besides))
            .order_by(LoginFailure.failed_at.desc())))


def _digest(key: str) -> str:
    """The digest a count is stored under: `key` through HMAC-SHA256 with the secret key, so
    that what the table holds tells nothing of the names and addresses without the key."""
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def _now() -> datetime:
    """`clock`'s time as the registry stores times: UTC, without tzinfo."""
    return datetime.fromtimestamp(clock(), UTC).replace(tzinfo=None)
