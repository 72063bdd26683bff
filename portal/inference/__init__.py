"""The Open Inference Protocol v2 (KServe, Triton, Seldon, MLServer) over REST, at /v2.

Each use case is a model of that name; its versions are the registry's version numbers, and no
version means production. Inputs are named tensors, one per field of the serving version:
numbers FP64 (INT64 for whole numbers), yes/no BOOL, choices and text BYTES, and a list of
movie ids BYTES too, each element the ids separated by spaces or commas ("260 1196"), as the
form takes them: the protocol has no ragged tensors, and a batch's rows pick different numbers
of movies. Shapes are [batch] or [batch, 1]. A field left out is not given for any row; in a
BYTES tensor an empty element means not given for that row.

Outputs: `output` (FP64 for a number, BYTES for a label; BYTES holding a JSON list for a list of
movie ids), `probability` (FP64, of the answer given: classifiers only) and `summary` (BYTES).
Errors are the protocol's `{"error": "..."}`: 400 for a bad request, 404 for an unknown model or
version. Predictions go through the same validation, scoring and storage as every other, with
source "oip"; a version other than production is for admins (a bearer token), as in /api/v1.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from portal import quotas
from portal.api import metrics, parse
from portal.api.auth import ADMIN, require_role
from portal.api.errors import ApiError
from registry import serving, versions
from registry.predictions import answer_probability
from usecases import UnknownUseCase, all_usecases, get_usecase
from usecases.base import UseCase
from usecases.fields import Boolean, Field, ItemList, Number

bp = Blueprint("inference", __name__)
PLATFORM = "modelhub"
OUTPUTS = ("output", "probability", "summary")
_IDS = re.compile(r"[,;\s]+")


class Refused(Exception):
    def __init__(self, status: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@bp.errorhandler(Refused)
def refused(error: Refused) -> tuple[Response, int, dict[str, str]]:
    return jsonify({"error": error.message}), error.status, error.headers


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> tuple[Response, int, dict[str, str]]:
    return jsonify({"error": error.message}), error.status, error.headers


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[Response, int]:
    return jsonify({"error": error.description or error.name}), error.code or 500


@bp.get("")
def server_metadata() -> Response:
    return jsonify({"name": "modelhub", "version": versions.hub_version(), "extensions": []})


@bp.get("/health/live")
def live() -> Response:
    return jsonify({"live": True})


@bp.get("/health/ready")
def ready() -> Response:
    """Ready when every enabled use case has a model that can serve."""
    for name in all_usecases():
        try:
            serving.cache().production(name)
        except serving.ModelUnavailable:
            return jsonify({"ready": False}), 503  # type: ignore[return-value]
    return jsonify({"ready": True})


def both_forms(rule: str, endpoint: str, view: Callable[..., Any], methods: list[str]) -> None:
    """Register a model route with and without `/versions/<version>`."""
    bp.add_url_rule(f"/models/<name>{rule}", endpoint, view, methods=methods,
                    defaults={"version": None})
    bp.add_url_rule(f"/models/<name>/versions/<version>{rule}", endpoint, view, methods=methods)


def model_metadata(name: str, version: str | None) -> Response:
    usecase, number = served_by(name, version)
    served = loaded(usecase.name, number)
    shown = usecase.for_schema(served.input_schema)
    numbers = [str(row.version) for row in versions.list_versions(usecase.name)]
    return jsonify({"name": usecase.name, "versions": numbers, "platform": PLATFORM,
                    "inputs": [{"name": f.name, "datatype": datatype(f), "shape": [-1],
                                "parameters": {"required": bool(f.required and f.default is None)}}
                               for f in shown.fields],
                    "outputs": outputs_of(shown)})


def model_ready(name: str, version: str | None) -> Response:
    usecase, number = served_by(name, version)
    try:
        loaded(usecase.name, number)
    except Refused:
        return jsonify({"name": usecase.name, "ready": False}), 503  # type: ignore[return-value]
    return jsonify({"name": usecase.name, "ready": True})


def infer(name: str, version: str | None) -> Response:
    usecase, number = served_by(name, version)
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise Refused(400, 'the body must be a JSON object with a list of "inputs" tensors')
    served = loaded(usecase.name, number)
    shown = usecase.for_schema(served.input_schema)
    rows = rows_from(shown, body["inputs"])
    wanted = requested(body.get("outputs"), shown)
    try:
        quotas.charge(len(rows))
    except quotas.QuotaExceeded as exc:
        raise Refused(exc.status, exc.message, exc.headers) from None
    try:
        scored = serving.predict(usecase.name, rows, source="oip", version=number)
    except serving.TooMuchText as exc:
        raise Refused(413, str(exc)) from None
    except serving.InvalidInput as exc:
        reasons = [f"row {i} {field} {message}" for i, errors in enumerate(exc.errors)
                   for field, message in errors.items()]
        raise Refused(400, "invalid inputs: " + "; ".join(reasons[:10])) from None
    except serving.ModelUnavailable as exc:
        raise Refused(503, f"the model cannot serve right now: {exc}") from None
    if number is None:
        metrics.observe_production_model(usecase.name, scored.version)
    answer: dict[str, Any] = {"model_name": usecase.name, "model_version": str(scored.version),
                              "outputs": tensors(shown, scored.results, wanted)}
    if "id" in body:
        answer["id"] = str(body["id"])
    return jsonify(answer)


both_forms("", "model_metadata", model_metadata, ["GET"])
both_forms("/ready", "model_ready", model_ready, ["GET"])
both_forms("/infer", "infer", infer, ["POST"])


def json_body() -> Any:
    """The request's JSON, whatever its Content-Type (clients of the protocol send none). The
    binary tensor extension (a JSON header, then raw bytes) is not spoken: such a request is
    refused with what to send instead."""
    data = request.get_data(cache=True)
    header = request.headers.get("Inference-Header-Content-Length")
    if header is not None and header.strip() != str(len(data)):
        raise Refused(400, "binary tensor data is not supported: send every tensor's data as "
                           "JSON (binary_data=False)")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise Refused(400, f"the body is not valid JSON: {exc}") from None


def served_by(name: str, version: str | None) -> tuple[UseCase, int | None]:
    try:
        usecase = get_usecase(name)
    except UnknownUseCase:
        raise Refused(404, f"no model named {name!r}") from None
    if version is None:
        return usecase, None
    if not (version.isascii() and version.isdigit() and 0 < int(version) <= parse.MAX_ID):
        raise Refused(404, f"{name} has no version {version!r}")
    require_role(ADMIN)  # a model that is not in production is for admins, as in /api/v1
    return usecase, int(version)


def loaded(name: str, number: int | None) -> serving.ServedModel:
    try:
        return serving.served(name, number)
    except versions.NotFound as exc:
        raise Refused(404, str(exc)) from None
    except serving.ModelUnavailable as exc:
        raise Refused(503, f"the model cannot serve right now: {exc}") from None


def datatype(field: Field) -> str:
    if isinstance(field, Boolean):
        return "BOOL"
    if isinstance(field, Number):
        return "INT64" if field.integer else "FP64"
    return "BYTES"


def outputs_of(usecase: UseCase) -> list[dict[str, Any]]:
    output = "FP64" if usecase.task == "regression" else "BYTES"
    found = [{"name": "output", "datatype": output, "shape": [-1]}]
    if usecase.task in ("classification", "text-classification"):
        found.append({"name": "probability", "datatype": "FP64", "shape": [-1]})
    return found + [{"name": "summary", "datatype": "BYTES", "shape": [-1]}]


def rows_from(usecase: UseCase, tensors_: list[Any]) -> list[dict[str, Any]]:
    """One input dict per row from named tensors, each checked against its field's datatype
    and the batch's size."""
    fields = {f.name: f for f in usecase.fields}
    columns: dict[str, list[Any]] = {}
    for tensor in tensors_:
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
            raise Refused(400, "each input must be an object with a name, shape, datatype "
                               "and data")
        name = tensor["name"]
        field = fields.get(name)
        if field is None:
            raise Refused(400, f"unknown input {name!r}; this model takes: "
                               + ", ".join(fields))
        if name in columns:
            raise Refused(400, f"input {name!r} is given twice")
        expected = datatype(field)
        if tensor.get("datatype") != expected:
            raise Refused(400, f"input {name!r} must have datatype {expected}, "
                               f"not {tensor.get('datatype')!r}")
        columns[name] = values_of(tensor, field)
    if not columns:
        raise Refused(400, "no inputs given")
    sizes = {len(values) for values in columns.values()}
    if len(sizes) != 1:
        raise Refused(400, "every input must hold the same number of rows")
    count = sizes.pop()
    limit = int(current_app.config["MAX_BATCH"])
    if count == 0:
        raise Refused(400, "the inputs hold no rows")
    if count > limit:
        raise Refused(400, f"a request may hold at most {limit} rows; split these {count}")
    return [{name: values[i] for name, values in columns.items()} for i in range(count)]


def values_of(tensor: dict[str, Any], field: Field) -> list[Any]:
    """A tensor's elements, one per row, as the field's validation takes them."""
    shape, data = tensor.get("shape"), tensor.get("data")
    name = field.name
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape) \
            or not 1 <= len(shape) <= 2 or (len(shape) == 2 and shape[1] != 1):
        raise Refused(400, f"input {name!r} must have shape [rows] or [rows, 1]")
    if not isinstance(data, list):
        raise Refused(400, f"input {name!r} must carry its data as a list")
    flat = [item for part in data for item in (part if isinstance(part, list) else [part])]
    if len(flat) != shape[0]:
        raise Refused(400, f"input {name!r} has {len(flat)} elements for shape {shape}")
    if isinstance(field, ItemList):
        return [movie_ids(name, item) for item in flat]
    if datatype(field) == "BYTES":
        if not all(isinstance(item, str) for item in flat):
            raise Refused(400, f"input {name!r} is BYTES: its elements must be strings")
        return [item if item != "" else None for item in flat]
    return flat  # numbers and booleans: the field's validation checks each


def movie_ids(name: str, item: Any) -> list[Any] | None:
    if not isinstance(item, str):
        raise Refused(400, f"input {name!r} is BYTES: each element lists ids as text")
    parts = [part for part in _IDS.split(item) if part]
    if not parts:
        return None
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise Refused(400, f"input {name!r}: {item[:40]!r} is not a list of whole-number ids")
    return [int(part) for part in parts]


def requested(outputs: Any, usecase: UseCase) -> list[str]:
    known = [output["name"] for output in outputs_of(usecase)]
    if outputs is None:
        return known
    if not isinstance(outputs, list) or not all(isinstance(o, dict) and "name" in o
                                                for o in outputs):
        raise Refused(400, 'outputs must be a list of {"name": ...} objects')
    names = [o["name"] for o in outputs]
    unknown = [str(n) for n in names if n not in known]
    if unknown:
        raise Refused(400, f"unknown output(s) {', '.join(unknown)}; this model gives: "
                           + ", ".join(known))
    return names


def tensors(usecase: UseCase, results: list[dict[str, Any]], wanted: list[str]
            ) -> list[dict[str, Any]]:
    types = {output["name"]: output["datatype"] for output in outputs_of(usecase)}
    out = []
    for name in wanted:
        if name == "output":
            data = [json.dumps(r["output"]) if isinstance(r["output"], list) else r["output"]
                    for r in results]
        elif name == "probability":
            data = [serving_probability(r) for r in results]
        else:
            data = [r["summary"] for r in results]
        out.append({"name": name, "datatype": types[name], "shape": [len(results)],
                    "data": data})
    return out


def serving_probability(result: dict[str, Any]) -> float:
    """The probability of the answer given (what the history stores for it)."""
    found = answer_probability(result)
    return float(found) if found is not None else float("nan")


def init_app(app: Flask) -> None:
    from portal.extensions import csrf

    csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a forged form to ride on
    app.register_blueprint(bp, url_prefix="/v2")
