"""Input fields pinned down exactly: the schemas published in the API, the messages people read,
the edges of every range, and the round trip of a field through its stored description.

Written against the mutants mutation testing left alive in usecases/fields.py (scripts/mutation,
docs/mutation.md); each test reads as a statement about the fields on its own."""
from __future__ import annotations

import math

import pytest

from usecases.fields import (Boolean, Choice, FieldError, ItemList, Number, SpecError, Text,
                             field_from_spec, json_schema, validate)

AGE = Number("age", "Age", help="in years", minimum=0, maximum=120, unit="years", integer=True)
SCORE = Number("score", "Score", minimum=-1.5, maximum=2.5)
FREE = Number("free", "Free")
COLOUR = Choice("colour", "Colour", help="pick one", choices=(("r", "Red"), ("g", "Green")))
FLAG = Boolean("flag", "Flag", help="yes or no")
NOTE = Text("note", "Note", help="say it", min_length=3, max_length=8, placeholder="hi")
ITEMS = ItemList("items", "Items", help="ids", min_items=2, max_items=3, search_endpoint="find")


def refusal(field, raw, *, from_form=False) -> str:
    with pytest.raises(FieldError) as refused:
        field.parse(raw, from_form=from_form)
    return str(refused.value)


# Numbers

@pytest.mark.parametrize(("raw", "parsed"), [(0, 0), (120, 120), (30.0, 30), (" 7 ", 7)])
def test_a_whole_number_is_taken_at_its_edges_and_from_forms(raw, parsed):
    value = AGE.parse(raw, from_form=isinstance(raw, str))
    assert value == parsed and type(value) is int


@pytest.mark.parametrize(("raw", "message"), [
    (-1, "must be between 0 and 120 years"), (121, "must be between 0 and 120 years"),
    (30.5, "must be a whole number"), (True, "must be a number"), ("7", "must be a number"),
    (None, "must be a number"), (math.inf, "must be a finite number"),
    (math.nan, "must be a finite number"), (2**53 + 1, "must be between 0 and 120"),
])
def test_a_whole_number_refuses_with_a_message(raw, message):
    assert refusal(AGE, raw) == message


def test_a_form_number_that_is_not_one_is_refused():
    assert refusal(AGE, "seven", from_form=True) == "must be a number"
    assert refusal(AGE, "30.5", from_form=True) == "must be a whole number"


@pytest.mark.parametrize(("raw", "parsed"), [(-1.5, -1.5), (2.5, 2.5), (1, 1.0), (2**53, None)])
def test_a_decimal_number_is_a_float_at_its_edges(raw, parsed):
    if parsed is None:
        assert refusal(SCORE, raw) == "must be between -1.5 and 2.5"
        assert type(FREE.parse(2**53, from_form=False)) is float
        return
    value = SCORE.parse(raw, from_form=False)
    assert value == parsed and type(value) is float


def test_numbers_outside_the_exact_range_are_refused_unless_they_are_floats():
    assert refusal(FREE, 2**53 + 1) == "must be between -inf and inf"
    assert refusal(FREE, -(2**53) - 1) == "must be between -inf and inf"
    assert FREE.parse(2.0**60, from_form=False) == 2.0**60


def test_number_schemas_and_descriptions():
    assert AGE.schema() == {"type": "integer", "title": "Age", "description": "in years",
                            "minimum": 0, "maximum": 120}
    assert FREE.schema() == {"type": "number", "title": "Free", "description": ""}
    assert AGE.describe() == {"name": "age", "label": "Age", "kind": "number",
                              "help": "in years", "required": True, "default": None,
                              "minimum": 0, "maximum": 120, "unit": "years", "integer": True,
                              "step": 1}
    described = FREE.describe()
    assert (described["minimum"], described["maximum"], described["step"]) == \
        (None, None, "any")
    assert Number("n", "N", step=0.5).describe()["step"] == 0.5


# Choices, booleans, text

def test_a_choice_takes_a_listed_value_only():
    assert COLOUR.parse("g", from_form=False) == "g"
    assert refusal(COLOUR, "b") == "must be one of: r, g"
    assert refusal(COLOUR, 1) == "must be one of the listed values"
    assert COLOUR.schema() == {"type": "string", "enum": ["r", "g"], "title": "Colour",
                               "description": "pick one"}
    assert COLOUR.describe()["choices"] == [["r", "Red"], ["g", "Green"]]


def test_a_boolean_takes_true_or_false():
    assert FLAG.parse("true", from_form=True) is True
    assert FLAG.parse("false", from_form=True) is False
    assert FLAG.parse(False, from_form=False) is False
    assert refusal(FLAG, "true") == "must be true or false"  # JSON wants a real boolean
    assert refusal(FLAG, "yes", from_form=True) == "must be true or false"
    assert refusal(FLAG, 1) == "must be true or false"
    assert FLAG.schema() == {"type": "boolean", "title": "Flag", "description": "yes or no"}


def test_text_is_trimmed_and_bounded():
    assert NOTE.parse("  abc  ", from_form=False) == "abc"
    assert NOTE.parse("abcdefgh", from_form=False) == "abcdefgh"
    assert refusal(NOTE, " ab ") == "must be at least 3 characters"
    assert refusal(NOTE, "abcdefghi") == "must be at most 8 characters"
    assert refusal(Text("t", "T"), "   ") == "must not be empty"
    assert refusal(NOTE, "ab\x00c") == "must not contain control characters"
    assert NOTE.parse("a\tb\nc", from_form=False) == "a\tb\nc"
    assert refusal(NOTE, 5) == "must be text"
    assert NOTE.schema() == {"type": "string", "minLength": 3, "maxLength": 8, "title": "Note",
                             "description": "say it"}
    assert {k: NOTE.describe()[k] for k in ("min_length", "max_length", "placeholder")} == \
        {"min_length": 3, "max_length": 8, "placeholder": "hi"}


# Item lists

def test_an_item_list_from_a_form_keeps_order_and_drops_repeats():
    assert ITEMS.parse("3, 1 3,,2", from_form=True) == [3, 1, 2]
    assert ITEMS.parse([5, 5, 6], from_form=False) == [5, 6]
    assert ITEMS.parse([2**53, -(2**53)], from_form=False) == [2**53, -(2**53)]


@pytest.mark.parametrize(("raw", "form", "message"), [
    ("1 x", True, "must be a list of item ids"),
    ("1 2", False, "must be a list of whole-number ids"),
    ([1, True], False, "must be a list of whole-number ids"),
    ([1, 2.0], False, "must be a list of whole-number ids"),
    ([1, 2**53 + 1], False, f"must be a list of ids from {-2**53} to {2**53}"),
    ([1, -(2**53) - 1], False, f"must be a list of ids from {-2**53} to {2**53}"),
    ([1, 1], False, "must name at least 2 item(s)"),
    ([1, 2, 3, 4], False, "must name at most 3 items"),
])
def test_an_item_list_refuses_with_a_message(raw, form, message):
    assert refusal(ITEMS, raw, from_form=form) == message


def test_item_list_schema_and_description():
    assert ITEMS.schema() == {"type": "array", "items": {"type": "integer"}, "minItems": 2,
                              "maxItems": 3, "title": "Items", "description": "ids"}
    assert {k: ITEMS.describe()[k] for k in ("min_items", "max_items", "search_endpoint")} == \
        {"min_items": 2, "max_items": 3, "search_endpoint": "find"}


# Validation of a whole input

FIELDS = (AGE, Text("nick", "Nick", required=False), Number("n", "N", default=2))


def test_validate_fills_defaults_and_names_what_is_missing_or_wrong():
    result = validate(FIELDS, {"age": 30})
    assert result.ok and result.values == {"age": 30, "nick": None, "n": 2}
    result = validate(FIELDS, {"age": "", "nick": "", "n": ""}, from_form=True)
    assert result.errors == {"age": "is required"}
    assert result.values == {"nick": None, "n": 2}
    result = validate(FIELDS, {"age": 500, "csrf_token": "x"}, from_form=True)
    assert result.errors == {"age": "must be between 0 and 120 years"}
    assert validate(FIELDS, {"age": 1, "csrf_token": "x"}).errors == \
        {"csrf_token": "is not a field of this use case"}
    assert validate(FIELDS, {"age": " "}, from_form=False).errors == {"age": "must be a number"}
    assert validate(FIELDS, [1]).errors == {"inputs": "must be an object with one key per field"}


def test_unknown_keys_are_named_up_to_ten_then_counted():
    data = {"age": 1} | {f"k{i}": 0 for i in range(12)}
    errors = validate(FIELDS, data).errors
    assert sorted(errors) == sorted([f"k{i}" for i in range(10)] + ["inputs"])
    assert errors["inputs"] == "holds 2 more keys that are not fields of this use case"
    errors = validate(FIELDS, {"age": 1} | {f"k{i}": 0 for i in range(10)}).errors
    assert "inputs" not in errors and len(errors) == 10
    assert list(validate(FIELDS, {"age": 1, "x" * 150: 0}).errors) == ["x" * 100]


def test_the_names_of_different_field_tuples_are_never_mixed_up():
    for size in range(300):  # more tuples than the cache keeps
        fields = (Number(f"f{size}", "F"),)
        assert validate(fields, {f"f{size}": 1}).ok
    assert validate((Number("a", "A"),), {"b": 1}).errors == \
        {"b": "is not a field of this use case", "a": "is required"}


def test_the_json_schema_of_an_input():
    assert json_schema(FIELDS) == {
        "type": "object", "additionalProperties": False, "required": ["age"],
        "properties": {
            "age": AGE.schema(),
            "nick": {"type": ["string", "null"], "minLength": 1, "maxLength": 5000,
                     "title": "Nick", "description": ""},
            "n": {"type": "number", "title": "N", "description": "", "default": 2},
        },
    }


# Stored descriptions

@pytest.mark.parametrize("field", [AGE, SCORE, FREE, COLOUR, FLAG, NOTE, ITEMS,
                                   Number("s", "S", step=0.25, required=False, default=1.0),
                                   Text("t", "T")])
def test_a_field_survives_its_stored_description(field):
    assert field_from_spec(field.describe()) == field


def test_a_minimal_description_takes_the_defaults():
    assert field_from_spec({"kind": "number", "name": "n", "label": "N"}) == Number("n", "N")
    assert field_from_spec({"kind": "text", "name": "t", "label": "T"}) == Text("t", "T")
    assert field_from_spec({"kind": "items", "name": "i", "label": "I"}) == ItemList("i", "I")
    assert field_from_spec({"kind": "number", "name": "n", "label": "N", "step": True,
                            "required": False}) == Number("n", "N", required=False)
    assert field_from_spec({"kind": "number", "name": "n", "label": "N", "step": 1}).step == 1.0


@pytest.mark.parametrize(("spec", "message"), [
    ([], "a field must be described by an object"),
    ({"kind": "colour", "name": "n", "label": "N"},
     "unknown field kind 'colour'; one of: number, choice, boolean, text, items"),
    ({"kind": "number", "name": "", "label": "N"}, "a field needs a name and a label"),
    ({"kind": "number", "name": "n", "label": ""}, "a field needs a name and a label"),
    ({"kind": "number", "name": 1, "label": "N"}, "a field needs a name and a label"),
    ({"kind": "number", "name": "n", "label": 2}, "a field needs a name and a label"),
    ({"kind": "choice", "name": "c", "label": "C"}, "choice field 'c' lists no values"),
    ({"kind": "number", "name": "n", "label": "N", "minimum": "low"},
     "field 'n': could not convert string to float: 'low'"),
])
def test_a_description_that_is_no_field_is_refused(spec, message):
    with pytest.raises(SpecError) as refused:
        field_from_spec(spec)
    assert str(refused.value) == message


def test_a_decimal_number_from_a_form_is_a_float_and_bounds_are_shown_as_given():
    value = SCORE.parse(" 1 ", from_form=True)
    assert value == 1.0 and type(value) is float
    assert refusal(Number("p", "P", minimum=0.0, maximum=1.0), 2) == "must be between 0 and 1"


@pytest.mark.parametrize("raw", ["0", "120", " 0 ", "120.0"])
def test_a_form_value_exactly_at_a_bound_is_accepted(raw):
    """The form's (text) path checks the bounds as closed, like the JSON path."""
    assert AGE.parse(raw, from_form=True) == float(raw)


@pytest.mark.parametrize("raw", ["-1", "121"])
def test_a_form_value_past_a_bound_is_refused(raw):
    with pytest.raises(FieldError):
        AGE.parse(raw, from_form=True)
