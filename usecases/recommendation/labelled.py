"""Ratings that come later: uploaded (user, movie, rating) rows and recorded outcomes.

An upload is rating rows; an outcome of a recommendation is a movie the person then rated.
Both become rating rows of the training data, stamped with the time they were added (they came
after the built-in ratings). Movies must be in the built-in catalogue: a rating of a movie
nobody can be shown or search for teaches nothing a visitor could use.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import pandas as pd

from usecases.fields import Field, FieldError, Number
from usecases.recommendation import data as movie_data
from usecases.recommendation.form import parse_ratings

LIKED = 4.0  # a picked movie without a rating counts as liked, as the form says
# Visitors who record an outcome are not MovieLens users: each becomes a user of its own, with
# an id far above the release's (and any plausible upload's) that names the prediction.
VISITOR_BASE = 10_000_000
MAX_ID = 9_999_999

USER = Number("user_id", "User id", "Whose rating: a MovieLens user (1 to 671) or a new person "
              "(any other whole number).", minimum=1, maximum=MAX_ID, integer=True)
MOVIE = Number("movie_id", "Movie id", "The MovieLens id of the movie rated.", minimum=1,
               maximum=MAX_ID, integer=True)
RATING = Number("rating", "Rating", "Stars from 0.5 to 5, in half stars.", minimum=0.5,
                maximum=5)
_PAIR = re.compile(r"^\s*(\d{1,7})\s*[:=]\s*([0-9.]+)\s*$")


@dataclass(frozen=True)
class RatedMovie(Field):
    """A movie someone rated and the stars they gave: {"movie_id": 858, "rating": 5} (JSON)
    or "858:5" (text)."""

    kind: ClassVar[str] = "rated-movie"

    def parse(self, raw: Any, *, from_form: bool) -> dict[str, Any]:
        if from_form and isinstance(raw, str):
            found = _PAIR.match(raw)
            if not found:
                raise FieldError("must be a movie id and its stars, e.g. 858:5")
            raw = {"movie_id": int(found[1]), "rating": _number(found[2])}
        if not isinstance(raw, dict) or set(raw) != {"movie_id", "rating"}:
            raise FieldError('must be {"movie_id": ..., "rating": ...}')
        movie = MOVIE.parse(raw["movie_id"], from_form=False)
        stars = RATING.parse(raw["rating"], from_form=False)
        problem = movie_problem(movie) or stars_problem(stars)
        if problem:
            raise FieldError(problem)
        return {"movie_id": movie, "rating": stars}

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "title": self.label, "description": self.help,
                "properties": {"movie_id": MOVIE.schema(), "rating": RATING.schema()},
                "required": ["movie_id", "rating"], "additionalProperties": False}


OUTCOME = RatedMovie("outcome", "A movie they then rated",
                     "A movie the person watched after the recommendation, and their stars.")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FieldError("must be a movie id and its stars, e.g. 858:5") from None


@cache
def catalogue() -> pd.DataFrame:
    """The built-in movies, indexed by id (read once per process)."""
    return movie_data.catalogue(movie_data.clean(movie_data.read_raw())).set_index("movie_id")


def movie_problem(movie_id: int) -> str | None:
    if movie_id not in catalogue().index:
        return f"{movie_id} is not a movie of the catalogue"
    return None


def stars_problem(stars: float) -> str | None:
    if not (math.isfinite(stars) and (2 * stars).is_integer()):
        return "must be 0.5 to 5 stars, in half stars"
    return None


def check(values: dict[str, Any], rating: Any) -> dict[str, str]:
    errors = {}
    problem = movie_problem(values["movie_id"])
    if problem:
        errors["movie_id"] = problem
    if rating is not None and stars_problem(rating):
        errors["rating"] = stars_problem(rating)
    return errors


def frame(rows: list[dict[str, Any]], ratings: list[Any]) -> pd.DataFrame:
    """Rating rows in the training data's columns, stamped now (in order, a second apart per
    row of the same user, so a person's later picks stay later)."""
    movies = catalogue()
    now = int(time.time())
    users = [int(row["user_id"]) for row in rows]
    ids = [int(row["movie_id"]) for row in rows]
    facts = movies.loc[ids]
    out = pd.DataFrame({"user_id": users, "movie_id": ids,
                        "rating": [float(r) for r in ratings],
                        "timestamp": [now + i for i in range(len(rows))],
                        "title": facts["title"].to_numpy(), "year": facts["year"].to_numpy(),
                        "genres": facts["genres"].to_numpy()},
                       columns=list(movie_data.COLUMNS))
    return out.astype({"user_id": "int64", "movie_id": "int64", "timestamp": "int64"})


def from_outcome(prediction_id: int, inputs: dict[str, Any], outcome: dict[str, Any]
                 ) -> tuple[list[dict[str, Any]], list[Any]]:
    """A recorded outcome as rating rows: a MovieLens user's new rating, or a visitor's picks
    (their stars, or liked) followed by the movie they then rated, as a user of their own."""
    user = inputs.get("user_id")
    picks: list[tuple[int, float]] = []
    if user is None:
        user = VISITOR_BASE + int(prediction_id)
        movies = inputs.get("movies") or []
        stars = parse_ratings(inputs.get("ratings")) or [LIKED] * len(movies)
        picks = [(m, s) for m, s in zip(movies, stars) if m != outcome["movie_id"]]
    rows = [{"user_id": user, "movie_id": m} for m, _ in picks]
    rows.append({"user_id": user, "movie_id": outcome["movie_id"]})
    return rows, [s for _, s in picks] + [outcome["rating"]]
