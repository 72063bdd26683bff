"""Webhooks of a use case, for admins: register an address (its signing secret is answered
once), list and remove them, and read each one's deliveries."""
from __future__ import annotations

from flask import g, jsonify

from portal.api import bp, parse
from portal.api.auth import ADMIN, token_required
from portal.api.errors import ApiError, registry_refusals
from registry import webhooks
from registry.versions import RegistryError

HOOK = f"<int(min=1, max={parse.MAX_ID}):webhook_id>"


@bp.get("/usecases/<name>/webhooks")
@token_required(ADMIN)
def list_webhooks(name: str):
    parse.usecase_named(name)
    return jsonify({"usecase": name, "events": list(webhooks.EVENTS),
                    "webhooks": [row.to_dict() for row in webhooks.listed(name)]})


@bp.post("/usecases/<name>/webhooks")
@token_required(ADMIN)
def add_webhook(name: str):
    """{"url": "https://...", "events": [...]} (all events when left out). The answer holds
    the secret deliveries are signed with, this once."""
    parse.usecase_named(name)
    body = parse.json_object()
    parse.refuse_unknown_keys(body, ("url", "events"))
    url, events = body.get("url"), body.get("events")
    if not isinstance(url, str) or not url.strip():
        raise ApiError(422, "invalid_body", "url is required", {"url": "is required"})
    if events is not None and not (isinstance(events, list)
                                   and all(isinstance(e, str) for e in events)):
        raise ApiError(422, "invalid_body", "events must be a list of event names",
                       {"events": "must be a list of: " + ", ".join(webhooks.EVENTS)})
    try:
        row = webhooks.add(name, url.strip(), events, g.api_user.username)
    except RegistryError as exc:
        field = "url" if "address" in str(exc) else "events"
        raise ApiError(422, "invalid_body", str(exc), {field: str(exc)}) from None
    return jsonify(row.to_dict() | {"secret": row.secret}), 201


@bp.delete(f"/usecases/<name>/webhooks/{HOOK}")
@token_required(ADMIN)
def remove_webhook(name: str, webhook_id: int):
    parse.usecase_named(name)
    with registry_refusals():
        webhooks.remove(webhooks.get(name, webhook_id))
    return "", 204


@bp.get(f"/usecases/<name>/webhooks/{HOOK}/deliveries")
@token_required(ADMIN)
def webhook_deliveries(name: str, webhook_id: int):
    """The webhook's latest deliveries, newest first, each with every attempt's outcome."""
    parse.usecase_named(name)
    with registry_refusals():
        row = webhooks.get(name, webhook_id)
    return jsonify({"webhook": row.to_dict(),
                    "deliveries": [d.to_dict() for d in webhooks.deliveries(row)]})
