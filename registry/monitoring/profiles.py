"""A version's reference profile: what its training inputs looked like, field by field, kept
so live inputs can be compared with them (drift.py). Built when the version is trained.

Per field kind: numbers keep a sample of up to SAMPLE values (all of them when there are
fewer), their deciles and the share missing; choices and yes/no keep the count of each value
(blank included); text keeps the length in words and the share of words in the training
vocabulary, each as numbers; item lists (movies) keep how popular each item was, and the
popularity of every item named, as numbers.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Iterable

import numpy as np
import pandas as pd

from usecases.fields import Boolean, Choice, Field, ItemList, Number, Text

SAMPLE = 2000
SEED = 0
VOCABULARY = 5000  # the most frequent training words kept for coverage
BLANK = "(blank)"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def build(fields: Iterable[Field], frame: pd.DataFrame) -> dict[str, Any]:
    """The profile of the training inputs `frame` (one column per field it has)."""
    profiled = {}
    for field in fields:
        if field.name not in frame.columns:
            continue
        found = field_profile(field, frame[field.name].tolist())
        if found is not None:
            profiled[field.name] = found
    return {"rows": int(len(frame)), "fields": profiled}


def field_profile(field: Field, values: list[Any]) -> dict[str, Any] | None:
    kind = kind_of(field)
    if kind == "number":
        return {"kind": kind} | numbers(number_values(values), len(values))
    if kind == "choice":
        return {"kind": kind, "counts": dict(Counter(category_values(field, values)))}
    if kind == "text":
        texts = [v for v in values if isinstance(v, str) and v.strip()]
        counted = Counter(word for text in texts for word in words(text))
        vocabulary = [word for word, _ in counted.most_common(VOCABULARY)]
        lengths, coverage = text_features(texts, set(vocabulary))
        return {"kind": kind, "vocabulary": vocabulary,
                "length": numbers(lengths, len(texts)), "coverage": numbers(coverage, len(texts))}
    if kind == "items":
        lists = [v for v in values if isinstance(v, (list, tuple))]
        popularity = Counter(item for items in lists for item in set(items))
        named = item_popularity(lists, popularity)
        return {"kind": kind, "popularity": {str(k): v for k, v in popularity.items()},
                "named": numbers(named, len(named))}
    return None


def kind_of(field: Field) -> str | None:
    if isinstance(field, Number):
        return "number"
    if isinstance(field, (Choice, Boolean)):
        return "choice"
    if isinstance(field, Text):
        return "text"
    if isinstance(field, ItemList):
        return "items"
    return None


def numbers(values: np.ndarray, rows: int) -> dict[str, Any]:
    """A sample of the present values (all when few), their deciles and the share missing."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    sample = values
    if len(values) > SAMPLE:
        sample = np.random.default_rng(SEED).choice(values, SAMPLE, replace=False)
    deciles = np.quantile(values, np.linspace(0, 1, 11)).tolist() if len(values) else []
    return {"rows": int(rows), "present": int(len(values)),
            "missing": 1 - len(values) / rows if rows else 0.0,
            "sample": [_round(v) for v in np.sort(sample).tolist()],
            "deciles": [_round(v) for v in deciles], "std": float(values.std()) if len(values)
            else 0.0}


def number_values(values: Iterable[Any]) -> np.ndarray:
    out = []
    for value in values:
        if isinstance(value, bool):
            value = float(value)
        out.append(float(value) if isinstance(value, (int, float)) else math.nan)
    return np.asarray(out, dtype=float)


def category_values(field: Field, values: Iterable[Any]) -> list[str]:
    """Each value as the form names it ("true"/"false" for yes/no), blank as BLANK."""
    out = []
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            out.append(BLANK)
        elif isinstance(field, Boolean):
            out.append("true" if bool(value) else "false")
        else:
            out.append(str(value))
    return out


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def text_features(texts: Iterable[str], vocabulary: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each text's length in words and the share of its words in the vocabulary."""
    lengths, coverage = [], []
    for text in texts:
        found = words(text)
        lengths.append(len(found))
        coverage.append(sum(w in vocabulary for w in found) / len(found) if found else math.nan)
    return np.asarray(lengths, dtype=float), np.asarray(coverage, dtype=float)


def item_popularity(lists: Iterable[Iterable[Any]], popularity: dict[Any, int]) -> np.ndarray:
    """log(1 + how many training lists named it), for every item named."""
    return np.log1p(np.asarray([popularity.get(item, 0) for items in lists for item in items],
                               dtype=float))


def _round(value: float) -> float:
    return float(f"{value:.6g}")
