"""JSON Schemas of what the API answers (the shapes in `portal.api.shapes`) and of each use
case's input (from its declared fields), as OpenAPI components."""
from __future__ import annotations

import re
from typing import Any, Mapping

from registry.cards import MAX_SECTION, SECTIONS
from registry.models import DATA_SOURCES, JOB_STATUSES, SOURCES, STAGES, ModelVersion
from usecases.base import TASKS, UseCase
from usecases.fields import json_schema

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NUMBERS = {"type": "object", "additionalProperties": {"type": "number"}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Any], *, closed: bool = True, **extra: Any) -> dict[str, Any]:
    """An object whose listed properties are all required (and, when closed, the only ones)."""
    out = {"type": "object", "properties": properties, "required": list(properties)} | extra
    if closed:
        out["additionalProperties"] = False
    return out


def input_component(name: str) -> str:
    """The component name of a use case's input: "heart-disease" -> "HeartDiseaseInput"."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part) + "Input"


def usecase_inputs(usecases: Mapping[str, UseCase]) -> dict[str, Any]:
    return {input_component(name): json_schema(usecase.fields) | {"title": usecase.title}
            for name, usecase in usecases.items()}


LINEAGE = {
    "id": INTEGER, "version": INTEGER,
    "sources": {"type": "array", "items": {"type": "string", "enum": list(DATA_SOURCES)}},
    "rows": INTEGER | {"description": "Rows trained on."},
    "held_out_rows": INTEGER | {"description": "Rows kept apart to measure on."},
    "fingerprint": STRING, "parents": {"type": "array", "items": INTEGER},
    "outcomes": INTEGER | {"description": "Recorded outcomes among the rows."}}
OUTCOME = {"prediction_id": INTEGER, "usecase": STRING, "outcome": {}, "recorded_by": STRING,
           "recorded_at": TIME, "replaced_at": nullable(TIME)}

SCHEMAS: dict[str, Any] = {
    "Error": obj({"error": obj({
        "code": STRING | {"description": "Stable, for programs: malformed_json, invalid_body, "
                          "invalid_input, invalid_query, unauthorized, forbidden, not_found, "
                          "method_not_allowed, conflict, batch_too_large, "
                          "request_entity_too_large, unsupported_media_type, "
                          "model_unavailable."},
        "message": STRING | {"description": "What went wrong, for a person."},
        "fields": {"type": "object", "additionalProperties": STRING,
                   "description": "Field name (inputs[3].age in a batch) -> what is wrong; "
                                  "empty when the error is not about fields."}})}),
    "PrimaryMetric": obj({"name": STRING, "value": nullable(NUMBER), "higher_is_better": BOOLEAN}),
    "UseCaseSummary": obj({
        "name": STRING, "title": STRING, "task": {"type": "string", "enum": list(TASKS)},
        "description": STRING, "production_version": nullable(INTEGER),
        "primary_metric": ref("PrimaryMetric"), "url": STRING | {"format": "uri"}}, closed=False),
    "UseCaseDetail": {"allOf": [ref("UseCaseSummary"), obj({
        "data_source": STRING,
        "input_schema": {"type": "object", "description": "JSON Schema of one input."},
        "examples": {"type": "object", "additionalProperties": {"type": "object"}},
        "metrics": NUMBERS, "predict_url": STRING | {"format": "uri"},
        "target": nullable(obj({
            "name": STRING,
            "schema": {"type": "object", "description": "JSON Schema of the target's value."},
            "columns": {"type": "array", "items": STRING,
                        "description": "The columns of an upload, the target's last."},
            "outcome_schema": {"type": "object", "description":
                               "JSON Schema of a recorded outcome's value."}}) | {
            "description": "The column an upload adds to the inputs, and what an outcome "
                           "gives; null when the use case takes neither."})}, closed=False)]},
    "UseCaseList": obj({"usecases": {"type": "array", "items": ref("UseCaseSummary")}}),
    "ModelVersion": obj({
        "usecase": STRING, "version": INTEGER, "stage": {"type": "string", "enum": list(STAGES)},
        "created_at": TIME, "trained_by": STRING, "params": {"type": "object"},
        "metrics": NUMBERS, "leaderboard": {"type": "array", "items": {"type": "object"}},
        "data_fingerprint": STRING, "train_rows": INTEGER, "test_rows": INTEGER,
        "library_versions": {"type": "object", "additionalProperties": STRING},
        "training_seconds": NUMBER, "artifact_size": INTEGER, "artifact_sha256": STRING,
        "dataset": nullable(ref("DatasetLineage")) | {
            "description": "The data it was trained on; null for versions registered before "
                           "datasets were kept."},
        "input_schema": nullable({"type": "array", "items": {"type": "object"}}) | {
            "description": "The input fields it was trained to take (name, label, kind and "
                           "limits of each); null for versions registered before schemas "
                           "were kept."}}) | {
        "description": "Who trained it, the library releases and the artifact's digest are "
                       "given to an admin's token only."},
    "DatasetLineage": obj(LINEAGE),
    "DatasetVersion": obj(LINEAGE | {
        "usecase": STRING, "columns": {"type": "array", "items": STRING},
        "details": {"type": "object"}, "created_by": STRING, "created_at": TIME,
        "archived": BOOLEAN, "artifact_size": INTEGER, "artifact_sha256": STRING,
        "trained_versions": {"type": "array", "items": INTEGER, "description":
                             "Model versions trained on it (or on data combined from it)."}}),
    "DatasetList": obj({"usecase": STRING, "datasets": {"type": "array",
                                                        "items": ref("DatasetVersion")}}),
    "UploadReport": obj({
        "format": {"type": "string", "enum": ["csv", "jsonl"]}, "delimiter": nullable(STRING),
        "columns": {"type": "array", "items": STRING}, "rows": INTEGER, "accepted": INTEGER,
        "refused": INTEGER | {"description": "Rows refused."},
        "refusals": {"type": "array", "items": obj({
            "line": INTEGER, "column": nullable(STRING), "reason": STRING}),
            "description": "The first 100 refusals."},
        "refusals_total": INTEGER, "refusals_listed": INTEGER,
        "duplicates_in_file": INTEGER, "duplicates_of_current": INTEGER,
        "differences": {"type": "object", "description": "How the accepted rows differ from "
                        "the current data, column by column."}}),
    "Upload": obj({"usecase": STRING, "dry_run": BOOLEAN, "report": ref("UploadReport"),
                   "dataset": ref("DatasetVersion")}, required=["usecase", "dry_run", "report"]),
    "Outcome": obj(OUTCOME),
    "RecordedOutcome": obj(OUTCOME | {"replaced": {
        "description": "The value it replaced, or null."}}),
    "OutcomeHistory": obj({"prediction_id": INTEGER, "outcome": {},
                           "history": {"type": "array", "items": ref("Outcome")}}),
    "OutcomeValue": obj({"outcome": {"description": "A value of the use case's target."}}),
    "OutcomeList": obj({"outcomes": {"type": "array", "minItems": 1, "items": obj({
        "prediction_id": INTEGER, "outcome": {}})}}),
    "RecordedOutcomes": obj({"recorded": INTEGER, "unchanged": INTEGER,
                             "outcomes": {"type": "array", "items": ref("Outcome")}}),
    "VersionList": obj({"usecase": STRING, "versions": {"type": "array",
                                                        "items": ref("ModelVersion")}}),
    "Promotion": obj({"usecase": STRING, "action": {"type": "string",
                                                    "enum": ["promote", "rollback"]},
                      "from_version": nullable(INTEGER), "to_version": INTEGER,
                      "actor": STRING, "reason": STRING, "created_at": TIME,
                      "against_policy": BOOLEAN | {"description": "Promoted although the "
                                                   "promotion policy was not met."},
                      "gate": nullable(ref("GateSummary")) | {
                          "description": "The gate's verdict; null without a policy."}}),
    "GateSummary": obj({"policy": ref("Policy"), "passes": BOOLEAN,
                        "checks": {"type": "array", "items": ref("GateCheck")}}),
    "GateCheck": obj({"rule": {"type": "string", "enum": ["min_labelled", "not_worse"]},
                      "passed": BOOLEAN, "detail": STRING}),
    "Policy": obj({"usecase": STRING, "min_labelled": INTEGER, "not_worse": BOOLEAN,
                   "updated_by": STRING, "updated_at": TIME}),
    "PolicyChoice": obj({
        "min_labelled": INTEGER | {"minimum": 0, "maximum": 1_000_000, "description":
                                   "Labelled predictions the candidate must have scored as "
                                   "challenger."},
        "not_worse": BOOLEAN | {"description": "Its live primary metric must not be worse "
                                               "than production's beyond its interval."}}),
    "Verdict": obj({"policy": nullable(ref("Policy")), "passes": BOOLEAN,
                    "checks": {"type": "array", "items": ref("GateCheck")},
                    "evidence": {"type": "object", "description":
                                 "Held-out metrics (same_rows: on the same held-out rows), "
                                 "live metrics on the predictions both versions scored, their "
                                 "agreement, and drift from the candidate's training "
                                 "inputs."}}),
    "PromoteRequest": obj({
        "reason": STRING | {"minLength": 1, "maxLength": 500,
                            "description": "Why, for the audit trail."},
        "override": BOOLEAN | {"default": False, "description":
                               "Promote although the policy is not met (marked in the audit "
                               "trail)."}}, required=["reason"]),
    "Reason": obj({"reason": STRING | {"minLength": 1, "maxLength": 500,
                                       "description": "Why, for the audit trail."}}),
    "TrainOptions": {"type": "object", "additionalProperties": False, "properties": {
        "promote": BOOLEAN | {"default": False,
                              "description": "Promote the new version when training succeeds."},
        "datasets": {"type": "array", "items": INTEGER, "description":
                     "Dataset version ids to train on (default: the built-in data)."},
        "include_outcomes": BOOLEAN | {"default": False, "description":
                                       "Add the recorded outcomes of stored predictions."}}},
    "TableUseCase": obj({
        "name": STRING, "title": STRING, "enabled": BOOLEAN, "created_by": STRING,
        "created_at": TIME, "updated_at": TIME}),
    "TableProposal": obj({
        "task": {"type": "string", "enum": ["regression", "classification", ""],
                 "description": "Empty when the target cannot be predicted (see errors)."},
        "target": {"type": "object", "description": "The target's field (empty when the "
                                                    "target cannot be predicted)."},
        "inputs": {"type": "array", "items": {"type": "object"}, "description":
                   "Each input's field (name, label, kind, limits) and its `column` in the "
                   "file."},
        "excluded": {"type": "array", "items": {"type": "object"},
                     "description": "Each column left out (`column`) and why (`reason`)."},
        "warnings": {"type": "array", "items": {"type": "object"}},
        "errors": {"type": "array", "items": {"type": "object"}, "description":
                   "What stops the table becoming a use case as proposed."},
        "rows": INTEGER,
        "classes": nullable({"type": "array", "items": STRING})}, closed=False),
    "TableProposalAnswer": obj({"name": nullable(STRING), "dry_run": BOOLEAN,
                                "proposal": ref("TableProposal")}),
    "UseCaseCreated": obj({"name": STRING, "dry_run": BOOLEAN, "proposal": ref("TableProposal"),
                           "usecase": ref("TableUseCase"), "job": ref("Job")}),
    "Job": obj({
        "id": INTEGER, "usecase": STRING, "status": {"type": "string", "enum": list(JOB_STATUSES)},
        "progress": NUMBER | {"minimum": 0, "maximum": 1}, "message": STRING,
        "requested_by": STRING, "created_at": TIME, "started_at": nullable(TIME),
        "finished_at": nullable(TIME), "version": nullable(INTEGER) | {
            "description": "The version the job registered, once it succeeded."},
        "error": nullable(STRING),
        "runner": {"type": "string", "enum": ["inline", "local", "queue"], "description":
                   "Who runs it: the command line, a process on the web host, or a queue worker."},
        "log": STRING | {"description": "Time-stamped progress and failures, newest last."},
        "options": ref("TrainOptions")}),
    "Explanation": obj({"feature": STRING, "value": {}, "effect": NUMBER |
                        {"description": "Signed: what pushed the output up or down."}},
                       closed=False),
    "Result": obj({"output": {"description": "The prediction: a number, a label or a list."},
                   "summary": STRING, "explanation": {"type": "array",
                                                      "items": ref("Explanation")}},
                  closed=False, description="What the use case's model answered; use cases "
                  "add keys of their own (probabilities, interval, items...)."),
    "Prediction": obj({"id": INTEGER | {"description": "The stored prediction's id."},
                       "inputs": {"type": "object", "description": "The inputs as validated, "
                                  "defaults filled in."},
                       "result": ref("Result")}),
    "Scored": obj({"usecase": STRING, "version": INTEGER, "prediction": ref("Prediction")}),
    "ScoredBatch": obj({"usecase": STRING, "version": INTEGER,
                        "predictions": {"type": "array", "items": ref("Prediction")}}),
    "StoredPrediction": obj({
        "id": INTEGER, "created_at": TIME, "usecase": STRING, "version": INTEGER,
        "source": {"type": "string", "enum": list(SOURCES)}, "inputs": {"type": "object"},
        "output": {}, "summary": STRING, "latency_ms": NUMBER,
        "outcome": {"description": "The current recorded outcome, or null."}}),
    "LiveFigure": obj({
        "value": nullable(NUMBER) | {"description": "null when the labelled predictions "
                                                    "cannot give it (none, or one class)."},
        "count": INTEGER | {"description": "The labelled predictions it rests on."},
        "low": nullable(NUMBER) | {"description": "The 95% interval's lower end."},
        "high": nullable(NUMBER) | {"description": "The 95% interval's upper end."}}),
    "LiveMetrics": obj({
        "usecase": STRING, "version": INTEGER, "task": {"type": "string", "enum": list(TASKS)},
        "count": INTEGER | {"description": "Predictions of this version with a current "
                                           "outcome, in the window."},
        "primary_metric": nullable(STRING), "higher_is_better": BOOLEAN,
        "window": obj({"since": nullable(STRING), "until": nullable(STRING)}),
        "metrics": {"type": "object", "additionalProperties": ref("LiveFigure"),
                    "description": "Classification: accuracy, precision, recall and roc_auc "
                                   "(two classes) or balanced_accuracy and precision_macro; "
                                   "regression: mae, rmse, r2; recommendation: hit_rate."},
        "calibration": {"type": "array", "items": obj({
            "from": NUMBER, "to": NUMBER, "count": INTEGER, "predicted": NUMBER,
            "observed": NUMBER, "low": NUMBER, "high": NUMBER})},
        "calibration_of": nullable(STRING) | {
            "description": "The class whose probability is binned; null: the chosen class's "
                           "probability against how often it was right."},
        "days": {"type": "array", "items": obj({
            "day": {"type": "string", "format": "date"}, "count": INTEGER,
            "metrics": {"type": "object", "additionalProperties": ref("LiveFigure")}})},
        "offline": NUMBERS | {"description": "The same metrics measured on held-out rows when "
                                             "the version was trained."}}),
    "ModelCardSections": obj({key: STRING | {"description": heading}
                              for key, heading in SECTIONS.items()}),
    "ModelCardEdit": obj({key: STRING | {"description": heading, "maxLength": MAX_SECTION}
                          for key, heading in SECTIONS.items()}, required=[],
                         description="A version's own sections; one left out or blank is "
                                     "not shown."),
    "GroupFigures": obj({
        "label": STRING, "rows": INTEGER | {"description": "Held-out rows in the group."},
        "metrics": {"type": "object", "additionalProperties": ref("LiveFigure")}}),
    "ModelCard": obj({
        "usecase": STRING, "title": STRING, "version": INTEGER,
        "stage": {"type": "string", "enum": list(STAGES)}, "created_at": TIME,
        "task": {"type": "string", "enum": list(TASKS)}, "description": STRING,
        "algorithm": nullable(STRING), "parameters": {"type": "object"},
        "input_schema": {"type": "array", "items": {"type": "object"}},
        "training_data": obj({
            "source": STRING, "dataset_version": nullable(INTEGER),
            "sources": {"type": "array", "items": STRING}, "train_rows": INTEGER,
            "test_rows": INTEGER, "fingerprint": STRING}),
        "metrics": obj({
            "primary": STRING, "higher_is_better": BOOLEAN, "held_out": NUMBERS,
            "live": nullable({"type": "object", "additionalProperties": ref("LiveFigure")}) | {
                "description": "From recorded outcomes; null when there are none."},
            "live_count": INTEGER}),
        "groups": obj({
            "rows": INTEGER | {"description": "Held-out rows, each sent through predict()."},
            "fingerprint": STRING,
            "overall": {"type": "object", "additionalProperties": ref("LiveFigure")},
            "by": {"type": "array", "items": obj({
                "name": STRING, "groups": {"type": "array", "items": ref("GroupFigures")}})}}),
        "history": {"type": "array", "items": obj({
            "at": TIME, "action": {"type": "string",
                                   "enum": ["registered", "promote", "rollback"]},
            "stage": {"type": "string", "enum": list(STAGES)}, "reason": STRING,
            "by": STRING | {"description": "\"an admin\": a card names no one."},
            "against_policy": BOOLEAN})},
        "library_versions": {"type": "object", "additionalProperties": STRING},
        "artifact": obj({"sha256": STRING, "size": INTEGER}),
        "sections": ref("ModelCardSections"),
        "sections_from": obj({
            "version": nullable(INTEGER) | {"description": "The version they were written "
                                                          "for; null: none written."},
            "carried_over": BOOLEAN | {"description": "Written for an earlier version."},
            "default": BOOLEAN | {"description": "None written: drawn from the use case."},
            "updated_at": nullable(TIME)})}),
    "DriftField": obj({
        "field": STRING, "label": STRING,
        "feature": nullable(STRING) | {"description": "What of the field is compared: null for "
                                                     "the value itself; length or coverage "
                                                     "(text), popularity (item lists)."},
        "kind": {"type": "string", "enum": ["number", "choice", "text", "items"]},
        "test": nullable({"type": "string", "enum": ["ks", "wasserstein", "chi_square",
                                                     "jensen_shannon"]}) | {
            "description": "null when the window has no value of the field."},
        "statistic": nullable(NUMBER), "p_value": nullable(NUMBER),
        "threshold": nullable(NUMBER) | {"description": "p-value below it (ks, chi_square), "
                                                       "or distance at or above it, drifts."},
        "psi": nullable(NUMBER) | {"description": "Population stability index."},
        "drifting": BOOLEAN, "reference_count": INTEGER, "live_count": INTEGER,
        "missing": nullable(obj({"reference": NUMBER, "live": nullable(NUMBER)})),
        "bins": {"type": "array", "items": obj({"label": STRING, "reference": NUMBER,
                                                 "live": NUMBER}),
                 "description": "Both distributions: the share of each in each bin."}}),
    "Drift": obj({
        "usecase": STRING, "version": INTEGER | {"description": "Whose training inputs are "
                                                               "the reference."},
        "reference_rows": INTEGER,
        "window": obj({"last": INTEGER, "since": nullable(STRING), "until": nullable(STRING),
                       "predictions": INTEGER, "from": nullable(TIME), "to": nullable(TIME)}),
        "drifting": BOOLEAN | {"description": "Half the fields tested or more drift."},
        "fields_tested": INTEGER, "fields_drifting": INTEGER,
        "fields": {"type": "array", "items": ref("DriftField")}}),
    "ChallengerChoice": obj({
        "version": INTEGER | {"minimum": 1, "description": "A version not in production."},
        "share": NUMBER | {"minimum": 0, "maximum": 1, "description":
                           "The fraction of live predictions it also scores."}}),
    "Challenger": obj({
        "usecase": STRING, "version": INTEGER, "share": NUMBER, "started_by": STRING,
        "started_at": TIME}),
    "ChallengerState": obj({
        "usecase": STRING, "version": INTEGER, "share": NUMBER, "started_by": STRING,
        "started_at": TIME,
        "comparison": nullable(obj({
            "compared": INTEGER | {"description": "Live predictions both versions scored."},
            "agreement": nullable(NUMBER), "agreement_rule": STRING,
            "disagreements": {"type": "array", "items": obj({
                "prediction_id": INTEGER, "inputs": {"type": "object"}, "production": {},
                "challenger": {}, "difference": NUMBER})},
            "scores": {"type": "array", "items": obj({"label": STRING, "reference": NUMBER,
                                                      "live": NUMBER}),
                       "description": "Both score distributions: reference is production's, "
                                      "live the challenger's."},
            "score_of": nullable(STRING), "labelled": INTEGER,
            "primary_metric": nullable(STRING),
            "live": obj({"production": {"type": "object",
                                        "additionalProperties": ref("LiveFigure")},
                         "challenger": {"type": "object",
                                        "additionalProperties": ref("LiveFigure")}})}))}),
    "Webhook": obj({"id": INTEGER, "usecase": STRING, "url": STRING,
                    "events": {"type": "array", "items": STRING},
                    "created_by": STRING, "created_at": TIME}),
    "NewWebhook": obj({"id": INTEGER, "usecase": STRING, "url": STRING,
                       "events": {"type": "array", "items": STRING},
                       "created_by": STRING, "created_at": TIME,
                       "secret": STRING | {"description": "Deliveries are signed with it "
                                                          "(HMAC-SHA256); answered this once."}}),
    "WebhookChoice": obj({"url": STRING | {"format": "uri", "maxLength": 500},
                          "events": {"type": "array", "items": STRING, "description":
                                     "Events to send (default: all)."}}, required=["url"]),
    "WebhookList": obj({"usecase": STRING, "events": {"type": "array", "items": STRING},
                        "webhooks": {"type": "array", "items": ref("Webhook")}}),
    "Deliveries": obj({"webhook": ref("Webhook"), "deliveries": {"type": "array", "items": obj({
        "id": INTEGER, "webhook_id": INTEGER, "event": STRING, "payload": {"type": "object"},
        "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
        "attempts": INTEGER, "next_attempt_at": TIME, "last_status": nullable(INTEGER),
        "log": STRING, "created_at": TIME, "delivered_at": nullable(TIME)})}}),
    "History": obj({"predictions": {"type": "array", "items": ref("StoredPrediction")},
                    "next": nullable(INTEGER) | {"description": "Pass as `before` for the next "
                                                 "(older) page; null on the last page."}}),
    "Health": obj({"status": {"type": "string", "enum": ["ok"]}}),
    "Readiness": obj({
        "status": {"type": "string", "enum": ["ready", "not ready"]}, "database": STRING,
        "usecases": {"type": "object", "additionalProperties": obj({
            "ready": BOOLEAN, "message": STRING, "version": nullable(INTEGER),
            "load_seconds": nullable(NUMBER),
            "required": BOOLEAN | {"description": "Whether the host's readiness waits for it "
                                                  "(not for a use case made from a table that "
                                                  "has never been in production)."}})}}),
}
# A public caller is not given these (registry.models.ModelVersion.ADMIN_ONLY).
SCHEMAS["ModelVersion"]["required"] = [name for name in SCHEMAS["ModelVersion"]["required"]
                                       if name not in ModelVersion.ADMIN_ONLY]


def predict_body(usecase: UseCase, max_batch: int) -> dict[str, Any]:
    """The body of one use case's predict: one input or a batch, and an optional version."""
    one = ref(input_component(usecase.name))
    return obj({
        "inputs": {"oneOf": [one, {"type": "array", "items": one, "minItems": 1,
                                   "maxItems": max_batch}]},
        "version": INTEGER | {"minimum": 1, "description": "Score with this version instead of "
                              "the production one (admin token needed)."}},
        required=["inputs"])
