"""What every request needs from a fitted Recommender, converted once per loaded model.

The model's arrays are shaped for training and evaluation; a request needs some in another
type or layout (EASE's X'K in float64, a movie's raters as one row) and the catalogue as
Python objects. Converting on every request cost more than the scoring itself, so the
conversions are made on a model's first request and kept beside it, not in it: artifacts do
not change, and those trained before load as they always did.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from usecases.recommendation.model import Recommender


@dataclass(frozen=True)
class Prepared:
    """A fitted model's conversions. Values are the model's own: only types and layout change."""

    fitted: tuple[object, ...]      # the learned state this was made from; a refit replaces it
    by_item: sp.csr_matrix | None   # EASE's X' (movies x users) in float64: a movie's raters
    user_kernel: np.ndarray | None  # X'K in float64, movies x users, 49 MB: `profile @ X'
                                    # @ K` is the weighted sum of the profile's movies' rows
    item_kernel: np.ndarray | None  # 0 | X' K in float32, movies x (1 + users), 24 MB: the
                                    # first product of Ease.weights for every movie at once,
                                    # after a zero column for padding to pick
    raters: np.ndarray | None       # movies x steps: 1 + each rater, then 0s as padding
    rater_counts: np.ndarray | None  # raters per movie
    scale: np.ndarray | None        # EASE's scale in float64, as the scores divide by it
    tie: np.ndarray                 # the popularity tie-break Recommender.score adds, float64
    factors: np.ndarray | None      # item factors in float64, as predict_ratings uses them
    ridge: np.ndarray | None        # factor_reg * I, the ridge of the fold-in
    position: dict[int, int]        # movie id -> catalogue position
    user_at: dict[int, int]         # user id -> position in the model's users
    movies: list[tuple[int, str, int, tuple[str, ...]]]   # id, title, year, genres
    labels: list[str]               # Recommender.label of every movie


_prepared: weakref.WeakKeyDictionary[Recommender, Prepared] = weakref.WeakKeyDictionary()


def prepared(model: Recommender) -> Prepared:
    """The model's conversions, made on its first request (and again after a refit)."""
    fitted = (model.ease_, model.item_factors_, model.popularity_, model.movie_ids_,
              model.users_)
    found = _prepared.get(model)
    if found is None or any(a is not b for a, b in zip(found.fitted, fitted)):
        found = _prepare(model, fitted)
        _prepared[model] = found
    return found


def _prepare(model: Recommender, fitted: tuple[object, ...]) -> Prepared:
    ease, factors = model.ease_, model.item_factors_
    by_item = None if ease is None else ease.interactions.T.tocsr()
    by_item64 = None if ease is None else by_item.astype(np.float64)
    tie = 1e-6 * model.popularity_ / max(model.popularity_.max(), 1.0)
    ids, years = model.movie_ids_.tolist(), model.years_.tolist()
    return Prepared(
        fitted=fitted,
        by_item=by_item64,
        user_kernel=None if ease is None else np.asarray(
            by_item64 @ ease.kernel.astype(np.float64)),
        item_kernel=None if ease is None else _zero_first(np.asarray(by_item @ ease.kernel)),
        raters=None if ease is None else _padded_raters(by_item),
        rater_counts=None if ease is None else np.diff(by_item.indptr),
        scale=None if ease is None else ease.scale.astype(np.float64),
        tie=tie.astype(np.float64),
        factors=None if factors is None else factors.astype(np.float64),
        ridge=None if factors is None else model.factor_reg * np.eye(factors.shape[1]),
        position={movie: at for at, movie in enumerate(ids)},
        user_at={user: at for at, user in enumerate(model.users_.tolist())},
        movies=[(movie, title, year, tuple(filter(None, genres.split("|"))))
                for movie, title, year, genres in zip(ids, model.titles_, years, model.genres_)],
        labels=[f"{title} ({year})" for title, year in zip(model.titles_, years)])


def _zero_first(table: np.ndarray) -> np.ndarray:
    """The table after a column of zeros."""
    topped = np.zeros((len(table), table.shape[1] + 1), dtype=table.dtype)
    topped[:, 1:] = table
    return topped


def _padded_raters(by_item: sp.csr_matrix) -> np.ndarray:
    """Each movie's raters as columns of `item_kernel` (1 + user), padded with 0."""
    counts = np.diff(by_item.indptr)
    dtype = np.int16 if by_item.shape[1] < np.iinfo(np.int16).max else np.int32
    raters = np.zeros((by_item.shape[0], counts.max(initial=0)), dtype=dtype)
    step = np.arange(by_item.nnz) - np.repeat(by_item.indptr[:-1], counts)
    raters[np.repeat(np.arange(by_item.shape[0]), counts), step] = by_item.indices + 1
    return raters
