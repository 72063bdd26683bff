"""Use cases are found through entry points and checked against the contract."""

import pytest

import usecases
from usecases.base import PluginError, UseCase, check_contract

BUILT_IN = {"heart-disease", "recommendation", "sentiment", "student-score"}


def test_entry_points_find_the_built_in_usecases():
    found = usecases.discover()
    assert set(found) >= BUILT_IN
    assert all(isinstance(u, UseCase) for u in found.values())


def test_safe_mode_loads_no_plugin():
    assert usecases.discover(()) == {}


def test_an_unknown_name_is_refused():
    with pytest.raises(PluginError, match="unknown use case"):
        usecases.discover(("nope",))


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_each_built_in_satisfies_the_contract(name):
    usecase = usecases.discover()[name]
    check_contract(usecase, name)
    assert len(usecase.examples) >= 2 and usecase.fields


def test_a_plugin_that_lacks_parts_is_named():
    class Half(UseCase):
        name, title = "half", "Half"

    with pytest.raises(PluginError, match="'half' lacks: description, task"):
        check_contract(Half(), "half")


def test_a_plugin_without_a_trainer_is_named():
    attrs = dict(name="toy", title="T", description="d", task="regression", fields=(1,),
                 examples={"a": {}}, primary_metric="r2", data_source="s")
    Toy = type("Toy", (UseCase,), attrs)
    with pytest.raises(PluginError, match="'toy' does not implement load_data"):
        check_contract(Toy(), "toy")
