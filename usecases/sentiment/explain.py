"""Scoring a batch of reviews in one call, and what pushed each towards "great" or "other".

The served classifier is linear in log-odds (see model.log_odds_weights), so a review's log-odds
is a baseline plus one effect per feature: a word's TF-IDF weight times its model weight, and for
VADER the difference between this review's scores and the average training review's, times
theirs. Effects are in log-odds: +0.7 doubles the odds of a five-star review, -0.7 halves them.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.pipeline import Pipeline

from usecases.sentiment.compiled import compiled
from usecases.sentiment.text import NEGATED, is_negation, polarity, reading, vader_features

VADER_LABEL = "VADER lexicon scores"


def shown_term(term: str, written: str) -> str:
    """How a person reads a term: the words as written, and whether a negation before them
    (not shown, as in "wouldn't buy them *again*") turned them into different evidence."""
    hidden_negation = NEGATED in term and not any(map(is_negation, written.split()))
    return f'"{written}"' + (" (after a negation)" if hidden_negation else "")


def score(model: Pipeline, texts: list[str], top: int | None = None
          ) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """P(great) per review and its effects, largest first (the `top` largest, or all).

    Served through the compiled pipeline (see compiled.py), whose features are read once for
    both the probabilities and the effects.
    """
    steps = compiled(model)
    readings = [reading(text) for text in texts]
    words = steps.words([terms for terms, _ in readings])
    vader = vader_features(texts)
    probability = expit(steps.log_odds(words, vader))
    # Each review's effects: its terms' in the order they appear, then VADER's.
    sizes = np.diff(words.starts) + 1
    first = np.cumsum(sizes) - sizes
    is_term = np.ones(int(sizes.sum()), dtype=bool)
    is_term[first + sizes - 1] = False
    effect = np.empty(len(is_term))
    effect[is_term], effect[~is_term] = words.effects, steps.vader_effects(vader)
    row = np.repeat(np.arange(len(texts)), sizes)
    term = np.cumsum(is_term) - 1
    # Largest first within each review; the sort is stable, so ties keep that order.
    order = np.lexsort((-np.abs(effect), row))
    kept = order if top is None else order[np.arange(len(order)) - first[row[order]] < top]
    explanations: list[list[dict[str, Any]]] = [[] for _ in texts]
    counts = words.counts.tolist()
    for i, j, is_word, value in zip(row[kept].tolist(), term[kept].tolist(),
                                    is_term[kept].tolist(), effect[kept].tolist()):
        explanations[i].append(
            {"feature": shown_term(words.terms[j], readings[i][1][words.terms[j]]),
             "value": counts[j], "effect": value} if is_word else
            {"feature": VADER_LABEL,
             "value": f"compound {polarity(texts[i])['compound']:+.2f}", "effect": value})
    return probability, explanations
