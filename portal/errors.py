"""Error answers: pages for people, the JSON error shape for the API and the probes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from portal.api import errors as api_errors
from registry.database import db, unavailable

RETRY_AFTER_SECONDS = 2


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Decided per request, not per blueprint: an unknown /api/v1/... URL matches no route.
        if api_errors.is_api_request():
            return api_errors.from_http_exception(error)
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def database_unavailable(error: sa.exc.SQLAlchemyError):
        """The database is busy, restarting or unreachable: try again soon, not a crash."""
        if not unavailable(error):
            raise error
        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError:  # the connection is gone; the pool replaces it
            pass
        busy = ServiceUnavailable("The database is busy or unreachable; please try again in "
                                  "a moment.")
        if api_errors.is_api_request():
            response = app.make_response(api_errors.from_http_exception(busy))
        else:
            # Rendered without the context processors: Flask-Login's asks the registry who is
            # signed in, which is what just failed.
            page = app.jinja_env.get_template("errors/unavailable.html").render(error=busy)
            response = app.make_response((page, busy.code))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
