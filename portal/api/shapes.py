"""The JSON the API answers with, built from registry rows and use cases.

`portal.api.schemas` describes each of these shapes for the OpenAPI document; a test validates
real answers against it, so the two cannot drift apart.
"""
from __future__ import annotations

from typing import Any

from flask import url_for

from registry.models import ModelVersion, Prediction, Promotion
from registry import history, serving
from registry.serving import Scored
from usecases.base import UseCase
from usecases.fields import json_schema


def usecase_summary(usecase: UseCase, production: ModelVersion | None) -> dict[str, Any]:
    """What the menu shows: the use case, its production version and its headline metric."""
    metric = production.metrics.get(usecase.primary_metric) if production else None
    return {"name": usecase.name, "title": usecase.title, "task": usecase.task,
            "description": usecase.description,
            "production_version": production.version if production else None,
            "primary_metric": {"name": usecase.primary_metric, "value": metric,
                               "higher_is_better": usecase.higher_is_better},
            "url": url_for("api.usecase", name=usecase.name, _external=True)}


def usecase_detail(usecase: UseCase, production: ModelVersion | None) -> dict[str, Any]:
    """The summary, plus what a client needs to call predict: schema, examples, metrics (as
    the production version serves them)."""
    usecase = serving.production_view(usecase, production)
    return usecase_summary(usecase, production) | {
        "data_source": usecase.data_source,
        "input_schema": json_schema(usecase.fields),
        "examples": examples(usecase),
        "metrics": production.metrics if production else {},
        "predict_url": url_for("api.predict", name=usecase.name, _external=True),
        # What an upload adds to the inputs and what an outcome gives; null: takes neither.
        "target": ({"name": usecase.target.name, "schema": usecase.target.schema(),
                    "columns": [f.name for f in usecase.data_fields] + [usecase.target.name],
                    "outcome_schema": usecase.outcome_field.schema()}
                   if usecase.target is not None else None)}


def examples(usecase: UseCase) -> dict[str, dict[str, Any]]:
    """The use case's examples, with unknown (None) inputs left out: omitting an optional input
    means the same to the API, and then every example validates against the input schema."""
    return {title: {key: value for key, value in inputs.items() if value is not None}
            for title, inputs in usecase.examples.items()}


def scored(usecase: str, result: Scored, *, batch: bool) -> dict[str, Any]:
    """A predict answer: the version that scored, and each prediction with its stored id."""
    made = [{"id": pid, "inputs": inputs, "result": outcome}
            for pid, inputs, outcome in zip(result.prediction_ids, result.inputs, result.results)]
    answer: dict[str, Any] = {"usecase": usecase, "version": result.version}
    if batch:
        answer["predictions"] = made
    else:
        answer["prediction"] = made[0]
    return answer


ERRORS_LISTED = 100  # of a batch's problems, in the answer; the rest are counted


def input_errors(errors: list[dict[str, str]], *, batch: bool) -> dict[str, str]:
    """serving.InvalidInput's per-row errors as one fields map: "age", or "inputs[3].age"."""
    if not batch:
        return dict(errors[0])
    fields: dict[str, str] = {}
    left_out = 0
    for index, row in enumerate(errors):
        for name, message in row.items():
            if len(fields) == ERRORS_LISTED:
                left_out += 1
                continue
            # A row that is not an object is reported under "inputs" by the validator.
            key = f"inputs[{index}]" if name == "inputs" else f"inputs[{index}].{name}"
            fields[key] = message
    if left_out:  # a batch's answer must not grow with every mistake in it
        fields["inputs"] = f"{left_out:,} more problems are not listed; fix these and send again"
    return fields


def promotion(record: Promotion) -> dict[str, Any]:
    return {"usecase": record.usecase, "action": record.action,
            "from_version": record.from_version.version if record.from_version else None,
            "to_version": record.to_version.version, "actor": record.actor,
            "reason": record.reason, "created_at": record.created_at.isoformat() + "Z",
            "against_policy": record.against_policy, "gate": record.gate}


def prediction(row: Prediction, outcome: Any = None) -> dict[str, Any]:
    """A stored prediction, as the history lists it, with its current outcome (or None)."""
    return {"id": row.id, "created_at": history.api_time(row.created_at), "usecase": row.usecase,
            "version": row.version, "source": row.source, "inputs": row.inputs,
            "output": row.output, "summary": row.summary, "latency_ms": row.latency_ms,
            "outcome": outcome}
