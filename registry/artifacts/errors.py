"""The artifact store's one error type (its own module, so the store's parts can share it)."""


class ArtifactError(Exception):
    """An artifact that is missing, outside the store, or not the file that was registered."""
