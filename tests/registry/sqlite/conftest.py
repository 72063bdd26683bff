"""Every test here is of a speed-up used on SQLite only."""
import pytest


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/registry/sqlite/" in str(item.fspath):
            item.add_marker(pytest.mark.sqlite_only)
