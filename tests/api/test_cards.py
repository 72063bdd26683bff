"""The model card API: JSON and README for every version, the README's YAML front matter, and
sections only admins may write."""
from __future__ import annotations

import pytest
import yaml

from registry import versions

from tests.api.conftest import assert_documented, assert_error, bearer

BUILT_IN = ("heart-disease", "student-score", "sentiment", "recommendation")
CARD = "/usecases/{name}/versions/{number}/card"


def front_matter(text: str) -> dict:
    """The YAML between the README's first two --- lines."""
    assert text.startswith("---\n")
    meta, _, body = text[4:].partition("\n---\n")
    assert body.strip().startswith("# ")
    return yaml.safe_load(meta)


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_version_has_a_json_card_and_a_readme(client, spec, name):
    card = assert_documented(spec, CARD, "get", client.get(f"/api/v1/usecases/{name}/versions/1/card"))
    assert card["usecase"] == name and card["version"] == 1 and card["stage"] == "production"
    assert card["groups"]["by"] and card["groups"]["rows"] == card["training_data"]["test_rows"]
    for group in card["groups"]["by"]:
        assert sum(g["rows"] for g in group["groups"]) == card["groups"]["rows"]
    response = client.get(f"/api/v1/usecases/{name}/versions/1/card.md")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    meta = front_matter(text)
    result = meta["model-index"][0]["results"][0]
    assert meta["model-index"][0]["name"] == f"{name}-v1"
    assert result["dataset"]["revision"] == card["training_data"]["fingerprint"]
    listed = {m["type"]: m["value"] for m in result["metrics"]}
    assert listed == pytest.approx(card["metrics"]["held_out"])
    assert card["metrics"]["primary"] in meta["metrics"]
    assert "## Metrics by group" in text and "## Intended use" in text
    for group in card["groups"]["by"]:
        assert f"### {group['name']}" in text


def test_an_admin_writes_sections_and_the_card_names_no_one(client, spec, tokens):
    url = "/api/v1/usecases/heart-disease/versions/1/card"
    body = {"intended_use": "Second opinion for clinicians.", "limitations": "Four sites only."}
    answer = assert_documented(spec, CARD, "put",
                               client.put(url, json=body, headers=bearer(tokens["admin"])))
    assert answer["sections"]["limitations"] == "Four sites only."
    card = client.get(url).get_json()
    assert card["sections"]["intended_use"] == "Second opinion for clinicians."
    assert card["sections"]["out_of_scope"] == ""
    assert card["sections_from"] == {"version": 1, "carried_over": False, "default": False,
                                     "updated_at": card["sections_from"]["updated_at"]}
    text = client.get(url + ".md").get_data(as_text=True)
    assert "Four sites only." in text
    # Neither the editing admin nor the trainer is named to the public.
    with client.application.app_context():
        trainer = versions.get_version("heart-disease", 1).trained_by
    raw = client.get(url).get_data(as_text=True)
    assert "admin-user" not in raw and f'"{trainer}"' not in raw
    assert "updated_by" not in card["sections_from"]
    assert {h["by"] for h in card["history"]} == {"an admin"}


@pytest.mark.parametrize("role", ["analyst", None])
def test_only_admins_write_sections(client, tokens, role):
    headers = bearer(tokens[role]) if role else {}
    response = client.put("/api/v1/usecases/heart-disease/versions/1/card",
                          json={"limitations": "forged"}, headers=headers)
    assert_error(response, 403 if role else 401)
    card = client.get("/api/v1/usecases/heart-disease/versions/1/card").get_json()
    assert card["sections"]["limitations"] != "forged"


@pytest.mark.parametrize("body, fields", [
    ({"owner": "me"}, {"owner"}),
    ({"limitations": 3}, {"limitations"}),
    ({"limitations": "x" * 5001}, {"limitations"}),
])
def test_bad_sections_are_refused(client, tokens, body, fields):
    response = client.put("/api/v1/usecases/heart-disease/versions/1/card", json=body,
                          headers=bearer(tokens["admin"]))
    assert_error(response, 422, "invalid_body", fields)


@pytest.mark.parametrize("path", ["/api/v1/usecases/heart-disease/versions/99/card",
                                  "/api/v1/usecases/heart-disease/versions/99/card.md",
                                  "/api/v1/usecases/no-such/versions/1/card"])
def test_unknown_versions_are_not_found(client, path):
    assert_error(client.get(path), 404, "not_found")
