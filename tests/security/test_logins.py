"""Login throttling: repeated failed sign-ins are locked out for a while, in every worker of every
host, since the counts live in the registry."""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry import logins, users
from registry.database import db
from registry.models import LoginFailure
from tests.portal.conftest import PASSWORD
from tests.security.conftest import USERNAMES

ADA = USERNAMES["admin"]
HERE, ELSEWHERE = "10.0.0.1", "10.0.0.2"
ROOT = Path(__file__).resolve().parents[2]


def attempt(client, username: str, password: str, address: str = HERE):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def fail(client, username: str, times: int, address: str = HERE) -> list[int]:
    return [attempt(client, username, "wrong password", address).status_code
            for _ in range(times)]


def is_signed_in(client) -> bool:
    return client.get("/history/").status_code == 200


LOCKED_AT_LIMIT = [401] * (logins.FAILURES_PER_NAME - 1) + [429]


@pytest.mark.parametrize("username", [ADA, "nobody"])
def test_repeated_failures_lock_the_name_out_even_for_the_right_password(app, tokens, username):
    """Known and unknown names answer alike, so the lockout tells nobody which names exist."""
    client = app.test_client()
    assert fail(client, username, logins.FAILURES_PER_NAME) == LOCKED_AT_LIMIT
    response = attempt(client, username, PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= logins.WINDOW_SECONDS
    assert "Too many failed logins. Try again in 15" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_the_lock_is_for_that_name_from_that_address(app, tokens):
    """Someone failing on purpose elsewhere cannot lock the real admin out."""
    client = app.test_client()
    fail(client, ADA, logins.FAILURES_PER_NAME)
    assert attempt(client, ADA, PASSWORD, address=ELSEWHERE).status_code == 302
    other = app.test_client()
    assert attempt(other, USERNAMES["analyst"], PASSWORD).status_code == 302


def guess_many_names(client, times: int = logins.FAILURES_PER_ADDRESS) -> list[int]:
    return [attempt(client, f"guess-{n}", "wrong password").status_code for n in range(times)]


def test_many_names_from_one_address_slow_the_address_down(app, tokens):
    client = app.test_client()
    statuses = guess_many_names(client)
    assert statuses[-1] == 429 and 429 not in statuses[:-1]
    refused = attempt(client, ADA, PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "Try again in 1 second." in refused.get_data(as_text=True)
    assert not is_signed_in(client)
    assert attempt(client, ADA, PASSWORD, address=ELSEWHERE).status_code == 302


def test_a_correct_password_gets_in_once_the_address_s_pause_is_over(app, tokens, monkeypatch):
    """Someone guessing from a shared address (an office behind one NAT) slows the others
    there down; it does not shut them out for the whole window."""
    client = app.test_client()
    guess_many_names(client)
    now = logins.clock()
    monkeypatch.setattr(logins, "clock", lambda: now + logins.FIRST_PAUSE_SECONDS)
    assert attempt(client, ADA, PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_each_failure_past_the_address_s_limit_doubles_the_pause(app, tokens, monkeypatch):
    client = app.test_client()
    guess_many_names(client)
    now = logins.clock()
    pauses = []
    for n in range(8):
        answer = attempt(client, f"more-{n}", "wrong password")
        assert answer.status_code == 429  # still within the pause: refused, not counted
        pause = int(answer.headers["Retry-After"])
        pauses.append(pause)
        now += pause
        monkeypatch.setattr(logins, "clock", lambda moment=now: moment)
        assert attempt(client, f"more-{n}", "wrong password").status_code in (401, 429)
    first = int(logins.FIRST_PAUSE_SECONDS)
    longest = int(logins.LONGEST_PAUSE_SECONDS)
    assert pauses == [min(first * 2 ** n, longest) for n in range(8)]
    # The refused attempts took nothing into the count: only the limit and the 8 checked ones.
    assert len(stored_failures(app)) == 2 * (logins.FAILURES_PER_ADDRESS + 8)


def test_the_pauses_can_be_set(app, tokens, monkeypatch):
    app.config.update(LOGIN_FAILURES_PER_ADDRESS=3, LOGIN_FIRST_PAUSE_SECONDS=10,
                      LOGIN_LONGEST_PAUSE_SECONDS=15)
    client = app.test_client()
    assert guess_many_names(client, 3) == [401, 401, 429]
    assert attempt(client, ADA, PASSWORD).headers["Retry-After"] == "10"
    now = logins.clock()
    monkeypatch.setattr(logins, "clock", lambda: now + 10)
    assert attempt(client, "guess-x", "wrong password").status_code == 429
    answer = attempt(client, ADA, PASSWORD)
    assert answer.headers["Retry-After"] == "15"  # 20 s, but no longer than the longest
    assert "Try again in 15 seconds." in answer.get_data(as_text=True)


def test_the_lock_lifts_once_the_failures_are_old(app, tokens, monkeypatch):
    client = app.test_client()
    fail(client, ADA, logins.FAILURES_PER_NAME)
    assert attempt(client, ADA, PASSWORD).status_code == 429
    now = logins.clock()
    monkeypatch.setattr(logins, "clock", lambda: now + logins.WINDOW_SECONDS + 1)
    assert attempt(client, ADA, PASSWORD).status_code == 302


def test_signing_in_forgets_the_name_s_failures(app, tokens):
    client = app.test_client()
    below = logins.FAILURES_PER_NAME - 1
    assert fail(client, ADA, below) == [401] * below
    assert attempt(client, ADA, PASSWORD).status_code == 302
    client.post("/auth/logout")
    assert fail(client, ADA, below) == [401] * below


def test_spelling_a_name_differently_does_not_buy_more_guesses(app, tokens):
    client = app.test_client()
    variants = [ADA.upper(), f" {ADA}", ADA.capitalize(), f"{ADA} ", ADA]
    statuses = [attempt(client, name, "wrong password").status_code for name in variants]
    assert statuses == LOCKED_AT_LIMIT


def test_the_limits_can_be_set(app, tokens):
    app.config.update(LOGIN_FAILURES_PER_NAME=2, LOGIN_WINDOW_SECONDS=60)
    client = app.test_client()
    assert fail(client, ADA, 2) == [401, 429]
    assert int(attempt(client, ADA, PASSWORD).headers["Retry-After"]) <= 60


def test_failures_in_another_process_count_too(app, tokens):
    """Gunicorn's workers are processes: a count kept in memory would give each its own."""
    worker = (
        "import sys\n"
        "from portal import create_app\n"
        "app = create_app({'INSTANCE_PATH': sys.argv[1], 'TESTING': True, "
        "'WTF_CSRF_ENABLED': False, 'USECASES': []})\n"
        "client = app.test_client()\n"
        "for _ in range(int(sys.argv[2])):\n"
        "    answer = client.post('/auth/login', environ_base={'REMOTE_ADDR': sys.argv[3]},\n"
        f"                         data={{'username': {ADA!r}, 'password': 'wrong'}})\n"
        "    assert answer.status_code == 401, answer.status_code\n")
    others = logins.FAILURES_PER_NAME - 1
    subprocess.run([sys.executable, "-c", worker, app.instance_path, str(others), HERE],
                   cwd=ROOT, check=True, timeout=120)
    client = app.test_client()
    assert fail(client, ADA, 1) == [429]
    assert attempt(client, ADA, PASSWORD).status_code == 429


def stored_failures(app) -> list[str]:
    """The key digests of every failure the registry holds."""
    with app.app_context():
        return db.session.scalars(sa.select(LoginFailure.key_digest)).all()


def test_the_registry_holds_no_name_or_address(app, tokens):
    """A copy of the registry does not tell who tried to sign in from where."""
    client = app.test_client()
    assert fail(client, "../../secret_key", 1) == [401]
    assert fail(client, "/etc/passwd\x00", 1) == [401]
    assert fail(client, ADA, 1, address=ELSEWHERE) == [401]
    digests = stored_failures(app)
    assert len(digests) == 6  # a count of the name and one of the address, for each failure
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in digests)
    # Keyed with the secret key: digesting a list of addresses without it finds none of them.
    unkeyed = {hashlib.sha256(f"address:{where}".encode()).hexdigest()
               for where in (HERE, ELSEWHERE)}
    assert not unkeyed & set(digests)


def test_signing_in_deletes_the_name_s_failures_but_not_the_address_s(app, tokens):
    client = app.test_client()
    fail(client, ADA, 2)
    assert attempt(client, ADA, PASSWORD).status_code == 302
    assert len(stored_failures(app)) == 2  # the address's two failures, still counted


def test_failures_that_left_the_window_are_deleted(app, tokens, monkeypatch):
    """The table holds about one window's failures, however many names were tried once."""
    client = app.test_client()
    for n in range(5):
        fail(client, f"guess-{n}", 1)
    assert len(stored_failures(app)) == 10
    later = logins.clock() + logins.WINDOW_SECONDS + 1
    monkeypatch.setattr(logins, "clock", lambda: later)
    fail(client, "guess-new", 1)
    assert len(stored_failures(app)) == 2


def test_racing_attempts_check_no_more_passwords_than_the_limit(app, tokens, monkeypatch):
    """Requests sent at once cannot all pass the check before any of them is counted."""
    checked = []
    real_authenticate = users.authenticate

    def slow_authenticate(username: str, password: str):
        checked.append(username)
        time.sleep(0.3)  # a slow password hash: room for every racer to pass a naive check
        return real_authenticate(username, password)

    monkeypatch.setattr(users, "authenticate", slow_authenticate)
    racers = 3 * logins.FAILURES_PER_NAME
    start = threading.Barrier(racers)

    def race(_: int) -> int:
        client = app.test_client()
        start.wait(timeout=60)
        return attempt(client, ADA, "wrong password").status_code

    with ThreadPoolExecutor(racers) as pool:
        statuses = list(pool.map(race, range(racers)))
    assert set(statuses) <= {401, 429}
    assert len(checked) <= logins.FAILURES_PER_NAME
    # The attempts refused took their rows back: only the checked ones count.
    assert len(stored_failures(app)) == 2 * len(checked)
    locked = len(checked) == logins.FAILURES_PER_NAME
    assert attempt(app.test_client(), ADA, PASSWORD).status_code == (429 if locked else 302)
