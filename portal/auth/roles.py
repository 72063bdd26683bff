"""Who may see a page: `role_required` guards views (or a whole blueprint's before_request)."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort
from flask_login import current_user

from portal.extensions import login


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let through signed-in users with one of `roles`; admins may do everything.

    Anonymous visitors are sent to the login page (with `next` set to come back); a signed-in
    user with another role gets 403, since signing in again would not help.
    """
    allowed = {*roles, "admin"}

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorator
