"""What the three servers share: a throwaway folder, a free port, a process to wait for."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess  # nosec B404: starts the servers' own programs with fixed argv
import tempfile
import time
from pathlib import Path
from typing import Any


class ServiceError(RuntimeError):
    """A server that is not installed, or did not start."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """A server process on a loopback port, run from a temporary folder of its own.

    Subclasses say how to start (`command`) and may prepare the folder first (`prepare`).
    """

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"modelhub-{self.name}-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.folder / "server.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Anything to do once before the first start."""

    def ready(self) -> bool:
        return port_open(self.port)

    def popen_options(self) -> dict[str, Any]:
        return {}

    def start(self, seconds: float = 60) -> "Server":
        if self.process is None or self.process.poll() is not None:
            if self.process is None:
                self.prepare()
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(  # nosec B603: fixed argv, no shell
                    self.command(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True, **self.popen_options())
        deadline = time.monotonic() + seconds
        while not self.ready():
            if self.process.poll() is not None:
                raise ServiceError(f"{self.name} stopped while starting:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise ServiceError(f"{self.name} did not start in {seconds} s:\n{self.tail()}")
            time.sleep(0.05)
        return self

    def stop(self, seconds: float = 20) -> None:
        """Stop the server (SIGTERM, then SIGKILL), keeping its folder for another start."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            self.process = process
            return
        try:
            os.killpg(process.pid, self.stop_signal)
            process.wait(seconds)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        self.process = process

    def close(self) -> None:
        """Stop the server and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def program(name: str, *folders: str) -> str:
    """The path of an installed program: on PATH, or in one of `folders` (globs allowed)."""
    found = shutil.which(name)
    if found:
        return found
    for pattern in folders:
        for candidate in sorted(Path("/").glob(pattern.lstrip("/")), reverse=True):
            if (candidate / name).is_file():
                return str(candidate / name)
    raise ServiceError(f"{name} is not installed; run scripts/install-services")
