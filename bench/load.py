"""HTTP load with Debian's wrk: a fixed JSON body POSTed over N connections for a fixed time.

wrk is written in C with an event loop: one of its threads pushes far more requests per second
than a Python server answers, so the figures are the server's, not the load generator's. Its Lua
`done` hook prints the exact counts and percentiles as one JSON line, which is what is read here.
"""
from __future__ import annotations

import json
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.server import ROOT

INSTALL = ROOT / "scripts" / "install-wrk"
MARK = "WRK_RESULT "

SCRIPT = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [{eq}[{body}]{eq}]

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{{"requests": %.0f, "duration_us": %.0f, "status_errors": %.0f, "socket_errors": %.0f, '
    .. '"p50_us": %.1f, "p99_us": %.1f, "max_us": %.1f}}\\n',
    "{mark}", summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def ensure_wrk() -> str:
    """The path of wrk, installing Debian's package first (scripts/install-wrk) when missing."""
    found = shutil.which("wrk")
    if found is None:
        subprocess.run([str(INSTALL)], check=True)
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed and scripts/install-wrk could not install it")
    return found


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (result.stdout or result.stderr).splitlines()[0].split(" Copyright")[0].strip()


@dataclass(frozen=True)
class LoadRun:
    """What one wrk run measured. Latencies in milliseconds."""

    requests: int  # responses received
    failed: int  # responses with a status >= 400, and socket errors
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    wrk_cpu: float  # share of one core wrk itself used: far below 1 means it was not the limit

    @property
    def succeeded(self) -> int:
        return self.requests - self.failed

    @property
    def throughput(self) -> float:
        """Successful responses per second."""
        return self.succeeded / self.seconds


def script(body: bytes, folder: Path) -> Path:
    """A wrk Lua script POSTing `body` as JSON; written into `folder`."""
    text = body.decode()
    eq = "="
    while f"]{eq}]" in text:  # a long bracket the body cannot close
        eq += "="
    path = folder / f"post-{abs(hash(text))}.lua"
    path.write_text(SCRIPT.format(eq=eq, body=text, mark=MARK))
    return path


def wrk_command(url: str, lua: Path, connections: int, seconds: float) -> list[str]:
    return ["wrk", "--threads", "1", "--connections", str(connections),
            "--duration", f"{max(1, round(seconds))}s", "--timeout", "30s", "--latency",
            "--script", str(lua), url]


def run(url: str, lua: Path, connections: int, seconds: float) -> LoadRun:
    """Load `url` for `seconds` over `connections` connections with the body in `lua`."""
    command = wrk_command(url, lua, connections, seconds)
    cpu_before = _children_cpu()
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    cpu = _children_cpu() - cpu_before
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARK)]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
    data = json.loads(lines[-1][len(MARK):])
    return LoadRun(requests=int(data["requests"]),
                   failed=int(data["status_errors"] + data["socket_errors"]),
                   seconds=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
                   p99_ms=data["p99_us"] / 1000, max_ms=data["max_us"] / 1000,
                   wrk_cpu=cpu / (data["duration_us"] / 1e6))


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (wrk is the only one reaped meanwhile)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
