"""Where a run happened: the machine, the software and the commit, for BENCHMARKS.md."""
from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.server import ROOT

LIBRARIES = ("flask", "werkzeug", "flask-sqlalchemy", "sqlalchemy", "gunicorn", "scikit-learn",
             "numpy", "scipy", "pandas", "nltk")


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 ** 2
    return None


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"
    except OSError:
        return "unknown"


def machine_lines() -> list[str]:
    memory = memory_gib()
    return [f"- CPU: {cpu_model()}, {os.cpu_count()} cores",
            f"- RAM: {memory:.1f} GiB" if memory else "- RAM: unknown",
            f"- OS: {platform.system()} {platform.release()} ({platform.machine()})"]


def software_lines(wrk: str) -> list[str]:
    libraries = ", ".join(f"{name} {_version(name)}" for name in LIBRARIES)
    return [f"- Python {platform.python_version()} ({sys.implementation.name})",
            f"- {libraries}",
            f"- SQLite {sqlite3.sqlite_version}; load generator: {wrk}",
            f"- Commit: {commit()}"]


def commit() -> str:
    """The checked-out commit, marked when the work tree has changes (read-only git calls).

    BENCHMARKS.md itself does not count: the run before this one may have rewritten it.
    """
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "HEAD")
    if not head:
        return "unknown (not a git checkout)"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md")
    return head + (" with uncommitted changes" if dirty else "")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
