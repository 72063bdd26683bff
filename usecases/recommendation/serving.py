"""Scoring a batch of requests: `Recommender.score` and `Ease.weights`, arranged for serving.

Those methods are written for evaluation, where one call covers all 671 users and fixed costs
vanish. On the request path (one visitor, a few picked movies) fixed costs were nearly all of
the time: the interactions transposed and the kernel cast to float64 on every call, sparse
matrices built and sliced through scipy's checks, stars predicted for all 9,000 movies when only
the listed ones are shown. Here the conversions are made once per loaded model and kept beside
it (not in it, so artifacts do not change), and stars are predicted for the listed movies only.
The arithmetic is the reference's, in the same order where it sums: tests hold rankings,
labels and stars identical and scores and shares within 1e-9 of it.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from usecases.recommendation.model import Recommender
from usecases.recommendation.ratings import Profiles, user_biases


@dataclass(frozen=True)
class Prepared:
    """What every request needs from a fitted model, converted once."""

    fitted: tuple[object, ...]     # the learned state this was made from; a refit replaces it
    by_item: sp.csr_matrix | None  # EASE's X' (movies x users): a movie's raters as one row
    kernel: np.ndarray | None      # EASE's K in float64, as float64 profiles multiply it
    item_kernel: np.ndarray | None  # X' K in float32, movies x users (24 MB): the first
                                    # product of Ease.weights for every movie at once
    tie: np.ndarray                # the popularity tie-break Recommender.score adds
    factors: np.ndarray | None     # item factors in float64, as predict_ratings uses them


@dataclass(frozen=True)
class Scored:
    """A batch's best movies with their scores and stars, and each person's rated movies."""

    ranking: np.ndarray    # float32 ranking scores, people x catalogue (Recommender.score)
    best: np.ndarray       # catalogue positions of each person's best, best first
    predicted: np.ndarray  # float32 predicted stars of the `best` movies
    weights: np.ndarray    # each rated movie's EASE weight (Recommender.ranking_weights)
    starts: np.ndarray     # person r's rated movies are people entries starts[r]:starts[r + 1]


_prepared: weakref.WeakKeyDictionary[Recommender, Prepared] = weakref.WeakKeyDictionary()


def prepared(model: Recommender) -> Prepared:
    """The model's conversions, made on its first request (and again after a refit)."""
    fitted = (model.ease_, model.item_factors_, model.popularity_)
    found = _prepared.get(model)
    if found is None or any(a is not b for a, b in zip(found.fitted, fitted)):
        ease = model.ease_
        by_item = None if ease is None else ease.interactions.T.tocsr()
        found = Prepared(
            fitted=fitted, by_item=by_item,
            kernel=None if ease is None else ease.kernel.astype(np.float64),
            item_kernel=None if ease is None else np.asarray(by_item @ ease.kernel),
            tie=1e-6 * model.popularity_ / max(model.popularity_.max(), 1.0),
            factors=(None if model.item_factors_ is None
                     else model.item_factors_.astype(np.float64)))
        _prepared[model] = found
    return found


def score(model: Recommender, people: Profiles, count: int) -> Scored:
    """Rank the catalogue for every person at once; predict stars for their `count` best."""
    prep = prepared(model)
    weights = model.ranking_weights(people)
    # Recommender.profiles lists people in order, so each one's movies are a contiguous run.
    starts = np.searchsorted(people.rows, np.arange(people.n_rows + 1))
    every = None
    if model.ranker == "popularity":
        ranking = np.broadcast_to(model.popularity_, (people.n_rows, len(model.movie_ids_)))
    elif model.ranker == "rating":
        ranking = every = predict_ratings(model, prep, people, starts)
    else:
        ranking = ease_scores(model, prep, people, weights, starts)
    ranking = ranking.astype(np.float32)   # `top` copies it into rows anyway
    best = model.top(ranking, people, count)
    predicted = (np.take_along_axis(every, best, axis=1) if every is not None
                 else predict_ratings(model, prep, people, starts, best))
    return Scored(ranking, best, predicted, weights, starts)


def ease_scores(model: Recommender, prep: Prepared, people: Profiles, weights: np.ndarray,
                starts: np.ndarray) -> np.ndarray:
    """Ease.scores plus the tie-break, for the movies each person has not rated.

    B's zero diagonal only changes the scores of a person's own movies, which `top` never
    lists, so it needs no correction here.
    """
    profile = sp.csr_matrix((weights, people.items, starts),
                            shape=(people.n_rows, prep.by_item.shape[0]))
    users = (profile @ prep.by_item).toarray()              # profile @ X'
    # (profile @ X' @ K) @ X, computed movies x people so the divisions run along rows.
    scores = prep.by_item @ np.ascontiguousarray((users @ prep.kernel).T)
    scores /= model.ease_.scale[:, None]
    scores += prep.tie[:, None]
    return scores.T


def predict_ratings(model: Recommender, prep: Prepared, people: Profiles, starts: np.ndarray,
                    items: np.ndarray | None = None) -> np.ndarray:
    """Recommender.predict_ratings for the movies `items` (people x k), else all movies."""
    every = items is None
    if every:
        predicted = np.broadcast_to(model.mean_ + model.item_bias_,
                                    (people.n_rows, len(model.movie_ids_))).copy()
    else:
        predicted = model.mean_ + model.item_bias_[items]
    if model.rating_model != "item-mean":
        bias = user_biases(people, model.mean_, model.item_bias_, user_reg=model.user_reg,
                           half_life=model.bias_half_life)
        predicted += bias[:, None]
    if model.rating_model == "factors":
        baseline = model.mean_ + bias[people.rows] + model.item_bias_[people.items]
        user_factors = fold_in(prep.factors, people, people.ratings - baseline, starts,
                               model.factor_reg)
        predicted += (user_factors @ prep.factors.T if every else
                      np.einsum("rk,rjk->rj", user_factors, prep.factors[items]))
    return np.clip(predicted, 0.5, 5.0).astype(np.float32)


def fold_in(factors: np.ndarray, people: Profiles, residual: np.ndarray, starts: np.ndarray,
            reg: float) -> np.ndarray:
    """ratings.ridge_rows of the people's residuals, with the sparse matrices built directly.

    Each person's movies are summed in catalogue order, as the reference's sparse products do.
    """
    k = factors.shape[1]
    order = np.lexsort((people.items, people.rows))
    used, column = np.unique(people.items[order], return_inverse=True)
    rated = factors[used]
    outer = np.einsum("ik,il->ikl", rated, rated).reshape(len(used), k * k)
    shape = (people.n_rows, len(used))
    counted = sp.csr_matrix((np.ones(len(column)), column, starts), shape=shape)
    lhs = np.asarray(counted @ outer).reshape(-1, k, k) + reg * np.eye(k)
    rhs = np.asarray(sp.csr_matrix((residual[order], column, starts), shape=shape) @ rated)
    return np.linalg.solve(lhs, rhs[..., None])[..., 0]


def contributions(model: Recommender, scored: Scored, people: Profiles, row: int,
                  chosen: np.ndarray) -> tuple[np.ndarray | None, slice]:
    """How much each of person `row`'s movies (sources) adds to each chosen movie's score,
    as Ease.weights times the ranking weights; None for rankers that are no such sum."""
    mine = slice(scored.starts[row], scored.starts[row + 1])
    sources = people.items[mine]
    if model.ranker != "ease" or not len(sources) or not len(chosen):
        return None, mine
    prep = prepared(model)
    left = np.ascontiguousarray(prep.item_kernel[sources].T)   # (X[:, sources]' K)'
    block = np.asarray(prep.by_item[chosen] @ left).T          # X[:, sources]' K X[:, chosen]
    block[sources[:, None] == chosen[None, :]] = 0.0
    return block / model.ease_.scale[chosen] * scored.weights[mine][:, None], mine
