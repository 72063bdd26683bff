"""A model card as a Hugging Face style README: YAML front matter (model-index metadata) and
Markdown sections, made from registry/cards.py's card."""
from __future__ import annotations

from typing import Any

import yaml
from flask import render_template

from registry.cards import SECTIONS

# The Hub's task ids for our tasks (recommendation has none of its own there).
HUB_TASKS = {"regression": "tabular-regression", "classification": "tabular-classification",
             "text-classification": "text-classification", "recommendation": "recommendation"}


def front_matter(card: dict[str, Any]) -> dict[str, Any]:
    """The metadata block: library, tags, data and the held-out metrics as a model-index."""
    held_out = {name: value for name, value in card["metrics"]["held_out"].items()
                if isinstance(value, (int, float)) and not isinstance(value, bool)}
    data = card["training_data"]
    dataset = {"name": f"{card['title']} data", "type": card["usecase"], "split": "test",
               "revision": data["fingerprint"]}
    if data["dataset_version"] is not None:
        dataset["config"] = f"dataset-version-{data['dataset_version']}"
    return {
        "library_name": "sklearn",
        "tags": ["model-hub", card["usecase"], card["task"], f"version-{card['version']}",
                 card["stage"]],
        "pipeline_tag": HUB_TASKS[card["task"]],
        "metrics": list(held_out),
        "model-index": [{"name": f"{card['usecase']}-v{card['version']}", "results": [{
            "task": {"type": HUB_TASKS[card["task"]], "name": card["task"]},
            "dataset": dataset,
            "metrics": [{"type": name, "value": float(value), "name": f"held-out {name}"}
                        for name, value in held_out.items()]}]}],
    }


def readme(card: dict[str, Any]) -> str:
    """The README: front matter between --- lines, then the Markdown body."""
    meta = yaml.safe_dump(front_matter(card), sort_keys=False, allow_unicode=True)
    return f"---\n{meta}---\n\n" + render_template("cards/README.md", card=card,
                                                 sections=SECTIONS)
