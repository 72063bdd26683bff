"""The API's documentation page (/api/docs): the OpenAPI document rendered on the server.

Nothing is fetched from elsewhere and no script is needed to read it: endpoints, parameters,
bodies, answers, schemas and a curl command per endpoint are all in the HTML, the descriptions'
Markdown rendered here. With scripts on, each endpoint also has a form that sends its example
request from the page (static/apidocs.js) and shows the answer.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template, request, url_for
from markdown_it import MarkdownIt
from markupsafe import Markup

from portal.api import openapi

bp = Blueprint("apidocs", __name__)

# CommonMark with raw HTML off: the descriptions include the titles and field descriptions that
# admins give use cases made from tables, so a "<script>" in one stays text. Link targets are
# checked by markdown-it itself (no javascript: URLs).
# Images (fetched from elsewhere, which the page never does) and headings (which would break the
# page's outline) are left as text.
_MARKDOWN = MarkdownIt("js-default").disable(["image", "heading", "lheading"])


@bp.app_template_filter("markdown")
def markdown(text: str | None) -> Markup:
    """Block Markdown (paragraphs, lists, code) as HTML."""
    return Markup(_MARKDOWN.render(text or ""))  # nosec B704: markdown-it escapes raw HTML


@bp.app_template_filter("markdown_inline")
def markdown_inline(text: str | None) -> Markup:
    """One line of Markdown (code, emphasis, links) as HTML, for table cells."""
    return Markup(_MARKDOWN.renderInline(text or ""))  # nosec B704: markdown-it escapes it

EXAMPLE_BODIES = {"promote": {"reason": "better recall on the held-out patients"},
                  "rollback": {"reason": "the new version drifts on recent inputs"},
                  "train": {"promote": False}}


@dataclass
class Operation:
    """One endpoint as the page shows it."""

    method: str
    path: str
    summary: str
    description: str
    needs_token: bool
    parameters: list[dict[str, Any]]
    body_schema: str | None  # shown as JSON, unless it is only a reference to a shape
    body_ref: str | None
    examples: list[tuple[str, str]]  # (title, JSON text)
    responses: list[tuple[str, str]]  # (status, description)
    curl: str
    anchor: str = field(default="")
    target: str = ""  # the example request's path on this host, for the page's "Try it" form
    body: str = ""  # the example request's JSON body, for that form
    # Whether sending it changes the portal (an admin's action). Its form keeps the path's
    # {placeholders} for the person to fill in, says what it does and asks before sending.
    changes: bool = False


@bp.get("/docs")
def api_docs():
    spec = openapi.document()
    usecase_inputs = {name: schema for name, schema in spec["components"]["schemas"].items()
                      if name.endswith("Input")}
    shapes = {name: json.dumps(schema, indent=2) for name, schema
              in spec["components"]["schemas"].items() if name not in usecase_inputs}
    return render_template("api/docs.html", spec=spec, operations=operations(spec),
                           usecase_inputs=usecase_inputs, shapes=shapes,
                           openapi_url=url_for("api.openapi_json"))


def operations(spec: dict[str, Any]) -> list[Operation]:
    root = request.host_url.rstrip("/")
    found = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            server = op.get("servers", spec["servers"])[0]["url"].rstrip("/")
            needs_token = op.get("security") == [{"bearerAuth": []}]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            examples = [(e.get("summary", name), json.dumps(e["value"], indent=2))
                        for name, e in body.get("examples", {}).items()]
            sample = (json.loads(examples[0][1]) if examples
                      else EXAMPLE_BODIES.get(op["operationId"]))
            if sample is not None and not examples:
                examples = [("Body", json.dumps(sample, indent=2))]
            schema = body.get("schema", {})
            changes = needs_token and method != "get"
            example = server + _filled(path, op["parameters"])
            found.append(Operation(
                method.upper(), server + path, op["summary"], op.get("description", ""),
                needs_token, op["parameters"],
                json.dumps(schema, indent=2) if schema and "$ref" not in schema else None,
                schema.get("$ref", "").rsplit("/", 1)[-1] or None, examples,
                [(status, _resolved(spec, answer)["description"])
                 for status, answer in op["responses"].items()],
                curl(method.upper(), root + example, token=needs_token, body=sample),
                anchor=op["operationId"], target=server + path if changes else example,
                body="" if sample is None else json.dumps(sample, indent=2), changes=changes))
    return found


def curl(method: str, url: str, *, token: bool, body: Any | None) -> str:
    """A curl command a reader can paste into a shell (the token from $MODELHUB_TOKEN)."""
    lines = ["curl" + ("" if method == "GET" else f" -X {method}") + f" {shlex.quote(url)}"]
    if token:
        lines.append('-H "Authorization: Bearer $MODELHUB_TOKEN"')
    if body is not None:
        lines.append("-H 'Content-Type: application/json'")
        lines.append("-d " + shlex.quote(json.dumps(body)))
    return " \\\n  ".join(lines)


def _filled(path: str, parameters: list[dict[str, Any]]) -> str:
    """The path with a plausible value in each {placeholder}."""
    for param in parameters:
        if param["in"] == "path":
            schema = param["schema"]
            value = schema["enum"][0] if schema.get("enum") else schema.get("minimum", 1)
            path = path.replace("{" + param["name"] + "}", str(value))
    return path


def _resolved(spec: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """A response, following its $ref into the shared components."""
    if "$ref" in answer:
        return spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    return answer
