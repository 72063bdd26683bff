"""Command-line interface: `flask --app portal hub ...` and `flask --app portal user ...`."""
from __future__ import annotations

import getpass
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from registry import jobs, users, versions, webhooks
from registry.artifacts import ArtifactError
from usecases import all_usecases, get_usecase, UnknownUseCase

hub = AppGroup("hub", help="Train, list, promote and roll back model versions.")
user_cli = AppGroup("user", help="Create users and issue API tokens.")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _check_usecase(name: str) -> None:
    try:
        get_usecase(name)
    except UnknownUseCase:
        raise click.BadParameter(f"unknown use case {name!r}; known: "
                                 + ", ".join(all_usecases()), param_hint="USECASE") from None


def _train(name: str, promote: bool, options: dict | None = None) -> None:
    """Run one training in this process, printing progress as it moves."""
    try:
        job = jobs.enqueue(name, requested_by=_actor(), promote=promote, options=options)
    except (versions.RegistryError, jobs.JobConflict) as exc:
        raise click.ClickException(str(exc)) from None
    _run(name, job.id, "training")


def _run(name: str, job_id: int, what: str) -> None:
    """Run an enqueued job in this process and print how it ended."""
    click.echo(f"{name}: {what} (job {job_id})")
    job = jobs.run(job_id)
    if job.status != "succeeded":
        click.echo(job.error or job.message, err=True)
        raise click.ClickException(f"{name}: training failed")
    row = job.model_version
    metric = get_usecase(name).primary_metric
    click.echo(f"{name}: {job.message}; {metric} = {row.metrics.get(metric, float('nan')):.4f}"
               f" ({row.training_seconds:.1f} s)")


@hub.command("bootstrap")
@click.option("--address", metavar="URL",
              help="Where the portal will answer; printed with the next steps once ready.")
def bootstrap(address: str | None) -> None:
    """Train and promote every installed use case that has no production model (idempotent).
    Use cases made from tables are left to their admins."""
    live = versions.production_versions()
    todo = [name for name in current_app.extensions["modelhub.usecases"] if name not in live]
    if not todo:
        click.echo("every use case has a production model")
    for name in todo:
        _train(name, promote=True)
    if address:
        _welcome(address)


def _welcome(address: str) -> None:
    """What `make run` prints before serving: the address, and how to get the first admin."""
    click.echo(f"\nModel Hub is ready: open {address}")
    if not users.any_admin():
        click.echo("No admin yet. Create the first one (it asks for a password), then sign in\n"
                   f"at {address.rstrip('/')}/auth/login to retrain, promote and manage users:\n"
                   "  .venv/bin/flask --app portal user create NAME --role admin")
    click.echo("Stop the portal with Ctrl+C. Another port: make run PORT=8080\n")


@hub.command("train")
@click.argument("usecase")
@click.option("--promote", is_flag=True, help="Make the new version the production one.")
@click.option("--dataset", "dataset_ids", type=int, multiple=True,
              help="Train on this dataset version id (repeat for several; default: the "
                   "built-in data). `hub data list` shows the ids.")
@click.option("--include-outcomes", is_flag=True,
              help="Add the recorded outcomes of stored predictions to the training rows.")
def train(usecase: str, promote: bool, dataset_ids: tuple[int, ...],
          include_outcomes: bool) -> None:
    """Train a new version of USECASE (a candidate unless --promote)."""
    _check_usecase(usecase)
    options = {"datasets": list(dataset_ids)} if dataset_ids else {}
    if include_outcomes:
        options["include_outcomes"] = True
    _train(usecase, promote, options)


data_cli = AppGroup("data", help="Add and list labelled data (dataset versions).")
hub.add_command(data_cli)


@data_cli.command("add")
@click.argument("usecase")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print the report only; store nothing.")
@click.option("--skip-refused", is_flag=True,
              help="Store the accepted rows even when some rows are refused.")
def data_add(usecase: str, file: str, dry_run: bool, skip_refused: bool) -> None:
    """Check FILE (CSV, or JSON lines when it ends in .jsonl) and store it as a new dataset
    version of USECASE."""
    import json
    from pathlib import Path

    from registry.datasets import uploads

    _check_usecase(usecase)
    found = get_usecase(usecase)
    path = Path(file)
    kind = uploads.JSONL if path.suffix.lower() in (".jsonl", ".ndjson") else uploads.CSV
    size = path.stat().st_size
    limit = current_app.config["DATASET_MAX_BYTES"]
    if size > limit:
        raise click.ClickException(f"{file} is {size:,} bytes; the limit is {limit:,}")
    try:
        report = uploads.read(found, path.read_bytes(), kind=kind,
                              current=uploads.current_data(found, _actor()))
    except uploads.UploadError as exc:
        raise click.ClickException(f"{file}: {exc.message}") from None
    click.echo(f"{file}: {report.rows:,} rows: {report.accepted:,} accepted, "
               f"{report.refused_rows:,} refused; {report.duplicates_in_file:,} repeated in "
               f"the file, {report.duplicates_of_current:,} already in the current data")
    for refusal in report.refusals:
        click.echo(f"  line {refusal['line']}, column {refusal['column'] or '-'}: "
                   f"{refusal['reason']}")
    if report.refusals_total > len(report.refusals):
        click.echo(f"  ... and {report.refusals_total - len(report.refusals):,} more")
    if dry_run:
        click.echo(json.dumps(report.to_dict()["differences"], indent=1)[:4000])
        return
    if report.accepted == 0 or (report.refused_rows and not skip_refused):
        raise click.ClickException("nothing was stored" + (
            "" if report.accepted == 0 else " (fix the refused rows, or --skip-refused)"))
    row = uploads.store(found, report, _actor(), path.name)
    click.echo(f"{usecase}: dataset version {row.version} (id {row.id}) stored: "
               f"{row.rows:,} rows to train on, {row.held_out_rows:,} held out")


@data_cli.command("list")
@click.argument("usecase")
def data_list(usecase: str) -> None:
    """List the dataset versions of USECASE, newest first."""
    from registry import datasets

    _check_usecase(usecase)
    rows = datasets.list_versions(usecase)
    if not rows:
        click.echo(f"{usecase} has no dataset versions yet (the first training registers the "
                   "built-in data)")
    for row in rows:
        click.echo(f"v{row.version:<4} id {row.id:<5} {'+'.join(row.sources):<26} "
                   f"{row.rows:>8,} rows {row.held_out_rows:>7,} held out  "
                   f"{row.fingerprint[:12]}{'  archived' if row.archived else ''}")


usecase_cli = AppGroup("usecase", help="Make use cases from tables; list, disable, enable, "
                                        "delete them.")
hub.add_command(usecase_cli)
artifacts_cli = AppGroup("artifacts", help="Sign model artifacts this installation vouches for.")
hub.add_command(artifacts_cli)


@artifacts_cli.command("sign")
@click.option("--usecase", default=None, help="Only this use case's versions.")
@click.option("--again", is_flag=True,
              help="Re-sign signed ones too (after rotating the secret key).")
def artifacts_sign(usecase: str | None, again: bool) -> None:
    """Sign versions whose artifacts have no signature (registered before signatures existed):
    each file's digest is checked first. Run it only for files you trust: a signed artifact is
    loaded, and loading one runs whatever code it holds."""
    if usecase is not None:
        _check_usecase(usecase)
    try:
        signed = versions.sign_artifacts(usecase, again=again)
    except ArtifactError as exc:
        raise click.ClickException(str(exc)) from None
    for row in signed:
        click.echo(f"signed {row.usecase} version {row.version} ({row.artifact_path})")
    click.echo(f"{len(signed)} version(s) signed")


def _columns(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@usecase_cli.command("create")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--target", required=True, help="The column to predict.")
@click.option("--title", default="", help="The title people see (default: NAME).")
@click.option("--task", type=click.Choice(["regression", "classification"]),
              help="What to predict (default: proposed from the target's values).")
@click.option("--exclude", default="", help="Columns to leave out, comma-separated.")
@click.option("--include", default="",
              help="Columns to use even though they look like giving the target away.")
@click.option("--dry-run", is_flag=True, help="Print the proposal only; create nothing.")
@click.option("--promote", is_flag=True, help="Put the first version in production.")
def usecase_create(name: str, file: str, target: str, title: str, task: str | None,
                   exclude: str, include: str, dry_run: bool, promote: bool) -> None:
    """Make use case NAME from the CSV FILE, predicting its column TARGET: print the proposal
    (task, inputs, columns left out, warnings), then create it and train its first version."""
    from pathlib import Path

    from registry import table_usecases

    path = Path(file)
    size, limit = path.stat().st_size, int(current_app.config["TABLE_MAX_BYTES"])
    if size > limit:
        raise click.ClickException(f"{file} is {size:,} bytes; the limit is {limit:,}")
    data = path.read_bytes()
    try:
        if not dry_run:
            table_usecases.check_name(name)
        proposal = table_usecases.propose(data, target, task=task, exclude=_columns(exclude),
                                          include=_columns(include))
    except table_usecases.CreateError as exc:
        raise click.ClickException(f"{exc.field or file}: {exc.message}") from None
    _print_proposal(proposal)
    if dry_run:
        return
    try:
        spec = table_usecases.spec_from(proposal)
        _, job = table_usecases.create(name, title, spec, data, actor=_actor(),
                                       filename=path.name, promote=promote, inline=True)
    except table_usecases.CreateError as exc:
        raise click.ClickException(f"{exc.field or file}: {exc.message}") from None
    _run(name, job.id, "created; training")


def _print_proposal(proposal) -> None:
    click.echo(f"task: {proposal.task}" + (f" (classes: {', '.join(proposal.classes)})"
                                           if proposal.classes else "")
               + f"; {proposal.rows:,} rows with a target")
    for field in proposal.inputs:
        detail = {"number": lambda f: f"{f.get('minimum')} to {f.get('maximum')}",
                  "choice": lambda f: ", ".join(v for v, _ in f["choices"][:8])
                  + (" ..." if len(f["choices"]) > 8 else "")}.get(field["kind"],
                                                                   lambda f: "")(field)
        click.echo(f"  input {field['column']!r} -> {field['name']} ({field['kind']}"
                   f"{': ' + detail if detail else ''})")
    for item in proposal.excluded:
        click.echo(f"  left out {item['column']!r}: {item['reason']}")
    for issue in proposal.warnings:
        click.echo(f"  warning{' (' + issue.column + ')' if issue.column else ''}: "
                   f"{issue.message}")
    for issue in proposal.errors:
        click.echo(f"  error{' (' + issue.column + ')' if issue.column else ''}: "
                   f"{issue.message}", err=True)


@usecase_cli.command("list")
def usecase_list() -> None:
    """List the use cases made from tables."""
    from registry import table_usecases

    rows = table_usecases.list_all()
    if not rows:
        click.echo("no use case has been made from a table yet")
    for row in rows:
        click.echo(f"{row.name:<30} {'enabled ' if row.enabled else 'disabled'} "
                   f"{row.spec.get('task', ''):<15} {row.title}")


@usecase_cli.command("disable")
@click.argument("name")
def usecase_disable(name: str) -> None:
    """Stop serving use case NAME (made from a table); its history stays."""
    _set_enabled(name, False)


@usecase_cli.command("enable")
@click.argument("name")
def usecase_enable(name: str) -> None:
    """Serve use case NAME (made from a table) again."""
    _set_enabled(name, True)


def _set_enabled(name: str, enabled: bool) -> None:
    from registry import table_usecases

    try:
        table_usecases.set_enabled(name, enabled)
    except table_usecases.NotFound as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: {'enabled' if enabled else 'disabled'}")


@usecase_cli.command("delete")
@click.argument("name")
def usecase_delete(name: str) -> None:
    """Delete use case NAME (made from a table) with its versions and data, when no stored
    prediction refers to it."""
    from registry import table_usecases

    try:
        table_usecases.delete(name)
    except (table_usecases.NotFound, table_usecases.InUse) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name}: deleted")


@hub.command("outcome")
@click.argument("prediction_id")
@click.argument("value")
def outcome(prediction_id: str, value: str) -> None:
    """Record what really happened for stored prediction PREDICTION_ID (a correction keeps
    the earlier value)."""
    from registry import outcomes

    try:
        done = outcomes.record(prediction_id, value, _actor(), from_text=True)
    except outcomes.OutcomeError as exc:
        raise click.ClickException("; ".join(f"{k} {v}" for k, v in exc.errors.items())) from None
    if not done.changed:
        click.echo(f"prediction {done.outcome.prediction_id}: outcome already {value!r}")
    else:
        click.echo(f"prediction {done.outcome.prediction_id}: outcome {done.outcome.value!r}"
                   + (f" (was {done.replaced!r})" if done.replaced is not None else ""))


@hub.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """Run training jobs from the queue JOB_QUEUE_URL names, one at a time, until stopped."""
    runner = jobs.runner()
    if not hasattr(runner, "work"):
        raise click.ClickException(
            "JOB_QUEUE_URL is not set: without a queue, each web host runs its own jobs")
    click.echo(f"taking training jobs off {runner.connection_name}")
    webhooks.sender().start()  # and sending what is due, beside the jobs
    runner.work(burst=burst)


@hub.command("send-webhooks")
@click.option("--watch", is_flag=True, help="Keep sending as deliveries fall due.")
def send_webhooks(watch: bool) -> None:
    """Send the webhook deliveries that are due (retries included), once or until stopped."""
    while True:
        tried = webhooks.send_due(limit=1000)
        if not watch:
            click.echo(f"{tried} deliveries tried")
            return
        time.sleep(webhooks.POLL_SECONDS)


@hub.command("versions")
@click.argument("usecase")
def list_versions(usecase: str) -> None:
    """List the versions of USECASE, newest first."""
    _check_usecase(usecase)
    metric = get_usecase(usecase).primary_metric
    rows = versions.list_versions(usecase)
    if not rows:
        click.echo(f"{usecase} has no versions yet")
    for row in rows:
        click.echo(f"v{row.version:<4} {row.stage:<10} {row.created_at:%Y-%m-%d %H:%M}  "
                   f"{metric}={row.metrics.get(metric, float('nan')):.4f}  by {row.trained_by}")


@hub.command("promote")
@click.argument("usecase")
@click.argument("version", type=int)
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option("--against-policy", is_flag=True,
              help="Promote although the promotion policy is not met (needs --reason).")
def promote(usecase: str, version: int, reason: str, against_policy: bool) -> None:
    """Make VERSION of USECASE the production version (through its promotion policy)."""
    from registry.monitoring import gate

    _check_usecase(usecase)
    try:
        gate.promote(get_usecase(usecase), version, actor=_actor(), reason=reason,
                     override=against_policy)
    except gate.GateClosed as exc:
        raise click.ClickException(f"{exc} (--against-policy promotes anyway, with --reason)"
                                   ) from None
    except versions.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{usecase}: version {version} is now in production")


@hub.command("rollback")
@click.argument("usecase")
@click.option("--reason", default="", help="Why, for the audit trail.")
def rollback(usecase: str, reason: str) -> None:
    """Put the previous production version of USECASE back in production."""
    _check_usecase(usecase)
    try:
        record = versions.rollback(usecase, actor=_actor(), reason=reason)
    except versions.RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{usecase}: rolled back to version {record.to_version.version}")


@user_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "analyst"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username: str, role: str, password_stdin: bool) -> None:
    """Create a user who can sign in to the portal."""
    password = _read_password(password_stdin, "Password")
    try:
        users.create_user(username, password, role)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {role} {username}")


@user_cli.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Issue a new API token for USERNAME (printed once; the old one stops working)."""
    click.echo(users.issue_token(_named(username)))


def _read_password(from_stdin: bool, prompt: str) -> str:
    """A password from standard input's first line, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _named(username: str):
    found = users.find_user(username)
    if found is None:
        raise click.ClickException(f"no user named {username!r}")
    return found


@user_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def password(username: str, password_stdin: bool) -> None:
    """Set a new password for USERNAME (every session of theirs ends)."""
    found = _named(username)
    new = _read_password(password_stdin, "New password")
    try:
        users.set_password(found, new)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{found.username} has a new password; their sessions ended")


@user_cli.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
def disable(username: str, enable: bool) -> None:
    """Disable USERNAME: no sign-in, no API token, every session ended (--enable undoes it)."""
    found = _named(username)
    try:
        users.set_disabled(found, not enable)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{found.username} is {'enabled' if enable else 'disabled'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(hub)
    app.cli.add_command(user_cli)
