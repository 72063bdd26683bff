"""Users and their API tokens. Passwords and tokens are stored only as hashes."""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from functools import cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from registry.database import db, utcnow
from registry.models import ROLES, User


class UserError(ValueError):
    """A user request that cannot be done (bad role, name taken, unknown user)."""


MIN_PASSWORD = 8


def username_key(username: str) -> str:
    """The form two names are compared in: NFKC (so "ａｄａ" is "ada"), then case-folded."""
    return unicodedata.normalize("NFKC", username).casefold()


def clean_username(raw: str) -> str:
    """A new name as stored: NFKC, no spaces, control, invisible or direction characters
    (which would make two names look alike, or a name show other than it reads)."""
    username = unicodedata.normalize("NFKC", raw.strip())
    if not username or len(username) > 80:
        raise UserError("username must be 1 to 80 characters")
    if not username.isprintable() or any(ch.isspace() for ch in username):
        raise UserError("username must not hold spaces, control or invisible characters")
    return username


def create_user(username: str, password: str, role: str) -> User:
    username = clean_username(username)
    if role not in ROLES:
        raise UserError(f"role must be one of: {', '.join(ROLES)}")
    _check_password(password)
    if find_user(username) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, username_key=username_key(username), role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must be at least {MIN_PASSWORD} characters")


def find_user(username: str) -> User | None:
    """The user of this name, whatever its case or Unicode form."""
    if "\x00" in username:  # PostgreSQL text holds no NUL and refuses a query with one
        return None
    return db.session.scalar(sa.select(User).where(User.username_key ==
                                                   username_key(username.strip())))


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session begun before no longer loads them."""
    user.session_epoch += 1
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """A new password; every session signed in with the old one ends."""
    _check_password(password)
    user.set_password(password)
    end_sessions(user)


def set_disabled(user: User, disabled: bool) -> None:
    """Disable (no sign-in, no token, sessions ended) or enable a user again."""
    if disabled and _last_admin(user):
        raise UserError("the last enabled admin cannot be disabled")
    user.disabled = disabled
    end_sessions(user)


def set_role(user: User, role: str) -> None:
    """A new role, which the user's next sign-in carries (sessions end)."""
    if role not in ROLES:
        raise UserError(f"role must be one of: {', '.join(ROLES)}")
    if role != "admin" and _last_admin(user):
        raise UserError("the last enabled admin must stay an admin")
    user.role = role
    end_sessions(user)


def _last_admin(user: User) -> bool:
    """Whether `user` is the only enabled admin (the portal would have nobody to run it)."""
    if user.role != "admin" or user.disabled:
        return False
    others = sa.select(sa.func.count()).select_from(User).where(
        User.role == "admin", User.disabled.is_(False), User.id != user.id)
    return db.session.scalar(others) == 0


def any_admin() -> bool:
    """Whether someone can sign in as an admin (an enabled admin exists)."""
    admins = sa.select(User.id).where(User.role == "admin", User.disabled.is_(False)).limit(1)
    return db.session.scalar(admins) is not None


def load_session_user(user_id: str) -> User | None:
    """The user a session names ("id:epoch", see User.get_id), if that session still holds:
    the epoch is current and the user is enabled."""
    number, _, epoch = user_id.partition(":")
    if not (number.isascii() and number.isdigit() and epoch.isascii() and epoch.isdigit()) \
            or len(number) > 18:
        return None
    user = db.session.get(User, int(number))
    if user is None or user.disabled or str(user.session_epoch) != epoch:
        return None
    return user


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
    return db.session.scalar(sa.select(User).where(User.token_hash == _digest(token),
                                                   User.disabled.is_(False)))


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
    return user if user.check_password(password) and not user.disabled else None


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
