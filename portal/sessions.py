"""Sessions: Flask's signed cookie for the pages, none at all for the token-only JSON API.

An API request gets Flask's null session, so a session cookie can never bear on an API call and
its answers carry no `Vary: Cookie`; opening and saving a session was a tenth of the framework's
cost on a prediction. Flask also builds a new serializer for every request that opens or saves a
session: here it is built once per key (keyed by the secret key and its fallbacks, so changing
either takes effect at once).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

# Paths served with bearer tokens only (the versioned API, see portal/api/auth.py; the Open
# Inference Protocol, portal/inference).
COOKIELESS_PREFIX = ("/api/v1/", "/v2/")


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._signers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(COOKIELESS_PREFIX):
            return None  # Flask then uses its null session, which is never saved
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when SESSION_COOKIE_SECURE says so, and whenever the request came over HTTPS
        (behind a proxy that ends TLS, as its X-Forwarded-Proto says once PROXY_COUNT is set):
        a cookie set over HTTPS is never sent back in clear."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(key)
        if signer is None:
            signer = super().get_signing_serializer(app)
            self._signers = {key: signer}  # one key in use at a time: keep only it
        return signer


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
