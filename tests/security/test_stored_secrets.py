"""Passwords and API tokens are kept only as hashes: not in any column, not in the files."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from registry.database import db
from registry.models import User
from tests.security.conftest import signed_in

PASSWORD = "Quartz-Lantern-7-Orbit"  # unlike anything else in the instance folder


def test_passwords_and_tokens_are_stored_only_as_hashes(app, tokens):
    admin = signed_in(app, "admin")
    created = admin.post("/admin/users", data={"username": "grace", "password": PASSWORD,
                                               "role": "analyst"})
    assert created.status_code == 302
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "grace"))
    page = admin.post(f"/admin/users/{user_id}/token").get_data(as_text=True)
    token = re.search(r"mh_[A-Za-z0-9_-]{40,}", page).group(0)  # shown once, on that page
    assert admin.get("/admin/users").get_data(as_text=True).count(token) == 0

    with app.app_context():
        row = db.session.execute(sa.select(User.__table__).where(User.id == user_id)) \
            .mappings().one()
    for column, value in row.items():
        assert PASSWORD not in str(value) and token not in str(value), column
    assert row["password_hash"].startswith(("scrypt:", "pbkdf2:"))  # salted and slow
    assert check_password_hash(row["password_hash"], PASSWORD)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()

    # The bytes on disk: the database with its write-ahead log, and every other file there.
    files = [path for path in Path(app.instance_path).rglob("*") if path.is_file()]
    assert any(path.name == "modelhub.db" for path in files)
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and token.encode() not in data, path.name
