"""The API's one error shape, and which requests get it.

Every API error is `{"error": {"code", "message", "fields"}}`, built by `error_response` alone.
Views raise `ApiError`; Werkzeug's own errors (unknown route, 405, 413...) are turned into the same
shape by `portal.errors`, which asks `is_api_request` whether to answer JSON or a page.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator, Mapping

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from portal.api import bp
from registry import jobs, versions

PREFIX = "/api/v1"
# Requests to these paths are answered in JSON even when no route matched (404, 405).
JSON_BLUEPRINTS = ("api", "ops")
OPS_PATHS = ("/healthz", "/readyz", "/metrics")


class ApiError(Exception):
    """An error answer, raised from anywhere in a view and answered by `error_response`."""

    def __init__(self, status: int, code: str, message: str,
                 fields: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_response(status: int, code: str, message: str,
                   fields: Mapping[str, str] | None = None) -> Response:
    """The single definition of the API's error shape."""
    response = jsonify({"error": {"code": code, "message": message, "fields": dict(fields or {})}})
    response.status_code = status
    return response


@bp.errorhandler(ApiError)
def answer_api_error(error: ApiError) -> Response:
    response = error_response(error.status, error.code, error.message, error.fields)
    response.headers.update(error.headers)
    return response


@contextmanager
def registry_refusals() -> Iterator[None]:
    """Answer the registry's refusals: an unknown version 404, a change it cannot make 409."""
    try:
        yield
    except versions.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except (versions.RegistryError, jobs.JobConflict) as exc:
        raise ApiError(409, "conflict", str(exc)) from None


def is_api_request() -> bool:
    """Whether the current request is a machine's (API or probe), so it should get JSON."""
    path = request.path
    return (request.blueprint in JSON_BLUEPRINTS or path == PREFIX
            or path.startswith(PREFIX + "/") or path in OPS_PATHS)


def from_http_exception(error: HTTPException) -> Response:
    """A Werkzeug error in the API's shape, keeping its headers (e.g. Allow on a 405)."""
    status = error.code or 500
    code = re.sub(r"[^a-z0-9]+", "_", (error.name or "error").lower()).strip("_")
    response = error_response(status, code, _message(error))
    for key, value in error.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def _message(error: HTTPException) -> str:
    """Werkzeug's descriptions are written for pages; say what an API client needs to know."""
    if isinstance(error, NotFound):
        return f"no such endpoint: {request.method} {request.path} (see {PREFIX}/openapi.json)"
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return f"{request.method} is not allowed here; allowed: {allowed}"
    if isinstance(error, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return f"the request body is larger than the limit of {limit} bytes"
    return error.description or error.name
