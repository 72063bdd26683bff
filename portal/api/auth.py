"""Bearer tokens: who is calling, and whether their role allows what they ask.

The API uses tokens only (no session cookie), which is why its blueprint is exempt from CSRF.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import g, request

from portal.api.errors import ApiError
from registry import users
from registry.models import User

ADMIN, ANALYST = "admin", "analyst"


def token_user() -> User | None:
    """The user whose token is in `Authorization: Bearer <token>`, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return users.user_for_token(token.strip())


def caller_is_admin() -> bool:
    """Whether the request carries a valid admin's token (public routes show admins more)."""
    user = token_user()
    return user is not None and user.role == ADMIN


def require_role(*roles: str) -> User:
    """The caller when their token is valid and their role is one of `roles`; else 401 or 403."""
    user = token_user()
    if user is None:
        sent = "Authorization" in request.headers
        # RFC 6750: say whether the token was missing or refused.
        challenge = 'Bearer realm="modelhub"' + (', error="invalid_token"' if sent else "")
        message = ("the API token is not valid (mistyped, replaced or revoked)" if sent
                   else "this needs an API token: send Authorization: Bearer <token>")
        raise ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})
    if user.role not in roles:
        raise ApiError(403, "forbidden",
                       f"this needs the {' or '.join(roles)} role; the token is an {user.role}'s")
    return user


def token_required(*roles: str) -> Callable:
    """Guard a view: only callers with one of `roles` get in; the user is kept in g.api_user."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            g.api_user = require_role(*roles)
            return view(*args, **kwargs)

        guarded.roles = roles  # read by the OpenAPI document, so the doc cannot drift
        return guarded

    return decorate
