"""Signing in, with repeated failures locked out for a while.

Two counts of recent failed sign-ins are kept, over a sliding window (15 minutes by default):
- per username *and* client address (5 by default): guessing one account's password from one
  place stops quickly, while a stranger elsewhere cannot lock the real admin out by failing on
  purpose;
- per client address (20 by default): trying a few passwords on many names stops too.
While either count is at its limit, sign-ins from there are refused without checking the
password (so a lucky guess does not get in either), and the caller is told how long to wait.

Gunicorn runs several worker processes, so a count kept in one process's memory would let an
attacker spread guesses over the workers. The counts live in small files in the instance folder,
one per key, each read and rewritten under an exclusive lock (flock), which every worker of one
installation shares. They are runtime state like the job logs: deleting them only lifts the
locks early, and no table or migration is needed.
"""
from __future__ import annotations

import fcntl
import hashlib
import math
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from flask import current_app

from registry import users
from registry.models import User

WINDOW_SECONDS = 15 * 60
FAILURES_PER_NAME = 5      # for one username from one address
FAILURES_PER_ADDRESS = 20  # from one address, whatever the usernames
FOLDER = "login-failures"  # inside the instance folder

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
    limits = _limits(username, address)
    log = _failure_log()
    wait = max(log.wait_seconds(key, limit) for key, limit in limits)
    if wait:
        return SignIn(None, wait)
    user = users.authenticate(username, password)
    if user is None:
        for key, _ in limits:
            log.add(key)
        return SignIn(None, max(log.wait_seconds(key, limit) for key, limit in limits))
    log.forget(limits[0][0])
    return SignIn(user)


def _limits(username: str, address: str | None) -> list[tuple[str, int]]:
    """(key, limit) pairs, the name-and-address one first. Names are stripped as sign-in does,
    and case-folded too, so that "Ada" and "ada " share one count."""
    config = current_app.config
    where = address or "unknown"
    return [(f"name:{username.strip().casefold()}\naddress:{where}",
             int(config.get("LOGIN_FAILURES_PER_NAME", FAILURES_PER_NAME))),
            (f"address:{where}",
             int(config.get("LOGIN_FAILURES_PER_ADDRESS", FAILURES_PER_ADDRESS)))]


def _failure_log() -> FailureLog:
    return FailureLog(Path(current_app.instance_path) / FOLDER,
                      float(current_app.config.get("LOGIN_WINDOW_SECONDS", WINDOW_SECONDS)))


class FailureLog:
    """The times of recent failures per key: one small file per key, shared by all workers."""

    KEEP = 100  # more failures than any limit; a file never grows past this many lines

    def __init__(self, folder: Path, window: float) -> None:
        self.folder = folder
        self.window = window

    def wait_seconds(self, key: str, limit: int) -> int:
        """How long until fewer than `limit` failures of `key` are recent; 0 if already so."""
        path = self._path(key)
        if not path.exists():
            return 0
        with self._locked(path) as handle:
            times = self._recent(handle)
        if len(times) < limit:
            return 0
        # Failures leave the window oldest first; once the limit-th newest has left, one more
        # attempt is allowed.
        return max(1, math.ceil(times[-limit] + self.window - clock()))

    def add(self, key: str) -> None:
        """Count one failure of `key` now."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._locked(self._path(key)) as handle:
            times = (self._recent(handle) + [clock()])[-self.KEEP:]
            handle.seek(0)
            handle.truncate()
            handle.write("".join(f"{moment:.3f}\n" for moment in times))
        self._sweep()

    def forget(self, key: str) -> None:
        path = self._path(key)
        if path.exists():
            with self._locked(path):
                path.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        # A digest, so that no username or address can name a file of its choosing.
        return self.folder / hashlib.sha256(key.encode()).hexdigest()

    def _recent(self, handle: IO[str]) -> list[float]:
        handle.seek(0)
        since = clock() - self.window
        times = []
        for line in handle.read().split():
            try:
                moment = float(line)
            except ValueError:  # a torn or edited file: ignore what cannot be read
                continue
            if since < moment:
                times.append(moment)
        return sorted(times)

    @contextmanager
    def _locked(self, path: Path) -> Iterator[IO[str]]:
        """The file, open for reading and writing under an exclusive lock."""
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink:
                break
            os.close(fd)  # removed (forgotten or swept) while we waited for it: open it anew
        with os.fdopen(fd, "r+") as handle:  # closing it releases the lock
            yield handle

    def _sweep(self) -> None:
        """Remove files with no recent failure, at most once per window, so that many names
        tried once each do not pile up files for ever."""
        marker = self.folder / ".swept"
        now = clock()
        if marker.exists() and now - marker.stat().st_mtime < self.window:
            return
        marker.touch()
        for path in self.folder.iterdir():
            if path.name.startswith("."):
                continue
            try:
                with self._locked(path) as handle:
                    if not self._recent(handle):
                        path.unlink(missing_ok=True)
            except FileNotFoundError:  # another worker swept it first
                continue
