"""The served recommender: one object holding the catalogue, a rating model and a ranker."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from usecases.recommendation.ranking import Ease
from usecases.recommendation.ratings import (Profiles, fit_biases, fit_item_factors,
                                             genre_year_features, half_life_weights, ridge_rows,
                                             user_biases)

RANKERS = ("popularity", "rating", "ease")
RATING_MODELS = ("item-mean", "biases", "factors")


class Recommender:
    """Recommends movies for a known user or a visitor's picked movies; predicts their ratings.

    `ranker` orders the movies: "popularity" (most rated first), "rating" (highest predicted
    rating first) or "ease" (item-to-item weights from who rated what, recent and high ratings of
    the person counting most). `rating_model` predicts the stars: "item-mean" (mean + movie bias),
    "biases" (+ the person's bias) or "factors" (+ latent factors). A person is always described
    by the movies they rated, so training users and visitors are scored by the same code.
    """

    def __init__(self, ranker: str = "ease", rating_model: str = "factors", *,
                 n_factors: int = 20, factor_reg: float = 15.0, factor_sweeps: int = 8,
                 ease_reg: float = 500.0, ranking_half_life: float = 10.0,
                 bias_half_life: float = 80.0, user_reg: float = 3.0, item_reg: float = 5.0,
                 liked_rating: float = 4.0) -> None:
        self.ranker = ranker
        self.rating_model = rating_model
        self.n_factors = n_factors
        self.factor_reg = factor_reg
        self.factor_sweeps = factor_sweeps
        self.ease_reg = ease_reg
        self.ranking_half_life = ranking_half_life
        self.bias_half_life = bias_half_life
        self.user_reg = user_reg
        self.item_reg = item_reg
        self.liked_rating = liked_rating

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "ranker", "rating_model", "n_factors", "factor_reg", "factor_sweeps", "ease_reg",
            "ranking_half_life", "bias_half_life", "user_reg", "item_reg", "liked_rating")}

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, ratings: pd.DataFrame, movies: pd.DataFrame) -> "Recommender":
        """Learn from rating rows (user_id, movie_id, rating, timestamp) over the `movies`
        catalogue (movie_id, title, year, genres), which must list every rated movie."""
        if self.ranker not in RANKERS or self.rating_model not in RATING_MODELS:
            raise ValueError(f"unknown ranker {self.ranker!r} or rating model "
                             f"{self.rating_model!r}")
        movies = movies.sort_values("movie_id")
        self.movie_ids_ = movies["movie_id"].to_numpy(np.int64)
        self.titles_ = movies["title"].tolist()
        self.years_ = movies["year"].to_numpy(np.int16)
        self.genres_ = movies["genres"].tolist()
        ordered = ratings.sort_values(["user_id", "timestamp"], kind="stable")
        self.users_ = np.unique(ordered["user_id"].to_numpy(np.int64))
        items = self.movie_index(ordered["movie_id"].to_numpy())
        if (items < 0).any():
            raise ValueError("ratings name movies missing from the catalogue")
        rows = np.searchsorted(self.users_, ordered["user_id"].to_numpy())
        ages = ordered.groupby("user_id").cumcount(ascending=False).to_numpy()
        self.user_ptr_ = np.searchsorted(rows, np.arange(len(self.users_) + 1))
        self.user_items_ = items.astype(np.int32)
        self.user_ratings_ = ordered["rating"].to_numpy(np.float32)
        self.user_ages_ = ages.astype(np.int32)
        train = Profiles(rows, items, self.user_ratings_.astype(float), ages.astype(float),
                         len(self.users_))
        n_items = len(self.movie_ids_)
        self.popularity_ = np.bincount(items, minlength=n_items).astype(np.float32)

        mean, item_bias = fit_biases(train, genre_year_features(movies), user_reg=self.user_reg,
                                     item_reg=self.item_reg, half_life=self.bias_half_life)
        self.mean_, self.item_bias_ = mean, item_bias.astype(np.float32)
        self.item_factors_ = None
        if self.rating_model == "factors":
            residual = train.ratings - self._baseline(train)
            self.item_factors_ = fit_item_factors(
                train.matrix(residual, n_items), self.n_factors, self.factor_reg,
                self.factor_sweeps).astype(np.float32)
        self.ease_ = None
        if self.ranker == "ease":
            self.ease_ = Ease.fit(train.matrix(np.ones(len(items)), n_items), self.ease_reg)
        return self

    # -- people --------------------------------------------------------------------------------
    def movie_index(self, movie_ids: Any) -> np.ndarray:
        """Catalogue positions of movie ids; -1 for ids the catalogue does not hold."""
        ids = np.asarray(movie_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.movie_ids_, ids), len(self.movie_ids_) - 1)
        return np.where(self.movie_ids_[at] == ids, at, -1)

    def knows_user(self, user_id: int) -> bool:
        at = np.searchsorted(self.users_, user_id)
        return bool(at < len(self.users_) and self.users_[at] == user_id)

    def profiles(self, user_ids: list[int | None], picks: list[list[int]],
                 pick_ratings: list[list[float] | None]) -> Profiles:
        """People as rated movies: a known user's training ratings plus any picked movies.

        A pick counts as the latest rating; without a rating it counts as `liked_rating`, and a
        pick replaces the user's own earlier rating of the same movie.
        """
        parts = []
        for row, (user_id, chosen, stars) in enumerate(zip(user_ids, picks, pick_ratings)):
            items = self.movie_index(chosen or [])
            if (items < 0).any():
                raise ValueError("unknown movie id among the picks")
            stars = np.full(len(items), self.liked_rating) if stars is None else np.asarray(stars)
            if len(stars) != len(items):
                raise ValueError(f"{len(stars)} ratings for {len(items)} picked movies")
            ages = np.zeros(len(items))
            if user_id is not None:
                if not self.knows_user(user_id):
                    raise ValueError(f"unknown user id {user_id}")
                at = np.searchsorted(self.users_, user_id)
                span = slice(self.user_ptr_[at], self.user_ptr_[at + 1])
                keep = ~np.isin(self.user_items_[span], items)
                items = np.concatenate([self.user_items_[span][keep], items])
                stars = np.concatenate([self.user_ratings_[span][keep], stars])
                # Picks (age 0) are newer than anything the user rated before.
                ages = np.concatenate([self.user_ages_[span][keep] + (len(ages) > 0), ages])
            parts.append((np.full(len(items), row), items, stars, ages))
        rows, items, stars, ages = (np.concatenate([p[k] for p in parts]) if parts else
                                    np.zeros(0) for k in range(4))
        return Profiles(rows.astype(np.int64), items.astype(np.int64), stars.astype(float),
                        ages.astype(float), len(parts))

    def user_profiles(self, user_ids: np.ndarray) -> Profiles:
        """Profiles of many user ids at once; ids the model never saw get an empty profile."""
        return self.profiles([int(u) if self.knows_user(u) else None for u in user_ids],
                             [[]] * len(user_ids), [None] * len(user_ids))

    # -- scoring -------------------------------------------------------------------------------
    def ranking_weights(self, people: Profiles) -> np.ndarray:
        """How much each rated movie counts for EASE: recent and highly rated ones most."""
        return half_life_weights(people.ages, self.ranking_half_life) * people.ratings / 5.0

    def score(self, people: Profiles) -> tuple[np.ndarray, np.ndarray]:
        """Ranking scores and predicted ratings (people x catalogue) for the whole batch.

        The evaluation's path; serving.py arranges the same arithmetic for web requests.
        """
        predicted = self.predict_ratings(people)
        if self.ranker == "popularity":
            ranking = np.broadcast_to(self.popularity_, predicted.shape).copy()
        elif self.ranker == "rating":
            ranking = predicted.copy()
        else:
            profile = people.matrix(self.ranking_weights(people), len(self.movie_ids_))
            # Popularity, scaled far below any real weight, only orders otherwise equal movies.
            ranking = (self.ease_.scores(profile)
                       + 1e-6 * self.popularity_ / max(self.popularity_.max(), 1.0))
        return ranking.astype(np.float32), predicted

    def predict_ratings(self, people: Profiles) -> np.ndarray:
        """Predicted stars, 0.5 to 5, of every catalogue movie for each person."""
        n_items = len(self.movie_ids_)
        predicted = np.broadcast_to(self.mean_ + self.item_bias_, (people.n_rows, n_items)).copy()
        if self.rating_model != "item-mean":
            bias = user_biases(people, self.mean_, self.item_bias_, user_reg=self.user_reg,
                               half_life=self.bias_half_life)
            predicted += bias[:, None]
        if self.rating_model == "factors":
            residual = people.ratings - self._baseline(people)
            user_factors = ridge_rows(people.matrix(residual, n_items),
                                      self.item_factors_.astype(float), self.factor_reg)
            predicted += user_factors @ self.item_factors_.T
        return np.clip(predicted, 0.5, 5.0).astype(np.float32)

    def _baseline(self, people: Profiles) -> np.ndarray:
        """mean + user bias + item bias at each rated entry (what the factors must explain)."""
        bias = user_biases(people, self.mean_, self.item_bias_, user_reg=self.user_reg,
                           half_life=self.bias_half_life)
        return self.mean_ + bias[people.rows] + self.item_bias_[people.items]

    def top(self, ranking: np.ndarray, people: Profiles, count: int) -> np.ndarray:
        """Catalogue positions of each person's `count` best movies they have not rated."""
        masked = ranking.copy()
        masked[people.rows, people.items] = -np.inf
        count = min(count, masked.shape[1])
        best = np.argpartition(-masked, count - 1, axis=1)[:, :count]
        order = np.argsort(-np.take_along_axis(masked, best, axis=1), axis=1, kind="stable")
        return np.take_along_axis(best, order, axis=1)

    # -- catalogue -----------------------------------------------------------------------------
    def label(self, item: int) -> str:
        return f"{self.titles_[item]} ({self.years_[item]})"

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Movies whose title contains `query` (any case): the exact title first, then titles
        starting with it, each group most rated first."""
        query = query.strip().lower()
        if not query:
            return []
        titles = pd.Series(self.titles_, dtype=object).str.lower()
        hits = np.flatnonzero(titles.str.contains(query, regex=False).to_numpy())
        found = titles.iloc[hits]
        exact = (found == query).to_numpy()
        starts = found.str.startswith(query).to_numpy()
        hits = hits[np.lexsort((-self.popularity_[hits], ~starts, ~exact))][:limit]
        return [{"id": int(self.movie_ids_[i]), "title": self.titles_[i],
                 "year": int(self.years_[i])} for i in hits]

    def describe(self, movie_ids: list[int]) -> list[dict[str, Any]]:
        """The catalogue entries of these ids, in the order given; unknown ids are left out."""
        return [{"id": int(self.movie_ids_[i]), "title": self.titles_[i],
                 "year": int(self.years_[i])}
                for i in self.movie_index(movie_ids).tolist() if i >= 0]
