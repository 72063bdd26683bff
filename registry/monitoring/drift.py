"""Input drift: live inputs over a window compared, field by field, with the reference profile
of the version serving them (profiles.py), by the tests monitoring tools use by default.

Numbers: Kolmogorov-Smirnov (p < 0.05) when the reference has up to 1,000 values, else the
Wasserstein distance divided by the reference's standard deviation (0.1 or more). Choices:
chi-square (p < 0.05) up to 1,000 reference rows, else the Jensen-Shannon distance (0.1 or
more). The population stability index is given for all. A use case drifts when half its
fields or more do.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp, wasserstein_distance

from registry.monitoring import profiles

SMALL_REFERENCE = 1000
P_VALUE = 0.05
DISTANCE = 0.1
_FLOOR = 1e-4  # a share of zero, for PSI's logarithm and chi-square's expectation
TESTS = {"ks": "Kolmogorov-Smirnov", "wasserstein": "Wasserstein distance (normalised)",
         "chi_square": "chi-square", "jensen_shannon": "Jensen-Shannon distance"}


def compare(fields: Iterable[Any], profile: dict[str, Any], inputs: list[dict[str, Any]]
            ) -> dict[str, Any]:
    """Each profiled field's drift on these live inputs, and whether the use case drifts."""
    results = []
    for field in fields:
        reference = profile["fields"].get(field.name)
        if reference is None:
            continue
        values = [row.get(field.name) for row in inputs]
        for feature, found in features(field, reference, values):
            results.append({"field": field.name, "label": field.label, "feature": feature,
                            "kind": reference["kind"]} | found)
    tested = {r["field"] for r in results if r["test"] is not None}
    drifting = {r["field"] for r in results if r["drifting"]}
    return {"drifting": bool(tested) and len(drifting) * 2 >= len(tested),
            "fields_tested": len(tested), "fields_drifting": len(drifting),
            "fields": results}


def features(field: Any, reference: dict[str, Any], values: list[Any]
             ) -> list[tuple[str | None, dict[str, Any]]]:
    kind = reference["kind"]
    if kind == "number":
        return [(None, numbers(reference, profiles.number_values(values)))]
    if kind == "choice":
        return [(None, choices(reference["counts"],
                               profiles.category_values(field, values)))]
    if kind == "text":
        texts = [v for v in values if isinstance(v, str) and v.strip()]
        lengths, coverage = profiles.text_features(texts, set(reference["vocabulary"]))
        return [("length", numbers(reference["length"], lengths)),
                ("coverage", numbers(reference["coverage"], coverage))]
    if kind == "items":
        popularity = {int(k): v for k, v in reference["popularity"].items()}
        lists = [v for v in values if isinstance(v, list)]
        return [("popularity", numbers(reference["named"],
                                       profiles.item_popularity(lists, popularity)))]
    return []


def numbers(reference: dict[str, Any], live: np.ndarray) -> dict[str, Any]:
    live = np.asarray(live, dtype=float)
    rows = len(live)
    live = live[np.isfinite(live)]
    sample = np.asarray(reference["sample"], dtype=float)
    out = {"reference_count": reference["present"], "live_count": int(len(live)),
           "missing": {"reference": reference["missing"],
                       "live": 1 - len(live) / rows if rows else None}}
    edges = np.unique(np.asarray(reference["deciles"][1:-1], dtype=float))
    if not len(live) or not len(sample):
        return out | _untested(_number_bins(edges, sample, live))
    if reference["present"] <= SMALL_REFERENCE:
        result = ks_2samp(sample, live)
        test, statistic, p_value = "ks", float(result.statistic), float(result.pvalue)
        drifting, threshold = p_value < P_VALUE, P_VALUE
    else:
        spread = reference["std"] or 1.0
        test, p_value = "wasserstein", None
        statistic = float(wasserstein_distance(sample, live) / spread)
        drifting, threshold = statistic >= DISTANCE, DISTANCE
    bins = _number_bins(edges, sample, live)
    return out | {"test": test, "statistic": statistic, "p_value": p_value,
                  "threshold": threshold, "drifting": bool(drifting),
                  "psi": psi([b["reference"] for b in bins], [b["live"] for b in bins]),
                  "bins": bins}


def choices(reference: dict[str, int], live_values: list[str]) -> dict[str, Any]:
    live: dict[str, int] = {}
    for value in live_values:
        live[value] = live.get(value, 0) + 1
    names = sorted(reference, key=lambda k: (-reference[k], k))
    names += sorted(set(live) - set(reference))
    total, n = sum(reference.values()), len(live_values)
    expected = np.array([reference.get(k, 0) / total for k in names]) if total else None
    seen = np.array([live.get(k, 0) for k in names], dtype=float)
    out = {"reference_count": total, "live_count": n, "missing": None}
    if not n or expected is None:
        return out | _untested(_choice_bins(names, expected, seen))
    floored = np.maximum(expected, _FLOOR)
    floored /= floored.sum()
    if total <= SMALL_REFERENCE:
        result = chisquare(seen, floored * n)
        test, statistic, p_value = "chi_square", float(result.statistic), float(result.pvalue)
        drifting, threshold = p_value < P_VALUE, P_VALUE
    else:
        test, p_value = "jensen_shannon", None
        statistic = float(jensenshannon(expected, seen / n, base=2))
        drifting, threshold = statistic >= DISTANCE, DISTANCE
    bins = _choice_bins(names, expected, seen)
    return out | {"test": test, "statistic": statistic, "p_value": p_value,
                  "threshold": threshold, "drifting": bool(drifting),
                  "psi": psi(expected.tolist(), (seen / n).tolist()), "bins": bins}


def psi(reference: list[float], live: list[float]) -> float:
    """The population stability index over shared bins (shares floored to avoid log 0)."""
    total = 0.0
    for expected, actual in zip(reference, live):
        expected, actual = max(expected, _FLOOR), max(actual, _FLOOR)
        total += (actual - expected) * math.log(actual / expected)
    return total


def _untested(bins: list[dict[str, Any]]) -> dict[str, Any]:
    return {"test": None, "statistic": None, "p_value": None, "threshold": None,
            "drifting": False, "psi": None, "bins": bins}


def _number_bins(edges: np.ndarray, sample: np.ndarray, live: np.ndarray
                 ) -> list[dict[str, Any]]:
    """Shares of the reference and the live values in bins cut at the reference's deciles."""
    count = len(edges) + 1
    ref = np.bincount(np.digitize(sample, edges, right=True), minlength=count) / max(
        len(sample), 1)
    now = np.bincount(np.digitize(live, edges, right=True), minlength=count) / max(len(live), 1)
    labels = ([f"≤ {_short(edges[0])}"] if len(edges) else ["all"])
    labels += [f"{_short(a)}–{_short(b)}" for a, b in zip(edges[:-1], edges[1:])]
    labels += [f"> {_short(edges[-1])}"] if len(edges) else []
    return [{"label": label, "reference": float(r), "live": float(l)}
            for label, r, l in zip(labels, ref, now)]


def _choice_bins(names: list[str], expected: np.ndarray | None, seen: np.ndarray
                 ) -> list[dict[str, Any]]:
    n = seen.sum()
    return [{"label": name, "reference": float(expected[i]) if expected is not None else 0.0,
             "live": float(seen[i] / n) if n else 0.0} for i, name in enumerate(names)]


def _short(value: float) -> str:
    return f"{value:.4g}"
