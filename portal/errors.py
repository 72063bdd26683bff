"""Error answers: pages for people, the JSON error shape for the API and the probes."""
from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from portal.api import errors as api_errors


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Decided per request, not per blueprint: an unknown /api/v1/... URL matches no route.
        if api_errors.is_api_request():
            return api_errors.from_http_exception(error)
        return render_template("errors/error.html", error=error), error.code
