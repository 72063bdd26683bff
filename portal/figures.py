"""Metrics as people read them: usecases.measures' names and sentences and one way of writing
the numbers, as template filters every page uses (`metric_label`, `metric_value`)."""
from __future__ import annotations

from flask import Flask
from markupsafe import Markup

from usecases import measures


def metric_label(name: str) -> Markup:
    """The metric's name for people, its explanation as the title of an <abbr>."""
    label, sentence = measures.describe(name)
    if not sentence:
        return Markup("{}").format(label)
    return Markup('<abbr title="{}">{}</abbr>').format(sentence, label)


def metric_value(value: object, name: str = "") -> str:
    return measures.shown(name, value)


def init_app(app: Flask) -> None:
    app.add_template_filter(metric_label, "metric_label")
    app.add_template_filter(metric_value, "metric_value")
    app.add_template_global(measures.describe, "describe_metric")
    app.add_template_global(measures.CONFUSION, "CONFUSION")
