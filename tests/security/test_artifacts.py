"""Artifacts load only from the artifact directory, only when their sha256 matches, and only when
this installation signed that digest.

The store itself is tested in tests/registry/test_artifacts.py (digest, missing file, paths
outside) and the model cache in tests/registry/test_serving.py (tampered file, path outside);
here the same refusal is seen from the outside: the pages, the API and /readyz.
"""
from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path

import pytest

from registry import serving, users, versions
from registry.artifacts import DigestMismatch, ForgedArtifact, UnsignedArtifact, serialise
from registry.database import db
from tests.conftest import make_app


def form_data(inputs: dict) -> dict[str, str]:
    def text(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        return " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return {key: text(value) for key, value in inputs.items() if value is not None}


def point_outside(app, name: str, how: str, tmp_path) -> None:
    """Make the production version's artifact path lead outside the store, to a copy of the
    very same file (so its digest still matches: only the place is wrong)."""
    with app.app_context():
        row = versions.production_version(name)
        store = versions.artifact_store()
        real = store.resolve(row.artifact_path)
        if how == "absolute":
            outside = tmp_path / "elsewhere.joblib"
            row.artifact_path = str(outside)
        elif how == "climbing":
            outside = store.root.parent / "elsewhere.joblib"
            row.artifact_path = "../elsewhere.joblib"
        else:  # a link inside the store to a file outside it
            outside = tmp_path / "elsewhere.joblib"
            (store.root / "link.joblib").symlink_to(outside)
            row.artifact_path = "link.joblib"
        shutil.copy(real, outside)
        db.session.commit()


@pytest.mark.parametrize("how", ["absolute", "climbing", "symlink"])
def test_a_path_outside_the_store_makes_only_that_use_case_unavailable(app, tmp_path, how):
    usecases = app.extensions["modelhub.usecases"]
    broken = next(iter(usecases))
    point_outside(app, broken, how, tmp_path)
    client = app.test_client()
    for name, usecase in usecases.items():
        example = next(iter(usecase.examples.values()))
        page = client.post(f"/usecases/{name}/", data=form_data(example), follow_redirects=True)
        api = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": example})
        if name == broken:
            assert page.status_code == 503 and "is unavailable" in page.get_data(as_text=True)
            assert api.status_code == 503
            assert "outside the artifact directory" in api.get_json()["error"]["message"]
        else:
            assert page.status_code == 200 and api.status_code == 200, name
    ready = client.get("/readyz")
    assert ready.status_code == 503 and broken in ready.get_data(as_text=True)


class Planted:
    """A pickle that, when loaded, writes a file: what an attacker's artifact would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path(self.marker).write_text, ("code ran",))


def plant(app, name: str, marker: Path, signature: str | None) -> int:
    """Write a code-running artifact into the store and point a new version of `name` at it,
    with the file's true digest: what someone who can write the store and the database, but
    does not hold the installation's key, can do. Returns the planted version's number."""
    with app.app_context():
        store = versions.artifact_store()
        data = serialise(Planted(str(marker)))
        digest = hashlib.sha256(data).hexdigest()
        key = f"{name}/{digest}.joblib"
        store.write(key, data)
        production = versions.production_version(name)
        planted = versions.register_version(
            name, {"stand-in": True}, trained_by="attacker", params={}, metrics={},
            leaderboard=[], data_fingerprint="0" * 64, train_rows=1, test_rows=1,
            training_seconds=0.0, input_schema=production.input_schema)
        planted.artifact_path, planted.artifact_sha256 = key, digest
        planted.artifact_signature = signature
        db.session.commit()
        return planted.version


@pytest.mark.parametrize("signature", ["none", "another version's", "made up"])
def test_a_planted_artifact_with_its_true_digest_never_runs(app, tmp_path, signature):
    name = "heart-disease"
    marker = tmp_path / "code-ran"
    with app.app_context():
        other = versions.production_version("student-score").artifact_signature
    signatures = {"none": None, "another version's": other, "made up": "ab" * 32}
    number = plant(app, name, marker, signatures[signature])
    client = app.test_client()
    usecases = app.extensions["modelhub.usecases"]
    with app.app_context():
        admin = users.issue_token(users.create_user("admin-user", "long password", "admin"))
        with pytest.raises(serving.ModelUnavailable) as refused:
            serving.cache().version(versions.get_version(name, number))
    assert isinstance(refused.value.__cause__,
                      UnsignedArtifact if signature == "none" else ForgedArtifact)
    example = next(iter(usecases[name].examples.values()))
    answer = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": example,
                         "version": number}, headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 503
    # Even put in production by the database's word, it is never loaded.
    with app.app_context():
        versions.promote(name, number, actor="attacker")
    assert client.post(f"/api/v1/usecases/{name}/predict",
                       json={"inputs": example}).status_code == 503
    assert not marker.exists()
    for other_name, usecase in usecases.items():  # every other use case still serves
        if other_name != name:
            inputs = next(iter(usecase.examples.values()))
            assert client.post(f"/api/v1/usecases/{other_name}/predict",
                               json={"inputs": inputs}).status_code == 200, other_name
    with app.app_context():  # and so does its own earlier version, once rolled back to
        versions.rollback(name, actor="admin")
    answer = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": example})
    assert answer.status_code == 200 and answer.get_json()["version"] == 1
    assert not marker.exists()


def test_a_valid_model_substituted_for_another_version_s_file_is_refused(app, tmp_path):
    """Someone who can write the store copies one version's file over another's: the bytes are
    a working model of the same use case, signed by this installation, yet not the ones that
    version registered. The digest check refuses them, by type; every other version serves."""
    name = "heart-disease"
    with app.app_context():
        admin = users.issue_token(users.create_user("admin-user", "long password", "admin"))
        production = versions.production_version(name)
        _, model = serving.production_model(name)
        other = copy.deepcopy(model)
        other.substituted_from = "another fit"  # different bytes, the same working model
        second = versions.register_version(
            name, other, trained_by="test", params=production.params,
            metrics=production.metrics, leaderboard=production.leaderboard,
            data_fingerprint=production.data_fingerprint, train_rows=production.train_rows,
            test_rows=production.test_rows, training_seconds=0.0,
            input_schema=production.input_schema)
        assert second.artifact_sha256 != production.artifact_sha256
        store = versions.artifact_store()
        shutil.copy(store.resolve(second.artifact_path), store.resolve(production.artifact_path))
        second_number, first_number = second.version, production.version
    app = make_app(Path(app.instance_path))  # a new process: nothing loaded yet
    with app.app_context():
        with pytest.raises(serving.ModelUnavailable) as refused:
            serving.cache().version(versions.get_version(name, first_number))
    assert isinstance(refused.value.__cause__, DigestMismatch), repr(refused.value.__cause__)
    usecases = app.extensions["modelhub.usecases"]
    client = app.test_client()
    example = next(iter(usecases[name].examples.values()))
    refused_answer = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": example})
    assert refused_answer.status_code == 503
    served = client.post(f"/api/v1/usecases/{name}/predict",
                         json={"inputs": example, "version": second_number},
                         headers={"Authorization": f"Bearer {admin}"})
    assert served.status_code == 200 and served.get_json()["version"] == second_number
    for other_name, usecase in usecases.items():
        if other_name != name:
            inputs = next(iter(usecase.examples.values()))
            assert client.post(f"/api/v1/usecases/{other_name}/predict",
                               json={"inputs": inputs}).status_code == 200, other_name
