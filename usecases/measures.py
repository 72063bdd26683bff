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
