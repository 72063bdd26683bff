"""The OpenAPI document is valid, complete and generated from the code; the docs page shows it
without scripts or inline styles."""
import html
import re

import pytest
from openapi_spec_validator import validate

from portal.api.schemas import input_component
from usecases.fields import json_schema

from tests.api.conftest import assert_documented


def test_the_document_is_valid_openapi(client, spec):
    validate(spec)
    assert_documented(spec, "/openapi.json", "get", client.get("/api/v1/openapi.json"))
    assert spec["openapi"].startswith("3.1")


def test_every_route_is_documented(app, spec):
    documented = {(path, method.upper()) for path, methods in spec["paths"].items()
                  for method in methods}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("api", "ops"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if path == "/usecases/{name}/predict":  # documented once per use case
                for name in app.extensions["modelhub.usecases"]:
                    assert (f"/usecases/{name}/predict", method) in documented
            else:
                assert (path, method) in documented, (path, method)


def test_each_usecase_input_is_a_component_built_from_its_fields(app, spec):
    components = spec["components"]["schemas"]
    for name, usecase in app.extensions["modelhub.usecases"].items():
        component = components[input_component(name)]
        assert component == json_schema(usecase.fields) | {"title": usecase.title}
        body = spec["paths"][f"/usecases/{name}/predict"]["post"]["requestBody"]
        assert body["content"]["application/json"]["examples"]


def test_security_follows_the_guards(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/jobs/{job_id}"]["get"]["security"] == [{"bearerAuth": []}]
    assert "admin" in spec["paths"]["/usecases/{name}/train"]["post"]["description"]
    assert "analyst" in spec["paths"]["/predictions"]["get"]["description"]
    assert "security" not in spec["paths"]["/usecases"]["get"]


def test_the_error_shape_is_a_component(spec):
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "fields"]


@pytest.fixture
def docs_page(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_the_docs_page_shows_every_endpoint_with_a_curl_example(docs_page, spec):
    for path, methods in spec["paths"].items():
        for operation in methods.values():
            assert f'id="{operation["operationId"]}"' in docs_page
    assert docs_page.count("curl ") >= sum(len(m) for m in spec["paths"].values())
    assert "$MODELHUB_TOKEN" in docs_page


def test_the_docs_page_lists_each_usecase_input(docs_page, app):
    for name, usecase in app.extensions["modelhub.usecases"].items():
        assert input_component(name) in docs_page
        for field in usecase.fields:
            assert f"<code>{field.name}</code>" in docs_page


def test_the_docs_page_is_self_contained(docs_page):
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", docs_page, re.S)
    assert scripts == [(' src="/static/tables.js" defer', ""),
                       (' src="/static/apidocs.js" defer', "")]
    assert "style=" not in docs_page
    assert not re.search(r"\son[a-z]+=", docs_page)
    assert not re.search(r'(src|href)="(https?:)?//', docs_page)


def test_the_docs_page_renders_the_descriptions_markdown(docs_page, spec):
    described = [op["description"] for methods in spec["paths"].values()
                 for op in methods.values() if "`" in op.get("description", "")]
    assert described, "some description has code in backticks"
    for description in described:
        for code in re.findall(r"`([^`]+)`", description):
            assert f"<code>{html.escape(code, quote=False)}</code>" in docs_page
    assert not re.search(r"`[^`<>]+`", docs_page.split('id="inputs"')[0].split("<pre")[0])


def test_markdown_from_admins_stays_text(app):
    """Raw HTML is text, links cannot run script, and images and headings stay text."""
    with app.test_request_context():
        from portal.api.docs import markdown, markdown_inline
        rendered = markdown("A *table* <script>alert(1)</script> [x](javascript:alert(1))")
        assert "<em>table</em>" in rendered and "<script>" not in rendered
        assert "&lt;script&gt;" in rendered and 'href="javascript' not in rendered
        assert markdown_inline("`a` <b>") == "<code>a</code> &lt;b&gt;"
        assert "<img" not in markdown("![x](https://example.com/x.png)")
        assert "<h1" not in markdown("# Title") and "<h2" not in markdown("Title\n===")


def test_each_endpoint_has_a_try_form_with_its_example(docs_page, spec):
    sections = dict(re.findall(r'<section class="panel endpoint" id="([\w-]+)">(.*?)</section>',
                               docs_page, re.S))
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            section = sections[operation["operationId"]]
            form = re.search(r'<form class="try" data-try-method="(\w+)"[^>]*hidden>(.*?)</form>',
                             section, re.S)
            assert form and form.group(1) == method.upper(), operation["operationId"]
            target = html.unescape(re.search(r'name="target" value="([^"]+)"',
                                             form.group(2)).group(1))
            needs_token = operation.get("security") == [{"bearerAuth": []}]
            # An admin's change is not filled in with example ids: the person names what to
            # change, is told it changes the portal, and is asked before it is sent.
            changes = needs_token and method != "get"
            assert target.startswith("/"), (operation["operationId"], target)
            if changes:
                assert target.endswith(path), (operation["operationId"], target)
            else:
                assert "{" not in target, (operation["operationId"], target)
            assert ("data-try-confirm" in section) == changes, operation["operationId"]
            assert ("This changes the portal itself" in form.group(2)) == changes
            assert ('name="token"' in form.group(2)) == needs_token, operation["operationId"]
            assert ('name="body"' in form.group(2)) == (method != "get"), operation["operationId"]
    predict = sections["predict_heart-disease"]
    assert 'value="/api/v1/usecases/heart-disease/predict"' in predict
    assert "&#34;inputs&#34;: {" in predict