"""The least each built-in use case's held-out figures must reach, wherever they are measured
(a fresh training in tests/usecases, the stored model in tests/registry/test_served_metrics.py)."""
from __future__ import annotations

# figure -> floor (at least) for higher-is-better figures
FLOORS = {
    "student-score": {"r2": 0.57},
    "heart-disease": {"roc_auc": 0.88},
    "sentiment": {"roc_auc": 0.88, "accuracy": 0.80},
}
# figure -> ceiling (at most) for lower-is-better figures
CEILINGS = {"recommendation": {"rmse": 0.90}}
# The recommender's held-out NDCG@10, in times the popularity baseline's.
NDCG_LIFT_FLOOR = 1.3


def shortfalls(name: str, metrics: dict[str, float], baseline_ndcg: float | None = None
               ) -> list[str]:
    """The floors and ceilings `metrics` miss, in words; empty when all hold."""
    missed = [f"{figure} {metrics[figure]:.4f} < {floor}"
              for figure, floor in FLOORS.get(name, {}).items() if not metrics[figure] >= floor]
    missed += [f"{figure} {metrics[figure]:.4f} > {ceiling}"
               for figure, ceiling in CEILINGS.get(name, {}).items()
               if not metrics[figure] <= ceiling]
    if name == "recommendation" and baseline_ndcg is not None \
            and not metrics["ndcg_at_10"] >= NDCG_LIFT_FLOOR * baseline_ndcg:
        missed.append(f"ndcg_at_10 {metrics['ndcg_at_10']:.4f} < {NDCG_LIFT_FLOOR} x "
                      f"the baseline's {baseline_ndcg:.4f}")
    return missed
