"""Every CLI command runs against a real registry."""
import pytest

from registry import users, versions
from registry.database import db


@pytest.mark.parametrize("args", [
    ["hub", "--help"], ["hub", "bootstrap", "--help"], ["hub", "train", "--help"],
    ["hub", "versions", "--help"], ["hub", "promote", "--help"], ["hub", "rollback", "--help"],
    ["user", "--help"], ["user", "create", "--help"], ["user", "token", "--help"],
    ["hub", "data", "--help"], ["hub", "data", "add", "--help"], ["hub", "data", "list", "--help"],
    ["hub", "outcome", "--help"], ["hub", "usecase", "--help"],
    ["hub", "usecase", "create", "--help"], ["hub", "usecase", "list", "--help"],
    ["hub", "artifacts", "sign", "--help"],
])
def test_every_command_has_help(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 0 and "Usage:" in result.output


def test_bootstrap_is_idempotent(app, runner):
    with app.app_context():
        before = {name: row.version for name, row in versions.production_versions().items()}
    result = runner.invoke(args=["hub", "bootstrap"])
    assert result.exit_code == 0 and "every use case has a production model" in result.output
    with app.app_context():
        after = {name: row.version for name, row in versions.production_versions().items()}
    assert before == after and set(after) == set(app.extensions["modelhub.usecases"])


def test_bootstrap_says_where_to_go_and_how_to_get_the_first_admin(app, runner):
    """What `make run` prints once the models are ready, before serving."""
    address = "http://127.0.0.1:5123/"
    first = runner.invoke(args=["hub", "bootstrap", "--address", address])
    assert first.exit_code == 0, first.output
    assert f"ready: open {address}" in first.output
    assert "user create NAME --role admin" in first.output and "/auth/login" in first.output
    assert "make run PORT=" in first.output
    with app.app_context():
        users.create_user("grace", "a-long-password", "analyst")
    assert "user create NAME" in runner.invoke(args=["hub", "bootstrap", "--address",
                                                     address]).output
    with app.app_context():
        users.create_user("ada", "a-long-password", "admin")
    later = runner.invoke(args=["hub", "bootstrap", "--address", address])
    assert f"ready: open {address}" in later.output and "user create" not in later.output


def test_train_versions_promote_rollback(app, runner):
    result = runner.invoke(args=["hub", "train", "heart-disease"])
    assert result.exit_code == 0, result.output
    assert "version 2 registered" in result.output and "roc_auc" in result.output
    listing = runner.invoke(args=["hub", "versions", "heart-disease"]).output
    assert "v2" in listing and "candidate" in listing and "production" in listing

    result = runner.invoke(args=["hub", "promote", "heart-disease", "2", "--reason", "newer"])
    assert result.exit_code == 0 and "version 2 is now in production" in result.output
    result = runner.invoke(args=["hub", "rollback", "heart-disease", "--reason", "oops"])
    assert result.exit_code == 0 and "rolled back to version 1" in result.output
    with app.app_context():
        trail = versions.promotions("heart-disease")
        assert [(p.action, p.reason) for p in trail[:2]] == [("rollback", "oops"),
                                                             ("promote", "newer")]
        assert trail[0].actor.startswith("cli:")


def test_train_with_promote(app, runner):
    result = runner.invoke(args=["hub", "train", "heart-disease", "--promote"])
    assert result.exit_code == 0 and "promoted" in result.output
    with app.app_context():
        assert versions.production_version("heart-disease").version == 2


@pytest.mark.parametrize("args, message", [
    (["hub", "train", "nope"], "unknown use case 'nope'"),
    (["hub", "versions", "nope"], "unknown use case"),
    (["hub", "promote", "heart-disease", "99"], "has no version 99"),
    (["hub", "promote", "heart-disease", "1"], "already in production"),
    (["hub", "rollback", "heart-disease"], "no earlier production version"),
    (["user", "token", "ghost"], "no user named 'ghost'"),
    (["hub", "outcome", "987654", "disease"], "there is no stored prediction 987654"),
    (["hub", "train", "heart-disease", "--dataset", "987654"], "has no dataset with id 987654"),
    (["hub", "data", "list", "nope"], "unknown use case"),
    (["hub", "usecase", "disable", "nope"], "no use case made from a table is named 'nope'"),
    (["hub", "usecase", "delete", "heart-disease"], "built-in use case: it cannot be deleted"),
])
def test_command_errors_are_clear(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output


def test_user_create_and_token(app, runner):
    result = runner.invoke(args=["user", "create", "ana", "--role", "analyst",
                                 "--password-stdin"], input="s3cret-pass\n")
    assert result.exit_code == 0 and "created analyst ana" in result.output
    token = runner.invoke(args=["user", "token", "ana"]).output.strip()
    with app.app_context():
        user = users.find_user("ana")
        assert user.check_password("s3cret-pass") and user.role == "analyst"
        assert token not in (user.token_hash or "") and users.user_for_token(token) == user
    again = runner.invoke(args=["user", "token", "ana"]).output.strip()
    with app.app_context():
        assert users.user_for_token(token) is None and users.user_for_token(again).username == "ana"


@pytest.mark.parametrize("args, stdin, message", [
    (["user", "create", "bob", "--role", "admin", "--password-stdin"], "short\n", "at least 8"),
    (["user", "create", "bob", "--role", "boss", "--password-stdin"], "long-enough\n", "boss"),
])
def test_user_create_refusals(runner, args, stdin, message):
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0 and message in result.output


def test_user_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["user", "create", "root", "--role", "admin"],
                           input="long-enough\nlong-enough\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert users.find_user("root").is_admin


HEART_COLUMNS = "age,sex,cp,trestbps,chol,fbs,restecg,thalch,exang,oldpeak,slope,ca,thal,diagnosis"
PATIENTS = ["63,Male,typical angina,150,240,true,normal,150,false,1.2,flat,0,normal,no disease",
            "71,Female,asymptomatic,160,300,false,lv hypertrophy,110,true,2.5,flat,2,"
            "reversable defect,disease",
            "45,Male,non-anginal,,,,,,,,,,,no disease"]


def test_data_add_reports_then_stores(app, runner, tmp_path):
    from registry import datasets

    upload = tmp_path / "patients.csv"
    upload.write_text("\n".join([HEART_COLUMNS, *PATIENTS, PATIENTS[0].replace("63", "300")])
                      + "\n")
    dry = runner.invoke(args=["hub", "data", "add", "heart-disease", str(upload), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "4 rows: 3 accepted, 1 refused" in dry.output
    assert "line 5, column age: must be between 18 and 100 years" in dry.output
    refused = runner.invoke(args=["hub", "data", "add", "heart-disease", str(upload)])
    assert refused.exit_code != 0 and "nothing was stored" in refused.output
    with app.app_context():
        assert [d.sources for d in datasets.list_versions("heart-disease")] == [["built-in"]]
    kept = runner.invoke(args=["hub", "data", "add", "heart-disease", str(upload),
                               "--skip-refused"])
    assert kept.exit_code == 0 and "dataset version 2" in kept.output and "3 rows" in kept.output
    listing = runner.invoke(args=["hub", "data", "list", "heart-disease"]).output
    assert listing.splitlines()[0].startswith("v2") and "upload" in listing


def test_outcomes_and_training_on_them_from_the_command_line(app, runner):
    from registry import serving
    from registry.database import db
    from registry.models import ModelVersion

    with app.app_context():
        result = serving.predict("heart-disease", [{"age": 50, "sex": "Male",
                                                    "cp": "asymptomatic"}], source="api")
        prediction = result.prediction_ids[0]
    recorded = runner.invoke(args=["hub", "outcome", str(prediction), "disease"])
    assert recorded.exit_code == 0 and "outcome 'disease'" in recorded.output
    corrected = runner.invoke(args=["hub", "outcome", str(prediction), "no disease"])
    assert "(was 'disease')" in corrected.output
    bad = runner.invoke(args=["hub", "outcome", str(prediction), "perhaps"])
    assert bad.exit_code != 0 and "must be one of: disease, no disease" in bad.output
    trained = runner.invoke(args=["hub", "train", "heart-disease", "--include-outcomes"])
    assert trained.exit_code == 0, trained.output
    with app.app_context():
        newest = db.session.query(ModelVersion).filter_by(usecase="heart-disease") \
            .order_by(ModelVersion.version.desc()).first()
        assert newest.dataset.sources == ["built-in", "outcomes"]
        assert newest.dataset.details["rows_by_source"]["outcomes"] == 1


def test_a_use_case_is_made_from_a_table_on_the_command_line(app, runner, tmp_path):
    from tests.tables import as_csv, student_performance

    table = tmp_path / "exams.csv"
    table.write_bytes(as_csv(student_performance(300)))
    shown = runner.invoke(args=["hub", "usecase", "create", "exams", str(table),
                                "--target", "math score", "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert "task: regression" in shown.output
    assert "input 'reading score' -> reading_score (number" in shown.output
    assert runner.invoke(args=["hub", "usecase", "list"]).output.startswith("no use case")
    made = runner.invoke(args=["hub", "usecase", "create", "exams", str(table), "--target",
                               "math score", "--exclude", "race/ethnicity", "--promote"])
    assert made.exit_code == 0, made.output
    assert "exams: version 1 registered and promoted; r2 = 0." in made.output
    with app.app_context():
        assert "race_ethnicity" not in [f["name"] for f in
                                        versions.production_version("exams").input_schema]
    again = runner.invoke(args=["hub", "usecase", "create", "exams", str(table), "--target",
                                "math score"])
    assert again.exit_code != 0 and "exists already" in again.output
    assert "exams" in runner.invoke(args=["hub", "usecase", "list"]).output
    assert runner.invoke(args=["hub", "usecase", "disable", "exams"]).exit_code == 0
    assert runner.invoke(args=["hub", "usecase", "enable", "exams"]).exit_code == 0
    assert runner.invoke(args=["hub", "usecase", "delete", "exams"]).output == "exams: deleted\n"


def test_artifacts_registered_before_signatures_load_once_an_admin_signs_them(app, runner):
    name = "heart-disease"
    example = next(iter(app.extensions["modelhub.usecases"][name].examples.values()))
    with app.app_context():
        row = versions.production_version(name)
        row.artifact_signature = None  # as every row migrated from before signatures
        db.session.commit()
    client = app.test_client()
    refused = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": example})
    assert refused.status_code == 503
    assert "hub artifacts sign" in refused.get_json()["error"]["message"]
    result = runner.invoke(args=["hub", "artifacts", "sign", "--usecase", name])
    assert result.exit_code == 0, result.output
    assert f"signed {name} version 1" in result.output and "1 version(s) signed" in result.output
    assert client.post(f"/api/v1/usecases/{name}/predict",
                       json={"inputs": example}).status_code == 200
    again = runner.invoke(args=["hub", "artifacts", "sign"])
    assert "0 version(s) signed" in again.output  # the others were signed when registered


def test_signing_refuses_a_file_that_is_not_the_one_registered(app, runner):
    name = "heart-disease"
    with app.app_context():
        row = versions.production_version(name)
        row.artifact_signature = None
        db.session.commit()
        store = versions.artifact_store()
        store.write(row.artifact_path, store.read(row.artifact_path) + b"\0")
    result = runner.invoke(args=["hub", "artifacts", "sign"])
    assert result.exit_code != 0 and "not the file that was registered" in result.output
    with app.app_context():
        assert versions.production_version(name).artifact_signature is None
