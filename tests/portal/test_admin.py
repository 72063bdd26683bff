"""Admin pages: who may open them, versions, comparison, promotion, rollback, retraining, users."""
import re
import time

import pytest

from registry import jobs, users, versions
from registry.database import db
from registry.monitoring import gate
from tests.conftest import add_copy_of_production, assert_progress_was_reported, make_app, \
    register_dummy
from tests.portal.conftest import ADMIN, PASSWORD, AuthActions, csrf_token_in

NAME = "heart-disease"
PAGES = ["/admin/", f"/admin/models/{NAME}", f"/admin/models/{NAME}/compare",
         f"/admin/models/{NAME}/versions/1/promote", "/admin/jobs", "/admin/jobs/1",
         "/admin/jobs/1.json", "/admin/users"]
ACTIONS = [(f"/admin/models/{NAME}/versions/2/promote", {"reason": "why not"}),
           (f"/admin/models/{NAME}/rollback", {"reason": "why not"}),
           (f"/admin/models/{NAME}/retrain", {}),
           ("/admin/users", {"username": "eve", "password": PASSWORD, "role": "admin"}),
           ("/admin/users/1/token", {}), ("/admin/users/1/token/revoke", {})]


@pytest.fixture
def two_versions(app):
    """A second, better-scoring candidate of heart-disease (v2) beside the production v1."""
    with app.app_context():
        register_dummy(NAME, 0.5, metrics={"roc_auc": 0.99, "accuracy": 0.5}, trained_by="bob")


def registry_state(app):
    """What the forbidden requests must leave unchanged."""
    with app.app_context():
        return (versions.production_version(NAME).version, len(versions.promotions(NAME)),
                len(jobs.recent_jobs()), [(u.username, u.token_hash) for u in users.list_users()])


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(("url", "form"), ACTIONS)
def test_anonymous_and_analyst_posts_change_nothing(app, client, auth, two_versions, url, form):
    before = registry_state(app)
    response = client.post(url, data=form)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    auth.login("ann")
    assert client.post(url, data=form).status_code == 403
    assert registry_state(app) == before


@pytest.mark.parametrize("url", PAGES)
def test_analysts_may_not_open_admin_pages(as_analyst, url):
    assert as_analyst.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_admins_open_every_admin_page(as_admin, url):
    assert as_admin.get(url).status_code == 200


def test_the_overview_lists_every_usecase_with_its_production_version(as_admin, app):
    page = as_admin.get("/admin/").get_data(as_text=True)
    for name, usecase in app.extensions["modelhub.usecases"].items():
        assert f'href="/admin/models/{name}">{usecase.title}</a>' in page
    assert page.count("<td>v1</td>") == len(app.extensions["modelhub.usecases"])


def test_a_usecase_page_shows_each_version_in_full(as_admin, app, two_versions):
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    with app.app_context():
        first = versions.get_version(NAME, 1)
    assert 'id="v1"' in page and 'id="v2"' in page
    assert "production" in page and "candidate" in page and "bob" in page
    assert all(row["name"] in page for row in first.leaderboard)
    assert first.data_fingerprint[:12] in page and ">ROC AUC</abbr>" in page
    assert ">Accuracy</abbr>" in page and "truly positive" in page.lower()
    assert f"{first.training_seconds:.1f} s" in page and " kB" in page
    assert page.count("Promote…") == 1  # only the candidate can be promoted


def test_compare_defaults_to_production_against_the_newest(as_admin, app, two_versions):
    response = as_admin.get(f"/admin/models/{NAME}/compare")
    page = response.get_data(as_text=True)
    with app.app_context():
        live = versions.get_version(NAME, 1).metrics["roc_auc"]
    assert response.status_code == 200
    assert "A: v1 (production)" in page and "B: v2 (candidate)" in page
    assert f"{0.99 - live:+.4g}" in page and "(better)" in page


def test_compare_the_other_way_round(as_admin, app, two_versions):
    page = as_admin.get(f"/admin/models/{NAME}/compare?a=2&b=1").get_data(as_text=True)
    assert "A: v2 (candidate)" in page and "(worse)" in page


@pytest.mark.parametrize("query", ["a=9&b=1", "a=x&b=1", "a=1&b="])
def test_compare_with_bad_versions_is_400(as_admin, two_versions, query):
    response = as_admin.get(f"/admin/models/{NAME}/compare?{query}")
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)


def test_promote_through_the_page_writes_the_audit_trail(as_admin, app, two_versions):
    confirm = as_admin.get(f"/admin/models/{NAME}/versions/2/promote").get_data(as_text=True)
    assert "Against production" in confirm and 'name="reason"' in confirm
    response = as_admin.post(f"/admin/models/{NAME}/versions/2/promote",
                             data={"reason": "  better recall "})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/models/{NAME}"
    with app.app_context():
        assert versions.production_version(NAME).version == 2
        record = versions.promotions(NAME)[0]
        assert (record.action, record.actor, record.reason) == ("promote", ADMIN, "better recall")
        assert record.from_version.version == 1
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    assert "version 2 is now in production" in page and "better recall" in page


def test_rollback_through_the_page_writes_the_audit_trail(as_admin, app, two_versions):
    as_admin.post(f"/admin/models/{NAME}/versions/2/promote", data={"reason": "try it"})
    response = as_admin.post(f"/admin/models/{NAME}/rollback", data={"reason": "drift"})
    assert response.status_code == 302
    with app.app_context():
        assert versions.production_version(NAME).version == 1
        record = versions.promotions(NAME)[0]
        assert (record.action, record.actor, record.reason) == ("rollback", ADMIN, "drift")
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    assert "rolled back to version 1" in page and "drift" in page


@pytest.mark.parametrize("url", [f"/admin/models/{NAME}/versions/2/promote",
                                 f"/admin/models/{NAME}/rollback"])
def test_a_reason_is_required(as_admin, app, two_versions, url):
    if url.endswith("rollback"):  # something to roll back to, so that the form is shown
        as_admin.post(f"/admin/models/{NAME}/versions/2/promote", data={"reason": "try it"})
    before = registry_state(app)
    response = as_admin.post(url, data={"reason": "  "})
    assert response.status_code == 400
    assert "Say why, for the audit trail." in response.get_data(as_text=True)
    assert registry_state(app) == before


@pytest.mark.parametrize(("url", "message"), [
    (f"/admin/models/{NAME}/versions/1/promote", "already in production"),
    (f"/admin/models/{NAME}/rollback", "no earlier production version"),
])
def test_registry_refusals_are_shown_not_500(as_admin, url, message):
    response = as_admin.post(url, data={"reason": "because"})
    assert response.status_code == 409 and message in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/admin/models/nope"), ("get", "/admin/models/nope/compare"),
    ("post", "/admin/models/nope/retrain"), ("get", f"/admin/models/{NAME}/versions/99/promote"),
    ("post", f"/admin/models/{NAME}/versions/99/promote"), ("get", "/admin/jobs/999"),
    ("get", "/admin/jobs/999.json"), ("post", "/admin/users/999/token"),
])
def test_unknown_things_are_404(as_admin, method, url):
    assert getattr(as_admin, method)(url, data={"reason": "x"}).status_code == 404


def test_retrain_runs_a_job_whose_page_follows_it_to_the_new_version(app, people):
    quick = make_app(app.instance_path, TRAINING_SAMPLE=300)  # a smaller data set trains faster
    client = quick.test_client()
    AuthActions(client).login(ADMIN)
    response = client.post(f"/admin/models/{NAME}/retrain")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert re.fullmatch(r"/admin/jobs/\d+", job_url)

    page = client.get(job_url).get_data(as_text=True)
    assert re.search(r'status-(queued|running)', page) and "<progress" in page
    assert '<meta http-equiv="refresh" content="2">' in page and "admin.js" in page
    again = client.post(f"/admin/models/{NAME}/retrain", follow_redirects=True)
    job_id = job_url.rsplit("/", 1)[1]
    assert f'already training: <a href="{job_url}">follow job {job_id}</a>' in \
        again.get_data(as_text=True)

    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = client.get(job_url + ".json").get_json()
        seen.append((status["status"], status["progress"]))
        if status["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.3)
    assert seen[-1] == ("succeeded", 1.0), seen[-3:]
    with quick.app_context():  # the bar had steps to show while it ran
        assert_progress_was_reported(jobs.get_job(int(job_url.rsplit("/", 1)[1])).log)

    page = client.get(job_url).get_data(as_text=True)
    assert "http-equiv" not in page and "status-succeeded" in page
    assert "version 2</a>" in page and "B: v2 (candidate)" in page and "A: v1 (production)" in page
    assert "Promote v2 to production" in page
    with quick.app_context():
        new = versions.get_version(NAME, 2)
        assert new.stage == "candidate" and new.trained_by == ADMIN
        assert versions.production_version(NAME).version == 1


def test_a_failed_job_shows_its_error_and_that_production_is_unchanged(app, as_admin):
    broken = make_app(app.instance_path, TRAINING_SAMPLE=3)  # too few rows to cross-validate
    with broken.app_context():
        job_id = jobs.run(jobs.enqueue(NAME, requested_by=ADMIN).id).id
    page = as_admin.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "status-failed" in page and "production is unchanged" in page and "Traceback" in page
    assert "Promote" not in page
    # The log the worker wrote to the registry, readable from any host: open, since it failed.
    log = re.search(r'<details class="job-log" open>.*?<pre data-job-field="log">(.*?)</pre>',
                    page, re.S)
    assert log and "loading data" in log.group(1) and "failed: " in log.group(1)


def test_the_job_status_json(as_admin, app):
    status = as_admin.get("/admin/jobs/1.json").get_json()
    assert status["id"] == 1 and status["status"] == "succeeded" and status["version"] == 1
    assert status["runner"] == "inline" and "registered and promoted" in status["log"]
    missing = as_admin.get("/admin/jobs/999.json")
    assert missing.status_code == 404 and "error" in missing.get_json()


def test_the_job_list_shows_recent_jobs(as_admin, app):
    page = as_admin.get("/admin/jobs").get_data(as_text=True)
    bootstrapped = len(app.extensions["modelhub.usecases"])  # one training job each
    assert len(re.findall(r'href="/admin/jobs/\d+"', page)) == bootstrapped


def test_create_an_analyst(as_admin, app):
    response = as_admin.post("/admin/users", data={"username": "carl", "password": PASSWORD,
                                                   "role": "analyst"})
    assert response.status_code == 302
    assert "Created analyst carl." in as_admin.get("/admin/users").get_data(as_text=True)
    with app.app_context():
        assert users.authenticate("carl", PASSWORD).role == "analyst"


@pytest.mark.parametrize(("form", "message"), [
    ({"username": "", "password": PASSWORD, "role": "analyst"}, "This field is required."),
    ({"username": "carl", "password": "short", "role": "analyst"}, "between 8 and 200 characters"),
    ({"username": "carl", "password": PASSWORD, "role": "root"}, "Not a valid choice"),
    ({"username": ADMIN, "password": PASSWORD, "role": "admin"}, "already exists"),
    ({"username": "x" * 81, "password": PASSWORD, "role": "admin"}, "longer than 80 characters"),
])
def test_invalid_users_are_refused_next_to_the_field(as_admin, app, form, message):
    response = as_admin.post("/admin/users", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    field = page.split('<div class="field has-error">')[1].split("</div>")[0]
    assert message in field
    with app.app_context():
        assert len(users.list_users()) == 2


def test_a_token_is_shown_once_and_can_be_revoked(as_admin, app):
    with app.app_context():
        analyst_id = users.find_user("ann").id
    response = as_admin.post(f"/admin/users/{analyst_id}/token")
    page = response.get_data(as_text=True)
    token = re.search(r'<code class="token"[^>]*>(mh_[^<]+)</code>', page).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert users.user_for_token(token).username == "ann"
    listing = as_admin.get("/admin/users").get_data(as_text=True)
    assert token not in listing and "Revoke token" in listing
    assert as_admin.post(f"/admin/users/{analyst_id}/token/revoke").status_code == 302
    with app.app_context():
        assert users.user_for_token(token) is None


def test_admin_posts_need_the_csrf_token(app, people, two_versions):
    client = make_app(app.instance_path, WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token_in(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token})
    url = f"/admin/models/{NAME}/versions/2/promote"
    refused = client.post(url, data={"reason": "no token"})
    assert refused.status_code == 400
    with app.app_context():
        assert versions.production_version(NAME).version == 1
    token = csrf_token_in(client.get(url).get_data(as_text=True))
    assert client.post(url, data={"reason": "with token", "csrf_token": token}).status_code == 302
    with app.app_context():
        assert versions.production_version(NAME).version == 2


def test_rollback_is_offered_only_with_something_to_roll_back_to(as_admin, app, two_versions):
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    assert "Nothing to roll back to: v1 is the first version" in page
    assert f'action="/admin/models/{NAME}/rollback"' not in page
    as_admin.post(f"/admin/models/{NAME}/versions/2/promote", data={"reason": "try it"})
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    assert f'action="/admin/models/{NAME}/rollback"' in page
    assert '<button type="submit" class="danger">Roll back to v1</button>' in page


def test_the_promote_page_warns_when_the_candidate_is_production_s_model(as_admin, app):
    with app.app_context():  # a retraining on the same data and seed: the same bytes
        copy = add_copy_of_production(NAME)
        row, production = versions.get_version(NAME, copy), versions.production_version(NAME)
        row.artifact_path = production.artifact_path
        row.artifact_sha256 = production.artifact_sha256
        row.artifact_signature = production.artifact_signature
        db.session.commit()
    page = as_admin.get(f"/admin/models/{NAME}/versions/{copy}/promote").get_data(as_text=True)
    assert "The same model as production." in page
    assert "Measured on different rows." not in page  # a copy keeps production's rows


def test_the_promote_page_warns_when_versions_were_measured_on_other_rows(as_admin, app,
                                                                        two_versions):
    page = as_admin.get(f"/admin/models/{NAME}/versions/2/promote").get_data(as_text=True)
    assert "The same model as production." not in page
    with app.app_context():  # register_dummy's v2 was measured on rows of its own
        assert not gate.verdict(app.extensions["modelhub.usecases"][NAME],
                                versions.get_version(NAME, 2))["evidence"]["offline"]["same_rows"]
    assert "Measured on different rows." in page
