"""The recommendation inputs: picked movies with optional ratings, or a known user, and a count.

An ItemList carries ids only, so ratings travel in a second, optional text field: one number per
picked movie, in the order picked. The picker (static/picker.js) shows a rating beside each
picked movie and fills that field from them; without scripts, people type it. Rules that need the trained model (does this movie or user
exist?) live in `input_errors`, which the use case's `check_inputs` calls.
"""
from __future__ import annotations

import math
import re
from typing import Any

from usecases.fields import ItemList, Number, Text
from usecases.recommendation.model import Recommender
from usecases.recommendation.prepared import prepared

MAX_PICKS = 50
N_USERS = 671   # people in the MovieLens release; check_inputs asks the model which it knows

FIELDS = (
    ItemList("movies", "Movies you like",
             help="Pick a few movies you like: search by title. Leave empty to recommend for a "
                  "MovieLens user id instead.",
             required=False, min_items=1, max_items=MAX_PICKS,
             search_endpoint="recommendation.search_movies", ratings_field="ratings"),
    Text("ratings", "Your ratings of those movies",
         help="Optional: one rating per picked movie, in the same order, from 0.5 to 5 stars in "
              "half stars, e.g. 5, 4.5, 4. Without ratings every pick counts as liked (4 stars).",
         required=False, max_length=400, placeholder="5, 4.5, 4"),
    Number("user_id", "MovieLens user id",
           help=f"Optional: one of the {N_USERS} people in the data; their earlier ratings are "
                "used, together with any movies picked above.",
           required=False, minimum=1, maximum=N_USERS, integer=True),
    Number("count", "How many", help="How many movies to recommend.",
           default=10, minimum=1, maximum=50, integer=True, unit="movies"),
)

EXAMPLES = {
    "Science-fiction classics": {"movies": [260, 1196, 1214, 2571], "ratings": None,
                                 "user_id": None, "count": 10},
    "Family animation, with ratings": {"movies": [1, 3114, 588, 364],
                                       "ratings": "5, 4.5, 4, 3.5", "user_id": None, "count": 8},
    "MovieLens user 15": {"movies": None, "ratings": None, "user_id": 15, "count": 10},
    "User 100, who just loved The Godfather": {"movies": [858], "ratings": "5", "user_id": 100,
                                               "count": 10},
}

_SEPARATORS = re.compile(r"[,;\s]+")


def parse_ratings(text: str | None) -> list[float] | None:
    """The stars in a ratings text, or None when there is none; ValueError says what is wrong."""
    if text is None:
        return None
    parts = [part for part in _SEPARATORS.split(text) if part]
    try:
        stars = [float(part) for part in parts]
    except ValueError:
        raise ValueError("must be numbers separated by commas, e.g. 5, 4.5, 4") from None
    if not all(math.isfinite(s) and 0.5 <= s <= 5 and (2 * s).is_integer() for s in stars):
        raise ValueError("must each be 0.5 to 5 stars, in half stars")
    return stars


def input_errors(model: Recommender, values: dict[str, Any]) -> dict[str, str]:
    """Field name -> message for inputs the model cannot use."""
    errors = {}
    movies, user_id = values.get("movies"), values.get("user_id")
    if not movies and user_id is None:
        errors["movies"] = "needs at least one movie, unless a user id is given"
    known = prepared(model)   # the catalogue as dicts: checked on every request
    if movies:
        unknown = [m for m in movies if m not in known.position]
        if unknown:
            errors["movies"] = "has unknown movie id(s): " + ", ".join(map(str, unknown[:10]))
    if user_id is not None and user_id not in known.user_at:
        errors["user_id"] = f"{user_id} is not a user of the training data"
    try:
        stars = parse_ratings(values.get("ratings"))
    except ValueError as exc:
        errors["ratings"] = str(exc)
    else:
        if stars is not None and len(stars) != len(movies or []):
            errors["ratings"] = (f"gives {len(stars)} rating(s) for {len(movies or [])} picked "
                                 "movie(s); give one per movie or none")
    return errors
