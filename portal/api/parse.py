"""Reading a request: its JSON body, its query parameters and the use case it names.

Each reader either returns clean values or raises the ApiError the client should get, so views
stay a few lines long and every endpoint refuses bad input the same way.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

import orjson
from flask import request

from portal.api.errors import ApiError
from usecases import UnknownUseCase, get_usecase
from usecases.base import UseCase
from usecases.fields import UNKNOWN_NAMED

# Row ids and version numbers are SQLite integers; bigger values would overflow in the driver.
MAX_ID = 2**31 - 1
MAX_REASON = 500


def usecase_named(name: str) -> UseCase:
    try:
        return get_usecase(name)
    except UnknownUseCase:
        raise ApiError(404, "not_found", f"no use case named {name!r}") from None


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object: 413 too large, 415 not JSON, 400 malformed, 422 not an object.

    An optional body may be left empty (no Content-Type needed then).
    """
    data = request.get_data(cache=True)  # raises RequestEntityTooLarge past MAX_CONTENT_LENGTH
    if not data and not required:
        return {}
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "send the body as JSON, with Content-Type: application/json")
    try:
        # orjson reads strict UTF-8 JSON several times faster, and refuses what we refuse (NaN,
        # Infinity, lone surrogates, invalid UTF-8, deep nesting). Whatever it refuses is read
        # again below, for the same answer as ever: the error, or UTF-16/32 text read. (A whole
        # number beyond 64 bits comes back as a float; the fields refuse it as out of range.)
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = _read_carefully(data)
    if not isinstance(value, dict):
        raise ApiError(422, "invalid_body", "the body must be a JSON object")
    return value


def _read_carefully(data: bytes) -> Any:
    """The standard library's reading, with its checks: 400 for anything that is not JSON."""
    try:
        # Strict decoding refuses surrogates written as bytes (json.loads would let them pass).
        text = data.decode(json.detect_encoding(data))
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_json_int)
    except RecursionError:
        raise ApiError(400, "malformed_json", "the body is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    if "\\" in text and _has_lone_surrogate(value):
        raise ApiError(400, "malformed_json",
                       "the body holds a \\uD800-\\uDFFF escape that is not valid Unicode text")
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON value")


def _json_int(text: str) -> int | float:
    # An integer too big for a double reads as infinity, as in JavaScript: the fields then refuse
    # it as "not finite" instead of failing while comparing it with their bounds.
    return int(text) if len(text) <= 300 else float(text)


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any text (key or value) holds a lone surrogate, which no database can store.

    Once the bytes are decoded strictly, only a \\u escape can put one there, so a body without
    a backslash is not walked.
    """
    pending = [value]
    while pending:  # a loop, not recursion: the body's depth is the client's choice
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and _SURROGATE.search(item):
            return True
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_unknown_keys(body: Mapping[str, Any], known: Iterable[str]) -> None:
    known = tuple(known)
    unknown = [key for key in body if key not in known]
    if unknown:
        expected = ", ".join(known) if known else "no keys"
        fields = {key[:100]: f"is not a known key (expected: {expected})"
                  for key in unknown[:UNKNOWN_NAMED]}
        if len(unknown) > UNKNOWN_NAMED:
            fields["body"] = f"holds {len(unknown) - UNKNOWN_NAMED:,} more keys not listed here"
        raise ApiError(422, "invalid_body", "the body has keys this endpoint does not know",
                       fields)


def whole_number(value: Any, name: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int:
    """A JSON whole number in range (true/false are not numbers), or 422 naming `name`."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ApiError(422, "invalid_body", f"{name} must be a whole number",
                       {name: f"must be a whole number from {minimum} to {maximum}"})
    return value


def reason(body: Mapping[str, Any], others: tuple[str, ...] = ()) -> str:
    """The required `reason` of a promotion or rollback: non-empty text of at most 500 chars
    (the body may hold only it, and `others`)."""
    refuse_unknown_keys(body, ("reason", *others))
    text = body.get("reason")
    problem = None
    if not isinstance(text, str) or not text.strip():
        problem = "is required: say why, in a few words"
    elif len(text) > MAX_REASON:
        problem = f"must be at most {MAX_REASON} characters"
    if problem:
        raise ApiError(422, "invalid_body", f"reason {problem}", {"reason": problem})
    return text.strip()


def int_arg(name: str, *, default: int | None, maximum: int = MAX_ID) -> int | None:
    """A positive whole-number query parameter, or 422 naming it."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 1 <= int(raw) <= maximum:
        raise ApiError(422, "invalid_query", f"{name} must be a whole number",
                       {name: f"must be a whole number from 1 to {maximum}"})
    return int(raw)
