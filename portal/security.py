"""Security headers on every response: pages, the API, static files, redirects and errors.

The policy allows scripts, styles, fonts, frames and fetches from this site only, and no inline
script, event handler or style attribute: an injected `<script>` or `onclick=` does not run even
if some output were ever left unescaped. Pages may not be framed (clickjacking).
"""
from __future__ import annotations

from flask import Flask, Response

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


def add_security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself (a view may tighten them, never lose them)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # one pass, not one lookup per header
    for name, value in HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    return response


def init_app(app: Flask) -> None:
    # after_request also runs for error handlers' answers and for static files.
    app.after_request(add_security_headers)
