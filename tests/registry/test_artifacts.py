"""The artifact store: digests are checked, and nothing outside the store is loaded."""
import pytest

from registry.artifacts import ArtifactError, ArtifactStore


def test_round_trip_and_digest(tmp_path):
    store = ArtifactStore(tmp_path)
    saved = store.save({"weights": [1, 2, 3]}, "toy", 1)
    assert saved.path.startswith("toy/v1-") and saved.path.endswith(".joblib")
    assert store.load(saved.path, saved.sha256) == {"weights": [1, 2, 3]}


def test_tampered_artifact_is_refused(tmp_path):
    store = ArtifactStore(tmp_path)
    saved = store.save({"weights": [1, 2, 3]}, "toy", 1)
    with open(store.resolve(saved.path), "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ArtifactError, match="does not match its registered sha256"):
        store.load(saved.path, saved.sha256)


def test_missing_artifact_is_refused(tmp_path):
    store = ArtifactStore(tmp_path)
    saved = store.save([1], "toy", 1)
    store.remove(saved.path)
    with pytest.raises(ArtifactError, match="missing"):
        store.load(saved.path, saved.sha256)


@pytest.mark.parametrize("path", ["../outside.joblib", "/etc/passwd", "toy/../../x.joblib"])
def test_paths_outside_the_store_are_refused(tmp_path, path):
    store = ArtifactStore(tmp_path / "store")
    (tmp_path / "outside.joblib").write_bytes(b"x")
    with pytest.raises(ArtifactError, match="outside the artifact directory"):
        store.load(path, "0" * 64)
