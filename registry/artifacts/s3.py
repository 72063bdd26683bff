"""Artifacts as objects in an S3 bucket: AWS, or MinIO, Ceph or any S3 API at an endpoint URL.

Only imported for an `s3://` setting, so an installation that keeps its models in a folder never
needs boto3. Credentials and region come from boto3's standard chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, ~/.aws, an instance role), never from Model Hub's own settings.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from registry.artifacts import ArtifactError, ArtifactStore, check_key

# What S3 answers for a key that holds nothing: GetObject says NoSuchKey, HeadObject (which has no
# body to say it in) only its status.
MISSING = ("NoSuchKey", "404")


class S3Store(ArtifactStore):
    """Objects under one prefix of one bucket; keys are object names relative to the prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        # A session of its own: boto3's default session is not safe to share between threads,
        # while a client is. Making one takes ~50 ms, so the app keeps its store (see versions).
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint_url or None)

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None = None) -> "S3Store":
        parts = urlsplit(url)
        if not parts.netloc:
            raise ArtifactError(f"artifact store {url!r} names no bucket (s3://bucket/prefix)")
        return cls(parts.netloc, parts.path, endpoint_url=endpoint_url)

    def object_name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._error(key, exc) from exc
        body = response["Body"]
        try:
            return body.read()
        except BotoCoreError as exc:
            raise self._error(key, exc) from exc
        finally:
            body.close()  # back to the pool, or closed: never left to the garbage collector

    def write(self, key: str, data: bytes) -> None:
        # One PutObject is atomic: readers see the whole object or none.
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.object_name(key), Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(key, exc) from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as exc:
            if _code(exc) in MISSING:
                return False
            raise self._error(key, exc) from exc
        except BotoCoreError as exc:
            raise self._error(key, exc) from exc
        return True

    def remove(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._error(key, exc) from exc

    def close(self) -> None:
        self.client.close()

    def _error(self, key: str, exc: Exception) -> ArtifactError:
        """An ArtifactError for a failed request, so a model that cannot be fetched makes its
        use case unavailable (503) rather than the request fail."""
        if isinstance(exc, ClientError) and _code(exc) in MISSING:
            return ArtifactError(f"artifact {key!r} is missing")
        where = f"s3://{self.bucket}/{self.object_name(key)}"
        return ArtifactError(f"artifact {key!r} cannot be reached at {where}: {exc}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
