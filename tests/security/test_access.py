"""Who may open what: every route of the URL map is either public by choice (an explicit list
below) or guarded, and every guarded one refuses anonymous callers and the wrong role.

The routes come from the app itself, so a new route that is neither listed as public nor guarded
fails here before it ships.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
from flask import url_for
from werkzeug.routing import Rule

from registry.models import ROLES
from tests.api.conftest import assert_error, bearer
from tests.conftest import make_app
from tests.security.conftest import row_counts, signed_in

# Public on purpose: visitors use the models without an account, and machines probe the service.
PUBLIC = {
    "main.index", "static",
    "auth.login", "auth.logout",  # signing out needs no account (it needs a CSRF token)
    "apidocs.api_docs", "api.openapi_json",
    "api.usecases", "api.usecase",  # the catalogue
    "api.model_versions", "api.model_version",  # each version's metrics and provenance
    # each version's model card (it names no admin)
    "main.model_card", "api.model_card", "api.model_card_readme",
    "api.predict",  # choosing a version other than production needs an admin token (below)
    # MLflow's scoring protocol: production for anyone, @challenger and @<version> for admins
    # (tests/api/test_mlflow.py).
    "api.invocations", "api.ping", "api.health", "api.version",
    "tables.table_form", "tables.table_predict", "tables.table_result",  # table use cases
    "ops.healthz", "ops.readyz",
    # The Open Inference Protocol: production for anyone, /versions/<v> for admins
    # (tests/api/test_inference_v2.py).
    "inference.server_metadata", "inference.live", "inference.ready",
    "inference.model_metadata", "inference.model_ready", "inference.infer",
}
# Page blueprints guarded as a whole (a before_request check) and the roles they let in.
PAGE_ROLES = {"admin": {"admin"}, "history": {"admin", "analyst"}}
JSON_BLUEPRINTS = {"api", "ops", "inference"}


def _listing_app():
    """An app with every installed use case, only to read its routes (it touches no database)."""
    folder = Path(tempfile.mkdtemp(prefix="url-map-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return make_app(folder / "instance", SECRET_KEY="only-for-reading-the-url-map")


LISTING = _listing_app()
USECASES = LISTING.extensions["modelhub.usecases"]
RULES = sorted(LISTING.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
# A value for each URL variable; a route with a new variable fails until it gets one here.
SAMPLE_ARGS = {"name": next(iter(USECASES)), "version": 1, "number": 1, "job_id": 1,
               "prediction_id": 1, "usecase_name": "made-from-a-table", "sha256": "0" * 64,
               "user_id": 1, "filename": "style.css", "webhook_id": 1,
               "token": "not-a-signed-result"}


def public_endpoints() -> set[str]:
    """The list above, plus each use case's form, predict and item search."""
    found = set(PUBLIC)
    for name, usecase in USECASES.items():
        found |= {f"{name}.form", f"{name}.predict", f"{name}.result"}
        found |= {f.search_endpoint for f in usecase.fields if getattr(f, "search_endpoint", "")}
    return found


def allowed_roles(endpoint: str) -> set[str] | None:
    """The roles a guarded route lets in (admins always), or None if it has no known guard."""
    blueprint = endpoint.rpartition(".")[0]
    if blueprint in PAGE_ROLES:
        return PAGE_ROLES[blueprint]
    roles = getattr(LISTING.view_functions[endpoint], "roles", None)  # set by token_required
    return set(roles) if roles else None


def is_json(rule: Rule) -> bool:
    return rule.endpoint.rpartition(".")[0] in JSON_BLUEPRINTS


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def url(app, rule: Rule) -> str:
    missing = rule.arguments - set(SAMPLE_ARGS)
    assert not missing, f"{rule.rule}: add a sample value for {missing} to SAMPLE_ARGS"
    with app.test_request_context():
        return url_for(rule.endpoint, **{k: SAMPLE_ARGS[k] for k in rule.arguments})


GUARDED = [pytest.param(rule, method, id=f"{method} {rule.rule}")
           for rule in RULES if allowed_roles(rule.endpoint) for method in methods(rule)]
WRONG_ROLE = [pytest.param(rule, method, role, id=f"{role} {method} {rule.rule}")
              for rule in RULES if allowed_roles(rule.endpoint)
              for method in methods(rule) for role in ROLES
              if role not in allowed_roles(rule.endpoint)]


@pytest.mark.parametrize("endpoint", sorted({rule.endpoint for rule in RULES}))
def test_every_route_is_public_by_choice_or_guarded(endpoint):
    public, guarded = endpoint in public_endpoints(), allowed_roles(endpoint) is not None
    assert public or guarded, (f"{endpoint} is neither guarded (role_required on its blueprint, "
                               "token_required on the API) nor in this test's PUBLIC list")
    assert not (public and guarded), f"{endpoint} is guarded: take it off the PUBLIC list"


def test_the_public_list_names_only_real_routes():
    assert PUBLIC <= {rule.endpoint for rule in RULES}


def test_the_walk_covers_pages_and_the_api():
    """The lists above really select something (a typo in a blueprint name would empty them)."""
    kinds = {(is_json(param.values[0]), param.values[1]) for param in GUARDED}
    assert {(False, "GET"), (False, "POST"), (True, "GET"), (True, "POST")} <= kinds
    assert WRONG_ROLE


@pytest.mark.parametrize(("rule", "method"), GUARDED)
def test_anonymous_callers_are_refused(app, tokens, rule, method):
    before = row_counts(app)
    response = app.test_client().open(url(app, rule), method=method)
    if is_json(rule):
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    elif response.status_code != 403:
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"].startswith("/auth/login?next=")
    assert row_counts(app) == before


@pytest.mark.parametrize(("rule", "method"), [p for p in GUARDED if is_json(p.values[0])])
def test_the_api_wants_a_valid_token_not_a_session(app, tokens, rule, method):
    """A signed-in browser's cookie opens no API route (the API is exempt from CSRF for that
    reason), and a made-up token is refused like none."""
    target = url(app, rule)
    assert_error(signed_in(app, "admin").open(target, method=method), 401, "unauthorized")
    refused = app.test_client().open(target, method=method, headers=bearer("mh_made-up"))
    assert_error(refused, 401, "unauthorized")
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


@pytest.mark.parametrize(("rule", "method", "role"), WRONG_ROLE)
def test_the_wrong_role_is_refused(app, tokens, rule, method, role):
    before = row_counts(app)
    if is_json(rule):
        response = app.test_client().open(url(app, rule), method=method,
                                          headers=bearer(tokens[role]))
        assert_error(response, 403, "forbidden")
    else:
        response = signed_in(app, role).open(url(app, rule), method=method)
        assert response.status_code == 403
    assert row_counts(app) == before


@pytest.mark.parametrize(("rule", "method"), [p for p in GUARDED if p.values[1] == "GET"])
def test_the_right_role_gets_past_the_guard(app, tokens, rule, method):
    """Reading routes let their roles in (a 404 for a sample id is fine: the guard let it by)."""
    for role in allowed_roles(rule.endpoint):
        if is_json(rule):
            response = app.test_client().get(url(app, rule), headers=bearer(tokens[role]))
        else:
            response = signed_in(app, role).get(url(app, rule))
        response.close()  # a streamed answer (a CSV export) ends its generator here
        # A redirect elsewhere than the sign-in page is the view's own answer (a table no
        # longer pending sends the admin back to send it again).
        passed = response.status_code in (200, 404) or (
            response.status_code == 302 and "/auth/login" not in response.headers["Location"])
        assert passed, (role, response.status_code)


@pytest.mark.parametrize("role, status", [(None, 401), ("analyst", 403), ("admin", 200)])
def test_scoring_with_a_chosen_version_needs_an_admin_token(app, tokens, role, status):
    name, usecase = next(iter(app.extensions["modelhub.usecases"].items()))
    body = {"inputs": next(iter(usecase.examples.values())), "version": 1}
    headers = bearer(tokens[role]) if role else {}
    before = row_counts(app)["predictions"]
    response = app.test_client().post(f"/api/v1/usecases/{name}/predict", json=body,
                                      headers=headers)
    assert response.status_code == status
    assert row_counts(app)["predictions"] == before + (status == 200)
