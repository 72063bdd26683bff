"""Scoring a batch of reviews in one call, and what pushed each towards "great" or "other".

The served classifier is linear in log-odds (see model.log_odds_weights), so a review's log-odds
is a baseline plus one effect per feature: a word's TF-IDF weight times its model weight, and for
VADER the difference between this review's scores and the average training review's, times
theirs. Effects are in log-odds: +0.7 doubles the odds of a five-star review, -0.7 halves them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.pipeline import Pipeline

from usecases.sentiment.compiled import CompiledReviews, compiled
from usecases.sentiment.reading import Reading, read
from usecases.sentiment.text import NEGATED, is_negation

VADER_LABEL = "VADER lexicon scores"


@dataclass(frozen=True)
class Explained:
    """A review's log-odds of great and its (feature, value, effect) effects, largest first."""

    log_odds: float
    top: int | None   # how many effects were kept (None: all)
    effects: tuple[tuple[str, Any, float], ...]


def shown_term(term: str, written: str) -> str:
    """How a person reads a term: the words as written, and whether a negation before them
    (not shown, as in "wouldn't buy them *again*") turned them into different evidence."""
    hidden_negation = NEGATED in term and not any(map(is_negation, written.split()))
    return f'"{written}"' + (" (after a negation)" if hidden_negation else "")


def score(model: Pipeline, texts: list[str], top: int | None = None
          ) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """P(great) per cleaned review and its effects, largest first (the `top` largest, or all)."""
    return score_readings(model, [read(text) for text in texts], top)


def score_readings(model: Pipeline, readings: list[Reading], top: int | None = None
                   ) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """`score` of reviews already read (see reading.py), through the compiled pipeline (see
    compiled.py), whose features are read once for both the probabilities and the effects."""
    steps = compiled(model)
    explained = [explain(steps, reading, top) for reading in readings]
    probability = expit(np.array([review.log_odds for review in explained], dtype=np.float64))
    # New dicts on every call: callers may change what they are given.
    return probability, [[{"feature": feature, "value": value, "effect": effect}
                          for feature, value, effect in review.effects]
                         for review in explained]


def explain(steps: CompiledReviews, reading: Reading, top: int | None) -> Explained:
    """Effects largest first; ties keep the order of first appearance (terms, then VADER's),
    as a stable sort of that order would."""
    review = steps.score(reading.counts, reading.vader)
    # (-size, first-seen rank, count, effect): ranks are unique, so no two tuples compare past
    # them, and VADER's rank comes after every term's.
    ranked = [(-abs(effect), rank, count, effect) for effect, rank, count in review.terms]
    ranked.append((-abs(review.vader_effect), len(reading.counts), 0, review.vader_effect))
    ranked.sort()
    terms = list(reading.counts)
    vader = f"compound {reading.vader['compound']:+.2f}"
    return Explained(review.log_odds, top, tuple(
        (shown_term(terms[rank], reading.written(terms[rank])), count, effect)
        if rank < len(terms) else (VADER_LABEL, vader, effect)
        for _, rank, count, effect in ranked[:top]))
