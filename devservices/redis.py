"""A throwaway Redis (Debian's `redis-server`) on a loopback port, keeping nothing on disk."""
from __future__ import annotations

import redis

from devservices.base import Server, program


class RedisServer(Server):
    name = "redis"

    def command(self) -> list[str]:
        return [program("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.folder), "--save", "", "--appendonly", "no",
                "--daemonize", "no"]

    def ready(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
