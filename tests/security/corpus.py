"""Bad inputs, derived from a use case's declared fields, for its form and its API.

Each field kind has its own list of bad values (wrong types, out of range, unknown, malformed
text...), so a new use case, or a new field, is covered without touching the tests. A value that
only some use cases refuse (HTML or emoji in free text) is in `odd_texts`: accepted or refused,
but never a 500, and escaped wherever it is shown again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from usecases.base import UseCase
from usecases.fields import Boolean, Choice, Field, ItemList, Number, Text

OMIT = object()  # leave the field out altogether
SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE predictions; --"
EMOJI = "\U0001F600\U0001F44D"
RTL = "\u0645\u0646\u062a\u062c \u0631\u0627\u0626\u0639"  # Arabic: "a great product"
MEGABYTE = "a" * 1_000_000


@dataclass(frozen=True)
class Case:
    """One bad input: `field` is set to `value` (or OMIT) on top of a valid example."""

    usecase: str
    field: str
    label: str
    value: Any
    inputs: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.usecase}-{self.field}-{self.label}"


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def missing(field: Field) -> dict[str, Any]:
    """Leaving a field out, or sending null, is bad only when the field is needed."""
    return {"missing": OMIT, "null": None} if field.required and field.default is None else {}


def api_values(field: Field) -> dict[str, Any]:
    """JSON values this field must refuse (422 naming it)."""
    shapes = {"an object": {"value": 1}, "deeply nested": nested(200)}
    if not isinstance(field, ItemList):
        shapes["a list"] = [1]
    if isinstance(field, Number):
        low, high = field.minimum, field.maximum
        values = {"a numeric string": "12", "text": "abc", "true": True, "false": False,
                  "NaN string": "NaN", "Infinity string": "Infinity",
                  "-Infinity string": "-Infinity", "huge integer": 10**400,
                  "huge negative integer": -10**400, "empty string": "", "SQL": SQL}
        if math.isfinite(low):
            values |= {"below the minimum": low - 1, "huge negative": -1e308}
            if low >= 0:
                values["negative"] = -1
        if math.isfinite(high):
            values |= {"above the maximum": high + 1, "huge": 1e308, "2**63": 2**63}
        if field.integer:
            values["a fraction"] = (low if math.isfinite(low) else 0) + 0.5
    elif isinstance(field, Choice):
        first = field.choices[0][0]
        values = {"unknown category": "no-such-category", "padded": f" {first} ",
                  "empty": "", "whitespace": "   ", "number": 1, "true": True, "HTML": SCRIPT,
                  "SQL": SQL, "emoji": EMOJI, "RTL": RTL, "NUL": first + "\x00"}
        if first.upper() not in dict(field.choices):
            values["other case"] = first.upper()
    elif isinstance(field, Boolean):
        values = {"yes": "yes", "string true": "true", "one": 1, "zero": 0, "empty": ""}
    elif isinstance(field, Text):
        values = {"empty": "", "whitespace": " \t ", "1 MB": MEGABYTE,
                  "one character too long": "a" * (field.max_length + 1),
                  "NUL": "good\x00text", "bell": "ring\x07", "escape": "\x1b[31mred",
                  "number": 42, "true": True}
    elif isinstance(field, ItemList):
        values = {"empty list": [], "a string": "1", "strings": ["1"], "booleans": [True],
                  "fractions": [1.5], "nested": [[1]], "null item": [None],
                  "too many": list(range(1, field.max_items + 2)),
                  "unknown id": [999_999_999], "negative id": [-1], "zero id": [0],
                  "huge id": [2**63], "huger id": [10**30]}
    else:
        raise AssertionError(f"no bad values for {type(field).__name__}: add them here")
    return missing(field) | shapes | values


def form_values(field: Field) -> dict[str, Any]:
    """Form strings this field must refuse (400 with the message by the field, or 413)."""
    needed = field.required and field.default is None
    blank = {"missing": OMIT, "empty": "", "whitespace": "   "} if needed else {}
    if isinstance(field, Number):
        low, high = field.minimum, field.maximum
        values = {"text": "abc", "NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-inf",
                  "1e999": "1e999", "huge": "9" * 400, "hex": "0x10", "true": "true",
                  "HTML": SCRIPT, "SQL": "1; DROP TABLE predictions", "emoji": EMOJI,
                  "NUL": "1\x00"}
        if math.isfinite(low):
            values["below the minimum"] = str(low - 1)
        if math.isfinite(high):
            values["above the maximum"] = str(high + 1)
        if field.integer:
            values["a fraction"] = str((low if math.isfinite(low) else 0) + 0.5)
    elif isinstance(field, Choice):
        first = field.choices[0][0]
        values = {"unknown category": "no-such-category", "padded": f" {first} ",
                  "HTML": SCRIPT, "SQL": SQL, "emoji": EMOJI, "RTL": RTL,
                  "NUL": first + "\x00"}
    elif isinstance(field, Boolean):
        values = {"yes": "yes", "one": "1", "capitalised": "True", "HTML": SCRIPT}
    elif isinstance(field, Text):
        values = {"1 MB": MEGABYTE, "one character too long": "a" * (field.max_length + 1),
                  "NUL": "good\x00text", "bell": "ring\x07"}
    elif isinstance(field, ItemList):
        values = {"text": "abc", "fractions": "1.5", "unknown id": "999999999",
                  "negative id": "-1", "huge id": "9" * 30,
                  "too many": " ".join(map(str, range(1, field.max_items + 2))),
                  "HTML": SCRIPT}
    else:
        raise AssertionError(f"no bad values for {type(field).__name__}: add them here")
    return blank | values


def odd_texts() -> dict[str, str]:
    """Unusual but possibly fine free text: a use case may accept it or refuse it."""
    return {"HTML": f"{SCRIPT} The tea was <b>wonderful</b> & fresh",
            "SQL": f"{SQL} Great coffee, would buy again", "emoji": f"Lovely {EMOJI}",
            "RTL": RTL, "only emoji": EMOJI, "mixed scripts": f"Good \u05d8\u05d5\u05d1 {RTL}"}


def example_with(usecase: UseCase, field: Field) -> dict[str, Any]:
    """A valid example that gives `field` a value if there is one (fields can depend on one
    another, e.g. one rating per picked movie), else the first example."""
    examples = list(usecase.examples.values())
    chosen = next((e for e in examples if e.get(field.name) is not None), examples[0])
    return {k: v for k, v in chosen.items() if v is not None}


def cases(usecases: dict[str, UseCase], channel: str) -> list[Case]:
    """Every bad value of every field of every use case, for "api" or "form"."""
    found = []
    for name, usecase in usecases.items():
        for field in usecase.fields:
            base = example_with(usecase, field)
            values = api_values(field) if channel == "api" else form_values(field)
            for label, value in values.items():
                inputs = dict(base)
                if value is OMIT:
                    inputs.pop(field.name, None)
                else:
                    inputs[field.name] = value
                found.append(Case(name, field.name, label, value, inputs))
    return found


def as_form(inputs: dict[str, Any]) -> dict[str, str]:
    """An input as a browser would post it: strings, lists joined, booleans as true/false."""
    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return {key: text(value) for key, value in inputs.items() if value is not None}
