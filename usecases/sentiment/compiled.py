"""The served review pipeline as plain arithmetic: TF-IDF by dictionary look-ups, VADER's four
scores, and the log-odds weights.

scikit-learn's transform checks its input, builds, sorts and stacks sparse matrices on every
call: milliseconds for one review against microseconds of arithmetic. `compiled` reads the
fitted state (vocabulary, idf, VADER's training mean, weights) once per loaded model, beside it
rather than in it so artifacts do not change, and `CompiledReviews` repeats the pipeline's steps
in its order. Tests hold probabilities to the pipeline's predict_proba within 1e-9.
"""
from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from usecases.sentiment.data import TEXT
from usecases.sentiment.model import log_odds_weights
from usecases.sentiment.text import ReviewTerms, VaderScores


@dataclass(frozen=True)
class Words:
    """The known terms of a batch of reviews, review after review, each in first-seen order."""

    starts: np.ndarray   # review i's terms are entries starts[i]:starts[i + 1]
    terms: list[str]
    counts: np.ndarray   # times each term occurs in its review
    values: np.ndarray   # its TF-IDF feature value
    effects: np.ndarray  # its share of the log-odds: value times the term's weight
    rows: np.ndarray     # the review of each entry
    by_column: np.ndarray  # entries by review, then column: scikit-learn's sparse row order


@dataclass(frozen=True)
class CompiledReviews:
    """The fitted feature steps and the classifier's log-odds weights, ready to apply."""

    fitted: tuple[Any, ...]   # the learned objects read here; a refit replaces them
    vocabulary: dict[str, int] | None   # term -> its TF-IDF weight column; None: no words
    idf: np.ndarray | None    # per column, None when the vectorizer uses no idf
    sublinear: bool           # 1 + log(count) rather than the count
    binary: bool              # counts capped at 1
    normalise: bool           # each review's TF-IDF row scaled to unit length (L2)
    word_weights: np.ndarray | None
    vader_weights: np.ndarray  # of VaderScores' four features
    vader_mean: np.ndarray     # the average training review's VADER features
    bias: float

    def words(self, readings: list[tuple[str, ...]]) -> Words:
        """TfidfVectorizer.transform of the reviews' terms, kept in first-seen order."""
        known: list[str] = []
        found: list[int] = []
        counts: list[int] = []
        starts = [0]
        vocabulary = self.vocabulary or {}
        for read in readings:
            for term, count in Counter(read).items():
                column = vocabulary.get(term)
                if column is not None:
                    known.append(term)
                    found.append(column)
                    counts.append(count)
            starts.append(len(known))
        columns, count = np.array(found, dtype=np.int64), np.array(counts, dtype=np.int64)
        values = np.ones(len(count)) if self.binary else count.astype(np.float64)
        if self.sublinear:
            values = np.log(values) + 1.0
        if self.idf is not None:
            values *= self.idf[columns]
        rows = np.repeat(np.arange(len(readings)), np.diff(starts))
        by_column = np.lexsort((columns, rows))
        if self.normalise:
            # Summed in scikit-learn's order, so each length is the same to the last bit.
            length = np.sqrt(np.bincount(rows[by_column], values[by_column] ** 2,
                                         minlength=len(readings)))
            values /= np.where(length > 0, length, 1.0)[rows]
        effects = values * self.word_weights[columns] if known else values
        return Words(np.asarray(starts), known, count, values, effects, rows, by_column)

    def vader_effects(self, vader: np.ndarray) -> np.ndarray:
        """Each review's VADER effect: its features' distance from the mean, weighted."""
        return ((vader - self.vader_mean) * self.vader_weights).sum(axis=1)

    def log_odds(self, words: Words, vader: np.ndarray) -> np.ndarray:
        """Log-odds of great per review: the weighted features, summed in the pipeline's
        column order (terms by column, then VADER's), plus the bias."""
        n, order = len(vader), words.by_column
        at = np.concatenate([words.rows[order], np.repeat(np.arange(n), vader.shape[1])])
        parts = np.concatenate([words.effects[order], (vader * self.vader_weights).ravel()])
        return np.bincount(at, parts, minlength=n) + self.bias


_compiled: weakref.WeakKeyDictionary[Pipeline, CompiledReviews] = weakref.WeakKeyDictionary()


def compiled(model: Pipeline) -> CompiledReviews:
    """The compiled form of a fitted review pipeline, made once per model object."""
    prepare, classify = model.named_steps["features"], model.named_steps["classify"]
    fitted = (prepare.transformers_, classify.__dict__.get("estimators_"),
              classify.__dict__.get("coef_"), classify.__dict__.get("feature_log_prob_"))
    found = _compiled.get(model)
    if found is None or any(a is not b for a, b in zip(found.fitted, fitted)):
        found = _compiled[model] = compile_pipeline(model, fitted)
    return found


def compile_pipeline(model: Pipeline, fitted: tuple[Any, ...] = ()) -> CompiledReviews:
    """Read a fitted pipeline of this package's candidates(); TypeError for any other shape."""
    prepare, classify = model.named_steps["features"], model.named_steps["classify"]
    weights, bias = log_odds_weights(classify)
    steps = {name: (step, prepare.output_indices_[name])
             for name, step, column in prepare.transformers_ if step != "drop"}
    columns = {column for _, step, column in prepare.transformers_ if step != "drop"}
    words, at = steps.pop("words", (None, None))
    vader, vader_at = steps.pop("vader", (None, None))
    if (steps or columns != {TEXT} or not isinstance(vader, VaderScores)
            or not (words is None or _plain(words))):
        raise TypeError(f"cannot compile the review features {prepare.transformers_!r}")
    return CompiledReviews(
        fitted=fitted,
        vocabulary=None if words is None else words.vocabulary_,
        idf=None if words is None or not words.use_idf else words.idf_,
        sublinear=words is not None and words.sublinear_tf,
        binary=words is not None and words.binary,
        normalise=words is not None and words.norm == "l2",
        word_weights=None if words is None else weights[at],
        vader_weights=weights[vader_at], vader_mean=vader.mean_, bias=bias)


def _plain(words: Any) -> bool:
    """A vectorizer whose transform is what `CompiledReviews.words` repeats."""
    return (isinstance(words, TfidfVectorizer) and isinstance(words.analyzer, ReviewTerms)
            and words.norm in ("l2", None) and np.dtype(words.dtype) == np.float64)
