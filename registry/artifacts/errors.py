"""The artifact store's error types (their own module, so the store's parts can share them)."""


class ArtifactError(Exception):
    """An artifact that is missing, outside the store, or not the file that was registered."""


class OutsideStore(ArtifactError):
    """A key that leads outside the store (an absolute path, "..", a link out)."""
