"""The people of a batch of requests, as the rated movies `Recommender.profiles` makes of them.

Same entries in the same order and types; only the per-row numpy calls are gone (a dict finds
a picked movie), as they cost more than scoring a visitor's few picks.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from usecases.recommendation.form import parse_ratings
from usecases.recommendation.model import Recommender
from usecases.recommendation.prepared import Prepared
from usecases.recommendation.ratings import Profiles


def people(model: Recommender, prep: Prepared, rows: list[dict[str, Any]]
           ) -> tuple[Profiles, np.ndarray, list[list[float] | None]]:
    """Profiles of the rows, where each row's entries start (n + 1), and each row's ratings.

    Raises ValueError for what Recommender.profiles refuses: unknown movies or users, or as
    many ratings as picks.
    """
    items: list[Any] = []
    ratings: list[Any] = []
    ages: list[Any] = []
    lengths, given = [], []
    for row in rows:
        stars = parse_ratings(row.get("ratings"))
        picked = _positions(prep, row.get("movies") or [])
        if stars is not None and len(stars) != len(picked):
            raise ValueError(f"{len(stars)} ratings for {len(picked)} picked movies")
        length = len(picked)
        if row.get("user_id") is not None:
            length += _history(model, prep, row["user_id"], picked, items, ratings, ages)
        items.append(picked)
        ratings.append([model.liked_rating] * len(picked) if stars is None else stars)
        ages.append([0.0] * len(picked))
        lengths.append(length)
        given.append(stars)
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    profiles = Profiles(np.repeat(np.arange(len(rows)), lengths), _joined(items, np.int64),
                        _joined(ratings, np.float64), _joined(ages, np.float64), len(rows))
    return profiles, starts, given


def _joined(parts: list[Any], dtype: type) -> np.ndarray:
    """The parts end to end, as `dtype`; a lone part (a visitor's picks) is not copied."""
    if len(parts) == 1:
        return np.asarray(parts[0], dtype=dtype)
    return np.concatenate(parts, dtype=dtype, casting="same_kind")


def _positions(prep: Prepared, movie_ids: list[int]) -> np.ndarray:
    try:
        return np.array([prep.position[movie] for movie in movie_ids], dtype=np.int64)
    except (KeyError, TypeError):
        raise ValueError("unknown movie id among the picks") from None


def _history(model: Recommender, prep: Prepared, user_id: int, picked: np.ndarray,
             items: list[Any], ratings: list[Any], ages: list[Any]) -> int:
    """Append a known user's training ratings, less the picked movies; return how many."""
    at = prep.user_at.get(user_id)
    if at is None:
        raise ValueError(f"unknown user id {user_id}")
    span = slice(model.user_ptr_[at], model.user_ptr_[at + 1])
    own, stars, age = model.user_items_[span], model.user_ratings_[span], model.user_ages_[span]
    if len(picked):
        keep = ~np.isin(own, picked)
        # Picks (age 0) are newer than anything the user rated before.
        own, stars, age = own[keep], stars[keep], age[keep] + 1
    items.append(own)
    ratings.append(stars)
    ages.append(age)
    return len(own)
