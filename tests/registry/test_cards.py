"""Model cards in the registry: held-out rows through predict(), figures by group, stored once;
sections an admin writes, carried over to later versions; public cards name no admin."""
from __future__ import annotations

import pytest

from registry import cards, serving, table_usecases, versions
from registry.database import db
from registry.models import ModelCard
from tests.conftest import add_copy_of_production
from tests.registry.test_jobs import wait_for
from tests.registry.test_table_usecases import NAME, spec, table_bytes
from usecases import all_usecases, get_usecase
from usecases.fields import validate

BUILT_IN = ("heart-disease", "student-score", "sentiment", "recommendation")
GROUPS = {"heart-disease": {"Sex", "Age band"}, "student-score": {"Gender", "Ethnicity"},
          "sentiment": {"Review length"}, "recommendation": {"Films the user rated"}}


@pytest.mark.parametrize("name", BUILT_IN)
def test_groups_cover_every_held_out_row_through_predict(app, name):
    with app.app_context():
        usecase, row = get_usecase(name), versions.production_version(name)
        measured = cards.version_groups(usecase, row)
        assert measured["rows"] == row.test_rows
        # The rows measured are the ones training measured on (same fingerprint).
        assert measured["fingerprint"] == row.params["evaluation"]["held_out"]["fingerprint"]
        assert {group["name"] for group in measured["by"]} == GROUPS[name]
        for group in measured["by"]:
            assert sum(g["rows"] for g in group["groups"]) == row.test_rows
            for g in group["groups"]:
                assert g["metrics"], g
        # Measured once, then read back.
        assert db.session.get(ModelCard, row.id).groups == measured


def test_overall_figures_through_predict_match_the_held_out_metrics(app):
    """The serving path scores the held-out rows as training measured them."""
    with app.app_context():
        usecase, row = get_usecase("heart-disease"), versions.production_version("heart-disease")
        model = serving.cache().version(row).model
        held_out = cards.held_out_predictions(usecase, model, cards.held_out_frame(usecase, row))
        figures = cards.score(usecase, held_out)
        assert figures["roc_auc"]["value"] == pytest.approx(row.metrics["roc_auc"], abs=1e-6)
        assert figures["accuracy"]["count"] == row.test_rows
        low, high = figures["accuracy"]["low"], figures["accuracy"]["high"]
        assert low < figures["accuracy"]["value"] < high


def test_small_groups_show_wider_intervals(app):
    with app.app_context():
        usecase = get_usecase("heart-disease")
        measured = cards.version_groups(usecase, versions.production_version("heart-disease"))
        sexes = next(group for group in measured["by"] if group["name"] == "Sex")["groups"]
        big, small = sexes[0], sexes[-1]  # largest group first
        assert big["rows"] > small["rows"]

        def width(g):
            return g["metrics"]["accuracy"]["high"] - g["metrics"]["accuracy"]["low"]
        assert width(small) > width(big)


def test_sections_are_carried_over_until_a_version_has_its_own(app):
    with app.app_context():
        usecase = get_usecase("sentiment")
        first = versions.production_version("sentiment")
        card = cards.card(usecase, first)
        assert card["sections_from"]["default"] and card["sections"]["intended_use"]
        cards.edit_sections(first, {"intended_use": "Sorting reviews.",
                                    "limitations": "English only."}, actor="ada")
        second = versions.get_version("sentiment", add_copy_of_production("sentiment"))
        carried = cards.card(usecase, second)
        assert carried["sections"]["limitations"] == "English only."
        assert carried["sections_from"] == {"version": first.version, "carried_over": True,
                                            "default": False,
                                            "updated_at": carried["sections_from"]["updated_at"]}
        cards.edit_sections(second, {"limitations": "Food reviews only."}, actor="ada")
        own = cards.card(usecase, second)
        assert own["sections"]["limitations"] == "Food reviews only."
        assert own["sections"]["intended_use"] == ""
        assert own["sections_from"]["carried_over"] is False
        assert cards.card(usecase, first)["sections"]["limitations"] == "English only."
        with pytest.raises(ValueError):
            cards.edit_sections(second, {"owner": "x"}, actor="ada")


def test_public_cards_name_no_admin(app):
    with app.app_context():
        usecase = get_usecase("student-score")
        row = versions.production_version("student-score")
        cards.edit_sections(row, {"intended_use": "Planning support."}, actor="grace-hopper")
        versions.promote("student-score", add_copy_of_production("student-score"),
                         actor="grace-hopper", reason="same model, new artifact")
        public = cards.card(usecase, row)
        assert [h["stage"] for h in public["history"]] == ["candidate", "production",
                                                          "archived"]
        assert "grace-hopper" not in repr(public) and "updated_by" not in public["sections_from"]
        assert {h["by"] for h in public["history"]} == {cards.AN_ADMIN}
        private = cards.card(usecase, row, public=False)
        assert "grace-hopper" in {h["by"] for h in private["history"]}


def test_a_table_usecase_is_measured_by_its_choice_fields(empty_app):
    with empty_app.app_context():
        _, job = table_usecases.create(NAME, "Exam scores", spec(), table_bytes(),
                                       actor="ada", filename="exams.csv")
    wait_for(empty_app, job.id)
    with empty_app.app_context():
        usecase = all_usecases()[NAME]
        row = versions.list_versions(NAME)[0]
        measured = cards.version_groups(usecase, row)
        assert [group["name"] for group in measured["by"]] == ["Lunch"]
        assert sum(g["rows"] for g in measured["by"][0]["groups"]) == row.test_rows
        assert measured["overall"]["mae"]["count"] == row.test_rows


@pytest.mark.parametrize("name", BUILT_IN)
def test_labelled_inputs_are_valid_requests(app, name):
    """The rows measured are inputs a request could send: they pass the fields' validation,
    and the targets are values an outcome could record."""
    with app.app_context():
        usecase = get_usecase(name)
        frame = cards.held_out_frame(usecase, versions.production_version(name)).head(200)
        rows, targets = usecase.labelled_inputs(frame)
        assert len(rows) == len(targets) == len(frame)
        for row, target in zip(rows, targets):
            assert validate(usecase.fields, row).errors == {}, row
            usecase.outcome_field.parse(target, from_form=False)
