"""Use cases made from a table: created with their data and first training, seen by every host,
disabled, enabled and deleted; refused names and tables leave nothing behind."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from registry import datasets, serving, table_usecases, versions
from registry.database import db, utcnow
from registry.models import DatasetVersion, ModelVersion, TableUseCase, TrainingJob
from tests.conftest import make_app
from tests.registry.test_jobs import wait_for
from tests.usecases.tabular.test_usecase import scores_spec, scores_table
from usecases import UnknownUseCase, all_usecases, get_usecase

NAME = "exam-scores"


def table_bytes(rows: int = 200) -> bytes:
    """The test table with the headers a spreadsheet would have, and a column left out."""
    frame = scores_table(rows).rename(columns={"reading_score": "reading score",
                                               "math_score": "math score"})
    frame["student id"] = range(len(frame))
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode()


def spec() -> dict:
    return scores_spec() | {"ignored_columns": ["student id"]}


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(table))
                 for table in (TableUseCase, DatasetVersion, TrainingJob, ModelVersion))


@pytest.fixture
def created(empty_app):
    with empty_app.app_context():
        row, job = table_usecases.create(NAME, "Exam scores", spec(), table_bytes(),
                                         actor="ada", filename="exams.csv")
        assert job.status == "queued" and row.name == NAME
    wait_for(empty_app, job.id)
    return empty_app


def test_a_table_becomes_a_use_case_with_its_data_and_a_trained_version(created):
    with created.app_context():
        usecase = get_usecase(NAME)
        assert usecase.title == "Exam scores" and usecase.task == "regression"
        first = datasets.get(NAME, 1)
        assert first.sources == ["built-in"] and first.rows + first.held_out_rows == 200
        assert first.details["filename"] == "exams.csv"
        version = versions.get_version(NAME, 1)
        assert version.dataset_version_id == first.id and version.metrics["r2"] > 0.8
        assert [f["name"] for f in version.input_schema] == [f.name for f in usecase.fields]
        # Examples are real rows of the table.
        assert len(usecase.examples) == 3
        versions.promote(NAME, 1, actor="ada", reason="first")
        answer = serving.predict(NAME, list(usecase.examples.values()), source="api")
        assert len(answer.results) == 3 and all("interval" in r for r in answer.results)


def test_another_host_sees_it_and_disabling_hides_it_everywhere(created):
    other = make_app(Path(created.instance_path))
    with other.app_context():
        assert NAME in all_usecases()
    with created.app_context():
        table_usecases.set_enabled(NAME, False)
        assert NAME not in all_usecases()
        with pytest.raises(UnknownUseCase):
            get_usecase(NAME)
        table_usecases.set_enabled(NAME, True)
        assert get_usecase(NAME).name == NAME


def test_a_use_case_with_predictions_is_kept_and_one_without_is_deleted_whole(created):
    with created.app_context():
        versions.promote(NAME, 1, actor="ada", reason="first")
        usecase = get_usecase(NAME)
        serving.predict(NAME, [next(iter(usecase.examples.values()))], source="api")
        with pytest.raises(table_usecases.InUse):
            table_usecases.delete(NAME)
    with created.app_context():
        table_usecases.create("exam-scores-two", "", spec(), table_bytes(), actor="ada")
    with created.app_context():
        job = db.session.scalar(sa.select(TrainingJob).where(
            TrainingJob.usecase == "exam-scores-two"))
    wait_for(created, job.id)
    with created.app_context():
        table_usecases.delete("exam-scores-two")
        assert "exam-scores-two" not in all_usecases()
        for model in (DatasetVersion, ModelVersion, TrainingJob):
            assert not db.session.scalar(sa.select(sa.func.count()).select_from(model)
                                         .where(model.usecase == "exam-scores-two"))


@pytest.mark.parametrize("name, words", [
    ("Exam Scores", "URL slug"), ("exam--scores", "URL slug"), ("1exam", "URL slug"),
    ("", "needs a name"), ("a" * 65, "URL slug"), ("heart-disease", "built-in"),
    ("new", "portal's own pages")])
def test_a_name_that_is_not_a_free_slug_is_refused(empty_app, name, words):
    with empty_app.app_context():
        before = counts()
        with pytest.raises(table_usecases.CreateError, match=words):
            table_usecases.create(name, "", spec(), table_bytes(), actor="ada")
        assert counts() == before


def test_a_taken_name_or_a_table_whose_rows_fail_leaves_nothing_behind(created):
    with created.app_context():
        before = counts()
        with pytest.raises(table_usecases.CreateError, match="exists already"):
            table_usecases.create(NAME, "", spec(), table_bytes(), actor="ada")
        # Every reading score out of the declared range: no row passes.
        narrow = spec()
        narrow["inputs"][0] = narrow["inputs"][0] | {"maximum": 1}
        with pytest.raises(table_usecases.CreateError, match="passed the fields' checks"):
            table_usecases.create("exam-narrow", "", narrow, table_bytes(), actor="ada")
        with pytest.raises(table_usecases.CreateError, match="unknown column"):
            table_usecases.create("exam-extra", "", scores_spec(), table_bytes(), actor="ada")
        assert counts() == before
        assert "exam-narrow" not in all_usecases()


def test_each_version_serves_the_inputs_it_was_trained_on(created):
    """When a use case's inputs change, the new version takes the new ones, and a rollback to
    the old version serves the old form and checks (here the change is made in the stored
    spec, as an edit of the inputs would make it)."""
    from registry import jobs

    client = created.test_client()
    with created.app_context():
        versions.promote(NAME, 1, actor="ada", reason="first")
        row = table_usecases.get(NAME)
        row.spec = row.spec | {"inputs": [f for f in row.spec["inputs"] if f["name"] != "notes"]}
        row.updated_at = utcnow()
        db.session.commit()
        table_usecases.refresh()
        job = jobs.run(jobs.enqueue(NAME, requested_by="ada").id)
        assert job.status == "succeeded", job.error
        versions.promote(NAME, 2, actor="ada", reason="without the notes")
        assert [f["name"] for f in versions.get_version(NAME, 2).input_schema] == [
            "reading_score", "lunch", "prepared"]
    row = {"reading_score": 60, "lunch": "standard", "prepared": True}
    assert "Teacher&#39;s notes" not in client.get(f"/usecases/{NAME}/").get_data(as_text=True)
    detail = client.get(f"/api/v1/usecases/{NAME}").get_json()
    assert set(detail["input_schema"]["properties"]) == set(row)
    refused = client.post(f"/api/v1/usecases/{NAME}/predict",
                          json={"inputs": row | {"notes": "works hard"}})
    assert refused.status_code == 422 and "notes" in refused.get_json()["error"]["fields"]
    assert client.post(f"/api/v1/usecases/{NAME}/predict", json={"inputs": row}).status_code \
        == 200
    with created.app_context():
        versions.rollback(NAME, actor="ada", reason="back to the notes")
    assert "Teacher&#39;s notes" in client.get(f"/usecases/{NAME}/").get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "notes" in spec["components"]["schemas"]["ExamScoresInput"]["properties"]
    answer = client.post(f"/api/v1/usecases/{NAME}/predict",
                         json={"inputs": row | {"notes": "works hard"}})
    assert answer.status_code == 200 and answer.get_json()["version"] == 1


def test_a_new_use_case_not_yet_in_production_keeps_hosts_in_service(created):
    # A host that serves no plug-in: only the new use case counts for its readiness.
    client = make_app(Path(created.instance_path), USECASES=[]).test_client()
    answer = client.get("/readyz")
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["usecases"][NAME] | {"message": ""} == {
        "ready": False, "required": False, "message": "", "version": None, "load_seconds": None}
    with created.app_context():
        versions.promote(NAME, 1, actor="ada", reason="first")
    body = client.get("/readyz").get_json()
    assert body["usecases"][NAME]["ready"] is True and body["usecases"][NAME]["required"]


def test_more_rows_outcomes_and_retraining_work_as_for_any_use_case(created):
    """The table is dataset version 1: an upload with the table's own headers, a recorded
    outcome and a retraining on all of them go as they do for the built-in use cases."""
    from registry import jobs, outcomes
    from registry.datasets import uploads

    with created.app_context():
        versions.promote(NAME, 1, actor="ada", reason="first")
        usecase = get_usecase(NAME)
        report = uploads.read(usecase, scores_more())
        assert report.accepted == 150 and report.refusals == []
        stored = uploads.store(usecase, report, "ada", "more.csv")
        made = serving.predict(NAME, [next(iter(usecase.examples.values()))], source="api")
        outcomes.record(made.prediction_ids[0], 77, "ada")
        job = jobs.run(jobs.enqueue(NAME, requested_by="ada", options={
            "datasets": [datasets.get(NAME, 1).id, stored.id],
            "include_outcomes": True}).id)
        assert job.status == "succeeded", job.error
        lineage = versions.get_version(NAME, 2).dataset
        assert set(lineage.sources) == {"built-in", "upload", "outcomes"}
        assert lineage.details["outcomes"] == 1


def scores_more() -> bytes:
    """150 more rows of the table, with its own headers and without the left-out column."""
    frame = scores_table(150, seed=11).rename(columns={"reading_score": "reading score",
                                                       "math_score": "math score"})
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode()
