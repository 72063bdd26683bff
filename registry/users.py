"""Users and their API tokens. Passwords and tokens are stored only as hashes."""
from __future__ import annotations

import hashlib
import secrets
from functools import cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from registry.database import db, utcnow
from registry.models import ROLES, User


class UserError(ValueError):
    """A user request that cannot be done (bad role, name taken, unknown user)."""


def create_user(username: str, password: str, role: str) -> User:
    username = username.strip()
    if role not in ROLES:
        raise UserError(f"role must be one of: {', '.join(ROLES)}")
    if not username or len(username) > 80:
        raise UserError("username must be 1 to 80 characters")
    if len(password) < 8:
        raise UserError("password must be at least 8 characters")
    if find_user(username) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def find_user(username: str) -> User | None:
    if "\x00" in username:  # PostgreSQL text holds no NUL and refuses a query with one
        return None
    return db.session.scalar(sa.select(User).where(User.username == username))


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.username)))


def issue_token(user: User) -> str:
    """Give the user a new API token (the old one stops working); return it, shown only once."""
    token = "mh_" + secrets.token_urlsafe(32)
    user.token_hash = _digest(token)
    user.token_created_at = utcnow()
    db.session.commit()
    return token


def revoke_token(user: User) -> None:
    user.token_hash = None
    user.token_created_at = None
    db.session.commit()


def user_for_token(token: str) -> User | None:
    """The user a bearer token belongs to, or None.

    Tokens are 256 random bits, so a plain sha256 is enough to store them (no salt or slow hash is
    needed against guessing), and it lets the lookup be one indexed query.
    """
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(User).where(User.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _no_such_user_hash() -> str:
    """A hash checked when the username is unknown, so a wrong name costs as long as a wrong
    password and the answer's timing does not tell which names exist. Made once, on first use."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(username: str, password: str) -> User | None:
    """The user with this name and password, or None (the same answer for either mistake)."""
    user = find_user(username.strip())
    if user is None:
        check_password_hash(_no_such_user_hash(), password)
        return None
    return user if user.check_password(password) else None


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
