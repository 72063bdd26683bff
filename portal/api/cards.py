"""Model cards: a version's card as JSON or as a README, and its written sections (admins)."""
from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from portal.api import bp, parse
from portal.api.auth import ADMIN, token_required
from portal.api.errors import ApiError, registry_refusals
from portal.api.lifecycle import VERSION
from portal.card_readme import readme
from registry import cards, serving, versions
from usecases.base import UseCase


def public_card(name: str, number: int) -> dict[str, Any]:
    """The card anyone may read (no admin named); 404 for an unknown use case or version,
    503 when the version's model cannot be loaded to measure its groups."""
    usecase = parse.usecase_named(name)
    with registry_refusals():
        row = versions.get_version(name, number)
    return card_of(usecase, row)


def card_of(usecase: UseCase, row) -> dict[str, Any]:
    try:
        return cards.card(usecase, row)
    except serving.ModelUnavailable as exc:
        raise ApiError(503, "model_unavailable", str(exc)) from None


@bp.get(f"/usecases/<name>/versions/{VERSION}/card")
def model_card(name: str, number: int):
    """A version's model card: what the registry knows, the written sections, figures by
    group."""
    return jsonify(public_card(name, number))


@bp.get(f"/usecases/<name>/versions/{VERSION}/card.md")
def model_card_readme(name: str, number: int):
    """The card as a README with YAML front matter (Hugging Face's model card format)."""
    return Response(readme(public_card(name, number)), mimetype="text/markdown")


@bp.put(f"/usecases/<name>/versions/{VERSION}/card")
@token_required(ADMIN)
def edit_model_card(name: str, number: int):
    """Set a version's written sections: body {"intended_use": "...", ...}; a section left out
    or blank is not shown (nor carried over from an earlier version)."""
    usecase = parse.usecase_named(name)
    body = parse.json_object()
    parse.refuse_unknown_keys(body, cards.SECTIONS)
    wrong = {key: f"must be text of at most {cards.MAX_SECTION} characters"
             for key, text in body.items()
             if not isinstance(text, str) or len(text) > cards.MAX_SECTION}
    if wrong:
        raise ApiError(422, "invalid_body", "sections must be text", wrong)
    with registry_refusals():
        row = versions.get_version(name, number)
    cards.edit_sections(row, body, actor=g.api_user.username)
    return jsonify(card_of(usecase, row))
