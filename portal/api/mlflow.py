"""MLflow's scoring protocol, per use case: a client of `mlflow models serve` pointed at
`/api/v1/usecases/<name>` works unchanged.

`POST .../invocations` takes every body MLflow's scoring server takes: JSON with one of
`dataframe_split`, `dataframe_records`, `instances` or `inputs` (and optional `params`), or CSV
with a header row. The answer is `{"predictions": [...]}`, one entry per row: the prediction
itself, or with `params: {"result": "full"}` the native API's result object. Errors have
MLflow's shape, `{"error_code": ..., "message": ...}` (plus `fields`, the native API's per-field
reasons), with 400 for bad requests and 415 for other media types. `GET .../ping` and
`.../health` answer 200 when a model can serve and 404 when none can; `.../version` names the
hub's version.

The name may end in `@production` (the default), or, for admins, `@challenger` or `@<version>`.
Predictions are validated, scored and stored exactly as the native API's, with source "mlflow".
"""
from __future__ import annotations

import csv
import io
from typing import Any, Callable

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header

import orjson

from portal import quotas
from portal.api import bp, metrics, parse, shapes
from portal.api.auth import ADMIN, require_role
from portal.api.errors import ApiError
from registry import serving, versions
from registry.monitoring import challenger
from usecases.fields import Boolean, yes_no_cell

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
RESULTS = ("prediction", "full")  # what `params.result` may ask for
# The native API's status codes, as MLflow's (Databricks') error codes.
CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
         404: "RESOURCE_DOES_NOT_EXIST", 413: "REQUEST_LIMIT_EXCEEDED",
         415: "BAD_REQUEST", 422: "BAD_REQUEST", 429: "REQUEST_LIMIT_EXCEEDED",
         503: "TEMPORARILY_UNAVAILABLE"}


class Refused(Exception):
    """A request answered with MLflow's error shape."""

    def __init__(self, status: int, code: str, message: str,
                 fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields or {}, headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"error_code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        answer = jsonify(body)
        answer.status_code = self.status
        answer.headers.update(self.headers)
        return answer


def answered(view: Callable[..., Response]) -> Callable[..., Response]:
    """Every refusal of the view (its own, the native API's, a body too large) in MLflow's
    shape."""
    def wrapped(name: str) -> Response:
        try:
            return view(name)
        except Refused as exc:
            return exc.response()
        except ApiError as exc:
            return Refused(exc.status, CODES.get(exc.status, "BAD_REQUEST"), exc.message,
                           exc.fields, exc.headers).response()
        except RequestEntityTooLarge:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            return Refused(413, CODES[413], f"the body is larger than {limit} bytes").response()
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@bp.post("/usecases/<name>/invocations")
@answered
def invocations(name: str) -> Response:
    """Score rows sent as MLflow's scoring server takes them."""
    usecase, version = served_by(name)
    rows, params, from_text = read_body()
    if from_text:  # a spreadsheet's yes/no (TRUE, Yes, 1) as a form's
        flags = [f.name for f in parse.usecase_named(usecase).fields if isinstance(f, Boolean)]
        for row in rows:
            for flag in flags:
                if flag in row:
                    row[flag] = yes_no_cell(row[flag])
    full = wants_full_results(params)
    limit = int(current_app.config["MAX_BATCH"])
    if not rows:
        raise Refused(400, "BAD_REQUEST", "the body holds no rows to score")
    if len(rows) > limit:
        raise Refused(413, CODES[413],
                      f"a request may hold at most {limit} rows; split these {len(rows)}")
    try:
        quotas.charge(len(rows))
    except quotas.QuotaExceeded as exc:
        raise Refused(exc.status, CODES[exc.status], exc.message, None, exc.headers) from None
    try:
        scored = serving.predict(usecase, rows, source="mlflow", version=version,
                                 from_form=from_text)
    except serving.TooMuchText as exc:
        raise Refused(413, CODES[413], str(exc)) from None
    except serving.InvalidInput as exc:
        fields = shapes.input_errors(exc.errors, batch=True)
        first = ", ".join(f"{key} {reason}" for key, reason in list(fields.items())[:3])
        raise Refused(400, "BAD_REQUEST", f"some rows are not valid: {first}",
                      fields) from None
    except serving.ModelUnavailable as exc:
        raise Refused(503, CODES[503], f"the model cannot serve right now: {exc}") from None
    except versions.NotFound as exc:
        raise Refused(404, CODES[404], str(exc)) from None
    if version is None:
        metrics.observe_production_model(usecase, scored.version)
    if full:
        predictions = shapes.scored(usecase, scored, batch=True)["predictions"]
    else:
        predictions = [result["output"] for result in scored.results]
    return jsonify({"predictions": predictions})


@bp.get("/usecases/<name>/ping")
@answered
def ping(name: str) -> Response:
    """200 when the named model can serve, 404 when it cannot (as MLflow's /ping)."""
    return can_serve(name)


@bp.get("/usecases/<name>/health")
@answered
def health(name: str) -> Response:
    """The same as ping."""
    return can_serve(name)


@bp.get("/usecases/<name>/version")
@answered
def version(name: str) -> Response:
    """The hub's version, as text (MLflow's /version names the server's)."""
    served_by(name)
    return Response(versions.hub_version(), mimetype="text/plain")


def can_serve(name: str) -> Response:
    usecase, number = served_by(name)
    try:
        serving.served(usecase, number)
    except (serving.ModelUnavailable, versions.NotFound) as exc:
        raise Refused(404, CODES[404], f"no model can serve: {exc}") from None
    return Response("\n", status=200, mimetype="application/json")


def served_by(name: str) -> tuple[str, int | None]:
    """The use case and version a name with its alias names: None for production. Anything
    but production needs an admin's token."""
    usecase, _, alias = name.partition("@")
    parse.usecase_named(usecase)
    if alias in ("", "production"):
        return usecase, None
    require_role(ADMIN)  # a model that is not in production is for admins, as in the native API
    if alias == "challenger":
        row = challenger.get(usecase)
        if row is None:
            raise Refused(404, CODES[404], f"{usecase} has no challenger")
        return usecase, versions.get_version_by_id(row.model_version_id).version
    if alias.isascii() and alias.isdigit() and 0 < int(alias) <= parse.MAX_ID:
        return usecase, int(alias)
    raise Refused(404, CODES[404], f"{alias!r} is not an alias of {usecase}: use production, "
                                   "challenger or a version number")


def read_body() -> tuple[list[Any], dict[str, Any], bool]:
    """The rows, the params and whether the values are text (CSV) to be parsed as a form's."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    if options.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        raise Refused(415, "BAD_REQUEST", "the scoring endpoint reads UTF-8 only")
    data = request.get_data(cache=True)
    if mimetype == "text/csv":
        return csv_rows(data), {}, True
    if mimetype == "application/json":
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise Refused(400, "MALFORMED_REQUEST", f"the body is not valid JSON: {exc}") \
                from None
        rows, params = json_rows(body)
        return rows, params, False
    raise Refused(415, "BAD_REQUEST", "this endpoint reads application/json or text/csv, "
                                      f"not {mimetype or 'a body without a Content-Type'}")


def json_rows(body: Any) -> tuple[list[Any], dict[str, Any]]:
    """Rows from a JSON body in any of MLflow's four input formats."""
    if not isinstance(body, dict):
        raise Refused(400, "BAD_REQUEST", "the body must be a JSON object with exactly one of "
                                          + ", ".join(FORMATS))
    given = [key for key in FORMATS if key in body]
    if len(given) != 1:
        raise Refused(400, "BAD_REQUEST",
                      "the body must hold exactly one of " + ", ".join(FORMATS)
                      + f"; it holds {', '.join(given) or 'none'}")
    unknown = [str(key) for key in body if key not in FORMATS and key != "params"]
    if unknown:
        raise Refused(400, "BAD_REQUEST", "unknown fields in the body: " + ", ".join(unknown[:10]))
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise Refused(400, "INVALID_PARAMETER_VALUE", "params must be an object")
    key = given[0]
    value = body[key]
    if key == "dataframe_split":
        return split_rows(value), params
    if key == "dataframe_records":
        if not isinstance(value, list):
            raise Refused(400, "BAD_REQUEST", "dataframe_records must be a list of objects")
        return value, params
    return instance_rows(key, value), params


def split_rows(value: Any) -> list[Any]:
    """pandas' split orientation: {"columns": [...], "data": [[...], ...], "index": [...]}."""
    if not isinstance(value, dict) or not isinstance(value.get("columns"), list) \
            or not isinstance(value.get("data"), list):
        raise Refused(400, "BAD_REQUEST",
                      'dataframe_split must be {"columns": [...], "data": [[...], ...]}')
    columns = value["columns"]
    if not all(isinstance(c, str) for c in columns) or len(set(columns)) != len(columns):
        raise Refused(400, "BAD_REQUEST", "dataframe_split's columns must be distinct names")
    unknown = set(value) - {"columns", "data", "index"}
    if unknown:
        raise Refused(400, "BAD_REQUEST", "dataframe_split holds unknown keys: "
                      + ", ".join(sorted(map(str, unknown))))
    rows = []
    for number, row in enumerate(value["data"]):
        if not isinstance(row, list) or len(row) != len(columns):
            raise Refused(400, "BAD_REQUEST", f"dataframe_split's data[{number}] must be a list "
                                              f"of {len(columns)} values, one per column")
        rows.append(dict(zip(columns, row)))
    index = value.get("index")
    if index is not None and (not isinstance(index, list) or len(index) != len(rows)):
        raise Refused(400, "BAD_REQUEST", "dataframe_split's index must list one label per row")
    return rows


def instance_rows(key: str, value: Any) -> list[Any]:
    """`instances` or `inputs`: a list of objects, or one object of columns (every value a
    list, all of one length), or one object that is a single row."""
    if isinstance(value, list):
        if any(not isinstance(row, dict) for row in value):
            raise Refused(400, "BAD_REQUEST", f"{key} must list objects keyed by field name "
                                              "(this model takes named fields, not tensors)")
        return value
    if not isinstance(value, dict):
        raise Refused(400, "BAD_REQUEST", f"{key} must be a list of objects or an object of "
                                          "columns")
    if value and all(isinstance(column, list) for column in value.values()):
        lengths = {len(column) for column in value.values()}
        if len(lengths) != 1:
            raise Refused(400, "BAD_REQUEST", f"{key}'s columns must all be of one length")
        names = list(value)
        return [dict(zip(names, cells)) for cells in zip(*value.values())]
    return [value]


def csv_rows(data: bytes) -> list[dict[str, str]]:
    """A CSV body's rows under its header row's names; empty cells count as not given."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(400, "MALFORMED_REQUEST", f"the CSV is not UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise Refused(400, "MALFORMED_REQUEST", "the CSV has no header row of field names")
        rows = []
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) != len(header):
                raise Refused(400, "MALFORMED_REQUEST",
                              f"line {line} has {len(cells)} cells; the header has {len(header)}")
            rows.append(dict(zip(header, cells)))
    except csv.Error as exc:
        raise Refused(400, "MALFORMED_REQUEST", f"the CSV cannot be read: {exc}") from None
    return rows


def wants_full_results(params: dict[str, Any]) -> bool:
    """Whether `params` asks for the native result objects (`"result": "full"`)."""
    unknown = [str(name) for name in params if name != "result"]
    if unknown:
        raise Refused(400, "INVALID_PARAMETER_VALUE",
                      "unknown params: " + ", ".join(unknown[:10]) + "; this model takes "
                      '"result" ("prediction" or "full")')
    result = params.get("result", "prediction")
    if result not in RESULTS:
        raise Refused(400, "INVALID_PARAMETER_VALUE",
                      'params.result must be "prediction" or "full"')
    return result == "full"
