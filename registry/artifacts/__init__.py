"""The artifact store: one joblib file per model version, checked by sha256 before it is loaded.

joblib (pickle) can run code on load, so a file is only ever loaded from inside the artifact
directory and only when its digest matches the one the registry recorded when it was written.
"""
from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib


class ArtifactError(Exception):
    """An artifact that is missing, outside the store, or not the file that was registered."""


@dataclass(frozen=True)
class StoredArtifact:
    path: str  # relative to the store's root
    size: int
    sha256: str


class ArtifactStore:
    """Files under one root directory; paths kept in the database are relative to it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def save(self, model: Any, usecase: str, version: int) -> StoredArtifact:
        """Write the model to <root>/<usecase>/v<version>-<random>.joblib atomically.

        The random part keeps two trainers that race for one version number from overwriting
        each other's file; the registry's unique constraint then decides which one wins.
        """
        folder = self.root / usecase
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"v{version}-{secrets.token_hex(4)}.joblib"
        # Write beside the final name, then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                joblib.dump(model, handle, compress=3)
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredArtifact(str(final.relative_to(self.root)), final.stat().st_size,
                              sha256_of(final))

    def resolve(self, relative: str) -> Path:
        """The absolute path of a stored file; refuses anything that leads outside the root."""
        path = (self.root / relative).resolve()
        if Path(relative).is_absolute() or not path.is_relative_to(self.root):
            raise ArtifactError(f"artifact path {relative!r} is outside the artifact directory")
        return path

    def load(self, relative: str, expected_sha256: str) -> Any:
        """Load a stored model after checking that its bytes are the ones registered."""
        path = self.resolve(relative)
        if not path.is_file():
            raise ArtifactError(f"artifact {relative!r} is missing")
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_sha256:
            raise ArtifactError(f"artifact {relative!r} does not match its registered sha256 "
                                f"(expected {expected_sha256[:12]}..., found {actual[:12]}...)")
        # Load from the bytes already checked, so the file cannot change between check and load.

        try:
            return joblib.load(io.BytesIO(data))  # nosec B301: digest verified just above
        except Exception as exc:  # a corrupt file with a matching digest cannot happen; be safe
            raise ArtifactError(f"artifact {relative!r} cannot be loaded: {exc}") from exc

    def remove(self, relative: str) -> None:
        self.resolve(relative).unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
