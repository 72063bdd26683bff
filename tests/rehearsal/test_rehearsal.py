"""The multi-host rehearsal: two web hosts, a queue worker, PostgreSQL, Redis and an
S3 API on one machine (tests/rehearsal/cluster.py). `make rehearsal` runs it with longer loads
and prints its figures; the test suite runs it short.

The tests share one cluster and run in order: each leaves the state the next starts from.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import urllib.request

import boto3
import psycopg
import pytest

from devservices.s3 import CREDENTIALS
from tests.rehearsal.cluster import (ADMIN, ANALYST, BUCKET, CACHE_SECONDS, PASSWORD, Cluster,
                                     Host)
from tests.reliability import load

SECONDS = float(os.environ.get("REHEARSAL_SECONDS", "8"))
CLIENTS = 16
TRAINED = "heart-disease"   # retrained on host A, promoted on host B
KILLED = "student-score"    # its training's work horse is killed
FIGURES: list[str] = []


@pytest.fixture(scope="module")
def cluster(request):
    failed_before = request.session.testsfailed
    hub = Cluster()
    try:
        yield hub.start()
    finally:
        if request.session.testsfailed > failed_before:
            print(hub.logs())  # pytest shows it with the failure
        hub.close()
        if FIGURES:
            print("\nrehearsal figures:\n  " + "\n  ".join(FIGURES))


def sql(hub: Cluster, query: str, *params) -> list[tuple]:
    """Ask the registry directly (the check, not the portal's own account)."""
    url = hub.postgres.url("modelhub").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        return connection.execute(query, params).fetchall()


def wait_job(hub: Cluster, host: Host, job_id: int, until, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, job = hub.api(host, "GET", f"/api/v1/jobs/{job_id}", role="admin")
        assert status == 200, job
        if until(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there: {job}")


def example(hub: Cluster, name: str) -> dict:
    _, detail = hub.api(hub.hosts[0], "GET", f"/api/v1/usecases/{name}")
    inputs = next(iter(detail["examples"].values()))
    return {k: v for k, v in inputs.items() if v is not None}


def test_trained_on_a_by_the_worker_stored_in_s3_promoted_on_b_served_by_both(cluster):
    a, b = cluster.hosts
    status, job = cluster.api(a, "POST", f"/api/v1/usecases/{TRAINED}/train", {}, "admin")
    assert status == 202 and job["runner"] == "queue"
    began = time.monotonic()
    job = wait_job(cluster, b, job["id"], lambda j: j["status"] in ("succeeded", "failed"))
    assert job["status"] == "succeeded", (job, cluster.logs())
    trained = time.monotonic() - began
    worker_pid = sql(cluster, "SELECT pid FROM training_jobs WHERE id = %s", job["id"])[0][0]
    assert worker_pid not in (a.process.pid, b.process.pid)
    assert "claimed by process" in job["log"]  # the worker's log, read on host B

    version = job["version"]
    _, row = cluster.api(b, "GET", f"/api/v1/usecases/{TRAINED}/versions/{version}",
                         role="admin")  # (the digest is for admins)
    s3 = boto3.client("s3", endpoint_url=cluster.s3.endpoint,
                      region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
                      aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="hub/")["Contents"]]
    assert any(row["artifact_sha256"] in key for key in keys), keys

    status, _ = cluster.api(b, "POST", f"/api/v1/usecases/{TRAINED}/versions/{version}/promote",
                            {"reason": "rehearsal"}, "admin")
    assert status == 200
    promoted = time.monotonic()
    inputs = example(cluster, TRAINED)
    # Served by both hosts (every worker process of each) once a run of answers all name it.
    settled = {}
    while len(settled) < 2:
        assert time.monotonic() - promoted < CACHE_SECONDS + 10, settled
        for host in (a, b):
            status, answer = cluster.api(host, "POST", f"/api/v1/usecases/{TRAINED}/predict",
                                         {"inputs": inputs})
            assert status == 200, answer
            if answer["version"] != version:
                settled.pop(host.name, None)
            else:
                settled.setdefault(host.name, time.monotonic())
        if len(settled) == 2 and not all(
                cluster.api(h, "POST", f"/api/v1/usecases/{TRAINED}/predict",
                            {"inputs": inputs})[1]["version"] == version
                for h in (a, b) for _ in range(8)):
            settled.clear()
    switch = max(settled.values()) - promoted
    FIGURES.append(f"training on the queue worker: {trained:.1f} s; both hosts served the "
                   f"promoted version {switch:.2f} s after the promotion "
                   f"(MODEL_CACHE_SECONDS {CACHE_SECONDS:g})")
    assert switch <= CACHE_SECONDS + 1.0


def targets(cluster: Cluster) -> list[load.Target]:
    versions = sorted(v for (v,) in sql(cluster, "SELECT version FROM model_versions "
                                        "WHERE usecase = %s", TRAINED))
    production = sql(cluster, "SELECT version FROM model_versions WHERE usecase = %s AND "
                     "stage = 'production'", TRAINED)[0][0]
    other = next(v for v in versions if v != production)
    return [load.Target("127.0.0.1", host.port, (ANALYST, PASSWORD), cluster.tokens["analyst"],
                        cluster.tokens["admin"], TRAINED, (production, other))
            for host in cluster.hosts]


def load_both(cluster: Cluster, seconds: float) -> list[load.Report]:
    """16 clients, half on each host; the first on host A also promotes and rolls back."""
    reports: list[load.Report] = []
    threads = [threading.Thread(target=lambda t=t, n=n: reports.append(load.run(
        t, clients=CLIENTS // 2, seconds=seconds, promotions=n == 0)))
        for n, t in enumerate(targets(cluster))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reports) == 2
    return reports


def stored_once(cluster: Cluster, reports: list[load.Report]) -> int:
    answered = [i for r in reports for i in r.prediction_ids()]
    claimed = {pid: o.version for r in reports for o in r.outcomes
               if o.kind in load.PREDICTIONS and o.status == 200 for pid in o.ids}
    assert len(answered) == len(set(answered))  # no id handed out twice, by either host
    stored = dict(sql(cluster, "SELECT id, version FROM predictions WHERE id = ANY(%s)",
                      answered))
    assert stored == claimed  # every answered prediction stored, with the version it named
    return len(answered)


def test_sixteen_clients_over_both_hosts_every_answer_stored_once(cluster):
    reports = load_both(cluster, SECONDS)
    outcomes = [o for r in reports for o in r.outcomes]
    assert [o for o in outcomes if o.status != 200] == []
    count = stored_once(cluster, reports)
    rate = sum(r.figures["requests_per_second"] for r in reports)
    FIGURES.append(f"16 clients over both hosts for {SECONDS:g} s: {len(outcomes)} requests "
                   f"({rate:.0f}/s), {count} predictions answered and stored once; "
                   + "; ".join(f"host {h.name} p50 {r.figures['p50_ms']} ms p99 "
                               f"{r.figures['p99_ms']} ms"
                               for h, r in zip(cluster.hosts, reports)))


def test_a_worker_killed_mid_training_fails_the_job_and_leaves_production(cluster):
    a, b = cluster.hosts
    before = sql(cluster, "SELECT version, stage FROM model_versions WHERE usecase = %s "
                 "ORDER BY version", KILLED)
    status, job = cluster.api(a, "POST", f"/api/v1/usecases/{KILLED}/train", {}, "admin")
    assert status == 202
    wait_job(cluster, b, job["id"], lambda j: j["status"] == "running" and j["progress"] > 0)
    pid = sql(cluster, "SELECT pid FROM training_jobs WHERE id = %s", job["id"])[0][0]
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    failed = wait_job(cluster, b, job["id"], lambda j: j["status"] != "running", seconds=30)
    noticed = time.monotonic() - killed
    assert failed["status"] == "failed" and "killed" in failed["message"]
    assert sql(cluster, "SELECT version, stage FROM model_versions WHERE usecase = %s "
               "ORDER BY version", KILLED) == before
    FIGURES.append(f"work horse killed mid-training: job failed {noticed:.2f} s later, "
                   "no version registered, production unchanged")


def test_postgresql_restarted_under_load_503_with_retry_after_then_resumes(cluster):
    a, b = cluster.hosts
    inputs = example(cluster, TRAINED)
    probes: list[tuple[float, str, int, str | None]] = []
    stop = threading.Event()

    def probe(host: Host) -> None:
        """Single predictions in a loop, keeping each answer's status and Retry-After."""
        while not stop.is_set():
            request = urllib.request.Request(
                f"{host.url}/api/v1/usecases/{TRAINED}/predict", method="POST",
                data=f'{{"inputs": {__import__("json").dumps(inputs)}}}'.encode(),
                headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # nosec B310
                    probes.append((time.monotonic(), host.name, answer.status, None))
            except urllib.error.HTTPError as error:
                with error:
                    probes.append((time.monotonic(), host.name, error.code,
                                   error.headers.get("Retry-After")))
            time.sleep(0.02)

    def outage() -> None:
        time.sleep(SECONDS / 3)
        cluster.postgres.stop()
        outage_times.append(time.monotonic())
        time.sleep(2.0)
        cluster.postgres.start()
        outage_times.append(time.monotonic())

    outage_times: list[float] = []
    threads = [threading.Thread(target=probe, args=(h,)) for h in (a, b)]
    threads.append(threading.Thread(target=outage))
    for thread in threads:
        thread.start()
    reports = load_both(cluster, SECONDS)
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()

    outcomes = [o for r in reports for o in r.outcomes]
    # A switch of versions may also be refused for what the outage did to the one before it
    # (a promotion that got 503 leaves nothing to roll back): 409, an answer, not a crash.
    wrong = [o for o in outcomes if o.status not in (200, 503)
             and not (o.status == 409 and o.kind in ("promote", "rollback"))]
    assert wrong == [] and {p[2] for p in probes} <= {200, 503}, wrong[:5]
    refused = [p for p in probes if p[2] == 503]
    assert refused and all(p[3] for p in refused)  # every 503 says when to retry
    restarted = outage_times[1]
    resumed = {h: min((p[0] for p in probes if p[1] == h and p[2] == 200 and p[0] > restarted),
                      default=None) for h in "AB"}
    assert all(resumed.values()), resumed  # both hosts answer again, by themselves
    count = stored_once(cluster, reports)
    FIGURES.append(
        f"PostgreSQL stopped for {outage_times[1] - outage_times[0]:.1f} s under 16 clients: "
        f"{sum(o.status == 503 for o in outcomes) + len(refused)} answers 503 with "
        f"Retry-After, none 500; {count} predictions acknowledged, all stored; both hosts "
        f"served again {max(resumed.values()) - restarted:.2f} s after the restart")
