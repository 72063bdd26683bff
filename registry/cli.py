"""Command-line interface: `flask --app portal hub ...` and `flask --app portal user ...`."""
from __future__ import annotations

import getpass
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from registry import jobs, users, versions
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


def _train(name: str, promote: bool) -> None:
    """Run one training in this process, printing progress as it moves."""
    job = jobs.enqueue(name, requested_by=_actor(), promote=promote)
    click.echo(f"{name}: training (job {job.id})")
    job = jobs.run(job.id)
    if job.status != "succeeded":
        click.echo(job.error or job.message, err=True)
        raise click.ClickException(f"{name}: training failed")
    row = job.model_version
    metric = get_usecase(name).primary_metric
    click.echo(f"{name}: {job.message}; {metric} = {row.metrics.get(metric, float('nan')):.4f}"
               f" ({row.training_seconds:.1f} s)")


@hub.command("bootstrap")
def bootstrap() -> None:
    """Train and promote every use case that has no production model (idempotent)."""
    live = versions.production_versions()
    todo = [name for name in all_usecases() if name not in live]
    if not todo:
        click.echo("every use case has a production model")
    for name in todo:
        _train(name, promote=True)


@hub.command("train")
@click.argument("usecase")
@click.option("--promote", is_flag=True, help="Make the new version the production one.")
def train(usecase: str, promote: bool) -> None:
    """Train a new version of USECASE (a candidate unless --promote)."""
    _check_usecase(usecase)
    _train(usecase, promote)


@hub.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """Run training jobs from the queue JOB_QUEUE_URL names, one at a time, until stopped."""
    runner = jobs.runner()
    if not hasattr(runner, "work"):
        raise click.ClickException(
            "JOB_QUEUE_URL is not set: without a queue, each web host runs its own jobs")
    click.echo(f"taking training jobs off {runner.connection_name}")
    runner.work(burst=burst)


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
def promote(usecase: str, version: int, reason: str) -> None:
    """Make VERSION of USECASE the production version."""
    _check_usecase(usecase)
    try:
        versions.promote(usecase, version, actor=_actor(), reason=reason)
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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        users.create_user(username, password, role)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {role} {username}")


@user_cli.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Issue a new API token for USERNAME (printed once; the old one stops working)."""
    found = users.find_user(username)
    if found is None:
        raise click.ClickException(f"no user named {username!r}")
    click.echo(users.issue_token(found))


def init_app(app: Flask) -> None:
    app.cli.add_command(hub)
    app.cli.add_command(user_cli)
