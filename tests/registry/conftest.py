"""The artifact stores' backends side by side: each test that takes `backend` or `backend_app`
runs once on a folder and once on an S3 bucket (moto's server, see tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from registry.artifacts import ArtifactStore
from registry.artifacts.folder import FolderStore
from tests.conftest import migrated_app
from tests.databases import TEST_SECRET_KEY

BACKENDS = ("folder", "s3")


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path) -> dict[str, str | None]:
    """The settings of an empty artifact store: ARTIFACT_DIR, and S3_ENDPOINT_URL for S3."""
    if request.param == "folder":
        return {"ARTIFACT_DIR": str(tmp_path / "models"), "S3_ENDPOINT_URL": None,
                "SECRET_KEY": TEST_SECRET_KEY}
    bucket = request.getfixturevalue("s3_bucket")
    # Artifacts in a bucket mean an installation shared across hosts: its key must be given.
    return {"ARTIFACT_DIR": bucket.url("models"), "S3_ENDPOINT_URL": bucket.endpoint,
            "SECRET_KEY": TEST_SECRET_KEY}


@pytest.fixture
def backend_app(backend, tmp_path):
    """An app with an empty registry whose artifacts go to `backend`."""
    return migrated_app(tmp_path / "instance", **backend)


def stored_keys(store: ArtifactStore) -> list[str]:
    """Every key the store holds, looked up behind its back (in the folder or the bucket)."""
    if isinstance(store, FolderStore):
        return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*")
                      if p.is_file())
    listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"{store.prefix}/")
    return sorted(str(Path(o["Key"]).relative_to(store.prefix))
                  for o in listed.get("Contents", []))


def put_beside(store: ArtifactStore, name: str, data: bytes) -> None:
    """Put bytes just outside the store: beside its folder, or in its bucket above its prefix."""
    if isinstance(store, FolderStore):
        (store.root.parent / name).write_bytes(data)
    else:
        store.client.put_object(Bucket=store.bucket, Key=name, Body=data)
