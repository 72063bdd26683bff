"""A model's life: its versions, promotion and rollback, training jobs (admins change things)."""
from __future__ import annotations

from flask import g, jsonify, url_for

from portal.api import bp, parse, shapes
from portal.api.auth import ADMIN, caller_is_admin, token_required
from portal.api.errors import ApiError, registry_refusals
from registry import jobs, versions
from registry.monitoring import gate

VERSION = f"<int(min=1, max={parse.MAX_ID}):number>"
JOB_ID = f"<int(min=1, max={parse.MAX_ID}):job_id>"


@bp.get("/usecases/<name>/versions")
def model_versions(name: str):
    """Every version of a use case, newest first, with its metrics and provenance (who trained
    it, the library releases and the artifact digest for an admin's token only)."""
    parse.usecase_named(name)
    public = not caller_is_admin()
    return jsonify({"usecase": name, "versions": [row.to_dict(public=public)
                                                  for row in versions.list_versions(name)]})


@bp.get(f"/usecases/<name>/versions/{VERSION}")
def model_version(name: str, number: int):
    parse.usecase_named(name)
    with registry_refusals():
        return jsonify(versions.get_version(name, number).to_dict(public=not caller_is_admin()))


@bp.post(f"/usecases/<name>/versions/{VERSION}/promote")
@token_required(ADMIN)
def promote(name: str, number: int):
    """Make a version the production one; body {"reason": "...", "override": false}. With a
    promotion policy that the version does not meet, 409 unless override is true."""
    usecase = parse.usecase_named(name)
    body = parse.json_object()
    why = parse.reason(body, others=("override",))
    override = body.get("override", False)
    if not isinstance(override, bool):
        raise ApiError(422, "invalid_body", "override must be true or false",
                       {"override": "must be true or false"})
    with registry_refusals():
        try:
            record = gate.promote(usecase, number, actor=g.api_user.username, reason=why,
                                  override=override)
        except gate.GateClosed as closed:
            raise ApiError(409, "policy_not_met", str(closed),
                           {c["rule"]: c["detail"] for c in closed.verdict["checks"]
                            if not c["passed"]}) from None
    return jsonify(shapes.promotion(record))


@bp.post("/usecases/<name>/rollback")
@token_required(ADMIN)
def rollback(name: str):
    """Go back to the version that was in production before; body {"reason": "..."}."""
    parse.usecase_named(name)
    why = parse.reason(parse.json_object())
    with registry_refusals():
        record = versions.rollback(name, actor=g.api_user.username, reason=why)
    return jsonify(shapes.promotion(record))


@bp.post("/usecases/<name>/train")
@token_required(ADMIN)
def train(name: str):
    """Start training a new version in its own process; answer 202 and where to follow it."""
    parse.usecase_named(name)
    body = parse.json_object(required=False)
    parse.refuse_unknown_keys(body, ("promote", "datasets", "include_outcomes"))
    promote_after = body.get("promote", False)
    if not isinstance(promote_after, bool):
        raise ApiError(422, "invalid_body", "promote must be true or false",
                       {"promote": "must be true or false"})
    options = {key: body[key] for key in ("datasets", "include_outcomes") if key in body}
    if "datasets" in options and not (isinstance(options["datasets"], list) and all(
            isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= parse.MAX_ID
            for i in options["datasets"])):
        raise ApiError(422, "invalid_body", "datasets must be a list of dataset version ids",
                       {"datasets": "must be a list of dataset ids (GET .../datasets)"})
    if not isinstance(options.get("include_outcomes", False), bool):
        raise ApiError(422, "invalid_body", "include_outcomes must be true or false",
                       {"include_outcomes": "must be true or false"})
    with registry_refusals():
        job = jobs.start(name, requested_by=g.api_user.username, promote=promote_after,
                         options=options)
    return jsonify(job.to_dict()), 202, {"Location": url_for("api.job", job_id=job.id)}


@bp.get(f"/jobs/{JOB_ID}")
@token_required(ADMIN)
def job(job_id: int):
    """A training job's status, progress, message and (when done) the version it made."""
    found = jobs.get_job(job_id)
    if found is None:
        raise ApiError(404, "not_found", f"no training job {job_id}")
    return jsonify(found.to_dict())
