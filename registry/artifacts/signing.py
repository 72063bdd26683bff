"""Artifact signatures: which model files this installation wrote.

A model artifact is a joblib (pickle) file, which runs code when loaded. Its sha256 in the
registry proves the bytes are the ones registered, but anyone who can write the database and the
store could register a file of their own with its digest. So each version also records an HMAC
of its digest under a key the database never holds: ARTIFACT_KEY when set, else one derived from
the SECRET_KEY (kept in the instance folder or the hosts' settings). Nothing is unpickled unless
the signature checks out. Keys in SECRET_KEY_FALLBACKS still verify, so rotating the secret key
keeps the models loadable; `flask --app portal hub artifacts sign` re-signs them with the new
one, and signs versions registered before signatures existed (their admin vouching for them).
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any, Mapping

from registry.artifacts.errors import ArtifactError

# Keys derived from the secret key are for this purpose only (a session signature is no
# artifact signature).
PURPOSE = b"modelhub artifact signature v1"


class UnsignedArtifact(ArtifactError):
    """A version with no signature: registered before signing, or written into the database by
    something other than Model Hub."""


class ForgedArtifact(ArtifactError):
    """A signature that no key of this installation made."""


class Signer:
    """Signs digests with the first key; accepts a signature made with any of them."""

    def __init__(self, secrets: list[str]) -> None:
        self.keys = [hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()
                     for secret in secrets if secret]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Signer":
        secrets = [config.get("ARTIFACT_KEY"), config.get("SECRET_KEY"),
                   *(config.get("SECRET_KEY_FALLBACKS") or ())]
        return cls([str(secret) for secret in secrets if secret])

    def sign(self, sha256: str) -> str:
        if not self.keys:
            raise ArtifactError("no key to sign artifacts with (set SECRET_KEY or ARTIFACT_KEY)")
        return self._mac(self.keys[0], sha256)

    def check(self, key: str, sha256: str, signature: str | None) -> None:
        """Raise UnsignedArtifact or ForgedArtifact unless `signature` is one of ours for
        `sha256`."""
        if not signature:
            raise UnsignedArtifact(
                f"artifact {key!r} is not signed: if you trust it, sign it with "
                "`flask --app portal hub artifacts sign`")
        if not any(hmac.compare_digest(self._mac(k, sha256), signature) for k in self.keys):
            raise ForgedArtifact(f"artifact {key!r} has a signature this installation did not "
                                 "make; it is not loaded")

    @staticmethod
    def _mac(key: bytes, sha256: str) -> str:
        return hmac.new(key, sha256.encode(), hashlib.sha256).hexdigest()
