"""Admin views of a use case's dataset versions: the list, archive and restore, delete."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from portal.admin import bp
from portal.admin.routes import usecase_or_404
from registry import datasets, versions
from registry.models import DatasetVersion
from usecases.base import UseCase


def render_datasets(usecase: UseCase, status: int = 200):
    """Every dataset version of the use case, with the model versions trained on each."""
    rows = datasets.list_versions(usecase.name)
    return render_template("admin/datasets.html", usecase=usecase, datasets=rows,
                           trained={row.id: datasets.trained_on(row) for row in rows}), status


def dataset_or_404(name: str, version: int) -> DatasetVersion:
    try:
        return datasets.get(name, version)
    except versions.NotFound:
        abort(404, description=f"{name} has no dataset version {version}.")


@bp.get("/models/<name>/datasets", endpoint="datasets")
def datasets_page(name: str):
    return render_datasets(usecase_or_404(name))


@bp.post("/models/<name>/datasets/<int:version>/archive")
def archive_dataset(name: str, version: int):
    """Keep a dataset version but stop offering it for training."""
    usecase = usecase_or_404(name)
    datasets.archive(dataset_or_404(name, version), True)
    flash(f"{usecase.title}: dataset version {version} archived (kept, not offered for "
          "training).")
    return redirect(url_for("admin.datasets", name=name))


@bp.post("/models/<name>/datasets/<int:version>/restore")
def restore_dataset(name: str, version: int):
    """Offer an archived dataset version for training again."""
    usecase = usecase_or_404(name)
    datasets.archive(dataset_or_404(name, version), False)
    flash(f"{usecase.title}: dataset version {version} restored.")
    return redirect(url_for("admin.datasets", name=name))


@bp.post("/models/<name>/datasets/<int:version>/delete")
def delete_dataset(name: str, version: int):
    """Delete a dataset version no model was trained on; the registry refuses the others."""
    usecase = usecase_or_404(name)
    try:
        datasets.delete(dataset_or_404(name, version))
    except datasets.DatasetInUse as exc:
        flash(f"Not deleted: {exc}.", "error")
        return render_datasets(usecase, status=409)
    flash(f"{usecase.title}: dataset version {version} deleted.")
    return redirect(url_for("admin.datasets", name=name))
