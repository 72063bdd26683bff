"""From validated inputs to recommendation results: the batch is scored in one call, then each
row's list is explained by the movies of its own profile that led to it."""
from __future__ import annotations

from typing import Any

import numpy as np

from usecases.recommendation.data import RELEVANT
from usecases.recommendation.form import parse_ratings
from usecases.recommendation.model import Recommender
from usecases.recommendation.ratings import Profiles

TOP_EFFECTS = 6
LIKED = RELEVANT   # the same "liked" as the evaluation's; lower ratings read "Because you rated"


def recommend(model: Recommender, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per row: output (movie ids in rank order), items, summary, explanation."""
    stars_given = [parse_ratings(row.get("ratings")) for row in rows]
    people = model.profiles([row.get("user_id") for row in rows],
                            [row.get("movies") or [] for row in rows], stars_given)
    ranking, predicted = model.score(people)
    counts = [int(row.get("count") or 10) for row in rows]
    best = model.top(ranking, people, max(counts))
    results = []
    for r, (row, count, stars) in enumerate(zip(rows, counts, stars_given)):
        chosen = best[r, :count]
        contributions, sources = _contributions(model, people, r, chosen)
        liked = people.ratings[people.rows == r] >= LIKED
        items = []
        for j, item in enumerate(chosen.tolist()):
            because = None
            if contributions is not None:
                # "Because you liked" names the liked movie that added most to this one.
                pull = np.where(liked, contributions[:, j], 0.0)
                if pull.max(initial=0.0) > 0:
                    because = model.label(int(sources[pull.argmax()]))
            items.append({"id": int(model.movie_ids_[item]), "title": model.titles_[item],
                          "year": int(model.years_[item]),
                          "genres": [g for g in model.genres_[item].split("|") if g],
                          "predicted_rating": round(float(predicted[r, item]), 2),
                          "score": float(ranking[r, item]), "because": because})
        picked = row.get("movies") or []
        shown = dict.fromkeys(picked, "liked") if stars is None else dict(zip(picked, stars))
        results.append({
            "output": [item["id"] for item in items],
            "items": items,
            "summary": (f"{len(items)} movies, top: {items[0]['title']} ({items[0]['year']})"
                        if items else "No movies to recommend"),
            "explanation": _explanation(model, people, r, contributions, sources, shown),
            "for_user": row.get("user_id"),
        })
    return results


def _contributions(model: Recommender, people: Profiles, row: int, chosen: np.ndarray
                   ) -> tuple[np.ndarray | None, np.ndarray]:
    """How much each of the row's rated movies (sources) adds to each chosen movie's score.

    Only the EASE ranker is a sum over the person's movies; the others explain nothing per movie.
    """
    mine = people.rows == row
    sources = people.items[mine]
    if model.ranker != "ease" or not len(sources) or not len(chosen):
        return None, sources
    weights = model.ranking_weights(people)[mine]
    return model.ease_.weights(sources, chosen) * weights[:, None], sources


def _explanation(model: Recommender, people: Profiles, row: int,
                 contributions: np.ndarray | None, sources: np.ndarray,
                 shown: dict[int, Any]) -> list[dict[str, Any]]:
    """The person's movies that led to the list, each with its share of the list's total score.

    Shares are signed (a movie can pull others down) and their absolute values sum to 1.
    """
    if contributions is None:
        reason = ("Most rated by the MovieLens users" if model.ranker == "popularity"
                  else "Highest predicted ratings for you")
        return [{"feature": reason, "value": model.ranker, "effect": 1.0}]
    per_source = contributions.sum(axis=1)
    total = np.abs(contributions).sum()
    shares = per_source / total if total > 0 else per_source
    stars = people.ratings[people.rows == row]
    explained = []
    for at in np.argsort(-np.abs(shares), kind="stable")[:TOP_EFFECTS].tolist():
        movie_id = int(model.movie_ids_[sources[at]])
        value = shown.get(movie_id, float(stars[at]))
        verb = "rated" if isinstance(value, float) and value < LIKED else "liked"
        explained.append({"feature": f"Because you {verb} {model.label(int(sources[at]))}",
                          "value": value, "effect": float(shares[at])})
    return explained
