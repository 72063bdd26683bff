"""Scoring a batch of requests: `Recommender.score` and `.top`, arranged for serving.

Those methods are written for evaluation, where one call covers all 671 users and fixed costs
vanish. On the request path (one visitor, a few picked movies) fixed costs were nearly all of
the time: conversions of the model's arrays (now made once, prepared.py), scipy's checks on
every sparse matrix built (small products are now running sums, sums.py), stars predicted for
all 9,000 movies when only the listed ones are shown, all of EASE's kernel read where a few of
its rows would do. The arithmetic is the reference's, adding in the same order but for
`profile @ X' @ K`, summed by movie (_profile_kernel): tests hold rankings, labels and stars
identical and scores within 1e-9 of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from usecases.recommendation.model import Recommender
from usecases.recommendation.prepared import Prepared
from usecases.recommendation.ratings import Profiles, user_biases
from usecases.recommendation.sums import run_sums

SMALL_PROFILES = 200   # rated movies in a batch up to which sums skip scipy's matrices
SAMPLE_STEP = 16       # one movie in this many sets the threshold of a person's best
BLOCK = 1 << 16        # scores finished at a time: a block stays in cache


@dataclass(frozen=True)
class Scored:
    """A batch's best movies with their scores and stars, and the weights of its rated movies."""

    best: np.ndarray       # catalogue positions of each person's best, best first
    scores: np.ndarray     # float32 ranking scores of the `best` movies (Recommender.score)
    predicted: np.ndarray  # float32 predicted stars of the `best` movies
    weights: np.ndarray    # each rated movie's EASE weight (Recommender.ranking_weights)


def score(model: Recommender, prep: Prepared, people: Profiles, starts: np.ndarray,
          count: int) -> Scored:
    """Rank the catalogue for every person at once; predict stars for their `count` best.

    People are listed in order, each one's movies a contiguous run starting at `starts[r]`.
    Rankings are float32, as Recommender.score returns them, and kept negated (best first for
    argpartition): negating is exact, so no other copy is needed.
    """
    weights = model.ranking_weights(people)
    every = None
    if model.ranker == "popularity":
        ranking = np.broadcast_to(model.popularity_, (people.n_rows, len(model.movie_ids_)))
        flipped = np.negative(ranking, dtype=np.float32, order="C")
    elif model.ranker == "rating":
        every = predict_ratings(model, prep, people, starts)
        flipped = np.negative(every)
    else:
        flipped = flipped_ease_scores(prep, people, weights, starts)
    best = top(flipped, people, count)
    rows = np.arange(len(best))[:, None]
    predicted = (every[rows, best] if every is not None
                 else predict_ratings(model, prep, people, starts, best))
    return Scored(best, np.negative(flipped[rows, best]), predicted, weights)


def flipped_ease_scores(prep: Prepared, people: Profiles, weights: np.ndarray,
                        starts: np.ndarray) -> np.ndarray:
    """-(Ease.scores plus the tie-break) in float32, people x movies.

    B's zero diagonal only changes the scores of a person's own movies, which `top` never
    lists, so it needs no correction here.
    """
    users = _profile_kernel(prep, people, weights, starts)
    # (profile @ X' @ K) @ X, computed movies x people so the divisions run along rows, then
    # finished and turned people x movies a block of movies at a time, while it is in cache.
    scores = prep.by_item @ np.ascontiguousarray(users.T)
    flipped = np.empty((people.n_rows, len(scores)), dtype=np.float32)
    step = max(BLOCK // people.n_rows, 1)
    for at in range(0, len(scores), step):
        block = scores[at:at + step]
        block /= prep.scale[at:at + step, None]
        block += prep.tie[at:at + step, None]
        np.negative(block.T, out=flipped[:, at:at + step], casting="same_kind")
    return flipped


def _profile_kernel(prep: Prepared, people: Profiles, weights: np.ndarray, starts: np.ndarray
                    ) -> np.ndarray:
    """profile @ X' @ K (people x users): the weighted sum of each rated movie's row of X'K.

    The same sum as the reference's, grouped another way (within 1e-9 of it, as the tests
    hold): a visitor's few picks read a few rows of X'K instead of all of K (3.6 MB), which
    two workers streaming it at once had to share their cache for, and a batch is one sparse
    product instead of a dense people x users x users one.
    """
    if people.n_rows == 1 and len(people.items) <= SMALL_PROFILES:
        return (weights @ prep.user_kernel[people.items])[None]
    profile = sp.csr_matrix((weights, people.items, starts),
                            shape=(people.n_rows, prep.by_item.shape[0]))
    return profile @ prep.user_kernel


def top(flipped: np.ndarray, people: Profiles, count: int) -> np.ndarray:
    """Recommender.top on the negated ranking `flipped`.

    Row by row, as argpartition works anyway: most rows are settled by a cheaper search
    (_untied_best), the others by the reference's argpartition and stable sort.
    """
    own = flipped[people.rows, people.items]
    flipped[people.rows, people.items] = np.inf
    count = min(count, flipped.shape[1])
    best = np.empty((len(flipped), count), dtype=np.intp)
    for row, scores in zip(best, flipped):
        found = _untied_best(scores, count)
        if found is None:
            found = scores.argpartition(count - 1)[:count]
            found = found[scores[found].argsort(kind="stable")]
        row[:] = found
    flipped[people.rows, people.items] = own
    return best


def _untied_best(flipped: np.ndarray, count: int) -> np.ndarray | None:
    """One person's `count` best, found among the few movies under a threshold; None when
    they hold a tie, as argpartition's choice among tied movies then decides the list.

    Without ties the best and their order are the only ones possible, so they are
    Recommender.top's; argpartition over the whole catalogue costs more.
    """
    sample = flipped[::SAMPLE_STEP].copy()
    if len(sample) <= count:
        return None
    # At least `count` movies score at or under the sample's count-th best.
    sample.partition(count - 1)
    candidates = (flipped <= sample[count - 1]).nonzero()[0]
    values = flipped[candidates]
    order = values.argsort(kind="stable")[:count + 1]
    ranked = values[order]
    if not np.less(ranked[:-1], ranked[1:]).all():
        return None
    return candidates[order[:count]]


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
        user_factors = fold_in(prep, people, people.ratings - baseline, starts)
        predicted += (user_factors @ prep.factors.T if every else
                      np.einsum("rk,rjk->rj", user_factors, prep.factors[items]))
    # np.clip's wrapper costs more than its work here; the same bounds, applied in place.
    np.maximum(predicted, 0.5, out=predicted)
    return np.minimum(predicted, 5.0, out=predicted).astype(np.float32, copy=False)


def fold_in(prep: Prepared, people: Profiles, residual: np.ndarray, starts: np.ndarray
            ) -> np.ndarray:
    """ratings.ridge_rows of the people's residuals, its sparse products as run sums.

    Each person's movies are summed in catalogue order, as the reference's sparse products do.
    """
    k = prep.factors.shape[1]
    order = np.lexsort((people.items, people.rows))
    if people.n_rows == 1 and len(order) <= SMALL_PROFILES:
        # One run: its sums are those over axis 0, which numpy adds a row at a time.
        rated = prep.factors[people.items[order]]
        outer = rated[:, :, None] * rated[:, None, :]
        lhs = np.add.reduce(outer, axis=0, initial=0.0)[None] + prep.ridge
        rhs = np.add.reduce(rated * residual[order, None], axis=0, initial=0.0)[None]
    else:
        used, column = people.items[order], np.arange(len(order))
        if len(order) > SMALL_PROFILES:   # people share movies: one outer product per movie
            used, column = np.unique(used, return_inverse=True)
        rated = prep.factors[used]
        outer = (rated[:, :, None] * rated[:, None, :]).reshape(len(used), k * k)
        lo, hi = starts[:-1], starts[1:]
        lhs = run_sums(outer, column, lo, hi).reshape(-1, k, k) + prep.ridge
        rhs = run_sums(rated, column, lo, hi, residual[order])
    return np.linalg.solve(lhs, rhs[..., None])[..., 0]
