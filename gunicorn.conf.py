"""gunicorn settings for serving Model Hub: `gunicorn "portal:create_app()"` reads this file.

One sync worker per core: predictions are CPU-bound Python, so more workers than cores only
queue on the GIL-free cores anyway. Metrics from all workers are added up through
prometheus_client's multiprocess mode, in a folder emptied at start.
"""
import os
import shutil
from pathlib import Path

bind = os.environ.get("MODELHUB_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "sync"
timeout = 60
accesslog = os.environ.get("MODELHUB_ACCESS_LOG")  # e.g. "-" for stdout; off by default

_metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(os.environ.get("MODELHUB_INSTANCE_PATH", "instance")) / "prometheus")))


def on_starting(server) -> None:
    """Start every run with no metrics files left from a previous one."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    """Drop a dead worker's live gauges so they are not summed forever."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
