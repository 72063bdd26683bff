"""The inputs the benchmark sends: a use case's own examples, and valid variations of them.

Batches and the bulk-loaded history need many different inputs; they are made by varying the
examples field by field within each field's declared range, then kept only when the use case's
own validation (and its model's check) accepts them, so every one is an input a client could send.
"""
from __future__ import annotations

import random
from typing import Any

from usecases.base import UseCase
from usecases.fields import Boolean, Choice, Number, validate


def examples(usecase: UseCase) -> list[dict[str, Any]]:
    """The use case's examples, as a client sends them (JSON-ready), in their declared order."""
    return [dict(values) for values in usecase.examples.values()]


def first_example(usecase: UseCase) -> dict[str, Any]:
    return examples(usecase)[0]


def varied(usecase: UseCase, model: Any, count: int, seed: int = 0) -> list[dict[str, Any]]:
    """`count` valid inputs: the examples with numbers, choices and yes/no answers varied."""
    rng = random.Random(seed)
    bases = examples(usecase)
    out: list[dict[str, Any]] = []
    attempts = 0
    while len(out) < count:
        attempts += 1
        raw = _vary(usecase, rng.choice(bases), rng) if attempts <= count * 20 \
            else dict(rng.choice(bases))  # a use case whose variations keep failing: repeat
        if accepted(usecase, model, raw):
            out.append(raw)
    return out


def accepted(usecase: UseCase, model: Any, raw: dict[str, Any]) -> bool:
    """Whether the API would score `raw` (the same checks serving.predict makes)."""
    checked = validate(usecase.fields, raw)
    return checked.ok and not usecase.check_inputs(model, checked.values)


def clean(usecase: UseCase, raw_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The validated values of inputs known to be valid: what usecase.predict receives."""
    return [validate(usecase.fields, raw).values for raw in raw_rows]


def _vary(usecase: UseCase, base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    raw = dict(base)
    for field in usecase.fields:
        value = raw.get(field.name)
        if isinstance(field, Number) and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            raw[field.name] = _near(field, value, rng)
        elif isinstance(field, Choice) and field.choices and rng.random() < 0.3:
            raw[field.name] = rng.choice(field.choices)[0]
        elif isinstance(field, Boolean) and isinstance(value, bool) and rng.random() < 0.2:
            raw[field.name] = not value
    return raw


def _near(field: Number, value: float, rng: random.Random) -> float | int:
    """A value within 20% of `value`, inside the field's range, whole when the field is."""
    spread = abs(value) * 0.2 or 1.0
    moved = min(max(value + rng.uniform(-spread, spread), field.minimum), field.maximum)
    return int(round(moved)) if field.integer else round(moved, 3)
