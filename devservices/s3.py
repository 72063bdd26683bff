"""An S3 API on a loopback port: moto's standalone server (`moto[server]`).

No S3 server can be installed on these machines; moto's answers the same HTTP API that boto3
speaks to AWS, MinIO or Ceph, and keeps the objects in memory.
"""
from __future__ import annotations

import os
import sys
import urllib.request

import boto3

from devservices.base import Server

# moto accepts any credentials; boto3 wants some to sign its requests with.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "modelhub-test",
    "AWS_SECRET_ACCESS_KEY": "modelhub-test",  # nosec B105: moto takes any; guards nothing
    "AWS_DEFAULT_REGION": "us-east-1",
}


class S3Server(Server):
    name = "s3"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def popen_options(self):
        return {"env": dict(os.environ, **CREDENTIALS)}

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):  # nosec B310
                return True
        except OSError:
            return False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def create_bucket(self, name: str) -> None:
        client = boto3.client("s3", endpoint_url=self.endpoint, **_client_credentials())
        client.create_bucket(Bucket=name)


def _client_credentials() -> dict[str, str]:
    return {"aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "region_name": CREDENTIALS["AWS_DEFAULT_REGION"]}
