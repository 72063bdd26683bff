"""Security headers on every response: pages, the API, static files, redirects and errors.

Answers that may hold someone's data are never stored by a browser or a proxy cache
(`Cache-Control: no-store`): the admin pages, the history and its exports, the sign-in pages,
and any answer to a request that carries credentials (a cookie or an Authorization header).

The policy allows scripts, styles, fonts, frames and fetches from this site only, and no inline
script, event handler or style attribute: an injected `<script>` or `onclick=` does not run even
if some output were ever left unescaped. Pages may not be framed (clickjacking).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Browsers must not guess a type: a JSON error or a CSV export never runs as a page.
    "X-Content-Type-Options": "nosniff",
    # frame-ancestors says the same for current browsers; this is for older ones.
    "X-Frame-Options": "DENY",
    # Full URLs (with their filters and `next`) stay on this site; other sites get nothing.
    "Referrer-Policy": "same-origin",
}


# Pages whose answers are someone's data whoever asks (a refusal included).
PRIVATE_PATHS = ("/admin", "/history", "/auth", "/api/v1/predictions")
NO_STORE = ("Cache-Control", "no-store")


class SecurityHeaders:
    """WSGI middleware around the app: adds the headers an answer does not set itself (a view may
    tighten them, never lose them).

    Outside Flask, so every answer passes through it: pages, the API, static files, redirects and
    errors, with no per-request hook. As an after_request hook, building the headers through
    Werkzeug's checks took a twentieth of a prediction's time; here it is a list extended.
    """

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        private = "HTTP_AUTHORIZATION" in environ or "HTTP_COOKIE" in environ or \
            environ.get("PATH_INFO", "").startswith(PRIVATE_PATHS)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            missing = [pair for lower, pair in _PAIRS if lower not in present]
            if private and "cache-control" not in present:
                missing.append(NO_STORE)
            return start_response(status, headers + missing, exc_info)

        return self.wsgi_app(environ, start)


_PAIRS = [(name.lower(), (name, value)) for name, value in HEADERS.items()]


def init_app(app: Flask) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client's address, scheme and host from the
    headers they add (Werkzeug's ProxyFix, trusting exactly that many hops). Outermost, so
    everything inside sees the real client."""
    count = int(app.config["PROXY_COUNT"] or 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count,  # type: ignore[method-assign]
                                x_proto=count, x_host=count)
