"""Login throttling: repeated failed sign-ins are locked out for a while, in every worker."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from registry import logins
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


def test_many_names_from_one_address_lock_the_address_out(app, tokens):
    client = app.test_client()
    statuses = [attempt(client, f"guess-{n}", "wrong password").status_code
                for n in range(logins.FAILURES_PER_ADDRESS)]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]
    assert attempt(client, ADA, PASSWORD).status_code == 429
    assert attempt(client, ADA, PASSWORD, address=ELSEWHERE).status_code == 302


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


def test_names_never_choose_a_file_name(app, tokens):
    client = app.test_client()
    fail(client, "../../secret_key", 1)
    fail(client, "/etc/passwd\x00", 1)
    folder = Path(app.instance_path) / logins.FOLDER
    names = [path.name for path in folder.iterdir() if not path.name.startswith(".")]
    assert names and all(re.fullmatch(r"[0-9a-f]{64}", name) for name in names)
    assert (Path(app.instance_path) / "secret_key").read_text().strip() == app.secret_key


def test_old_failure_files_are_swept(tmp_path, monkeypatch):
    log = logins.FailureLog(tmp_path, window=60)
    for n in range(5):
        log.add(f"name:{n}")
    assert len(list(tmp_path.iterdir())) == 6  # five counts and the sweep's marker
    later = logins.clock() + 61
    monkeypatch.setattr(logins, "clock", lambda: later)
    log.add("name:new")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == \
        [log._path("name:new").name]
    assert log.wait_seconds("name:0", 1) == 0 and log.wait_seconds("name:new", 1) > 0
