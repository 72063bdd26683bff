"""Request bodies sent without a length (chunked transfer encoding).

A WSGI server that de-chunks a body says so with `wsgi.input_terminated`, and Werkzeug then
reads such a body only up to MAX_CONTENT_LENGTH: past it, the view would see the body cut short
and answer a parse error about the part it got. Read here instead, before any other hook looks
at the body, up to the request's limit and one byte more, and hand it on with its length as if
the client had declared it: one byte over the limit is then refused (413) wherever the body is
read, in the shape of the protocol reading it, exactly as a declared length over the limit is.
"""
from __future__ import annotations

import io

from flask import Flask, request


def read_unsized_body() -> None:
    environ = request.environ
    if "CONTENT_LENGTH" in environ and environ["CONTENT_LENGTH"] != "" or \
            not environ.get("wsgi.input_terminated"):
        return  # a declared length (checked by Werkzeug), or no body a server let through
    limit = request.max_content_length
    if limit is None:
        return
    body = environ["wsgi.input"].read(limit + 1)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)  # (Werkzeug ignores a length beside "chunked")


def init_app(app: Flask) -> None:
    app.before_request(read_unsized_body)  # first: the CSRF check reads forms before views
