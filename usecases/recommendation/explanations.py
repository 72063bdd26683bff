"""Why each movie was listed: how much each of the person's movies added to its score.

`contributions` is Ease.weights (times the ranking weights) for one person's movies and list,
its sums arranged as sums.py explains; `because` and `explanation` read the page's and the
API's words from it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from usecases.recommendation.data import RELEVANT
from usecases.recommendation.model import Recommender
from usecases.recommendation.prepared import Prepared
from usecases.recommendation.sums import PADDED_LIMIT, scipy_sums, stepped_sums

TOP_EFFECTS = 6
LIKED = RELEVANT   # the same "liked" as the evaluation's; lower ratings read "Because you rated"


def contributions(model: Recommender, prep: Prepared, sources: np.ndarray,
                  weights: np.ndarray, chosen: np.ndarray) -> np.ndarray | None:
    """sources x chosen: how much each of the person's movies (`sources`, with their ranking
    `weights`) adds to each chosen movie's score; None for rankers that are no such sum."""
    if model.ranker != "ease" or not len(sources) or not len(chosen):
        return None
    # X[:, chosen]' (X[:, sources]' K)': the columns of X'K of each chosen movie's raters,
    # summed, chosen x sources as the reference's product gives them (its layout decides how
    # the shares' sums add).
    counts = prep.rater_counts[chosen]
    steps = int(counts.max())
    table = np.ascontiguousarray(prep.item_kernel[sources].T)   # 0, then users x sources
    if steps * len(chosen) * len(sources) > PADDED_LIMIT:
        summed = scipy_sums(table[1:], prep.by_item.indices, prep.by_item.indptr[chosen], counts)
    else:
        summed = stepped_sums(np.take(table, prep.raters[chosen, :steps].T, axis=0))
    block = summed.T
    block[sources[:, None] == chosen[None, :]] = 0.0
    return block / model.ease_.scale[chosen] * weights[:, None]


def because(prep: Prepared, contributions: np.ndarray | None, sources: np.ndarray,
            liked: np.ndarray, count: int) -> list[str | None]:
    """Per chosen movie, the liked movie of the person's that added most to it, if any did."""
    if contributions is None:
        return [None] * count
    pull = np.where(liked[:, None], contributions, 0.0)
    return [prep.labels[source] if most > 0 else None
            for source, most in zip(sources[pull.argmax(axis=0)].tolist(),
                                    pull.max(axis=0).tolist())]


def explanation(model: Recommender, prep: Prepared, stars: np.ndarray,
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
    explained = []
    strongest = np.argsort(-np.abs(shares), kind="stable")[:TOP_EFFECTS]
    for source, given, share in zip(sources[strongest].tolist(), stars[strongest].tolist(),
                                    shares[strongest].tolist()):
        value = shown.get(prep.movies[source][0], given)
        verb = "rated" if isinstance(value, float) and value < LIKED else "liked"
        explained.append({"feature": f"Because you {verb} {prep.labels[source]}",
                          "value": value, "effect": share})
    return explained
