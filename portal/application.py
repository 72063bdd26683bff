"""The Flask application class of the portal: Flask, answering automatic OPTIONS in JSON on the
API (through `make_default_options_response`, the method Flask documents for this)."""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request
from werkzeug.routing import IntegerConverter

# The largest key a database row has (a signed 64-bit integer, SQLite's and PostgreSQL's).
LARGEST_KEY = 2 ** 63 - 1


class RowNumber(IntegerConverter):
    """Every route's `<int:...>`: ASCII digits for a number a database key can be. Anything
    else matches no route (404) rather than reach a query that overflows the column."""

    regex = r"[0-9]+"  # `\d` would also take other scripts' digits
    signed_regex = r"-?[0-9]+"

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = LARGEST_KEY, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class Portal(Flask):
    """Flask, answering automatic OPTIONS in JSON where asked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url_map.converters["int"] = RowNumber
        # Blueprints whose automatic OPTIONS answer is JSON (Flask's own is an empty page).
        self.json_blueprints: set[str] = set()

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        if request.blueprint in self.json_blueprints:
            response.set_data(json.dumps({"allow": sorted(response.allow)}))
            response.mimetype = "application/json"
        return response
