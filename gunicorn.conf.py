"""gunicorn settings for serving Model Hub: `gunicorn "portal:create_app()"` reads this file.

Sync workers: one per core with the embedded SQLite registry, two per core with a database
server, whose commits each worker waits for (portal.config.web_workers); WEB_CONCURRENCY
overrides. Metrics from all workers are added up through
prometheus_client's multiprocess mode, in a folder emptied at start.
"""
import os
import shutil
from pathlib import Path

from flask import Config

from portal import instance_folder
from portal.config import layered, web_workers

bind = os.environ.get("MODELHUB_BIND", "127.0.0.1:5000")
_instance = instance_folder()
workers = int(os.environ.get("WEB_CONCURRENCY") or web_workers(layered(Config(_instance))))
worker_class = "sync"
timeout = 60
accesslog = os.environ.get("MODELHUB_ACCESS_LOG")  # e.g. "-" for stdout; off by default

_metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(_instance / "prometheus")))


def on_starting(server) -> None:
    """Start every run with no metrics files left from a previous one."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    """Drop a dead worker's live gauges so they are not summed forever."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
