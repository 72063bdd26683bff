"""Use case plug-ins: discovered through the `modelhub.usecases` entry-point group.

Each entry point names a UseCase subclass; `discover` loads and checks them once per process, and
`init_app` makes the enabled ones available to an app (`get_usecase`, `all_usecases`).
"""
from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from flask import Flask, current_app

from usecases.base import PluginError, UseCase, check_contract

GROUP = "modelhub.usecases"


@cache
def discover(names: tuple[str, ...] | None = None) -> dict[str, UseCase]:
    """The installed use cases (all, or those named), by name, each checked against the contract.

    Only the named ones are imported, so an empty tuple is a safe mode that loads no plug-in.
    """
    found: dict[str, UseCase] = {}
    available = {entry.name: entry for entry in entry_points(group=GROUP)}
    if names is not None:
        unknown = set(names) - set(available)
        if unknown:
            raise PluginError("USECASES names unknown use case(s): " + ", ".join(sorted(unknown)))
        available = {name: available[name] for name in names}
    for entry in sorted(available.values(), key=lambda e: e.name):
        try:
            cls = entry.load()
        except Exception as exc:
            raise PluginError(f"use case {entry.name!r} cannot be imported: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, UseCase)):
            raise PluginError(f"use case {entry.name!r} is not a UseCase subclass")
        usecase = cls()
        check_contract(usecase, entry.name)
        found[entry.name] = usecase
    return found


def init_app(app: Flask) -> None:
    """Keep the enabled use cases on the app (setting USECASES: names, or None for all)."""
    wanted = app.config.get("USECASES")
    app.extensions["modelhub.usecases"] = discover(None if wanted is None else tuple(wanted))


class UnknownUseCase(LookupError):
    """No enabled use case has this name."""


# The app's full list when something beside the plug-ins supplies use cases (the registry's
# use cases made from tables): a callable returning name -> use case, cheap to call.
CATALOGUE = "modelhub.all_usecases"


def all_usecases() -> dict[str, UseCase]:
    catalogue = current_app.extensions.get(CATALOGUE)
    return catalogue() if catalogue is not None else current_app.extensions["modelhub.usecases"]


def get_usecase(name: str) -> UseCase:
    found = all_usecases().get(name)
    if found is None:
        catalogue = current_app.extensions.get(CATALOGUE)
        if catalogue is not None and catalogue.may_look_again():
            catalogue.refresh()  # made on another host a moment ago?
            found = all_usecases().get(name)
    if found is None:
        raise UnknownUseCase(f"no use case named {name!r}")
    return found
