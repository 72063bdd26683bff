"""Declared input fields: the one source of a use case's form, validation and JSON Schema.

A use case lists its inputs as field objects. The host renders the HTML form from them, validates
form posts and JSON bodies with them, and publishes their JSON Schema in the API; nothing else
describes a use case's input.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Mapping

# Text longer than this is refused before any model sees it; it bounds the work one request can ask for.
DEFAULT_MAX_TEXT = 5000
# Whole numbers beyond this lose digits as doubles (2**53).
_EXACT = 2**53
# Control characters other than line breaks and tabs (C0, which includes NUL).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


# Yes/no as a spreadsheet writes it in a file, case aside.
_TRUE = frozenset({"true", "yes", "y", "t", "1"})
_FALSE = frozenset({"false", "no", "n", "f", "0"})


def yes_no_cell(text: str) -> str:
    """A file's yes/no cell (TRUE, Yes, 1...) as the form's "true" or "false"; anything else
    as it is, for the field to refuse. Forms and JSON stay strict."""
    word = text.strip().lower()
    return "true" if word in _TRUE else "false" if word in _FALSE else text


class FieldError(ValueError):
    """A value a field cannot accept; the message is shown to the person who sent it."""


@dataclass(frozen=True)
class Field:
    """Common part of every input field."""

    name: str
    label: str
    help: str = ""
    required: bool = True
    default: Any = None

    kind: ClassVar[str] = "field"

    def parse(self, raw: Any, *, from_form: bool) -> Any:
        """Turn one raw value (a form string or a JSON value) into a clean Python value."""
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of this field's value."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """A plain description for templates and the API."""
        return {"name": self.name, "label": self.label, "kind": self.kind, "help": self.help,
                "required": self.required, "default": self.default}


@dataclass(frozen=True)
class Number(Field):
    """A number within a closed range, optionally whole, with a unit for people."""

    minimum: float = -math.inf
    maximum: float = math.inf
    unit: str = ""
    integer: bool = False
    step: float | None = None

    kind: ClassVar[str] = "number"

    def parse(self, raw: Any, *, from_form: bool) -> float | int:
        kind = type(raw)  # not isinstance: a bool is an int to Python, not a number to a person
        if (kind is int or kind is float) and self.minimum <= raw <= self.maximum \
                and -_EXACT <= raw <= _EXACT:  # the usual case: in range, finite and exact
            if not self.integer:
                return float(raw)
            if kind is int or raw.is_integer():
                return int(raw)
        # Everything else, including every refusal, with its message.
        if from_form and isinstance(raw, str):
            try:
                raw = float(raw.strip())
            except ValueError:
                raise FieldError("must be a number") from None
        # bool is an int in Python; a JSON true is not a number to a person.
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise FieldError("must be a number")
        if isinstance(raw, int) and abs(raw) > _EXACT:
            raise FieldError(f"must be between {_fmt(self.minimum)} and {_fmt(self.maximum)}")
        if not math.isfinite(raw):
            raise FieldError("must be a finite number")
        if self.integer and raw != int(raw):
            raise FieldError("must be a whole number")
        if not self.minimum <= raw <= self.maximum:
            raise FieldError(f"must be between {_fmt(self.minimum)} and {_fmt(self.maximum)}"
                             + (f" {self.unit}" if self.unit else ""))
        return int(raw) if self.integer else float(raw)

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer" if self.integer else "number",
                               "title": self.label, "description": self.help}
        if math.isfinite(self.minimum):
            out["minimum"] = self.minimum
        if math.isfinite(self.maximum):
            out["maximum"] = self.maximum
        return out

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"minimum": _finite(self.minimum),
                                     "maximum": _finite(self.maximum),
                                     "unit": self.unit, "integer": self.integer,
                                     "step": self.step or (1 if self.integer else "any")}


@dataclass(frozen=True)
class Choice(Field):
    """One value out of a fixed list; each value has a label a person can read."""

    choices: tuple[tuple[str, str], ...] = ()

    kind: ClassVar[str] = "choice"

    def parse(self, raw: Any, *, from_form: bool) -> str:
        if not isinstance(raw, str):
            raise FieldError("must be one of the listed values")
        if raw not in self.labels:
            raise FieldError("must be one of: " + ", ".join(self.labels))
        return raw

    @cached_property
    def labels(self) -> dict[str, str]:
        """Each value's label, in the listed order (built once: parsing is on the request path)."""
        return dict(self.choices)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": [v for v, _ in self.choices],
                "title": self.label, "description": self.help}

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"choices": [list(c) for c in self.choices]}


@dataclass(frozen=True)
class Boolean(Field):
    """Yes or no."""

    kind: ClassVar[str] = "boolean"

    def parse(self, raw: Any, *, from_form: bool) -> bool:
        if from_form and isinstance(raw, str) and raw in ("true", "false"):
            return raw == "true"
        if not isinstance(raw, bool):
            raise FieldError("must be true or false")
        return raw

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean", "title": self.label, "description": self.help}


@dataclass(frozen=True)
class Text(Field):
    """Free text, with its length bounded and control characters refused."""

    min_length: int = 1
    max_length: int = DEFAULT_MAX_TEXT
    placeholder: str = ""

    kind: ClassVar[str] = "text"

    def parse(self, raw: Any, *, from_form: bool) -> str:
        if not isinstance(raw, str):
            raise FieldError("must be text")
        if _CONTROL.search(raw):
            raise FieldError("must not contain control characters")
        text = raw.strip()
        if len(text) < self.min_length:
            raise FieldError("must not be empty" if self.min_length == 1
                             else f"must be at least {self.min_length} characters")
        if len(text) > self.max_length:
            raise FieldError(f"must be at most {self.max_length} characters")
        return text

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": self.min_length, "maxLength": self.max_length,
                "title": self.label, "description": self.help}

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"min_length": self.min_length,
                                     "max_length": self.max_length,
                                     "placeholder": self.placeholder}


@dataclass(frozen=True)
class ItemList(Field):
    """A list of item ids picked from a catalogue (e.g. movies), each id a whole number.

    The catalogue itself belongs to the trained model; the use case checks that ids exist there.
    `search_url` names the endpoint (inside the use case's blueprint) a picker can query;
    `ratings_field` a Text field of the same form holding one rating per item, which the picker
    shows beside each picked item instead.
    """

    min_items: int = 1
    max_items: int = 50
    search_endpoint: str = ""
    ratings_field: str = ""

    kind: ClassVar[str] = "items"

    def parse(self, raw: Any, *, from_form: bool) -> list[int]:
        if from_form and isinstance(raw, str):
            raw = [part for part in raw.replace(",", " ").split() if part]
            try:
                raw = [int(part) for part in raw]
            except ValueError:
                raise FieldError("must be a list of item ids") from None
        if not isinstance(raw, list) or any(
                isinstance(x, bool) or not isinstance(x, int) for x in raw):
            raise FieldError("must be a list of whole-number ids")
        # Ids reach numpy and SQLite as 64-bit integers: a bigger one must be refused here, not
        # overflow there. 2**53 is also the largest whole number JSON clients keep exactly.
        if any(abs(x) > 2**53 for x in raw):
            raise FieldError(f"must be a list of ids from {-2**53} to {2**53}")
        ids = list(dict.fromkeys(raw))  # drop repeats, keep the order a person gave
        if len(ids) < self.min_items:
            raise FieldError(f"must name at least {self.min_items} item(s)")
        if len(ids) > self.max_items:
            raise FieldError(f"must name at most {self.max_items} items")
        return ids

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "integer"}, "minItems": self.min_items,
                "maxItems": self.max_items, "title": self.label, "description": self.help}

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"min_items": self.min_items, "max_items": self.max_items,
                                     "search_endpoint": self.search_endpoint,
                                     "ratings_field": self.ratings_field}


# Unknown keys named one by one in an input's errors; the rest are counted.
UNKNOWN_NAMED = 10


@dataclass
class Validated:
    """The outcome of validating one input: clean values, or messages keyed by field name."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(fields: tuple[Field, ...], data: Any, *, from_form: bool = False) -> Validated:
    """Check one input (a mapping) against the declared fields.

    Unknown keys are refused rather than ignored, so a misspelt optional field is not silently
    replaced by its default. Empty form values count as missing (browsers send "" for a blank box).
    """
    out = Validated()
    # dict first: an isinstance check against the Mapping ABC costs more than a field's parse.
    if not isinstance(data, dict) and not isinstance(data, Mapping):
        out.errors["inputs"] = "must be an object with one key per field"
        return out
    known = _names(fields)
    unknown = [key for key in data if key not in known and not (from_form and key == "csrf_token")]
    for key in unknown[:UNKNOWN_NAMED]:
        out.errors[str(key)[:100]] = "is not a field of this use case"
    if len(unknown) > UNKNOWN_NAMED:  # an answer must not grow with what a client makes up
        out.errors["inputs"] = (f"holds {len(unknown) - UNKNOWN_NAMED:,} more keys that are not "
                                "fields of this use case")
    for f in fields:
        raw = data.get(f.name)
        if raw is None or (from_form and isinstance(raw, str) and raw.strip() == ""):
            if f.required and f.default is None:
                out.errors[f.name] = "is required"
            else:
                out.values[f.name] = f.default
            continue
        try:
            out.values[f.name] = f.parse(raw, from_form=from_form)
        except FieldError as exc:
            out.errors[f.name] = str(exc)
    return out


_NAMES: dict[int, tuple[tuple[Field, ...], frozenset[str]]] = {}


def _names(fields: tuple[Field, ...]) -> frozenset[str]:
    """The fields' names, worked out once per tuple of fields (validation runs once per row)."""
    cached = _NAMES.get(id(fields))
    if cached is None or cached[0] is not fields:  # the entry keeps its tuple alive: ids stay
        if len(_NAMES) >= 256:  # use cases have one tuple each; only made-up tuples get here
            _NAMES.clear()
        cached = _NAMES[id(fields)] = (fields, frozenset(f.name for f in fields))
    return cached[1]


def json_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The JSON Schema of one input object for these fields."""
    props = {}
    for f in fields:
        prop = f.schema()
        if f.default is not None:
            prop["default"] = f.default
        elif not f.required:
            prop["type"] = [prop["type"], "null"]  # an optional field may be sent as null
        props[f.name] = prop
    return {"type": "object", "properties": props, "additionalProperties": False,
            "required": [f.name for f in fields if f.required and f.default is None]}


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


KINDS: dict[str, type[Field]] = {cls.kind: cls for cls in (Number, Choice, Boolean, Text, ItemList)}


class SpecError(ValueError):
    """A stored or submitted field description that does not describe a field."""


def field_from_spec(spec: Mapping[str, Any]) -> Field:
    """The field a `describe()` dict describes: how a field is kept as JSON (in a model
    version's input schema, or a use case made from a table) and rebuilt."""
    if not isinstance(spec, Mapping):
        raise SpecError("a field must be described by an object")
    cls = KINDS.get(spec.get("kind"))  # type: ignore[arg-type]
    name, label = spec.get("name"), spec.get("label")
    if cls is None:
        raise SpecError(f"unknown field kind {spec.get('kind')!r}; one of: {', '.join(KINDS)}")
    if not isinstance(name, str) or not name or not isinstance(label, str) or not label:
        raise SpecError("a field needs a name and a label")
    common = {"name": name, "label": label, "help": str(spec.get("help") or ""),
              "required": bool(spec.get("required", True)), "default": spec.get("default")}
    try:
        if cls is Number:
            step = spec.get("step")  # describe() shows a whole number's missing step as 1
            integer = bool(spec.get("integer", False))
            if integer and step == 1:
                step = None
            return Number(**common, unit=str(spec.get("unit") or ""), integer=integer,
                          minimum=-math.inf if spec.get("minimum") is None else float(spec["minimum"]),
                          maximum=math.inf if spec.get("maximum") is None else float(spec["maximum"]),
                          step=float(step) if isinstance(step, (int, float))
                          and not isinstance(step, bool) else None)
        if cls is Choice:
            choices = tuple((str(value), str(text)) for value, text in spec.get("choices") or ())
            if not choices:
                raise SpecError(f"choice field {name!r} lists no values")
            return Choice(**common, choices=choices)
        if cls is Text:
            return Text(**common, min_length=int(spec.get("min_length", 1)),
                        max_length=int(spec.get("max_length", DEFAULT_MAX_TEXT)),
                        placeholder=str(spec.get("placeholder") or ""))
        if cls is ItemList:
            return ItemList(**common, min_items=int(spec.get("min_items", 1)),
                            max_items=int(spec.get("max_items", 50)),
                            search_endpoint=str(spec.get("search_endpoint") or ""),
                            ratings_field=str(spec.get("ratings_field") or ""))
        return Boolean(**common)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SpecError):
            raise
        raise SpecError(f"field {name!r}: {exc}") from None
