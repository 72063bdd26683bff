"""From validated inputs to recommendation results: the batch is scored in one call (see
serving.py), then each row's list is explained by the movies of its own profile that led to it
(explanations.py)."""
from __future__ import annotations

from typing import Any

from usecases.recommendation import explanations
from usecases.recommendation.explanations import LIKED
from usecases.recommendation.model import Recommender
from usecases.recommendation.people import people as people_of
from usecases.recommendation.prepared import Prepared, prepared
from usecases.recommendation.serving import score


def recommend(model: Recommender, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per row: output (movie ids in rank order), items, summary, explanation."""
    prep = prepared(model)
    people, starts, stars_given = people_of(model, prep, rows)
    counts = [int(row.get("count") or 10) for row in rows]
    scored = score(model, prep, people, starts, max(counts))
    # Whole-batch conversions once, rather than a numpy call per row for each.
    liked = people.ratings >= LIKED
    best, stars_of, scores = (scored.best.tolist(), scored.predicted.tolist(),
                              scored.scores.tolist())
    results = []
    for r, (row, count, stars) in enumerate(zip(rows, counts, stars_given)):
        chosen = scored.best[r, :count]
        mine = slice(starts[r], starts[r + 1])
        sources, given = people.items[mine], people.ratings[mine]
        contributions = explanations.contributions(model, prep, sources, scored.weights[mine],
                                                   chosen)
        because = explanations.because(prep, contributions, sources, liked[mine], len(chosen))
        items = _items(prep, best[r][:count], stars_of[r][:count], scores[r][:count], because)
        picked = row.get("movies") or []
        shown = dict.fromkeys(picked, "liked") if stars is None else dict(zip(picked, stars))
        results.append({
            "output": [item["id"] for item in items],
            "items": items,
            "summary": (f"{len(items)} movies, top: {items[0]['title']} ({items[0]['year']})"
                        if items else "No movies to recommend"),
            "explanation": explanations.explanation(model, prep, given, contributions, sources,
                                                    shown),
            "for_user": row.get("user_id"),
        })
    return results


# Below this predicted rating a listed movie gets no "because you liked": the list comes from
# what is watched with the person's movies, the stars from a separate rating model, and a
# movie that model expects them to dislike is not one to recommend on the strength of a like.
BECAUSE_MIN_STARS = 3.0


def _items(prep: Prepared, chosen: list[int], stars: list[float], scores: list[float],
           because: list[str | None]) -> list[dict[str, Any]]:
    """The listed movies as the page and the API show them."""
    items = []
    for item, stars_of, score_of, reason in zip(chosen, stars, scores, because):
        movie_id, title, year, genres = prep.movies[item]
        rating = round(stars_of, 2)
        items.append({"id": movie_id, "title": title, "year": year, "genres": list(genres),
                      "predicted_rating": rating, "score": score_of,
                      "because": reason if rating >= BECAUSE_MIN_STARS else None})
    return items
