"""Error answers: pages for people, the JSON error shape for the API and the probes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from portal.api import errors as api_errors


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Decided per request, not per blueprint: an unknown /api/v1/... URL matches no route.
        if api_errors.is_api_request():
            return api_errors.from_http_exception(error)
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(sa.exc.OperationalError)
    def database_busy(error: sa.exc.OperationalError):
        """The database stayed locked past the busy timeout: try again soon, not a crash."""
        if "locked" not in str(error.orig) and "busy" not in str(error.orig):
            raise error
        from registry.database import db

        db.session.rollback()
        busy = ServiceUnavailable("The database is busy; please try again in a moment.")
        response = http_error(busy)
        response = app.make_response(response)
        response.headers["Retry-After"] = "2"
        return response
