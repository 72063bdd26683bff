"""From validated inputs to recommendation results: the batch is scored in one call (see
serving.py), then each row's list is explained by the movies of its own profile that led to it."""
from __future__ import annotations

from typing import Any

import numpy as np

from usecases.recommendation import serving
from usecases.recommendation.data import RELEVANT
from usecases.recommendation.form import parse_ratings
from usecases.recommendation.model import Recommender

TOP_EFFECTS = 6
LIKED = RELEVANT   # the same "liked" as the evaluation's; lower ratings read "Because you rated"


def recommend(model: Recommender, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per row: output (movie ids in rank order), items, summary, explanation."""
    stars_given = [parse_ratings(row.get("ratings")) for row in rows]
    people = model.profiles([row.get("user_id") for row in rows],
                            [row.get("movies") or [] for row in rows], stars_given)
    counts = [int(row.get("count") or 10) for row in rows]
    scored = serving.score(model, people, max(counts))
    results = []
    for r, (row, count, stars) in enumerate(zip(rows, counts, stars_given)):
        chosen = scored.best[r, :count]
        contributions, mine = serving.contributions(model, scored, people, r, chosen)
        sources, given = people.items[mine], people.ratings[mine]
        because = _because(model, contributions, sources, given >= LIKED, len(chosen))
        ranking, predicted = scored.ranking[r, chosen].tolist(), scored.predicted[r, :count]
        items = [{"id": int(model.movie_ids_[item]), "title": model.titles_[item],
                  "year": int(model.years_[item]),
                  "genres": [g for g in model.genres_[item].split("|") if g],
                  "predicted_rating": round(stars_of, 2), "score": score, "because": reason}
                 for item, stars_of, score, reason in zip(chosen.tolist(), predicted.tolist(),
                                                          ranking, because)]
        picked = row.get("movies") or []
        shown = dict.fromkeys(picked, "liked") if stars is None else dict(zip(picked, stars))
        results.append({
            "output": [item["id"] for item in items],
            "items": items,
            "summary": (f"{len(items)} movies, top: {items[0]['title']} ({items[0]['year']})"
                        if items else "No movies to recommend"),
            "explanation": _explanation(model, given, contributions, sources, shown),
            "for_user": row.get("user_id"),
        })
    return results


def _because(model: Recommender, contributions: np.ndarray | None, sources: np.ndarray,
             liked: np.ndarray, count: int) -> list[str | None]:
    """Per chosen movie, the liked movie of the person's that added most to it, if any did."""
    if contributions is None:
        return [None] * count
    pull = np.where(liked[:, None], contributions, 0.0)
    return [model.label(int(sources[at])) if most > 0 else None
            for at, most in zip(pull.argmax(axis=0).tolist(), pull.max(axis=0).tolist())]


def _explanation(model: Recommender, stars: np.ndarray, contributions: np.ndarray | None,
                 sources: np.ndarray, shown: dict[int, Any]) -> list[dict[str, Any]]:
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
    explained = []
    for at in np.argsort(-np.abs(shares), kind="stable")[:TOP_EFFECTS].tolist():
        movie_id = int(model.movie_ids_[sources[at]])
        value = shown.get(movie_id, float(stars[at]))
        verb = "rated" if isinstance(value, float) and value < LIKED else "liked"
        explained.append({"feature": f"Because you {verb} {model.label(int(sources[at]))}",
                          "value": value, "effect": float(shares[at])})
    return explained
