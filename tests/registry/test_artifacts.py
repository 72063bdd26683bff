"""The artifact stores: content-addressed keys, digests and signatures checked, nothing outside the
store loaded.

Each behaviour is checked on both backends, a folder and an S3 bucket (moto's server).
"""
import hashlib
import subprocess  # nosec B404: runs this Python with a fixed script
import sys
from pathlib import Path

import pytest

from registry import serving, versions
from registry.artifacts import (ArtifactError, DigestMismatch, ForgedArtifact, UnsignedArtifact,
                                open_store, serialise)
from registry.artifacts.folder import FolderStore
from registry.artifacts.s3 import S3Store
from tests.conftest import make_app, register_dummy
from tests.registry.conftest import put_beside, stored_keys

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(backend):
    store = open_store(backend["ARTIFACT_DIR"], backend)
    yield store
    store.close()


def test_round_trip_under_the_contents_digest(store):
    saved = store.save({"weights": [1, 2, 3]}, "toy")
    data = serialise({"weights": [1, 2, 3]})
    assert saved.sha256 == hashlib.sha256(data).hexdigest() and saved.size == len(data)
    assert saved.key == f"toy/{saved.sha256}.joblib"
    assert store.load(saved.key, saved.sha256, saved.signature) == {"weights": [1, 2, 3]}


def test_the_same_model_twice_is_one_object(store):
    first = store.save({"weights": [1, 2, 3]}, "toy")
    again = store.save({"weights": [1, 2, 3]}, "toy")
    other = store.save({"weights": [4]}, "toy")
    assert again == first and other.key != first.key
    assert stored_keys(store) == sorted([first.key, other.key])


def test_tampered_bytes_are_refused(store):
    saved = store.save({"weights": [1, 2, 3]}, "toy")
    tampered = serialise({"weights": [6, 6, 6]})
    store.write(saved.key, tampered)  # replaced behind the registry's back
    with pytest.raises(DigestMismatch) as caught:
        store.load(saved.key, saved.sha256, saved.signature)
    assert saved.sha256[:12] in str(caught.value)
    assert hashlib.sha256(tampered).hexdigest()[:12] in str(caught.value)


def test_a_missing_artifact_is_refused(store):
    saved = store.save([1], "toy")
    store.remove(saved.key)
    store.remove(saved.key)  # removing what is gone is no error
    assert stored_keys(store) == []
    with pytest.raises(ArtifactError, match="missing"):
        store.load(saved.key, saved.sha256, saved.signature)


def test_keys_of_earlier_versions_still_load(store):
    """Rows registered before keys were content-addressed name `<usecase>/v<n>-<random>`."""
    data = serialise({"weights": [1]})
    store.write("toy/v3-abcd.joblib", data)
    digest = hashlib.sha256(data).hexdigest()
    assert store.load("toy/v3-abcd.joblib", digest, store.signer.sign(digest)) == {"weights": [1]}


@pytest.mark.parametrize("key", ["../outside.joblib", "/outside.joblib", "toy/../../outside.joblib"])
def test_keys_leading_outside_the_store_are_refused(store, key):
    data = serialise({"weights": [1]})
    put_beside(store, "outside.joblib", data)  # right digest, wrong place
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(ArtifactError, match="outside the artifact"):
        store.load(key, digest, store.signer.sign(digest))
    with pytest.raises(ArtifactError, match="outside the artifact"):
        store.remove(key)


@pytest.mark.parametrize("key", ["", "toy//x.joblib", "./toy/x.joblib", "toy/"])
def test_s3_keys_with_empty_parts_are_refused(s3_bucket, key):
    store = open_store(s3_bucket.url(), {"S3_ENDPOINT_URL": s3_bucket.endpoint})
    try:
        with pytest.raises(ArtifactError, match="outside the artifact store"):
            store.read(key)
    finally:
        store.close()


def test_the_setting_chooses_the_backend(tmp_path, s3_bucket):
    folder = open_store(str(tmp_path / "models"), {})
    assert isinstance(folder, FolderStore) and folder.root == tmp_path / "models"
    bucket = open_store("s3://models-bucket/team/a", {"S3_ENDPOINT_URL": s3_bucket.endpoint})
    try:
        assert isinstance(bucket, S3Store)
        assert (bucket.bucket, bucket.prefix) == ("models-bucket", "team/a")
        assert bucket.client.meta.endpoint_url == s3_bucket.endpoint
    finally:
        bucket.close()
    for location in ("gs://bucket/models", "s3:///models"):
        with pytest.raises(ArtifactError):
            open_store(location, {})


def test_nothing_is_read_without_this_installations_signature(store, backend):
    saved = store.save({"weights": [1]}, "toy")
    with pytest.raises(UnsignedArtifact):
        store.load(saved.key, saved.sha256, None)
    with pytest.raises(ForgedArtifact):
        store.load(saved.key, saved.sha256, "0" * 64)
    other = open_store(backend["ARTIFACT_DIR"], backend | {"SECRET_KEY": "another installation"})
    try:
        with pytest.raises(ForgedArtifact):  # signed with a key this one does not hold
            other.load(saved.key, saved.sha256, saved.signature)
    finally:
        other.close()


def test_a_rotated_secret_key_still_verifies_and_an_artifact_key_signs(backend):
    first = open_store(backend["ARTIFACT_DIR"], backend)
    saved = first.save({"weights": [1]}, "toy")
    first.close()
    rotated = backend | {"SECRET_KEY": "the new key",
                         "SECRET_KEY_FALLBACKS": [backend["SECRET_KEY"]]}
    store = open_store(backend["ARTIFACT_DIR"], rotated)
    own = open_store(backend["ARTIFACT_DIR"], backend | {"ARTIFACT_KEY": "artifacts only"})
    try:
        assert store.load(saved.key, saved.sha256, saved.signature) == {"weights": [1]}
        assert store.signer.sign(saved.sha256) != saved.signature  # new ones: the new key
        assert own.signer.sign(saved.sha256) not in (saved.signature,
                                                     store.signer.sign(saved.sha256))
        assert own.load(saved.key, saved.sha256, saved.signature) == {"weights": [1]}
    finally:
        store.close()
        own.close()


# Run in a process of its own that never imports the tests' fixtures (they start moto's server,
# so they import boto3): settings in, a model registered and served, then what was imported.
IMPORTS_WITHOUT_S3 = """
import sys
from flask_migrate import upgrade
from sklearn.dummy import DummyRegressor
from portal import create_app
from registry import serving, versions
app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1],
                  "FREEZE_HEAP_ON_MODEL_LOAD": False})
with app.app_context():
    upgrade()
    model = DummyRegressor(strategy="constant", constant=2.0).fit([[0]], [2.0])
    versions.register_version("toy", model, trained_by="t", params={}, metrics={},
                              leaderboard=[], data_fingerprint="0" * 64, train_rows=1,
                              test_rows=1, training_seconds=0.0)
    versions.promote("toy", 1, actor="t")
    assert serving.production_model("toy")[1].predict([[0]])[0] == 2.0
print(sorted(name for name in sys.modules if name.split(".")[0] in ("boto3", "botocore")))
"""


def test_a_folder_install_never_imports_boto3(tmp_path):
    """boto3 is needed for s3:// only: an app on a folder registers and serves without it."""
    done = subprocess.run([sys.executable, "-c", IMPORTS_WITHOUT_S3, str(tmp_path / "instance")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_an_app_registers_and_serves_from_its_store(backend_app, backend):
    with backend_app.app_context():
        row = register_dummy(value=3.0)
        versions.promote("toy", 1, actor="t")
        version, model = serving.production_model("toy")
        assert version == 1 and model.predict([[0]])[0] == 3.0
        store = versions.artifact_store()
        assert versions.artifact_store() is store  # made once per app, not per request
        assert stored_keys(store) == [row.artifact_path]
    if backend["S3_ENDPOINT_URL"]:  # nothing went to the instance folder
        assert not (Path(backend_app.instance_path) / "models").exists()
    # Another process on the same settings (a second web worker) serves the same model.
    other = make_app(Path(backend_app.instance_path), **backend)
    with other.app_context():
        assert serving.production_model("toy")[1].predict([[0]])[0] == 3.0
