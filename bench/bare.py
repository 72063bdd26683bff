"""A bare Flask endpoint: the ceiling any prediction request can reach on this machine.

It parses the same JSON body the prediction API receives and answers a fixed result, with no
model, no validation and no database; served by the same gunicorn settings as the portal, its
throughput and latency are what every prediction figure is compared with.
"""
from __future__ import annotations

from flask import Flask, jsonify, request

ANSWER = {"output": "fixed", "summary": "a fixed answer", "version": 0}


def create_app() -> Flask:
    """The bare app; a factory so gunicorn starts it the way it starts the portal."""
    app = Flask(__name__)

    @app.post("/api/v1/usecases/<name>/predict")
    def predict(name: str):
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "inputs" not in body:
            return jsonify({"error": "inputs is required"}), 422
        return jsonify(ANSWER | {"usecase": name})

    @app.get("/healthz")
    def health():
        return jsonify({"status": "ok"})

    return app
