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
from usecases.recommendation.sums import PADDED_LIMIT, ranges, scipy_sums, stepped_sums

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
    steps = max(counts.tolist())
    if steps * len(chosen) * len(sources) > PADDED_LIMIT:
        summed = _scipy_summed(prep, sources, chosen, counts)
    else:
        table = np.ascontiguousarray(prep.item_kernel[sources].T)   # 0, then users x sources
        summed = stepped_sums(table.take(prep.raters[chosen, :steps].T, axis=0))
    block = summed.T
    if len(sources) + len(chosen) > len(prep.rater_counts):
        # Only then can the list hold a movie of the person's own: B's diagonal is zero.
        block[sources[:, None] == chosen[None, :]] = 0.0
    return block / model.ease_.scale[chosen] * weights[:, None]


def _scipy_summed(prep: Prepared, sources: np.ndarray, chosen: np.ndarray, counts: np.ndarray
                  ) -> np.ndarray:
    """contributions' sums through scipy's product, for long profiles or lists. Only the users
    who rated a chosen movie are read: a long profile's whole table costs more to transpose
    than to sum."""
    entries = ranges(prep.by_item.indptr[chosen], counts)
    users, column = np.unique(prep.by_item.indices[entries], return_inverse=True)
    table = np.ascontiguousarray(prep.item_kernel[sources][:, users + 1].T)
    return scipy_sums(table, column, np.cumsum(counts) - counts, counts)


def because(prep: Prepared, contributions: np.ndarray | None, sources: np.ndarray,
            liked: np.ndarray, count: int) -> list[str | None]:
    """Per chosen movie, the liked movie of the person's that added most to it, if any did."""
    if contributions is None:
        return [None] * count
    pull = np.where(liked[:, None], contributions, 0.0)
    return [prep.labels[source] if most > 0 else None
            for source, most in zip(sources[pull.argmax(axis=0)].tolist(),
                                    np.maximum.reduce(pull, axis=0).tolist())]


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
    # ufunc reductions, as ndarray.sum makes them, without its Python wrapper.
    per_source = np.add.reduce(contributions, axis=1)
    total = np.add.reduce(np.abs(contributions), axis=None)
    shares = per_source / total if total > 0 else per_source
    explained = []
    strongest = np.negative(np.abs(shares)).argsort(kind="stable")[:TOP_EFFECTS]
    for source, given, share in zip(sources[strongest].tolist(), stars[strongest].tolist(),
                                    shares[strongest].tolist()):
        value = shown.get(prep.movies[source][0], given)
        verb = "rated" if isinstance(value, float) and value < LIKED else "liked"
        explained.append({"feature": f"Because you {verb} {prep.labels[source]}",
                          "value": value, "effect": share})
    return explained
