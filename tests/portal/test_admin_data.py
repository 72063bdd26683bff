"""Admin pages for training data: the datasets page, uploads with their report, the choice of
data when training, and the data shown beside each version and in a comparison."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import render_template

from portal.admin.forms import PendingUploadForm
from registry import datasets, jobs, versions
from registry.database import db
from registry.jobs.runners import Runner
from registry.models import DatasetVersion, TrainingJob
from tests.conftest import make_app, register_dummy
from tests.portal.conftest import ADMIN, AuthActions, csrf_token_in
from usecases import get_usecase
from usecases.heart_disease.form import FIELDS

NAME = "heart-disease"
DATASETS = f"/admin/models/{NAME}/datasets"
UPLOAD = f"{DATASETS}/upload"
HEADER = [field.name for field in FIELDS] + ["diagnosis"]


def heart_rows(count: int, *, refused: int = 0, start: int = 0) -> bytes:
    """A CSV of `count` distinct valid heart-disease rows, then `refused` rows with an age
    out of range."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(start, start + count + refused):
        bad = i >= start + count
        writer.writerow([200 if bad else 30 + i % 50, "Female" if i % 2 else "Male",
                         "atypical angina", 120 + i % 60, 150 + i, "false", "normal",
                         100 + i % 90, "true" if i % 3 else "false", f"{(i % 30) / 10:.1f}",
                         "flat", i % 4, "normal", "disease" if i % 2 else "no disease"])
    return out.getvalue().encode()


def send(client, body: bytes, filename: str = "rows.csv", url: str = UPLOAD, **extra):
    return client.post(url, data={"file": (io.BytesIO(body), filename), **extra},
                       content_type="multipart/form-data")


def dataset_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(DatasetVersion))


def pending(page: str) -> dict[str, str]:
    """The confirm form's hidden fields, read from the report page."""
    return {name: re.search(rf'name="{name}"(?: type="hidden")? value="([^"]*)"', page).group(1)
            for name in ("sha256", "format", "filename")}


def pending_exists(app, fields: dict[str, str]) -> bool:
    with app.app_context():
        key = f"{NAME}/pending/{fields['sha256']}.{fields['format']}"
        return versions.artifact_store().exists(key)


def stored_upload(app, client, body: bytes) -> DatasetVersion:
    """Upload and confirm `body`; the new dataset version."""
    page = send(client, body).get_data(as_text=True)
    response = client.post(f"{UPLOAD}/confirm", data=pending(page))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        return datasets.list_versions(NAME)[0]


class Parked(Runner):
    """A runner that leaves submitted jobs queued: the tests look at the job row only."""

    name = "local"

    def submit(self, job_id: int) -> None:
        pass


@pytest.fixture
def parked(app):
    app.extensions[jobs.EXTENSION] = Parked()


@pytest.fixture
def no_target(app, monkeypatch) -> str:
    """Sentiment as a use case that takes no labelled data (target None); its name."""
    monkeypatch.setattr(type(app.extensions["modelhub.usecases"]["sentiment"]), "target", None)
    return "sentiment"


# -- who may use the pages -------------------------------------------------------------------
PAGES = [DATASETS, UPLOAD]
POSTS = [UPLOAD, f"{UPLOAD}/confirm", f"{UPLOAD}/cancel", f"{DATASETS}/1/archive",
         f"{DATASETS}/1/restore", f"{DATASETS}/1/delete"]


@pytest.mark.parametrize("url", PAGES + POSTS)
def test_anonymous_visitors_and_analysts_are_kept_out(app, client, auth, url):
    before = dataset_rows(app)
    response = client.post(url, data={}) if url in POSTS else client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    auth.login("ann")
    response = client.post(url, data={}) if url in POSTS else client.get(url)
    assert response.status_code == 403
    assert dataset_rows(app) == before


# -- the datasets page -----------------------------------------------------------------------
def test_the_datasets_page_lists_every_version_with_its_models(as_admin, app):
    with app.app_context():
        built_in = datasets.list_versions(NAME)[-1]
    page = as_admin.get(DATASETS).get_data(as_text=True)
    assert f'id="d{built_in.version}"' in page and "built-in" in page
    assert built_in.fingerprint[:12] in page and f"{built_in.rows:,}" in page
    assert f"{built_in.held_out_rows:,}" in page and "#v1\">v1</a>" in page
    assert "Upload labelled rows" in page
    assert f'href="{DATASETS}"' in as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)


def test_a_usecase_without_a_target_takes_no_uploaded_data(as_admin, app, no_target):
    before = dataset_rows(app)
    page = as_admin.get(f"/admin/models/{no_target}/datasets").get_data(as_text=True)
    assert "takes no uploaded data" in page and "Upload labelled rows" not in page
    response = send(as_admin, heart_rows(3), url=f"/admin/models/{no_target}/datasets/upload")
    assert response.status_code == 409
    assert "takes no uploaded data" in response.get_data(as_text=True)
    assert dataset_rows(app) == before


# -- uploads ---------------------------------------------------------------------------------
def test_the_upload_form_names_the_columns_and_their_values(as_admin):
    page = as_admin.get(UPLOAD).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "<code>diagnosis</code>" in page and "one of: disease, no disease" in page
    assert "true or false" in page and "At most 20.0 MiB" in page


def test_an_upload_is_reported_and_stored_only_when_confirmed(as_admin, app):
    before = dataset_rows(app)
    response = send(as_admin, heart_rows(95, refused=5))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for name, value in [("rows", 100), ("accepted", 95), ("refused", 5),
                        ("duplicates_in_file", 0), ("duplicates_of_current", 0)]:
        assert f'data-count="{name}">{value}<' in page, name
    assert "Every reason (5)" in page and "<td>97</td><td><code>age</code>" in page
    assert "Store the 95 accepted rows (5 refused rows left out)" in page
    assert 'id="diff-age"' in page and "never seen before" not in page
    fields = pending(page)
    assert fields["sha256"] == hashlib.sha256(heart_rows(95, refused=5)).hexdigest()
    assert (fields["format"], fields["filename"]) == ("csv", "rows.csv")
    assert dataset_rows(app) == before and pending_exists(app, fields)

    response = as_admin.post(f"{UPLOAD}/confirm", data=fields)
    assert response.status_code == 302 and response.headers["Location"] == DATASETS
    assert dataset_rows(app) == before + 1 and not pending_exists(app, fields)
    with app.app_context():
        stored = datasets.list_versions(NAME)[0]
        parts = datasets.rows(stored)
    assert stored.sources == ["upload"] and stored.created_by == ADMIN
    assert stored.rows + stored.held_out_rows == 95 == sum(len(p) for p in parts.values())
    assert stored.details["filename"] == "rows.csv"
    listing = as_admin.get(DATASETS).get_data(as_text=True)
    assert f"stored dataset version {stored.version}" in listing and "5 refused rows" in listing

    again = as_admin.post(f"{UPLOAD}/confirm", data=fields)  # a double confirm
    assert again.status_code == 409 and "no longer waiting" in again.get_data(as_text=True)
    assert dataset_rows(app) == before + 1


def test_a_confirmation_takes_the_upload_out_of_pending_before_storing_it(as_admin, app,
                                                                          monkeypatch):
    """So that a second confirmation arriving meanwhile finds nothing to store; and a failure
    while storing puts it back, to be confirmed again."""
    from portal.admin import uploads as upload_views

    fields = pending(send(as_admin, heart_rows(5)).get_data(as_text=True))
    store, seen = upload_views.uploads.store, []

    def failing(*args, **kwargs):
        seen.append(pending_exists(app, fields))
        raise RuntimeError("the database went away")

    monkeypatch.setattr(upload_views.uploads, "store", failing)
    before = dataset_rows(app)
    with pytest.raises(RuntimeError):
        as_admin.post(f"{UPLOAD}/confirm", data=fields)
    assert seen == [False] and pending_exists(app, fields) and dataset_rows(app) == before

    def checking(*args, **kwargs):
        seen.append(pending_exists(app, fields))
        return store(*args, **kwargs)

    monkeypatch.setattr(upload_views.uploads, "store", checking)
    assert as_admin.post(f"{UPLOAD}/confirm", data=fields).status_code == 302
    assert seen == [False, False] and dataset_rows(app) == before + 1


def test_repeats_in_the_file_are_counted_and_stored_once(as_admin, app):
    body = heart_rows(10) + heart_rows(4, start=20).split(b"\n", 1)[1] * 2
    page = send(as_admin, body).get_data(as_text=True)
    assert 'data-count="rows">18<' in page and 'data-count="accepted">18<' in page
    assert 'data-count="duplicates_in_file">4<' in page
    # Compared with what production was trained on (the built-in data): nothing repeats it.
    assert 'data-count="duplicates_of_current">0<' in page
    as_admin.post(f"{UPLOAD}/confirm", data=pending(page))
    with app.app_context():
        stored = datasets.list_versions(NAME)[0]
    assert stored.rows + stored.held_out_rows == 14


def test_json_lines_are_read_by_their_file_name(as_admin, app):
    rows = list(csv.DictReader(io.StringIO(heart_rows(3).decode())))
    lines = [json.dumps({k: v for k, v in row.items() if k in ("age", "sex", "cp", "diagnosis")}
                        | {"age": int(row["age"])}) for row in rows]
    body = ("\n".join(lines) + "\nnot json\n").encode()
    page = send(as_admin, body, "rows.ndjson").get_data(as_text=True)
    assert 'data-count="accepted">3<' in page and 'data-count="refused">1<' in page
    assert "is not JSON" in page and pending(page)["format"] == "jsonl"
    assert "JSON lines" in page


@pytest.mark.parametrize(("body", "filename", "status", "message"), [
    (b"", "rows.csv", 400, "Choose a file."),
    (b"  \n", "rows.csv", 400, "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "picture.png", 415, "binary data"),
    ("age,sex,cp,diagnosis\n50,Männlich,x,y\n".encode("latin-1"), "rows.csv", 400,
     "not UTF-8"),
    (b"age,sex,cp,diagnosis,colour\n", "rows.csv", 400, "unknown column(s): &#39;colour&#39;"),
    (b"age,sex,cp\n50,Male,non-anginal\n", "rows.csv", 400, "missing column(s): diagnosis"),
    (b'age,sex\n"unclosed,Male\n', "rows.csv", 400, "missing column"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "rows.xlsx", 415, "binary data"),
])
def test_a_file_that_cannot_be_read_is_refused_with_the_form(as_admin, app, body, filename,
                                                             status, message):
    before = dataset_rows(app)
    response = send(as_admin, body, filename) if body else \
        as_admin.post(UPLOAD, data={}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:500]
    assert message in page and 'type="file"' in page and "Store the" not in page
    assert dataset_rows(app) == before
    assert not list(Path(app.instance_path).rglob("pending/*"))


def test_a_file_with_no_acceptable_row_cannot_be_stored(as_admin, app):
    before = dataset_rows(app)
    page = send(as_admin, heart_rows(0, refused=3)).get_data(as_text=True)
    assert 'data-count="accepted">0<' in page and "No row was accepted" in page
    assert "Store the" not in page and "confirm" not in page.split("No row was accepted")[1]
    fields = pending(page)
    response = as_admin.post(f"{UPLOAD}/confirm", data=fields)  # posted anyway
    assert response.status_code == 422 and dataset_rows(app) == before
    assert not pending_exists(app, fields)


def test_over_a_hundred_refusals_list_the_first_hundred(as_admin):
    page = send(as_admin, heart_rows(1, refused=130)).get_data(as_text=True)
    assert "The first 100 of 130 reasons" in page
    assert page.count("<td><code>age</code>") == 100


def test_cancel_removes_the_pending_upload(as_admin, app):
    before = dataset_rows(app)
    fields = pending(send(as_admin, heart_rows(5)).get_data(as_text=True))
    response = as_admin.post(f"{UPLOAD}/cancel", data=fields, follow_redirects=True)
    assert "upload cancelled" in response.get_data(as_text=True)
    assert not pending_exists(app, fields)
    assert as_admin.post(f"{UPLOAD}/confirm", data=fields).status_code == 409
    assert dataset_rows(app) == before


@pytest.mark.parametrize("fields", [
    {"sha256": "0" * 64, "format": "csv", "filename": "x.csv"},  # nothing pending
    {"sha256": "../../secret", "format": "csv"},
    {"sha256": "0" * 64, "format": "exe"},
    {},
])
def test_a_forged_confirmation_stores_nothing(as_admin, app, fields):
    before = dataset_rows(app)
    response = as_admin.post(f"{UPLOAD}/confirm", data=fields)
    assert response.status_code in (400, 409) and dataset_rows(app) == before
    assert as_admin.post(f"{UPLOAD}/cancel", data=fields).status_code in (302, 400)


def test_a_pending_upload_that_does_not_match_its_digest_is_discarded(as_admin, app):
    fields = {"sha256": hashlib.sha256(b"other").hexdigest(), "format": "csv", "filename": ""}
    with app.app_context():
        key = f"{NAME}/pending/{fields['sha256']}.csv"
        versions.artifact_store().write(key, heart_rows(5))
    before = dataset_rows(app)
    response = as_admin.post(f"{UPLOAD}/confirm", data=fields)
    assert response.status_code == 409 and "does not match" in response.get_data(as_text=True)
    assert dataset_rows(app) == before and not pending_exists(app, fields)


def test_a_file_over_the_upload_limit_is_413(app, people):
    small = make_app(app.instance_path, DATASET_MAX_BYTES=2000)
    client = small.test_client()
    AuthActions(client).login(ADMIN)
    before = dataset_rows(app)
    response = send(client, heart_rows(40))
    assert response.status_code == 413 and "larger than" in response.get_data(as_text=True)
    assert dataset_rows(app) == before


def test_an_upload_larger_than_a_form_works_with_csrf_checked(app, people):
    """The upload limit applies before the CSRF check reads the form under the app's smaller
    limit; the whole flow works with tokens, as in production."""
    body = heart_rows(300)
    strict = make_app(app.instance_path, WTF_CSRF_ENABLED=True, MAX_CONTENT_LENGTH=4000)
    assert len(body) > 4000
    client = strict.test_client()
    token = csrf_token_in(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"username": ADMIN, "password": "correct horse battery",
                                     "csrf_token": token})
    token = csrf_token_in(client.get(UPLOAD).get_data(as_text=True))
    before = dataset_rows(app)
    assert send(client, body).status_code == 400  # no token: refused
    page = send(client, body, csrf_token=token).get_data(as_text=True)
    assert 'data-count="accepted">300<' in page
    response = client.post(f"{UPLOAD}/confirm", data=pending(page) | {
        "csrf_token": csrf_token_in(page)})
    assert response.status_code == 302 and dataset_rows(app) == before + 1


def test_unseen_categories_are_highlighted_in_the_report(app):
    report = {"format": "csv", "rows": 2, "accepted": 2, "refused": 0, "refusals": [],
              "refusals_total": 0, "refusals_listed": 0, "duplicates_in_file": 0,
              "duplicates_of_current": 0,
              "differences": {"current": {"version": 1, "sources": ["built-in"], "rows": 9},
                              "columns": {"thal": {"kind": "category", "unseen": ["odd"],
                                                   "counts": [{"value": "normal", "new": 1,
                                                               "current": 9},
                                                              {"value": "odd", "new": 1,
                                                               "current": 0}]}}}}
    with app.test_request_context():
        form = PendingUploadForm(formdata=None, sha256="0" * 64, format="csv", filename="x.csv")
        page = render_template("admin/upload_report.html", usecase=get_usecase(NAME),
                               form=form, filename="x.csv", report=report)
    assert '<tr class="unseen"><td>odd <span class="tag unseen">never seen before' in page
    assert "<td>normal</td>" in page


# -- archive, restore, delete ----------------------------------------------------------------
def test_archive_restore_and_delete_an_upload(as_admin, app):
    stored = stored_upload(app, as_admin, heart_rows(5))
    base = f"{DATASETS}/{stored.version}"
    page = as_admin.post(f"{base}/archive", follow_redirects=True).get_data(as_text=True)
    assert "archived (kept" in page and f"{base}/restore" in page
    assert f'value="{stored.id}"' not in as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    as_admin.post(f"{base}/restore")
    with app.app_context():
        assert not datasets.get(NAME, stored.version).archived
    assert f'value="{stored.id}"' in as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    before = dataset_rows(app)
    response = as_admin.post(f"{base}/delete", follow_redirects=True)
    assert f"dataset version {stored.version} deleted" in response.get_data(as_text=True)
    assert dataset_rows(app) == before - 1
    assert as_admin.post(f"{base}/delete").status_code == 404


def test_a_version_a_model_was_trained_on_cannot_be_deleted(as_admin, app):
    with app.app_context():
        built_in = versions.production_version(NAME).dataset
    before = dataset_rows(app)
    response = as_admin.post(f"{DATASETS}/{built_in.version}/delete")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "cannot be deleted" in page
    assert "model version(s) 1 were trained on it" in page and 'flash-error' in page
    assert dataset_rows(app) == before


# -- training on a choice of data ------------------------------------------------------------
def test_the_train_form_offers_the_data_and_passes_the_choice(as_admin, app, parked):
    upload = stored_upload(app, as_admin, heart_rows(5))
    with app.app_context():
        built_in = versions.production_version(NAME).dataset
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    assert re.search(rf'checked[^>]*value="{built_in.id}"|value="{built_in.id}"[^>]*checked', page)
    assert re.search(rf'<input (?![^>]*checked)[^>]*value="{upload.id}"', page)
    assert "Include the 0 recorded outcomes" in page and "none recorded yet" in page
    response = as_admin.post(f"/admin/models/{NAME}/retrain", data={
        "datasets": [str(built_in.id), str(upload.id)], "include_outcomes": "y"})
    assert response.status_code == 302 and re.fullmatch(r"/admin/jobs/\d+",
                                                        response.headers["Location"])
    with app.app_context():
        job = db.session.scalars(sa.select(TrainingJob).order_by(TrainingJob.id.desc())).first()
        assert job.options == {"datasets": [built_in.id, upload.id], "include_outcomes": True}
        assert job.requested_by == ADMIN


@pytest.mark.parametrize(("choice", "status", "message"), [
    ("archived", 409, "is archived"), ("99999", 404, "no dataset with id 99999"),
    ("x", 400, "Choose the data"),
])
def test_a_refused_choice_of_data_starts_no_job(as_admin, app, parked, choice, status,
                                                 message):
    upload = stored_upload(app, as_admin, heart_rows(5))
    if choice == "archived":
        as_admin.post(f"{DATASETS}/{upload.version}/archive")
        choice = str(upload.id)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(TrainingJob))
    response = as_admin.post(f"/admin/models/{NAME}/retrain", data={"datasets": [choice]})
    page = response.get_data(as_text=True)
    assert response.status_code == status and message in page and "flash-error" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingJob)) == before


def test_a_usecase_without_a_target_trains_on_its_built_in_data(as_admin, app, parked,
                                                                 no_target):
    page = as_admin.get(f"/admin/models/{no_target}").get_data(as_text=True)
    assert "takes no uploaded data" in page and 'name="datasets"' not in page
    assert as_admin.post(f"/admin/models/{no_target}/retrain").status_code == 302
    with app.app_context():
        assert jobs.recent_jobs(no_target, limit=1)[0].options == {}
        jobs.fail(jobs.recent_jobs(no_target, limit=1)[0].id, "test", "test")
    refused = as_admin.post(f"/admin/models/{no_target}/retrain", data={"datasets": ["1"]})
    assert refused.status_code == 409 and "built-in data only" in refused.get_data(as_text=True)


def test_ratings_are_uploaded_to_recommendation(as_admin, app):
    """A use case whose upload columns are not its form's (user, movie, rating)."""
    usecase = app.extensions["modelhub.usecases"]["recommendation"]
    page = as_admin.get("/admin/models/recommendation/datasets/upload").get_data(as_text=True)
    for field in usecase.data_fields:
        assert f"<code>{field.name}</code>" in page
    assert f"<code>{usecase.target.name}</code>" in page


# -- the data beside each version and in a comparison ----------------------------------------
@pytest.fixture
def measured_alike(app):
    """v2 of heart-disease: trained on v1's dataset and measured on the same held-out rows,
    with metrics on new data's held-out rows; v3: registered before datasets were recorded."""
    with app.app_context():
        first = versions.get_version(NAME, 1)
        evaluation = dict(first.params["evaluation"]) | {
            "new_data": {"rows": 40, "metrics": {"roc_auc": 0.777}, "fingerprint": "f" * 64}}
        register_dummy(NAME, 0.5, metrics={"roc_auc": 0.9}, params={"evaluation": evaluation},
                       dataset_version_id=first.dataset_version_id)
        register_dummy(NAME, 0.5, metrics={"roc_auc": 0.8})


def test_each_version_shows_its_data_and_new_data_metrics(as_admin, app, measured_alike):
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    with app.app_context():
        data = versions.get_version(NAME, 1).dataset
    row = page.split('id="v1"')[1].split("</tr>")[0]
    assert f"dataset v{data.version}" in row and "built-in" in row and data.fingerprint[:12] in row
    assert "not recorded" in page.split('id="v3"')[1].split("</tr>")[0]
    assert "Metrics on new data's held-out rows (40 rows)" in page and "0.777" in page


def test_compare_shows_both_datasets_and_no_warning_on_the_same_held_out_rows(
        as_admin, app, measured_alike):
    page = as_admin.get(f"/admin/models/{NAME}/compare?a=1&b=2").get_data(as_text=True)
    assert "Training data" in page and "held-out-warning" not in page
    assert "the same rows" in page and "same data" in page and "… from built-in" in page


def test_compare_warns_when_held_out_rows_differ(as_admin, app, measured_alike):
    page = as_admin.get(f"/admin/models/{NAME}/compare?a=1&b=3").get_data(as_text=True)
    assert "held-out-warning" in page and "not measured on the" in page
    assert "(v3 does not record which rows" in " ".join(page.split())
    with app.app_context():
        rows = versions.get_version(NAME, 1).dataset.rows
    assert f"{-rows:+,}" not in page  # no difference against data that was not recorded
    with app.app_context():
        other = dict(versions.get_version(NAME, 1).params["evaluation"])
        other["held_out"] = other["held_out"] | {"fingerprint": "e" * 64}
        register_dummy(NAME, 0.5, params={"evaluation": other})
    page = as_admin.get(f"/admin/models/{NAME}/compare?a=1&b=4").get_data(as_text=True)
    assert "held-out-warning" in page and "does not record" not in page
