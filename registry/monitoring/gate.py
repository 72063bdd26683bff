"""The promotion gate: the evidence for a candidate side by side (held-out metrics on the same
rows, live metrics on the same labelled predictions with their intervals, agreement, drift)
and the use case's policy applied to it. Promoting against the policy needs a reason and is
marked in the audit trail."""
from __future__ import annotations

from typing import Any

from registry import versions
from registry.database import db, utcnow
from registry.models import ModelVersion, Promotion, PromotionPolicy
from registry.monitoring import challenger, inputs
from registry.monitoring.live import LOWER_IS_BETTER
from registry.versions import RegistryError
from usecases.base import UseCase


class GateClosed(RegistryError):
    """The policy is not met and the promotion was not asked to go against it."""

    def __init__(self, verdict: dict[str, Any]) -> None:
        failed = [c["detail"] for c in verdict["checks"] if not c["passed"]]
        super().__init__("the promotion policy is not met: " + "; ".join(failed))
        self.verdict = verdict


def policy(usecase: str) -> PromotionPolicy | None:
    return db.session.get(PromotionPolicy, usecase)


def set_policy(usecase: str, *, min_labelled: int, not_worse: bool, actor: str
               ) -> PromotionPolicy:
    if min_labelled < 0:
        raise RegistryError("min_labelled must be 0 or more")
    row = policy(usecase)
    if row is None:
        row = PromotionPolicy(usecase=usecase)
        db.session.add(row)
    row.min_labelled, row.not_worse = int(min_labelled), bool(not_worse)
    row.updated_by, row.updated_at = actor, utcnow()
    db.session.commit()
    return row


def clear_policy(usecase: str) -> bool:
    row = policy(usecase)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def evidence(usecase: UseCase, candidate: ModelVersion) -> dict[str, Any]:
    """Everything known about the candidate against production: held-out metrics (and whether
    they were measured on the same rows), live metrics on the predictions both scored, their
    agreement, and the drift of live inputs from the candidate's training inputs."""
    production = versions.production_version(usecase.name)
    out: dict[str, Any] = {"candidate": candidate.version,
                           "production": production.version if production else None}
    if production is None or production.id == candidate.id:
        return out | {"offline": None, "live": None, "drift": None}
    same_rows = _held_out(production) is not None and \
        _held_out(production) == _held_out(candidate)
    out["offline"] = {"same_rows": same_rows, "metrics": {
        name: {"production": production.metrics.get(name),
               "candidate": candidate.metrics.get(name)}
        for name in dict.fromkeys([*production.metrics, *candidate.metrics])}}
    out["live"] = challenger.comparison(usecase, candidate, production)
    try:
        drift = inputs.report(usecase, candidate, last=inputs.DEFAULT_LAST)
        out["drift"] = {"drifting": drift["drifting"],
                        "fields_drifting": drift["fields_drifting"],
                        "fields_tested": drift["fields_tested"],
                        "predictions": drift["window"]["predictions"]}
    except inputs.NoReference:
        out["drift"] = None
    return out


def verdict(usecase: UseCase, candidate: ModelVersion, *, with_evidence: bool = True
            ) -> dict[str, Any]:
    """The policy applied to the evidence: each check passed or not, and why. Without a
    policy and with_evidence false, no evidence is gathered (a promotion needs only that)."""
    rule = policy(usecase.name)
    if rule is None and not with_evidence:
        return {"policy": None, "passes": True, "checks": [], "evidence": None}
    found = evidence(usecase, candidate)
    if rule is None:
        return {"policy": None, "passes": True, "checks": [], "evidence": found}
    checks = []
    compared = found.get("live") or {}
    labelled = compared.get("labelled", 0)
    checks.append({"rule": "min_labelled", "passed": labelled >= rule.min_labelled,
                   "detail": f"{labelled:,} labelled predictions scored by both versions "
                             f"(the policy asks for {rule.min_labelled:,})"})
    if rule.not_worse:
        name = compared.get("primary_metric")
        ours = (compared.get("live") or {}).get("challenger", {}).get(name or "", {})
        theirs = (compared.get("live") or {}).get("production", {}).get(name or "", {})
        passed, detail = _not_worse(name, ours, theirs)
        checks.append({"rule": "not_worse", "passed": passed, "detail": detail})
    return {"policy": rule.to_dict(), "passes": all(c["passed"] for c in checks),
            "checks": checks, "evidence": found}


def _not_worse(name: str | None, ours: dict[str, Any], theirs: dict[str, Any]
               ) -> tuple[bool, str]:
    if not name or ours.get("value") is None or theirs.get("value") is None:
        return False, "the live primary metric is not measured for both versions yet"
    lower = name in LOWER_IS_BETTER
    reach = ours["low"] if lower else ours["high"]
    if reach is None:
        return False, f"live {name} has no interval yet"
    passed = reach <= theirs["value"] if lower else reach >= theirs["value"]
    detail = (f"live {name} {ours['value']:.3f} ({ours['low']:.3f}–{ours['high']:.3f}) "
              f"against production's {theirs['value']:.3f}: "
              + ("not worse beyond its interval" if passed else "worse beyond its interval"))
    return passed, detail


def promote(usecase: UseCase, version: int, *, actor: str, reason: str,
            override: bool = False) -> Promotion:
    """Promote through the gate: refused (GateClosed) when the policy is not met, unless
    `override`, which needs a reason and marks the audit trail."""
    candidate = versions.get_version(usecase.name, version)
    judged = verdict(usecase, candidate, with_evidence=False)
    if not judged["passes"]:
        if not override:
            raise GateClosed(judged)
        if not reason.strip():
            raise RegistryError("promoting against the policy needs a reason")
    summary = None if judged["policy"] is None else {
        key: judged[key] for key in ("policy", "passes", "checks")}
    return versions.promote(usecase.name, version, actor=actor, reason=reason, gate=summary,
                            against_policy=not judged["passes"])


def _held_out(version: ModelVersion) -> str | None:
    return ((version.params or {}).get("evaluation") or {}).get("held_out", {}).get(
        "fingerprint")
