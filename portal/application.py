"""The Flask application class of the portal: Flask, answering automatic OPTIONS in JSON on the
API (through `make_default_options_response`, the method Flask documents for this)."""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request


class Portal(Flask):
    """Flask, answering automatic OPTIONS in JSON where asked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blueprints whose automatic OPTIONS answer is JSON (Flask's own is an empty page).
        self.json_blueprints: set[str] = set()

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        if request.blueprint in self.json_blueprints:
            response.set_data(json.dumps({"allow": sorted(response.allow)}))
            response.mimetype = "application/json"
        return response
