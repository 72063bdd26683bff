"""The artifact store: one joblib file per distinct model, checked by sha256 and signature before
it is loaded.

joblib (pickle) can run code on load, so a model is only ever loaded from inside the store,
only from bytes whose digest matches the one the registry recorded when they were written, and
only when that digest carries this installation's signature (signing.py): a file and a row
written by anyone without the installation's key are refused before a byte is unpickled.

Keys are content-addressed, `<usecase>/<sha256>.joblib`: the same model saved twice is one
object, and a key can never be rewritten with other bytes. Keys are relative paths, so rows
written before (`<usecase>/v3-<random>.joblib`) load the same way. Where the bytes live is chosen
by the setting's URL scheme (`open_store`): a folder, or an S3 bucket (`s3://bucket/prefix`).
"""
from __future__ import annotations

import abc
import hashlib
import io
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

import joblib

from registry.artifacts.errors import ArtifactError, OutsideStore
from registry.artifacts.signing import ForgedArtifact, Signer, UnsignedArtifact

__all__ = ["ArtifactError", "ArtifactStore", "DigestMismatch", "ForgedArtifact", "OutsideStore",
           "StoredArtifact", "UnsignedArtifact", "open_store"]


@dataclass(frozen=True)
class StoredArtifact:
    key: str  # relative to the store's root: what the registry records as artifact_path
    size: int
    sha256: str
    signature: str  # the digest's HMAC under the installation's key


class ArtifactStore(abc.ABC):
    """Model bytes under keys. The digest and signature checks and (de)serialisation happen
    here, once, for every backend; a backend only reads, writes, tests and removes bytes under
    a key."""

    signer = Signer([])  # open_store gives each store the installation's keys

    def save(self, model: Any, usecase: str) -> StoredArtifact:
        """Store a model under its content's key; a key already there holds the same bytes, so
        it is not written again."""
        data = serialise(model)
        digest = hashlib.sha256(data).hexdigest()
        key = f"{usecase}/{digest}.joblib"
        if not self.exists(key):
            self.write(key, data)
        return StoredArtifact(key, len(data), digest, self.signer.sign(digest))

    def load(self, key: str, expected_sha256: str, signature: str | None) -> Any:
        """Load a stored model after checking that its bytes are the ones registered and that
        this installation signed their digest (UnsignedArtifact, ForgedArtifact otherwise)."""
        self.signer.check(key, expected_sha256, signature)
        data = self.verified_bytes(key, expected_sha256)
        # Load from the bytes already checked, so the stored copy cannot change in between.
        try:
            return joblib.load(io.BytesIO(data))  # nosec B301: signed digest verified above
        except Exception as exc:  # a corrupt file with a matching digest cannot happen; be safe
            raise ArtifactError(f"artifact {key!r} cannot be loaded: {exc}") from exc

    def verified_bytes(self, key: str, expected_sha256: str) -> bytes:
        """The bytes under `key`, when they are the ones registered (DigestMismatch if not)."""
        data = self.read(key)
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_sha256:
            raise DigestMismatch(f"artifact {key!r} does not match its registered sha256 "
                                 f"(expected {expected_sha256[:12]}..., found {actual[:12]}...)")
        return data

    @abc.abstractmethod
    def read(self, key: str) -> bytes:
        """The bytes under `key`; ArtifactError "missing" when there are none."""

    @abc.abstractmethod
    def write(self, key: str, data: bytes) -> None:
        """Put `data` under `key`, so that no reader ever sees part of it."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether something is stored under `key`."""

    @abc.abstractmethod
    def remove(self, key: str) -> None:
        """Remove what is under `key`, if anything."""

    def close(self) -> None:
        """Release connections the store holds (nothing, for most)."""


class DigestMismatch(ArtifactError):
    """Bytes under a key that are not the ones registered (changed, swapped or damaged)."""


def serialise(model: Any) -> bytes:
    """The model as joblib bytes, compressed: what is hashed is exactly what is stored."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


def check_key(key: str) -> str:
    """Refuse a key that is empty, absolute or climbs (`..`): it names no object of the store."""
    parts = key.split("/")
    if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise OutsideStore(f"artifact key {key!r} is outside the artifact store")
    return key


def open_store(location: str, config: Mapping[str, Any]) -> ArtifactStore:
    """The store a setting names: `s3://bucket/prefix` an S3 bucket (at config's
    S3_ENDPOINT_URL, else AWS), a plain path a folder."""
    scheme = urlsplit(location).scheme if "://" in location else ""
    store: ArtifactStore
    if scheme == "s3":
        try:
            from registry.artifacts.s3 import S3Store
        except ImportError as exc:  # boto3 is needed for s3:// only
            raise ArtifactError(f"an s3:// artifact store needs boto3 ({exc})") from exc
        store = S3Store.from_url(location, endpoint_url=config.get("S3_ENDPOINT_URL"))
    elif scheme:
        raise ArtifactError(f"artifact store {location!r}: unknown scheme {scheme!r} "
                            "(a folder path or s3://bucket/prefix)")
    else:
        from registry.artifacts.folder import FolderStore
        store = FolderStore(location)
    store.signer = Signer.from_config(config)
    return store
