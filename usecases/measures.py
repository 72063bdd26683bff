"""Held-out metrics from what `UseCase.predict` answered: one definition per kind of task, so
every use case reports the same figures under the same names."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score, mean_absolute_error,
                             mean_squared_error, precision_score, r2_score, recall_score,
                             roc_auc_score)


def regression(truth: np.ndarray, guess: np.ndarray) -> dict[str, float]:
    """R-squared, mean absolute and root mean squared error of predictions against the truth."""
    return {"r2": float(r2_score(truth, guess)),
            "mae": float(mean_absolute_error(truth, guess)),
            "rmse": float(np.sqrt(mean_squared_error(truth, guess)))}


def binary(truth: np.ndarray, probability: np.ndarray, threshold: float = 0.5
           ) -> dict[str, float]:
    """ROC AUC of the positive class's probability; accuracy, recall, precision and F1 of the
    answers at `threshold`, with the confusion counts. `truth` holds 1 for the positive class."""
    guess = (probability >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(truth, guess, labels=[0, 1]).ravel()
    return {
        "roc_auc": float(roc_auc_score(truth, probability)),
        "accuracy": float(accuracy_score(truth, guess)),
        "recall": float(recall_score(truth, guess, zero_division=0)),
        "precision": float(precision_score(truth, guess, zero_division=0)),
        "f1": float(f1_score(truth, guess, zero_division=0)),
        "true_positives": int(tp), "false_positives": int(fp),
        "true_negatives": int(tn), "false_negatives": int(fn),
    }


def classes(truth: np.ndarray, guess: np.ndarray, positive: str | None = None,
            probability: np.ndarray | None = None) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro F1 of class answers; with two classes, also the ROC
    AUC of `probability` (of the `positive` class) when both classes occur."""
    out = {"accuracy": float(accuracy_score(truth, guess)),
           "balanced_accuracy": float(balanced_accuracy_score(truth, guess)),
           "f1_macro": float(f1_score(truth, guess, average="macro", zero_division=0))}
    if positive is not None and probability is not None and len(set(truth)) == 2:
        out["roc_auc"] = float(roc_auc_score(truth == positive, probability))
    return out


# What each metric is called on the pages, and what it says, in a sentence. Names not here are
# shown as they are; "baseline_<name>" is <name> for the simple baseline the model must beat.
WORDS: dict[str, tuple[str, str]] = {
    "roc_auc": ("ROC AUC", "How often a random positive case gets a higher probability than a "
                           "random negative one: 0.5 is chance, 1 is perfect."),
    "accuracy": ("Accuracy", "Share of the held-out cases answered right."),
    "balanced_accuracy": ("Balanced accuracy", "Accuracy averaged over the classes, so a rare "
                                               "class counts as much as a common one."),
    "recall": ("Recall", "Share of the truly positive cases the model found."),
    "precision": ("Precision", "Share of the model's positive answers that were right."),
    "f1": ("F1 score", "Precision and recall in one figure (their harmonic mean): 1 is "
                       "perfect."),
    "f1_macro": ("F1 score, per class", "The F1 score averaged over the classes."),
    "r2": ("R-squared", "Share of the spread in the true values that the predictions explain: "
                        "0 is no better than always guessing the average, 1 is perfect."),
    "mae": ("Mean absolute error", "How far a prediction is from the truth on average, in the "
                                   "target's own units."),
    "rmse": ("Root mean squared error", "Like the mean absolute error, but large misses count "
                                        "more."),
    "interval_width": ("Width of the likely range", "How wide, on average, the range is in "
                                                    "which 8 in 10 true values fall."),
    "ndcg_at_10": ("NDCG@10", "How near the top of each user's list of 10 the movies they went "
                              "on to like are: 1 puts them all first, 0 lists none."),
    "precision_at_10": ("Precision@10", "Share of the 10 listed movies the user went on to "
                                        "like."),
    "users_ranked": ("Users measured", "Held-out users whose later ratings the lists were "
                                       "checked against."),
    "ndcg_lift_over_baseline": ("NDCG@10 against the baseline", "How many times the baseline's "
                                                                "NDCG@10 the model reaches."),
}
BASELINE_PREFIX = "baseline_"
# Classification's counts of right and wrong answers, drawn as one table (a confusion matrix).
CONFUSION = ("true_positives", "false_negatives", "false_positives", "true_negatives")
ERRORS = ("mae", "rmse", "interval_width")  # in the target's units: three significant digits


def describe(name: str) -> tuple[str, str]:
    """A metric's name for people and a sentence on what it says ("" when unknown)."""
    if name.startswith(BASELINE_PREFIX) and name[len(BASELINE_PREFIX):] in WORDS:
        label, _ = WORDS[name[len(BASELINE_PREFIX):]]
        return (f"{label}, baseline", f"The same figure for the simple baseline the model must "
                                      "beat (the average, or the most popular movies).")
    return WORDS.get(name, (name, ""))


def shown(name: str, value: object) -> str:
    """A metric's value as every page writes it: counts with thousands separators, errors to
    three significant digits, scores and shares to three decimals, a lift as a multiple."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    base = name.removeprefix(BASELINE_PREFIX)
    if base in ERRORS:
        return f"{value:.3g}"
    if base == "ndcg_lift_over_baseline":
        return f"{value:.2f}×"
    return f"{value:.3f}"
