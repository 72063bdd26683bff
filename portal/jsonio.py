"""JSON out of every view through orjson, with Flask's own rules for anything it cannot write.

The standard library's encoder cost more than the model on a prediction's answer, and most of
a 1,000-row batch's time went into writing its JSON. orjson writes the same JSON (UTF-8 instead
of \\u escapes; NaN as null where the standard library would write invalid JSON). Dates keep
Flask's format, and any value orjson refuses (a number beyond 64 bits, a float subclass such as
numpy's, a key that is not a string) goes through Flask's provider unchanged, as do
pretty-printed answers in debug mode.
"""
from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, current_app
from flask.json.provider import DefaultJSONProvider

# Not OPT_NON_STR_KEYS: it cost half as much again on every answer (2.4 ms against 1.3 ms for
# a 1,000-row batch's). The rare answer with a number or date as a key goes the fallback way.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


class JSONProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # a caller's own formatting: the standard library's
            return super().dumps(obj, **kwargs)
        try:
            return self._encode(obj).decode()
        except TypeError:  # orjson.JSONEncodeError is one
            return super().dumps(obj)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and current_app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = response_value(args, kwargs)
        try:
            body = self._encode(obj) + b"\n"
        except TypeError:
            return super().response(*args, **kwargs)
        return current_app.response_class(body, mimetype=self.mimetype)

    def _encode(self, obj: Any) -> bytes:
        option = OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        return orjson.dumps(obj, default=self.default, option=option)


def response_value(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What `jsonify(*args, **kwargs)` answers, as Flask documents it: one argument as itself,
    several as a list, keywords as an object, nothing as null; both at once is an error."""
    if args and kwargs:
        raise TypeError("jsonify() takes positional or keyword arguments, not both")
    if not args:
        return kwargs or None
    return args[0] if len(args) == 1 else list(args)


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    # Keys in the order the code builds them; sorting every answer cost time for nothing.
    app.json.sort_keys = False
