"""Stored values in words: the form's labels, choice labels, units and movie titles that the
history shows people instead of the codes and ids it stores (the CSV keeps the codes).

A use case's declared fields say how an input reads; its target says how an output reads.
Item ids (movies) read as titles from the production model's catalogue, the one the form's
picker asks for titles; without a loadable model they stay ids.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from registry import serving
from usecases import all_usecases
from usecases.base import UseCase
from usecases.fields import Boolean, Choice, Field, ItemList, Number

NOT_GIVEN = "not given"


@dataclass
class Words:
    """How one page's values read: the use cases by name, and the titles of the items in it."""

    usecases: dict[str, UseCase]
    titles: dict[str, dict[int, str]] = field(default_factory=dict)  # by use case, by id

    def inputs(self, usecase: str, values: dict[str, Any], given_only: bool = False
               ) -> list[tuple[str, str]]:
        """(label, value in words) for each input (each one given, with `given_only`), in the
        form's order; keys that are not fields of the use case (or of a use case no longer
        installed) keep their names."""
        if not isinstance(values, dict):  # stored before inputs were checked to be objects
            return [("inputs", self.value(usecase, None, values))]
        found = self.usecases.get(usecase)
        fields = {f.name: f for f in found.fields} if found is not None else {}
        ordered = [name for name in fields if name in values]
        ordered += [name for name in values if name not in fields]
        if given_only:
            ordered = [name for name in ordered if values[name] is not None]
        return [(fields[name].label if name in fields else name,
                 self.value(usecase, fields.get(name), values[name])) for name in ordered]

    def value(self, usecase: str, declared: Field | None, value: Any) -> str:
        """One value as a person reads it: choice labels, yes or no, numbers with their unit,
        item titles."""
        if value is None:
            return NOT_GIVEN
        if isinstance(value, bool) or isinstance(declared, Boolean):
            return "yes" if value else "no"
        if isinstance(declared, Choice) and isinstance(value, str):
            return declared.labels.get(value, value)
        if isinstance(value, list) and (isinstance(declared, ItemList) or declared is None):
            return ", ".join(self.item(usecase, item) for item in value)
        if isinstance(value, dict):  # e.g. a movie the person then rated, and their stars
            return " · ".join(f"{key}: {self.value(usecase, None, v)}" for key, v in value.items())
        if isinstance(value, (int, float)):
            unit = declared.unit if isinstance(declared, Number) else ""
            return f"{number(value)} {unit}".strip()
        return str(value)

    def output(self, usecase: str, value: Any) -> str:
        """A prediction's output in words, read by the use case's target: a class's label, a
        number with its unit, a ranked list of titles."""
        return self.value(usecase, target(self.usecases.get(usecase)), value)

    def outcome(self, usecase: str, value: Any) -> str:
        """A recorded outcome in words, read by the field an outcome gives."""
        found = self.usecases.get(usecase)
        return self.value(usecase, found.outcome_field if found is not None else None, value)

    def label(self, usecase: str, stored: str) -> str:
        """A stored output label in words: a class's label, or the title of a list's top item
        (kept as the id's text)."""
        declared = target(self.usecases.get(usecase))
        if declared is None and stored.isascii() and stored.isdigit():
            return self.item(usecase, int(stored))
        return self.value(usecase, declared, stored)

    def chart(self, usecase: str) -> tuple[str, str]:
        """(title, axis title) of a chart of the use case's outputs, e.g. "Predicted
        diagnosis" along "Diagnosis"."""
        declared = target(self.usecases.get(usecase))
        if declared is None:
            return "Top recommendation", "First in the list"
        unit = f" ({declared.unit})" if isinstance(declared, Number) and declared.unit else ""
        name = declared.label
        if name[1:2].islower():  # "Diagnosis", not an acronym
            name = name[0].lower() + name[1:]
        return f"Predicted {name}", declared.label + unit

    def item(self, usecase: str, ident: Any) -> str:
        known = self.titles.get(usecase, {})
        return known.get(ident, f"#{ident}") if isinstance(ident, int) else str(ident)


def target(usecase: UseCase | None) -> Field | None:
    """The field an output is a value of: the target, when it is a class or a number; None
    for outputs of another shape (a ranked list of items)."""
    found = getattr(usecase, "target", None)
    return found if usecase is not None and usecase.task != "recommendation" else None


def number(value: float) -> str:
    """A figure as people read it: whole numbers as they are, others to two decimals at most
    (a blood pressure, a predicted score)."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def outcome_labels(usecase: str | None) -> dict[str, str]:
    """Each outcome value's label (the use case's, or every installed one's), for the outcome
    filter: values are the codes the filter takes, labels what people read."""
    installed = all_usecases()
    chosen = [installed[usecase]] if usecase in installed else list(installed.values())
    labels: dict[str, str] = {}
    for found in chosen:
        if isinstance(found.outcome_field, Choice):
            for value, label in found.outcome_field.choices:
                labels.setdefault(value, label)
    return labels


def for_rows(rows: Iterable[Any]) -> Words:
    """The words for stored predictions (rows with usecase, inputs and output): one catalogue
    look-up per use case for every item id among them."""
    words = Words(all_usecases())
    wanted: dict[str, set[int]] = {}
    for row in rows:
        found = words.usecases.get(row.usecase)
        if found is None:
            continue
        given = row.inputs if isinstance(row.inputs, dict) else {}
        lists = [given.get(f.name) for f in found.fields if isinstance(f, ItemList)]
        if isinstance(row.output, list) and target(found) is None:
            lists.append(row.output)
        for items in lists:
            if isinstance(items, list):
                wanted.setdefault(row.usecase, set()).update(
                    i for i in items if isinstance(i, int) and not isinstance(i, bool))
    for name, ids in wanted.items():
        words.titles[name] = titles(name, ids)
    return words


def for_labels(usecase: str, labels: Iterable[str]) -> Words:
    """The words for a chart of one use case's output labels (top items' ids among them)."""
    words = Words(all_usecases())
    if target(words.usecases.get(usecase)) is None:
        words.titles[usecase] = titles(usecase, [int(label) for label in labels
                                                 if label.isascii() and label.isdigit()])
    return words


def titles(usecase: str, ids: Iterable[int]) -> dict[int, str]:
    """"Title (year)" of each id the production model's catalogue knows; none without one."""
    try:
        _, model = serving.production_model(usecase)
    except serving.ModelUnavailable:
        return {}
    describe = getattr(model, "describe", None)  # the catalogue the form's picker reads
    if describe is None:
        return {}
    return {entry["id"]: f"{entry['title']} ({entry['year']})" if entry.get("year")
            else entry["title"] for entry in describe(sorted(ids))}
