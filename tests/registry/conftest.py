"""The artifact stores' backends side by side: each test that takes `backend` or `backend_app`
runs once on each."""
from __future__ import annotations

import pytest

from registry.artifacts import ArtifactStore
from registry.artifacts.folder import FolderStore
from tests.conftest import migrated_app

BACKENDS = ("folder",)


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path) -> dict[str, str | None]:
    """The settings of an empty artifact store."""
    return {"ARTIFACT_DIR": str(tmp_path / "models")}


@pytest.fixture
def backend_app(backend, tmp_path):
    """An app with an empty registry whose artifacts go to `backend`."""
    return migrated_app(tmp_path / "instance", **backend)


def stored_keys(store: ArtifactStore) -> list[str]:
    """Every key the store holds, looked up behind its back."""
    assert isinstance(store, FolderStore)
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())


def put_beside(store: ArtifactStore, name: str, data: bytes) -> None:
    """Put bytes just outside the store: beside its folder."""
    assert isinstance(store, FolderStore)
    (store.root.parent / name).write_bytes(data)
