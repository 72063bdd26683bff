"""Throwaway servers on loopback for the tests, the benchmark and the multi-host rehearsal.

PostgreSQL (Debian's `postgresql`), Redis (Debian's `redis-server`), an S3 API (moto's
standalone server, the one stand-in: no S3 server installs on these machines) and nginx (Debian's
`nginx`, the buffering reverse proxy of deploy/nginx.conf in front of a gunicorn). Each runs from a
folder of its own under the system's temporary directory, on a free loopback port, and is
stopped and removed with that folder when its owner is done. `scripts/install-services` installs
the Debian packages when they are missing; nothing here installs or downloads anything.
"""
from __future__ import annotations

from devservices.base import ServiceError
from devservices.nginx import NginxServer
from devservices.postgres import PostgresServer
from devservices.redis import RedisServer
from devservices.s3 import S3Server

__all__ = ["NginxServer", "PostgresServer", "RedisServer", "S3Server", "ServiceError"]
