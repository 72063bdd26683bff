"""Candidates and how they are measured: ranking (NDCG@10, precision@10) and rating error (RMSE).

Each candidate is validated the way the final model is tested: trained on each user's earlier
ratings, asked for the later ones. Scikit-learn's cross-validators shuffle rows, which would let a
model learn a user's future, so the comparison is a time-ordered holdout inside the training data.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from usecases.base import Progress
from usecases.recommendation.data import RELEVANT, temporal_split
from usecases.recommendation.model import Recommender
from usecases.training import Leaderboard

K = 10
BASELINE = "popularity"


def candidates() -> dict[str, Recommender]:
    """The algorithms compared, each a ranker with a rating model (settings from validation)."""
    return {
        BASELINE: Recommender(ranker="popularity", rating_model="item-mean"),
        "user + movie biases": Recommender(ranker="rating", rating_model="biases"),
        "matrix factorisation (ALS)": Recommender(ranker="rating", rating_model="factors"),
        "EASE + biases": Recommender(ranker="ease", rating_model="biases"),
        "EASE + matrix factorisation": Recommender(ranker="ease", rating_model="factors"),
    }


def held_out_metrics(model: Recommender, test: pd.DataFrame, k: int = K) -> dict[str, float]:
    """NDCG@k and precision@k of the ranking, RMSE of the predicted stars, on held-out ratings.

    Ranked: every user with at least one held-out rating of RELEVANT stars or more; for each, all
    catalogue movies they did not rate in training. Relevant movies the model cannot rank still
    count in the ideal ranking, so they lower the score as they should.
    """
    users = np.unique(test["user_id"].to_numpy())
    people = model.user_profiles(users)
    ranking, predicted = model.score(people)
    rows = np.searchsorted(users, test["user_id"].to_numpy())
    items = model.movie_index(test["movie_id"].to_numpy())
    known = items >= 0
    stars = np.where(known, predicted[rows, np.maximum(items, 0)], model.mean_)
    rmse = float(np.sqrt(np.mean((stars - test["rating"].to_numpy()) ** 2)))

    liked = test["rating"].to_numpy() >= RELEVANT
    n_relevant = np.bincount(rows[liked], minlength=len(users))
    relevant = np.zeros(ranking.shape, dtype=bool)
    relevant[rows[liked & known], items[liked & known]] = True
    best = model.top(ranking, people, k)
    hits = np.take_along_axis(relevant, best, axis=1)
    ranked = n_relevant > 0
    return ranking_figures(hits[ranked], n_relevant[ranked]) | {"rmse": rmse}


def ranking_figures(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, float]:
    """NDCG@k and precision@k of ranked lists: `hits` (people x k) tells which listed movies
    the person then liked, `n_relevant` how many they liked in all (at least one each)."""
    k = hits.shape[1]
    gains = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(gains)[np.minimum(n_relevant, k) - 1]
    ndcg = (hits @ gains) / ideal
    return {"ndcg_at_10": float(ndcg.mean()), "precision_at_10": float(hits.mean()),
            "users_ranked": len(hits)}


def liked_later(test: pd.DataFrame) -> dict[int, set[int]]:
    """Each user's held-out movies rated RELEVANT stars or more (users with none are left out)."""
    liked = test[test["rating"] >= RELEVANT]
    return {int(user): set(map(int, movies))
            for user, movies in liked.groupby("user_id")["movie_id"]}


def compare(models: dict[str, Recommender], train: pd.DataFrame, movies: pd.DataFrame,
            progress: Progress, span: tuple[float, float] = (0.1, 0.75)) -> Leaderboard:
    """Fit every candidate on the earlier training ratings, score it on the later ones.

    Rows: name, cv_score (validation NDCG@10), cv_rmse, cv_precision_at_10, fit_seconds, rank.
    """
    earlier, later = temporal_split(train)
    start, stop = span
    rows = []
    for i, (name, model) in enumerate(models.items()):
        progress(start + (stop - start) * i / len(models), f"validating {name}")
        began = time.perf_counter()
        model.fit(earlier, movies)
        seconds = time.perf_counter() - began
        scores = held_out_metrics(model, later)
        rows.append({"name": name, "cv_score": scores["ndcg_at_10"], "cv_rmse": scores["rmse"],
                     "cv_precision_at_10": scores["precision_at_10"],
                     "fit_seconds": round(seconds, 4)})
    # Candidates sharing a ranker tie on NDCG; the better rating model then wins.
    rows.sort(key=lambda row: (-row["cv_score"], row["cv_rmse"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return Leaderboard(rows, higher_is_better=True)
