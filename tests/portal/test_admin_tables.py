"""The admin pages that make a use case from a table: send it, pick the column, edit the
proposal, create and follow the training; disable, enable and delete it."""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from registry import table_usecases
from registry.database import db
from registry.models import DatasetVersion, TableUseCase, TrainingJob
from tests.registry.test_jobs import wait_for
from tests.tables import as_csv, student_performance
from usecases import get_usecase

NEW = "/admin/usecases/new"


def send(client, data: bytes, filename: str = "exams.csv"):
    return client.post(NEW, data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                     for model in (TableUseCase, DatasetVersion, TrainingJob))


def test_only_admins_reach_the_pages(client, auth, as_analyst):
    assert client.get(NEW).status_code == 403


def test_a_table_is_read_proposed_edited_and_created(as_admin, app):
    assert "Make a use case from a table" in as_admin.get("/admin/").get_data(as_text=True)
    sent = send(as_admin, as_csv(student_performance(300)))
    assert sent.status_code == 302
    review = urlsplit(sent.headers["Location"])
    assert parse_qs(review.query)["target"] == ["writing score"]  # the last column at first
    page = as_admin.get(review.path, query_string={"target": "math score",
                                                   "filename": "exams.csv"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Proposed: <strong>regression</strong>" in text
    assert 'name="label-reading_score" value="Reading score"' in text
    before = counts(app)
    created = as_admin.post(review.path, data={
        "target": "math score", "task": "", "name": "exams", "title": "Exams",
        "filename": "exams.csv", "action": "create",
        "offered": ["gender", "race/ethnicity", "parental level of education", "lunch",
                    "test preparation course", "reading score", "writing score"],
        "use": ["gender", "lunch", "test preparation course", "reading score",
                "writing score", "race/ethnicity"],
        "label-reading_score": "Reading test", "unit-reading_score": "points"})
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    job_id = int(re.search(r"/admin/jobs/(\d+)", created.headers["Location"]).group(1))
    assert counts(app)[0] == before[0] + 1
    wait_for(app, job_id)
    with app.app_context():
        usecase = get_usecase("exams")
        assert [f.name for f in usecase.fields] == [
            "gender", "race_ethnicity", "lunch", "test_preparation_course", "reading_score",
            "writing_score"]  # parental education unticked: left out
        reading = next(f for f in usecase.fields if f.name == "reading_score")
        assert (reading.label, reading.unit) == ("Reading test", "points")
    assert "exams" in as_admin.get("/admin/").get_data(as_text=True)


def test_a_file_that_is_not_a_table_is_refused_on_the_form(as_admin, app):
    before = counts(app)
    answer = send(as_admin, b"just one line\n")
    assert answer.status_code in (400, 422) and "error" in answer.get_data(as_text=True)
    assert counts(app) == before


def test_a_taken_name_is_refused_on_the_proposal_page(as_admin, app):
    sent = send(as_admin, as_csv(student_performance(300)))
    path = urlsplit(sent.headers["Location"]).path
    answer = as_admin.post(path, data={"target": "math score", "name": "heart-disease",
                                       "action": "create"})
    assert answer.status_code == 409 and "built-in use case" in answer.get_data(as_text=True)


def test_disable_enable_and_delete_from_the_models_page(as_admin, app):
    with app.app_context():
        _, job = table_usecases.create("exams", "", table_usecases.spec_from(
            table_usecases.propose(as_csv(student_performance(200)), "math score")),
            as_csv(student_performance(200)), actor="ada")
    wait_for(app, job.id)
    assert as_admin.post("/admin/usecases/exams/enabled",
                         data={"enabled": "false"}).status_code == 302
    with app.app_context():
        assert not table_usecases.get("exams").enabled
    assert as_admin.get("/usecases/exams/").status_code == 404
    as_admin.post("/admin/usecases/exams/enabled", data={"enabled": "true"})
    assert as_admin.get("/usecases/exams/").status_code == 200
    assert as_admin.post("/admin/usecases/exams/delete").status_code == 302
    with app.app_context():
        assert "exams" not in [row.name for row in table_usecases.list_all()]


def test_changing_the_column_to_predict_leaves_no_column_out_unasked(as_admin, app):
    """The first proposal's target had no box to tick: after choosing another target it is an
    input like the others, not a column "left out as asked"."""
    sent = send(as_admin, as_csv(student_performance(300)))
    path = urlsplit(sent.headers["Location"]).path
    offered = ["gender", "race/ethnicity", "parental level of education", "lunch",
               "test preparation course", "math score", "reading score"]
    page = as_admin.post(path, data={"target": "math score", "action": "propose",
                                     "offered": offered, "use": offered})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "left out" not in text
    assert 'name="label-writing_score"' in text
