"""Declared fields: validation of form and JSON values, and the JSON Schema derived from them."""
import math

import pytest

from usecases import discover
from usecases.fields import (Boolean, Choice, FieldError, ItemList, Number, SpecError, Text,
                             field_from_spec, json_schema, validate, yes_no_cell)

FIELDS = (
    Number("age", "Age", minimum=0, maximum=120, integer=True, unit="years"),
    Number("weight", "Weight", minimum=1, maximum=300, required=False),
    Choice("colour", "Colour", choices=(("r", "Red"), ("g", "Green"))),
    Boolean("smoker", "Smoker", required=False),
    Text("note", "Note", max_length=20, required=False),
    ItemList("items", "Items", required=False, max_items=3),
)
GOOD = {"age": 40, "colour": "r"}


def test_good_json_input_is_cleaned():
    result = validate(FIELDS, GOOD | {"weight": 70.5, "smoker": True, "note": "  hi  ",
                                      "items": [3, 1, 3]})
    assert result.ok
    assert result.values == {"age": 40, "weight": 70.5, "colour": "r", "smoker": True,
                             "note": "hi", "items": [3, 1]}


def test_form_strings_are_parsed_and_blanks_are_missing():
    result = validate(FIELDS, {"age": "40", "colour": "g", "weight": "", "smoker": "false",
                               "items": "5, 6", "csrf_token": "x"}, from_form=True)
    assert result.ok, result.errors
    assert result.values["age"] == 40 and result.values["weight"] is None
    assert result.values["smoker"] is False and result.values["items"] == [5, 6]


@pytest.mark.parametrize("data, field, message", [
    ({"colour": "r"}, "age", "is required"),
    (GOOD | {"age": "40"}, "age", "must be a number"),
    (GOOD | {"age": True}, "age", "must be a number"),
    (GOOD | {"age": 40.5}, "age", "whole number"),
    (GOOD | {"age": -1}, "age", "between 0 and 120 years"),
    (GOOD | {"age": 1e308}, "age", "between"),
    (GOOD | {"age": 10**400}, "age", "between"),
    (GOOD | {"age": math.nan}, "age", "finite"),
    (GOOD | {"age": math.inf}, "age", "finite"),
    (GOOD | {"colour": "blue"}, "colour", "must be one of: r, g"),
    (GOOD | {"colour": 1}, "colour", "listed values"),
    (GOOD | {"smoker": "yes"}, "smoker", "true or false"),
    (GOOD | {"note": "   "}, "note", "must not be empty"),
    (GOOD | {"note": "x" * 21}, "note", "at most 20"),
    (GOOD | {"note": "a\x00b"}, "note", "control characters"),
    (GOOD | {"note": ["a"]}, "note", "must be text"),
    (GOOD | {"items": [1, 2, 3, 4]}, "items", "at most 3"),
    (GOOD | {"items": ["1"]}, "items", "whole-number ids"),
    (GOOD | {"items": [True]}, "items", "whole-number ids"),
    (GOOD | {"extra": 1}, "extra", "not a field"),
])
def test_bad_values_are_named(data, field, message):
    result = validate(FIELDS, data)
    assert not result.ok
    assert message in result.errors[field]


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_a_non_object_is_refused(data):
    assert validate(FIELDS, data).errors == {"inputs": "must be an object with one key per field"}


def test_json_schema_follows_the_fields():
    schema = json_schema(FIELDS)
    assert schema["required"] == ["age", "colour"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["age"]["type"] == "integer"
    assert schema["properties"]["age"]["maximum"] == 120
    assert "minimum" not in schema["properties"]["note"]
    assert schema["properties"]["note"]["type"] == ["string", "null"]
    assert schema["properties"]["colour"]["enum"] == ["r", "g"]
    assert schema["properties"]["items"]["maxItems"] == 3


def test_every_declared_field_is_rebuilt_from_its_description():
    """describe() is how a field is kept as JSON: rebuilding gives an equal field."""
    for usecase in discover().values():
        for field in tuple(usecase.fields) + ((usecase.target,) if usecase.target else ()):
            assert field_from_spec(field.describe()) == field


@pytest.mark.parametrize("spec, words", [
    ("age", "an object"), ({"kind": "date", "name": "d", "label": "D"}, "unknown field kind"),
    ({"kind": "number", "label": "Age"}, "a name and a label"),
    ({"kind": "choice", "name": "c", "label": "C", "choices": []}, "lists no values"),
    ({"kind": "number", "name": "n", "label": "N", "minimum": "low"}, "field 'n'")])
def test_a_bad_field_description_is_refused_with_a_reason(spec, words):
    with pytest.raises(SpecError, match=words):
        field_from_spec(spec)


@pytest.mark.parametrize("text, value", [("true", "true"), ("TRUE", "true"), (" Yes ", "true"),
                                          ("1", "true"), ("false", "false"), ("No", "false"),
                                          ("0", "false"), ("F", "false"), ("maybe", "maybe"),
                                          ("", "")])
def test_a_files_yes_or_no_cell_is_read_in_the_usual_spellings(text, value):
    assert yes_no_cell(text) == value


def test_a_form_takes_only_true_or_false():
    with pytest.raises(FieldError, match="true or false"):
        Boolean("smoker", "Smoker").parse("yes", from_form=True)
