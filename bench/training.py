"""The benchmark's own instance folder: the database built and every use case trained, timed.

Training runs as the README says (`flask --app portal db upgrade`, then `hub bootstrap`) in a
child process, so its wall time and peak memory are that command's own. The kernel reports the
child's peak resident memory when it is reaped (wait4), including any process it started.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Figure
from bench.server import ROOT

SECTION = "5. Training"
# "heart-disease: version 1 registered and promoted; roc_auc = 0.9100 (7.0 s)"
REGISTERED = re.compile(r"^(?P<name>\S+): version \d+ registered.*?;\s*(?P<metric>.*?)\s*"
                        r"\((?P<seconds>[\d.]+) s\)\s*$")


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "portal", *args]


UPGRADE = flask_command("db", "upgrade")
BOOTSTRAP = flask_command("hub", "bootstrap")


@dataclass
class Training:
    """What `hub bootstrap` took: wall seconds, peak memory, and each use case's line."""

    seconds: float
    peak_rss_mib: float
    per_usecase: dict[str, float] = field(default_factory=dict)  # training seconds it reported
    metrics: dict[str, str] = field(default_factory=dict)  # "roc_auc = 0.9100"

    def figures(self) -> list[Figure]:
        out = [Figure(SECTION, "bootstrap, all use cases (wall time of the command)", "s",
                      [self.seconds], key="training:total"),
               Figure(SECTION, "bootstrap peak memory (max RSS)", "MiB", [self.peak_rss_mib])]
        for name, seconds in self.per_usecase.items():
            out.append(Figure(SECTION, f"{name}: training as reported", "s", [seconds],
                              note=self.metrics.get(name, "")))
        return out


def prepare(instance: Path, env: dict[str, str], reuse: Path | None) -> Training | None:
    """Fill `instance`: a copy of `reuse` (no training measured), or upgraded and bootstrapped."""
    if reuse is not None:
        shutil.copytree(reuse, instance)
        subprocess.run(UPGRADE, cwd=ROOT, env=env, check=True, capture_output=True)
        return None
    instance.mkdir(parents=True)
    done = subprocess.run(UPGRADE, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("db upgrade failed:\n" + done.stdout + done.stderr)
    return bootstrap(env)


def bootstrap(env: dict[str, str]) -> Training:
    """Run `hub bootstrap`, echoing its lines; parse the per-use-case seconds from them."""
    began = time.perf_counter()
    process = subprocess.Popen(BOOTSTRAP, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        print("   ", lines[-1], flush=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError("hub bootstrap failed:\n" + "\n".join(lines[-40:]))
    training = Training(seconds=seconds, peak_rss_mib=usage.ru_maxrss / 1024)  # KiB on Linux
    for line in lines:
        match = REGISTERED.match(line)
        if match:
            training.per_usecase[match["name"]] = float(match["seconds"])
            training.metrics[match["name"]] = match["metric"]
    return training
