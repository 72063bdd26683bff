"""Model card pages: one per version, linked from the admin's versions and the public use case
page; admins edit the written sections (carried over to later versions), others cannot."""
from __future__ import annotations

import pytest

from registry import versions
from tests.conftest import add_copy_of_production
from tests.portal.conftest import ADMIN

BUILT_IN = ("heart-disease", "student-score", "sentiment", "recommendation")
SECTIONS = {"intended_use": "Help a teacher plan support.",
            "out_of_scope": "Grading or sorting pupils.",
            "limitations": "Tennessee classes of 1985 only.",
            "ethical_considerations": "Scores differ by group: see below."}


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_version_has_a_public_card_page(client, name):
    page = client.get(f"/usecases/{name}/versions/1/card")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Metrics by group" in text and "Promotion history" in text
    assert "an admin" in text and "Edit the sections" not in text
    # The public use case page links the production version's card.
    assert f"/usecases/{name}/versions/1/card" in client.get(f"/usecases/{name}/").get_data(
        as_text=True)


def test_an_admin_edits_the_sections_and_they_carry_over(app, as_admin):
    url = "/admin/models/student-score/versions/1/card"
    assert "/usecases/student-score/versions/1/card" in as_admin.get(
        "/admin/models/student-score").get_data(as_text=True)
    form = as_admin.get(url)
    assert form.status_code == 200 and 'name="limitations"' in form.get_data(as_text=True)
    saved = as_admin.post(url, data=SECTIONS, follow_redirects=True)
    text = saved.get_data(as_text=True)
    assert saved.status_code == 200 and all(value in text for value in SECTIONS.values())
    assert ADMIN not in text.split("</header>")[-1].replace(f"Log out {ADMIN}", "")
    api = as_admin.get("/api/v1/usecases/student-score/versions/1/card").get_json()
    assert api["sections"] == SECTIONS
    assert SECTIONS["out_of_scope"] in as_admin.get(
        "/api/v1/usecases/student-score/versions/1/card.md").get_data(as_text=True)
    with app.app_context():
        later = add_copy_of_production("student-score")
    carried = as_admin.get(f"/usecases/student-score/versions/{later}/card").get_data(
        as_text=True)
    assert SECTIONS["limitations"] in carried and "carried over" in carried


def test_too_long_a_section_is_refused(as_admin):
    response = as_admin.post("/admin/models/sentiment/versions/1/card",
                             data={"limitations": "x" * 5001})
    assert response.status_code == 422
    assert "x" * 5001 not in as_admin.get("/usecases/sentiment/versions/1/card").get_data(
        as_text=True)


def test_analysts_and_visitors_cannot_edit(client, auth, app):
    url = "/admin/models/sentiment/versions/1/card"
    assert client.post(url, data={"limitations": "forged"}).status_code in (302, 401)
    auth.login("ann")
    assert client.post(url, data={"limitations": "forged"}).status_code == 403
    assert "forged" not in client.get("/usecases/sentiment/versions/1/card").get_data(
        as_text=True)


def test_an_unknown_version_has_no_card(client):
    assert client.get("/usecases/sentiment/versions/99/card").status_code == 404
    assert client.get("/usecases/no-such/versions/1/card").status_code == 404
