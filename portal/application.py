"""The Flask application class of the portal: Flask, with two of its per-request habits changed."""
from __future__ import annotations

import json
from typing import Any, Callable
from weakref import WeakKeyDictionary

from flask import Flask, Response, request


class Portal(Flask):
    """Flask, answering automatic OPTIONS in JSON where asked, and remembering which hooks are
    plain functions.

    Flask asks, for every hook and view on every request, whether it is a coroutine function
    (eight times for a prediction: a fortieth of its framework cost). A registered function's
    answer never changes, so it is kept for as long as the function lives.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blueprints whose automatic OPTIONS answer is JSON (Flask's own is an empty page).
        self.json_blueprints: set[str] = set()
        self._synced: WeakKeyDictionary[Callable[..., Any], Callable[..., Any]] = \
            WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synced[func]
        except KeyError:
            synced = self._synced[func] = super().ensure_sync(func)
            return synced
        except TypeError:  # a callable that takes no weak reference
            return super().ensure_sync(func)

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        if request.blueprint in self.json_blueprints:
            response.set_data(json.dumps({"allow": sorted(response.allow)}))
            response.mimetype = "application/json"
        return response
