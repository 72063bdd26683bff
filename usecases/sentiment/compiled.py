"""The served review pipeline as plain arithmetic: TF-IDF by dictionary look-ups, VADER's four
scores, and the log-odds weights.

scikit-learn's transform checks its input, builds, sorts and stacks sparse matrices on every
call: milliseconds for one review against microseconds of arithmetic. `compiled` reads the
fitted state (vocabulary, idf, VADER's training mean, weights) once per loaded model, beside it
rather than in it so artifacts do not change, as plain lists and dicts. `CompiledReviews.score`
repeats the pipeline's steps on one review in Python floats, in the pipeline's order of
operations (sums in column order), so it gives the pipeline's numbers to the last bit without
building arrays for a hundred numbers. Tests hold probabilities to the pipeline's predict_proba
within 1e-9.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from usecases.sentiment.data import TEXT
from usecases.sentiment.model import log_odds_weights
from usecases.sentiment.text import VADER_SCORES, ReviewTerms, VaderScores

# Term frequencies are tabled up to this count; a review of 5,000 characters repeats no term
# more often, and a longer one tables them again to its length.
TABLED_COUNTS = 4096


@dataclass(frozen=True)
class Scored:
    """One review's log-odds of great and the effects that sum to it (with the baseline)."""

    log_odds: float
    terms: list[tuple[float, int, int]]  # each known term's (effect, first-seen rank, count)
    vader_effect: float


@dataclass(frozen=True)
class CompiledReviews:
    """The fitted feature steps and the classifier's log-odds weights, ready to apply."""

    fitted: tuple[Any, ...]   # the learned objects read here; a refit replaces them
    columns: dict[str, int]   # term -> its TF-IDF column (the vectorizer's vocabulary)
    idf: list[float]          # by column; 1.0 without idf (multiplying by it changes nothing)
    word_weights: list[float]  # by column
    term_frequency: list[float]  # by count: TfidfVectorizer's tf (binary, sublinear applied)
    binary: bool
    sublinear: bool
    normalise: bool           # each review's TF-IDF row scaled to unit length (L2)
    vader_weights: list[float]  # of VaderScores' four features
    vader_mean: list[float]     # the average training review's VADER features
    bias: float

    def score(self, counts: dict[str, int], vader: dict[str, float]) -> Scored:
        """Log-odds of great for a review's term counts and VADER scores, with its effects."""
        column = self.columns.get
        # Sorted by column, scikit-learn's sparse order, in which it sums: so every sum here is
        # the pipeline's to the last bit.
        known = sorted([(at, rank, count) for rank, (term, count) in enumerate(counts.items())
                        if (at := column(term)) is not None])
        frequency, idf, weight = self.term_frequency, self.idf, self.word_weights
        most = max(counts.values(), default=0)
        if most >= len(frequency):
            frequency = term_frequencies(most + 1, self.binary, self.sublinear)
        values = [frequency[count] * idf[at] for at, _, count in known]
        square = 0.0
        for value in values:
            square += value * value
        length = math.sqrt(square) if self.normalise and square > 0 else 1.0
        terms = [(value / length * weight[at], rank, count)
                 for value, (at, rank, count) in zip(values, known)]
        log_odds = 0.0
        for effect, _, _ in terms:
            log_odds += effect
        vader_effect = 0.0
        for feature, mean, weight_ in zip(vader_features(vader), self.vader_mean,
                                          self.vader_weights):
            log_odds += feature * weight_
            vader_effect += (feature - mean) * weight_
        return Scored(log_odds + self.bias, terms, vader_effect)


def vader_features(scores: dict[str, float]) -> list[float]:
    """`text.vader_features` of one review: pos, neu, neg, and compound rescaled to 0..1."""
    *shares, compound = (scores[key] for key in VADER_SCORES)
    return [*shares, (compound + 1.0) / 2.0]


def term_frequencies(size: int, binary: bool, sublinear: bool) -> list[float]:
    """TfidfVectorizer's tf of the counts 0..size-1, computed by numpy as its transform does."""
    counts = np.ones(size) if binary else np.arange(size, dtype=np.float64)
    with np.errstate(divide="ignore"):  # count 0 never occurs
        return (np.log(counts) + 1.0 if sublinear else counts).tolist()


_compiled: weakref.WeakKeyDictionary[Pipeline, CompiledReviews] = weakref.WeakKeyDictionary()


def compiled(model: Pipeline) -> CompiledReviews:
    """The compiled form of a fitted review pipeline, made once per model object."""
    named = dict(model.steps)  # named_steps builds a Bunch per call: more than the rest here
    prepare, classify = named["features"], named["classify"]
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
    binary = words is not None and words.binary
    sublinear = words is not None and words.sublinear_tf
    return CompiledReviews(
        fitted=fitted, columns={} if words is None else words.vocabulary_,
        idf=[] if words is None else _idf(words),
        word_weights=[] if words is None else weights[at].tolist(),
        term_frequency=term_frequencies(TABLED_COUNTS, binary, sublinear),
        binary=binary, sublinear=sublinear, normalise=words is not None and words.norm == "l2",
        vader_weights=weights[vader_at].tolist(), vader_mean=vader.mean_.tolist(), bias=bias)


def _idf(words: TfidfVectorizer) -> list[float]:
    """The idf by column, 1.0 throughout for a vectorizer without idf."""
    return words.idf_.tolist() if words.use_idf else [1.0] * len(words.vocabulary_)


def _plain(words: Any) -> bool:
    """A vectorizer whose transform is what `CompiledReviews.score` repeats."""
    return (isinstance(words, TfidfVectorizer) and isinstance(words.analyzer, ReviewTerms)
            and words.norm in ("l2", None) and np.dtype(words.dtype) == np.float64)
