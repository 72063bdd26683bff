"""Scoring a batch of reviews in one call, and what pushed each towards "great" or "other".

The served classifier is linear in log-odds (see model.log_odds_weights), so a review's log-odds
is a baseline plus one effect per feature: a word's TF-IDF weight times its model weight, and for
VADER the difference between this review's scores and the average training review's, times
theirs. Effects are in log-odds: +0.7 doubles the odds of a five-star review, -0.7 halves them.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.pipeline import Pipeline

from usecases.sentiment.data import TEXT
from usecases.sentiment.model import log_odds_weights
from usecases.sentiment.text import NEGATED, is_negation, polarity, terms, written_forms

VADER_LABEL = "VADER lexicon scores"


def shown_term(term: str, written: str) -> str:
    """How a person reads a term: the words as written, and whether a negation before them
    (not shown, as in "wouldn't buy them *again*") turned them into different evidence."""
    hidden_negation = NEGATED in term and not any(map(is_negation, written.split()))
    return f'"{written}"' + (" (after a negation)" if hidden_negation else "")


def score(model: Pipeline, texts: list[str]) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """P(great) per review and each review's effects, largest first, from one transform.

    The pipeline's steps are called one after the other (rather than model.predict_proba) so the
    feature matrix that gave the probabilities is the one the effects are read from.
    """
    prepare, classify = model.named_steps["features"], model.named_steps["classify"]
    matrix = sparse.csr_matrix(prepare.transform(pd.DataFrame({TEXT: texts})))
    probability = classify.predict_proba(matrix)[:, 1]
    weights, _ = log_odds_weights(classify)
    explanations = []
    for i, text in enumerate(texts):
        start, stop = matrix.indptr[i], matrix.indptr[i + 1]
        row = dict(zip(matrix.indices[start:stop].tolist(), matrix.data[start:stop].tolist()))
        effects = word_effects(prepare, weights, row, text) + [vader_effect(prepare, weights, row,
                                                                            text)]
        effects.sort(key=lambda item: abs(item["effect"]), reverse=True)
        explanations.append(effects)
    return probability, explanations


def word_effects(prepare: Any, weights: np.ndarray, row: dict[int, float],
                 text: str) -> list[dict[str, Any]]:
    """One effect per term or pair of the review that the model knows; none for a VADER-only one."""
    if "words" not in prepare.named_transformers_:
        return []
    vocabulary = prepare.named_transformers_["words"].vocabulary_
    offset = prepare.output_indices_["words"].start
    forms = written_forms(text)
    effects = []
    for term, count in Counter(terms(text)).items():
        column = vocabulary.get(term)
        if column is None:
            continue
        column += offset
        effects.append({"feature": shown_term(term, forms[term]), "value": count,
                        "effect": float(row.get(column, 0.0) * weights[column])})
    return effects


def vader_effect(prepare: Any, weights: np.ndarray, row: dict[int, float],
                 text: str) -> dict[str, Any]:
    """VADER's four scores together, measured from the average training review."""
    columns = range(prepare.output_indices_["vader"].start, prepare.output_indices_["vader"].stop)
    values = np.array([row.get(column, 0.0) for column in columns])
    mean = prepare.named_transformers_["vader"].mean_
    effect = float(((values - mean) * weights[list(columns)]).sum())
    return {"feature": VADER_LABEL, "value": f"compound {polarity(text)['compound']:+.2f}",
            "effect": effect}
