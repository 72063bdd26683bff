"""Artifacts as files under one folder (the default: instance/models)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from registry.artifacts import ArtifactError, ArtifactStore, OutsideStore


class FolderStore(ArtifactStore):
    """Files under one root directory; keys are paths relative to it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def resolve(self, key: str) -> Path:
        """The absolute path of a stored file; refuses anything that leads outside the root,
        through `..`, an absolute path or a symbolic link."""
        path = (self.root / key).resolve()
        if Path(key).is_absolute() or not path.is_relative_to(self.root):
            raise OutsideStore(f"artifact path {key!r} is outside the artifact directory")
        return path

    def read(self, key: str) -> bytes:
        path = self.resolve(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ArtifactError(f"artifact {key!r} is missing") from None

    def write(self, key: str, data: bytes) -> None:
        final = self.resolve(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the final name, then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=final.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self.resolve(key).is_file()

    def remove(self, key: str) -> None:
        self.resolve(key).unlink(missing_ok=True)
