"""Run the benchmark and write BENCHMARKS.md.

From the repository's root, after `make setup` (the script installs Debian's wrk when missing):

    python -m bench.run            # the full run: a few minutes on two cores
    python -m bench.run --quick    # well under a minute: short runs, 10,000-row history (CI)

It builds its own instance folder in a temporary directory (database upgraded, every use case
trained by `hub bootstrap`, or a copy of `--instance FOLDER` to skip training), then measures:
1. the limit: each served model called in-process, and a bare Flask endpoint under gunicorn;
2. single predictions over HTTP at 1 and 16 connections (wrk), every one checked as stored;
3. batches of 100 and 1,000 rows over HTTP;
4. the history's page, filtered page, charts and CSV export at 10k, 100k and 1M predictions;
5. training: bootstrap time per use case and in all, and its peak memory;
6. on PostgreSQL, in the same run: single predictions at 16 connections, 1,000-row batches and
   the history at the largest size.
Each figure is the median of several runs, shown with min and max. The table is printed and
written to BENCHMARKS.md at the repository's root (a quick run writes to the temporary folder
instead, unless `--output` says otherwise).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Config

from bench import history_scale, http_load, limits, load, machine, report, server, targets
from bench import postgres, training, workload
from portal import create_app
from portal.config import web_workers

DEFAULT_OUTPUT = server.ROOT / "BENCHMARKS.md"
QUICK_OUTPUT = Path(tempfile.gettempdir()) / "modelhub-bench-quick.md"


@dataclass(frozen=True)
class Mode:
    """How much a run measures, and how often."""

    name: str
    http: http_load.Plan
    every_usecase: bool  # False: only heart-disease (or the first use case), for 1 to 3
    batch_sizes: tuple[int, ...]
    history_sizes: tuple[int, ...]
    history_runs: int
    export_runs: int


FULL = Mode("full", http_load.Plan(connections=(1, 16), runs=3, seconds=3, batch_runs=5), True,
            (100, 1000), (10_000, 100_000, 1_000_000), history_runs=5, export_runs=3)
QUICK = Mode("quick", http_load.Plan(connections=(1, 16), runs=1, seconds=1, batch_runs=1),
             False, (100, 1000), (10_000,), history_runs=1, export_runs=1)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="short runs and a 10,000-row history only (what CI runs)")
    parser.add_argument("--instance", type=Path,
                        help="copy this trained instance folder instead of training (no "
                             "training figures)")
    parser.add_argument("--output", type=Path,
                        help="where to write the Markdown (default: BENCHMARKS.md; for --quick, "
                             f"{QUICK_OUTPUT.name} in the temporary folder, so a quick run never "
                             "replaces the committed full one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def child_env(instance: Path) -> dict[str, str]:
    """The environment of every child: no MODELHUB_* of the caller's, the bench's instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELHUB_")}
    # Anonymous quotas off: the load comes from one address, thousands of requests a second.
    return env | {"MODELHUB_INSTANCE_PATH": str(instance), "MODELHUB_PREDICTION_RATE_LIMIT": "null",
                  "MODELHUB_ANONYMOUS_MAX_BATCH": "null"}


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    mode = QUICK if args.quick else FULL
    command = shlex.join(["python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)])
    for key in [k for k in os.environ if k.startswith("MODELHUB_")]:
        del os.environ[key]  # this process's own apps must not read the caller's settings
    load.ensure_wrk()
    wrk = load.wrk_version()
    began, load_before = datetime.now(UTC), machine.load_average()
    folder = Path(tempfile.mkdtemp(prefix="modelhub-bench-"))
    try:
        figures, stored, names, trained = measure(mode, folder, args.instance)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    judged = targets.judge(figures, stored, names)
    print("\n" + report.table(figures) + "\n\n" + report.targets_table(judged) + "\n")
    text = report.document(
        title="Benchmarks",
        header=[f"Written by `{command}` on {began:%Y-%m-%d %H:%M} UTC ({mode.name} mode, "
                f"{(datetime.now(UTC) - began).total_seconds():.0f} s).", "",
                "Load average at the start: " + load_before + "; at the end: "
                + machine.load_average() + "."],
        sections={"Machine": machine.machine_lines(),
                  "Software": machine.software_lines(wrk),
                  "Commands": commands(command, mode, trained),
                  "Server settings": settings()},
        figures=figures, targets=judged, target_notes=targets.NOTES, notes=notes(mode))
    output = args.output or (QUICK_OUTPUT if args.quick else DEFAULT_OUTPUT)
    output.write_text(text)
    print(f"wrote {output}")
    return 0


def measure(mode: Mode, folder: Path, reuse: Path | None
            ) -> tuple[list[report.Figure], list[http_load.Stored], list[str], bool]:
    """Every figure of the run, in the table's order; the storage checks; the use case names."""
    instance = folder / "instance"
    env = child_env(instance)
    step("training every use case (hub bootstrap)" if reuse is None
         else f"copying the trained instance {reuse}")
    trained = training.prepare(instance, env, reuse)
    app = create_app({"INSTANCE_PATH": str(instance)})
    names = sorted(app.extensions["modelhub.usecases"])
    reference = targets.HEART if targets.HEART in names else names[0]
    over_http = [reference] + [n for n in names if n != reference] \
        if mode.every_usecase else [reference]
    step("the limit: each served model in-process")
    figures = limits.measure(app, over_http, quick=mode is QUICK)
    found, stored = over_the_wire(app, env, folder, mode, over_http)
    figures += found + history(app, instance, folder, mode, names)
    step("the same portal on PostgreSQL")
    found, checks = on_postgres(app, instance, folder, mode, reference)
    figures += found
    stored += checks
    if trained is not None:
        figures += trained.figures()
    return figures, stored, names, trained is not None


def over_the_wire(app, env: dict[str, str], folder: Path, mode: Mode, names: list[str]
                  ) -> tuple[list[report.Figure], list[http_load.Stored]]:
    """Single predictions (each run paired with a bare endpoint run) and batches, over HTTP."""
    from registry import serving

    bodies, batch_inputs = {}, {}
    with app.app_context():
        for name in names:
            usecase = app.extensions["modelhub.usecases"][name]
            bodies[name] = http_load.body(workload.first_example(usecase))
            _, model = serving.production_model(name)
            batch_inputs[name] = workload.varied(usecase, model, max(mode.batch_sizes))
    figures: list[report.Figure] = []
    stored: list[http_load.Stored] = []
    bare_runs: dict[int, list[load.LoadRun]] = {}
    database = http_load.sqlite_counter(Path(env["MODELHUB_INSTANCE_PATH"]) / "modelhub.db")
    batch_figures: list[report.Figure] = []
    # Both servers stay up; the one not under load sits idle in accept().
    with server.serving(server.BARE_APP, env, folder / "bare.log") as bare, \
            server.serving(server.PORTAL_APP, env, folder / "portal.log") as portal:
        for name in names:
            step(f"single predictions over HTTP, paired with the bare endpoint: {name}")
            found, checks, paired = http_load.singles(portal, bare, name, bodies[name],
                                                      mode.http, folder, database)
            figures += found
            stored += checks
            for connections, runs in paired.items():
                bare_runs.setdefault(connections, []).extend(runs)
        first = names[0]
        step(f"single predictions with a challenger scoring all of them: {first}")
        figures += with_challenger(app, portal, bare, first, bodies[first], mode, folder,
                                   database)
        for name in names:
            step(f"batches over HTTP: {name}")
            found, checks = http_load.batches(portal, name, batch_inputs[name],
                                              mode.batch_sizes, mode.http.batch_runs, database)
            batch_figures += found
            stored += checks
    return http_load.bare_endpoint(bare_runs) + figures + batch_figures, stored


def with_challenger(app, portal: str, bare: str, name: str, payload: bytes, mode: Mode,
                    folder: Path, database) -> list[report.Figure]:
    """Single predictions again while a copy of production, named challenger at a share of 1,
    also scores every one (after each answer): the challenger's cost to clients."""
    import sqlalchemy as sa

    from registry import serving, versions
    from registry.database import db
    from registry.models import ChallengerPrediction
    from registry.monitoring import challenger

    with app.app_context():
        row = versions.production_version(name)
        _, model = serving.production_model(name)
        copy = versions.register_version(
            name, model, trained_by="benchmark", params=row.params, metrics=row.metrics,
            leaderboard=row.leaderboard, data_fingerprint=row.data_fingerprint,
            train_rows=row.train_rows, test_rows=row.test_rows, training_seconds=0.0)
        copy_id = copy.id
        challenger.name(name, copy.version, 1.0, "benchmark")
    # Each worker looks its use case's challenger up at most every MODEL_CACHE_SECONDS.
    time.sleep(float(app.config["MODEL_CACHE_SECONDS"]) + 0.5)
    try:
        found, checks, _ = http_load.singles(portal, bare, name, payload, mode.http, folder,
                                             database, variant="challenger at 100%")
    finally:
        with app.app_context():
            challenger.end(name)
        time.sleep(float(app.config["MODEL_CACHE_SECONDS"]) + challenger.GATHER_SECONDS + 1)
    with app.app_context():  # what the workers' challenger threads stored meanwhile
        scored = db.session.scalar(sa.select(sa.func.count()).select_from(
            ChallengerPrediction).where(ChallengerPrediction.model_version_id == copy_id))
    answered = sum(check.answered for check in checks)
    found[0] = dataclasses.replace(found[0], note=found[0].note + f"; the challenger stored "
                                   f"{scored:,} scores (warm-up requests included)")
    step(f"the challenger stored {scored:,} scores for {answered:,} answers and the warm-up")
    return found


def on_postgres(app, instance: Path, folder: Path, mode: Mode, name: str
                ) -> tuple[list[report.Figure], list[http_load.Stored]]:
    """Section 6: single predictions, batches and the largest history on PostgreSQL."""
    from registry import serving

    with app.app_context():
        usecase = app.extensions["modelhub.usecases"][name]
        body = http_load.body(workload.first_example(usecase))
        _, model = serving.production_model(name)
        batch = workload.varied(usecase, model, 1000)
    pool = history_scale.samples(app, 50 if mode is QUICK else 200)
    return postgres.measure(instance, folder, name, body, batch, mode.http,
                            max(mode.history_sizes), mode.history_runs, mode.export_runs,
                            child_env, pool)


def history(app, instance: Path, folder: Path, mode: Mode, names: list[str]
            ) -> list[report.Figure]:
    """Section 4: the history bulk-loaded to each size in turn, then timed."""
    pool = history_scale.samples(app, 50 if mode is QUICK else 200)
    database, versions = history_scale.prepare(instance, folder / "history-instance")
    charted = targets.HEART if targets.HEART in names else names[0]
    scaled = create_app({"INSTANCE_PATH": str(database.parent)})
    figures: list[report.Figure] = []
    for size in mode.history_sizes:
        step(f"history at {size:,} predictions")
        began = time.perf_counter()
        rate = history_scale.load(database, size, pool, versions)
        print(f"    bulk-loaded at {rate:,.0f} rows/s ({time.perf_counter() - began:.1f} s)")
        figures += history_scale.measure(scaled, size, charted, runs=mode.history_runs,
                                         export_runs=mode.export_runs)
    return figures


def commands(command: str, mode: Mode, trained: bool) -> list[str]:
    """The exact commands of the run; TMP, PORT and NAME stand for what changes between runs."""
    env = "MODELHUB_INSTANCE_PATH=TMP/instance"
    url = f"http://{server.HOST}:PORT/api/v1/usecases/NAME/predict"
    lines = ["```sh", command, f"{env} {server.shown(training.UPGRADE)}",
             f"{env} {server.shown(training.BOOTSTRAP)}" if trained
             else "# (training skipped: a copy of --instance was used)",
             f"{env} {server.shown(server.gunicorn_command(server.PORTAL_APP, 'PORT'))}",
             server.shown(server.gunicorn_command(server.BARE_APP, "PORT")),
             *[server.shown(load.wrk_command(url, Path("post.lua"), c, mode.http.seconds))
               for c in mode.http.connections],
             "```",
             "post.lua POSTs `{\"inputs\": <the use case's first example>}` as JSON and prints "
             "wrk's exact counts and percentiles. Batches are POSTed one at a time from Python "
             "(http.client). TMP is a fresh temporary folder, PORT a free loopback port, NAME a "
             "use case."]
    return lines


def settings() -> list[str]:
    sqlite, postgresql = (web_workers(Config(".", {"SQLALCHEMY_DATABASE_URI": url}))
                          for url in ("sqlite://", "postgresql+psycopg://"))
    options = " ".join((*server.GUNICORN_OPTIONS, "--bind", f"{server.HOST}:PORT"))
    return [f"- gunicorn {options} with the repository's gunicorn.conf.py, for the portal and "
            "the bare endpoint alike: the README's production command (`make serve`). Sync "
            "workers, one thread each, no keep-alive (a sync worker closes each connection), "
            f"60 s timeout; {sqlite} workers on SQLite (one per core) and {postgresql} on "
            "PostgreSQL (two per core: each waits for its commits), bare endpoint included.",
            "- The portal runs with its default settings (MODEL_CACHE_SECONDS 2, SQLite in WAL "
            "mode), on a database that holds the predictions of the earlier runs."]


def notes(mode: Mode) -> list[str]:
    plan = mode.http
    return [f"HTTP figures: {plan.runs} run(s) of {plan.seconds:g} s per use case and "
            "concurrency after a warm-up that makes every worker load the model; batches: "
            f"{plan.batch_runs} request(s) per size after one warm-up.",
            "In-process figures (section 1's models, section 4's history) are timed in the "
            "benchmark's own process, without gunicorn running; a row's Runs is how many timed "
            "calls its median, min and max come from.",
            "Section 4 calls registry.history's service functions inside an app context "
            "(page, charts, export_csv), as the history page and the API do, on a copy of the "
            "instance whose predictions table was bulk-loaded with executemany in one "
            "transaction: real predictions of each use case on varied inputs, three versions, "
            "the three sources, ids rising over 90 days. Each is timed after one untimed call "
            "(the export excepted), with a fresh session per call.",
            "The bare endpoint (bench/bare.py) parses the JSON body and answers a fixed "
            "result: what a request costs with no model, validation or database. Each use "
            "case's HTTP run is paired with a bare run just before it (same body, same "
            "connections, both servers up, one idle), and its ratio is to those paired runs; "
            "section 1's bare rows pool every bare run.",
            "The machine may be shared: the load averages above say how busy it was."]


if __name__ == "__main__":
    sys.exit(main())
