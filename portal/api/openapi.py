"""The OpenAPI 3.1 description of the API, generated from the code: the routes' roles come from
their guards, each use case's input schema from its declared fields."""
from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify

from portal.api import bp, schemas, shapes
from portal.api.errors import PREFIX
from registry.history import MAX_PAGE_SIZE, PAGE_SIZE
from registry import serving, versions
from registry.models import SOURCES
from registry.monitoring.inputs import DEFAULT_LAST, MAX_LAST
from usecases import all_usecases
from usecases.base import UseCase

ERRORS = {"400": ("MalformedJson", "The body is not valid JSON."),
          "401": ("Unauthorized", "No token, or a token that is not valid; the answer has "
                                  "WWW-Authenticate: Bearer."),
          "403": ("Forbidden", "The token's role may not do this."),
          "404": ("NotFound", "No such use case, version, job or endpoint."),
          "409": ("Conflict", "The registry cannot do this now (e.g. nothing to roll back to, "
                              "already training)."),
          "413": ("TooLarge", "The body (or the batch) is too large."),
          "415": ("UnsupportedMediaType", "The body is not sent in a media type this endpoint "
                                          "reads (application/json unless it says otherwise)."),
          "422": ("Invalid", "Some fields are not valid; `fields` says which and why."),
          "429": ("TooManyRequests", "More inputs scored from this address without a token "
                                     "than PREDICTION_RATE_LIMIT allows; Retry-After says "
                                     "when to try again."),
          "503": ("Unavailable", "The use case has no model that can serve right now.")}
JSON_BODY = ("400", "413", "415", "422")


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())


def document() -> dict[str, Any]:
    # Each use case as its production version serves it (its inputs and examples).
    live = versions.production_versions()
    usecases = {name: serving.production_view(usecase, live.get(name))
                for name, usecase in all_usecases().items()}
    max_batch = int(current_app.config["MAX_BATCH"])
    return {
        "openapi": "3.1.0",
        "info": {"title": "Model Hub API", "version": "1",
                 "description": "Predictions from the hub's trained models, their versions, "
                                "training and the prediction history. Every answer is JSON; "
                                "every error has the shape of the Error schema."},
        "servers": [{"url": PREFIX}],
        "paths": paths(usecases, max_batch),
        "components": {
            "schemas": schemas.SCHEMAS | schemas.usecase_inputs(usecases),
            "responses": {name: _error_response(text) for name, text in ERRORS.values()},
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API token from `flask --app portal user token NAME`."}}},
    }


def paths(usecases: dict, max_batch: int) -> dict[str, Any]:
    name = _path_param("name", "A use case's name.", _names(usecases))
    made = _path_param("name", "The name of a use case made from a table.", {"type": "string"})
    number = _path_param("number", "A version number.", {"type": "integer", "minimum": 1})
    dataset = _path_param("number", "A dataset version number.", {"type": "integer",
                                                                   "minimum": 1})
    hook = _path_param("webhook_id", "A webhook's id.", {"type": "integer", "minimum": 1})
    prediction = _path_param("prediction_id", "A stored prediction's id.",
                             {"type": "integer", "minimum": 1})
    out: dict[str, Any] = {
        "/usecases": {"get": _op("usecases", "List the use cases", "UseCaseList"),
                      "post": _create_op()},
        "/usecases/{name}": {
            "get": _op("usecase", "Describe a use case: input schema, examples, metrics",
                       "UseCaseDetail", [name], ["404"]),
            "delete": _op("delete_usecase", "Delete a use case made from a table (none of "
                          "whose predictions are stored)", None, [made], ["404", "409"],
                          status="204", answer={"description": "Deleted."})},
        "/usecases/{name}/disable": {"post": _op(
            "disable_usecase", "Stop serving a use case made from a table", "TableUseCase",
            [made], ["404"])},
        "/usecases/{name}/enable": {"post": _op(
            "enable_usecase", "Serve a disabled use case made from a table again",
            "TableUseCase", [made], ["404"])},
        "/usecases/{name}/versions": {"get": _op(
            "model_versions", "List a use case's versions", "VersionList", [name], ["404"])},
        "/usecases/{name}/versions/{number}": {"get": _op(
            "model_version", "Describe one version", "ModelVersion", [name, number], ["404"])},
        "/usecases/{name}/versions/{number}/live": {"get": _op(
            "live_metrics", "A version's live metrics from recorded outcomes, in total and "
            "per day", "LiveMetrics", [name, number, *_window_params()], ["404", "422"])},
        "/usecases/{name}/versions/{number}/card": {
            "get": _op("model_card", "A version's model card: facts, written sections, "
                       "figures by group", "ModelCard", [name, number], ["404", "503"]),
            "put": _op("edit_model_card", "Write a version's model card sections",
                       "ModelCard", [name, number], ["404", "503", *JSON_BODY],
                       body=schemas.ref("ModelCardEdit"))},
        "/usecases/{name}/versions/{number}/card.md": {"get": _op(
            "model_card_readme", "A version's model card as a README (YAML front matter, "
            "Markdown)", None, [name, number], ["404", "503"], answer=_text("text/markdown"))},
        "/usecases/{name}/drift": {"get": _op(
            "input_drift", "Drift of the latest live inputs from the training inputs, field by "
            "field", "Drift", [name, *_drift_params()], ["404", "409", "422"])},
        "/usecases/{name}/challenger": {
            "get": _op("challenger_state", "The challenger and how it compares with production "
                       "on live traffic", "ChallengerState", [name], ["404"]),
            "put": _op("name_challenger", "Name a challenger on a share of live traffic",
                       "Challenger", [name], ["404", "409", *JSON_BODY],
                       body=schemas.ref("ChallengerChoice")),
            "delete": _op("end_challenger", "Stop the challenger", None, [name], ["404"],
                          status="204", answer={"description": "Stopped."})},
        "/usecases/{name}/webhooks": {
            "get": _op("list_webhooks", "The use case's webhooks", "WebhookList", [name],
                       ["404"]),
            "post": _op("add_webhook", "Register an address for the use case's events",
                        "NewWebhook", [name], ["404", *JSON_BODY],
                        body=schemas.ref("WebhookChoice"), status="201")},
        "/usecases/{name}/webhooks/{webhook_id}": {"delete": _op(
            "remove_webhook", "Remove a webhook and its deliveries", None, [name, hook],
            ["404"], status="204", answer={"description": "Removed."})},
        "/usecases/{name}/webhooks/{webhook_id}/deliveries": {"get": _op(
            "webhook_deliveries", "A webhook's latest deliveries and their attempts",
            "Deliveries", [name, hook], ["404"])},
        "/usecases/{name}/versions/{number}/promote": {"post": _op(
            "promote", "Make a version the production one (through the promotion policy)",
            "Promotion", [name, number], ["404", "409", *JSON_BODY],
            body=schemas.ref("PromoteRequest"))},
        "/usecases/{name}/versions/{number}/gate": {"get": _op(
            "gate_verdict", "The evidence for promoting a version, and the policy's verdict",
            "Verdict", [name, number], ["404"])},
        "/usecases/{name}/policy": {
            "get": _op("promotion_policy", "The use case's promotion policy", "Policy", [name],
                       ["404"]),
            "put": _op("set_promotion_policy", "Set the use case's promotion policy", "Policy",
                       [name], ["404", *JSON_BODY], body=schemas.ref("PolicyChoice")),
            "delete": _op("clear_promotion_policy", "Remove the promotion policy", None,
                          [name], ["404"], status="204", answer={"description": "Removed."})},
        "/usecases/{name}/rollback": {"post": _op(
            "rollback", "Go back to the previous production version", "Promotion", [name],
            ["404", "409", *JSON_BODY], body=schemas.ref("Reason"))},
        "/usecases/{name}/train": {"post": _op(
            "train", "Start training a new version", "Job", [name], ["404", "409", *JSON_BODY],
            body=schemas.ref("TrainOptions"), status="202", body_required=False)},
        "/usecases/{name}/datasets": {
            "get": _op("dataset_versions", "List a use case's dataset versions", "DatasetList",
                       [name], ["404"]),
            "post": _upload_op([name])},
        "/usecases/{name}/datasets/{number}": {
            "get": _op("dataset_version", "Describe one dataset version", "DatasetVersion",
                       [name, dataset], ["404"]),
            "delete": _op("delete_dataset", "Delete a dataset version no model was trained on",
                          None, [name, dataset], ["404", "409"], status="204",
                          answer={"description": "Deleted."})},
        "/usecases/{name}/datasets/{number}/archive": {"post": _op(
            "archive_dataset", "Archive (or, with archived false, restore) a dataset version",
            "DatasetVersion", [name, dataset], ["404", *JSON_BODY],
            body={"type": "object", "additionalProperties": False,
                  "properties": {"archived": {"type": "boolean", "default": True}}},
            body_required=False)},
        "/predictions/{prediction_id}/outcome": {
            "get": _op("outcome", "A prediction's recorded outcome and its earlier values",
                       "OutcomeHistory", [prediction], ["404"]),
            "post": _op("record_outcome", "Record or correct what really happened",
                        "RecordedOutcome", [prediction], ["404", *JSON_BODY],
                        body=schemas.ref("OutcomeValue"), status="201")},
        "/outcomes": {"post": _outcomes_op()},
        "/jobs/{job_id}": {"get": _op(
            "job", "Follow a training job", "Job",
            [_path_param("job_id", "A training job's id.", {"type": "integer", "minimum": 1})],
            ["404"])},
        "/predictions": {"get": _op("predictions", "Page through the prediction history",
                                    "History", _history_params(usecases, page=True), ["422"])},
        "/predictions.csv": {"get": _op(
            "predictions_csv", "Export the prediction history as CSV", None,
            _history_params(usecases, page=False), ["422"], answer=_text("text/csv"))},
        "/openapi.json": {"get": _op("openapi_json", "This document", None,
                                     answer=_json_response("OpenAPI 3.1", {"type": "object"}))},
    }
    for usecase in usecases.values():
        out[f"/usecases/{usecase.name}/predict"] = {"post": _predict_op(usecase, max_batch)}
    out |= _mlflow_paths(usecases, max_batch)
    ops = {"/healthz": ("healthz", "Liveness: the process answers", "Health", []),
           "/readyz": ("readyz", "Readiness: the database and every model can serve",
                       "Readiness", []),
           "/metrics": ("prometheus_metrics", "Prometheus metrics (text format)", None, [])}
    for path, (endpoint, summary, schema, errors) in ops.items():
        answer = None if schema else _text("text/plain")
        # Outside /api/v1: the server's root, relative to where this document is served.
        out[path] = {"get": _op(endpoint, summary, schema, errors=errors, blueprint="ops",
                                answer=answer) | {"servers": [{"url": "/"}]}}
    out["/metrics"]["get"]["description"] = (
        "Needs the scrape token (the METRICS_TOKEN setting) or an admin's token.")
    out["/readyz"]["get"]["responses"]["503"] = _json_response(
        "Not ready: which use case cannot serve and why.", schemas.ref("Readiness"))
    return out


def _predict_op(usecase: UseCase, max_batch: int) -> dict[str, Any]:
    examples = shapes.examples(usecase)
    operation = _op("predict", f"Predict: {usecase.title}", None,
                    errors=["401", "403", "404", "429", "503", *JSON_BODY],
                    body=schemas.predict_body(usecase, max_batch))
    anonymous = current_app.config.get("ANONYMOUS_MAX_BATCH")
    operation["description"] = (
        f"{usecase.description} One input gives `prediction`; a list of up to {max_batch} "
        "gives `predictions`, in order"
        + (f" (more than {anonymous} need a token: 401 without)." if anonymous else "."))
    operation["operationId"] = f"predict_{usecase.name}"
    operation["security"] = [{}, {"bearerAuth": []}]  # a token only to choose a version
    body = operation["requestBody"]["content"]["application/json"]
    body["examples"] = {f"example{i}": {"summary": title, "value": {"inputs": inputs}}
                        for i, (title, inputs) in enumerate(examples.items(), 1)}
    body["examples"]["batch"] = {"summary": "A batch of every example",
                                 "value": {"inputs": list(examples.values())}}
    operation["responses"]["200"] = _json_response("The prediction(s), with the stored ids.", {
        "oneOf": [schemas.ref("Scored"), schemas.ref("ScoredBatch")]})
    return operation


MLFLOW_ERROR = {"type": "object", "required": ["error_code", "message"], "properties": {
    "error_code": {"type": "string", "description": "MLflow's code: BAD_REQUEST, "
                   "MALFORMED_REQUEST, INVALID_PARAMETER_VALUE, UNAUTHENTICATED, "
                   "PERMISSION_DENIED, RESOURCE_DOES_NOT_EXIST, REQUEST_LIMIT_EXCEEDED, "
                   "TEMPORARILY_UNAVAILABLE."},
    "message": {"type": "string"},
    "fields": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "Invalid inputs, as the native API names them."}}}


def _mlflow_paths(usecases: dict, max_batch: int) -> dict[str, Any]:
    """MLflow's scoring server under each use case's prefix (portal/api/mlflow.py)."""
    names = "|".join(re.escape(n) for n in usecases) or "[^/@]+"
    name = _path_param("name", "A use case's name, optionally with `@production`, or (admins) "
                       "`@challenger` or `@<version>`.",
                       {"type": "string", "pattern": f"^({names})(@(production|challenger|"
                                                     "[1-9][0-9]*))?$"})

    def refused(*statuses: str) -> dict[str, Any]:
        return {code: _json_response(ERRORS[code][1] if code in ERRORS else "Refused.",
                                     MLFLOW_ERROR) for code in statuses}

    rows = {"type": "array", "items": {"type": "object"}}
    columns = {"type": "object", "additionalProperties": {"type": "array"}}
    shapes_ = [{"required": ["dataframe_split"], "properties": {"dataframe_split": {
                   "type": "object", "required": ["columns", "data"], "properties": {
                       "columns": {"type": "array", "items": {"type": "string"}},
                       "data": {"type": "array", "items": {"type": "array"}},
                       "index": {"type": "array"}}}}},
               {"required": ["dataframe_records"], "properties": {"dataframe_records": rows}},
               {"required": ["instances"], "properties": {"instances": {
                   "oneOf": [rows, columns, {"type": "object"}]}}},
               {"required": ["inputs"], "properties": {"inputs": {
                   "oneOf": [rows, columns, {"type": "object"}]}}}]
    body = {"type": "object", "oneOf": shapes_, "properties": {"params": {
        "type": "object", "additionalProperties": False, "properties": {"result": {
            "enum": ["prediction", "full"], "default": "prediction",
            "description": "`full`: each entry is the native API's prediction object."}}}}}
    invocations = {
        "operationId": "mlflow_invocations", "summary": "Score rows (MLflow's scoring protocol)",
        "description": f"Rows as MLflow's `/invocations` takes them, up to {max_batch}; "
                       "stored with source `mlflow`. Errors have MLflow's shape.",
        "parameters": [name], "security": [{}, {"bearerAuth": []}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": body},
            "text/csv": {"schema": {"type": "string", "description": "A header row of field "
                                    "names, then one row per input."}}}},
        "responses": {"200": _json_response("One entry per row, in order.", {
            "type": "object", "required": ["predictions"],
            "properties": {"predictions": {"type": "array"}}})}
        | refused("400", "401", "403", "404", "413", "415", "429", "503")}

    def probe(endpoint: str, summary: str, answer: dict) -> dict[str, Any]:
        return {"get": {"operationId": endpoint, "summary": summary, "parameters": [name],
                        "security": [{}, {"bearerAuth": []}],
                        "responses": {"200": answer} | refused("401", "403", "404")}}

    here = {"description": "A model can serve.",
            "content": {"application/json": {"schema": {"type": "string"}}}}
    return {"/usecases/{name}/invocations": {"post": invocations},
            "/usecases/{name}/ping": probe("mlflow_ping", "Whether a model can serve (MLflow's "
                                           "/ping)", here),
            "/usecases/{name}/health": probe("mlflow_health", "The same as ping", here),
            "/usecases/{name}/version": probe("mlflow_version", "The hub's version, as text",
                                              _text("text/plain"))}


def _upload_op(parameters: list) -> dict[str, Any]:
    operation = _op(
        "upload", "Upload labelled rows: a report, and a new dataset version", "Upload",
        parameters + [
            _query("dry_run", "Answer the report alone; store nothing.", {"type": "boolean"}),
            _query("skip_refused", "Store the accepted rows even when some are refused.",
                   {"type": "boolean"})],
        ["400", "404", "409", "413", "415", "422"], status="201")
    operation["description"] += (" The rows are the use case's inputs plus its target column "
                                 "(see the use case's `target`). Refused rows store nothing "
                                 "unless skip_refused is true: 422 with the report.")
    operation["requestBody"] = {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}}
    operation["responses"]["200"] = _json_response("The report of a dry run.",
                                                   schemas.ref("Upload"))
    return operation


def _create_op() -> dict[str, Any]:
    operation = _op("create_usecase", "Make a use case from a table (CSV) and the column to "
                    "predict", "UseCaseCreated", errors=["409", "413", "415", "422"],
                    status="202")
    operation["description"] += (
        " The answer is the proposal (task, each input's field, the columns left out and "
        "why, warnings) and, unless dry_run is true, the new use case and its first training "
        "job, whose Location it gives. The parameters come as multipart fields beside `file`, "
        "or in the query string beside a text/csv body.")
    text = {"type": "string"}
    parameters = {
        "name": text | {"description": "A URL slug that no use case has."},
        "title": text | {"description": "What people see (default: the name)."},
        "target": text | {"description": "The column to predict."},
        "task": {"type": "string", "enum": ["regression", "classification"],
                 "description": "Default: proposed from the target's values."},
        "exclude": text | {"description": "Columns to leave out, comma-separated."},
        "include": text | {"description": "Columns to use although they look like giving "
                                          "the target away, comma-separated."},
        "labels": text | {"description": 'JSON: input name -> {"label", "help", "unit"}.'},
        "promote": {"type": "boolean", "description": "Put the first version in production."},
        "dry_run": {"type": "boolean", "description": "Answer the proposal alone."}}
    operation["parameters"] = [_query(key, value["description"], {
        k: v for k, v in value.items() if k != "description"})
        for key, value in parameters.items()]
    operation["requestBody"] = {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}} | parameters,
            "required": ["file", "target"]}}}}
    operation["responses"]["200"] = _json_response("The proposal of a dry run.",
                                                   schemas.ref("TableProposalAnswer"))
    return operation


def _outcomes_op() -> dict[str, Any]:
    operation = _op("record_outcomes", "Record many outcomes at once, all or none",
                    "RecordedOutcomes", errors=["404", *JSON_BODY],
                    body=schemas.ref("OutcomeList"), status="201")
    operation["requestBody"]["content"]["text/csv"] = {"schema": {
        "type": "string", "description": "A header prediction_id,outcome, then one row each."}}
    return operation


def _op(endpoint: str, summary: str, schema: str | None, parameters: list | None = None,
        errors: list[str] | None = None, *, body: dict | None = None, status: str = "200",
        body_required: bool = True, blueprint: str = "api",
        answer: dict | None = None) -> dict[str, Any]:
    """One operation; its security comes from the roles its view is guarded with."""
    roles = getattr(current_app.view_functions[f"{blueprint}.{endpoint}"], "roles", ())
    if answer is None:
        answer = (_json_response("Success.", schemas.ref(schema)) if schema
                  else {"description": "Success."})
    responses = {status: answer}
    if roles:
        errors = ["401", "403", *(errors or [])]
    for code in sorted(errors or []):
        responses[code] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    responses["default"] = _error_response("Any other error, in the same shape.")
    operation: dict[str, Any] = {"operationId": endpoint, "summary": summary,
                                 "parameters": parameters or [], "responses": responses}
    if roles:
        operation["security"] = [{"bearerAuth": []}]
        operation["description"] = f"Needs a token with the role: {' or '.join(roles)}."
    if body is not None:
        operation["requestBody"] = {"required": body_required,
                                    "content": {"application/json": {"schema": body}}}
    return operation


def _names(usecases: dict) -> dict[str, Any]:
    """The schema of a use case's name (an empty enum is not valid: none may be enabled)."""
    return {"type": "string"} | ({"enum": list(usecases)} if usecases else {})


def _path_param(name: str, description: str, schema: dict) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}


def _query(name: str, description: str, schema: dict) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _window_params() -> list[dict[str, Any]]:
    return [_query("since", "From this UTC day on.", {"type": "string", "format": "date"}),
            _query("until", "Up to this UTC day, included.", {"type": "string",
                                                              "format": "date"})]


def _drift_params() -> list[dict[str, Any]]:
    return [_query("last", "The latest this many predictions (within the days, when given).",
                   {"type": "integer", "minimum": 1, "maximum": MAX_LAST,
                    "default": DEFAULT_LAST}),
            *_window_params(),
            _query("version", "Compare with this version's training inputs (default: "
                   "production's).", {"type": "integer", "minimum": 1})]


def _history_params(usecases: dict, *, page: bool) -> list[dict[str, Any]]:
    params = [_query("usecase", "Only this use case.", _names(usecases)),
              _query("version", "Only this model version.", {"type": "integer", "minimum": 0}),
              _query("source", "Only predictions made here.", {"type": "string",
                                                               "enum": list(SOURCES)}),
              *_window_params(),
              _query("outcome", "recorded or missing (a current outcome or none), or a value "
                     "of the use case's target when it is a choice.", {"type": "string"})]
    if page:
        params += [_query("before", "The `next` of the previous page.",
                          {"type": "integer", "minimum": 1}),
                   _query("limit", "Predictions per page.", {"type": "integer", "minimum": 1,
                                                            "maximum": MAX_PAGE_SIZE,
                                                            "default": PAGE_SIZE})]
    return params


def _json_response(description: str, schema: dict) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _text(media_type: str) -> dict[str, Any]:
    return {"description": "Success.", "content": {media_type: {"schema": {"type": "string"}}}}


def _error_response(description: str) -> dict[str, Any]:
    return _json_response(description, schemas.ref("Error"))
