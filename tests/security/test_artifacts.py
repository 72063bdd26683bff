"""Artifacts load only from the artifact directory and only when their sha256 matches.

The store itself is tested in tests/registry/test_artifacts.py (digest, missing file, paths
outside) and the model cache in tests/registry/test_serving.py (tampered file, path outside);
here the same refusal is seen from the outside: the pages, the API and /readyz.
"""
from __future__ import annotations

import shutil

import pytest

from registry import versions
from registry.database import db


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
        page = client.post(f"/usecases/{name}/", data=form_data(example))
        api = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": example})
        if name == broken:
            assert page.status_code == 503 and "is unavailable" in page.get_data(as_text=True)
            assert api.status_code == 503
            assert "outside the artifact directory" in api.get_json()["error"]["message"]
        else:
            assert page.status_code == 200 and api.status_code == 200, name
    ready = client.get("/readyz")
    assert ready.status_code == 503 and broken in ready.get_data(as_text=True)
