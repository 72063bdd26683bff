"""Category inputs as numbers: one column per level, rare levels pooled, unknown as the usual mix.

An "unknown" level of its own would be learned from the few pupils whose records lack a value,
and those come from a handful of classrooms (all 29 without a teacher ethnicity, for instance), so
a visitor leaving a box blank would inherit those classrooms' luck: about 15 points in a first try.
Counting a missing value as the training mix of levels instead (e.g. 0.51 free lunch, 0.49 paying)
makes a blank answer mean "somewhere among the pupils in the study", which is what it says.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin


class LevelMix(BaseEstimator, TransformerMixin):
    """One-hot encoding with pooled rare levels; a missing value becomes the training mix.

    `levels` maps each column to its known levels; levels seen fewer than `min_count` times in
    training share one "other" column, so a handful of pupils cannot carry a coefficient alone.
    """

    def __init__(self, levels: dict[str, tuple[str, ...]], min_count: int = 20) -> None:
        self.levels = levels
        self.min_count = min_count

    def fit(self, X: pd.DataFrame, y: Any = None) -> "LevelMix":
        self.kept_: dict[str, list[str]] = {}
        self.tables_: dict[str, np.ndarray] = {}
        for name, levels in self.levels.items():
            counts = X[name].value_counts()
            kept = [level for level in levels if counts.get(level, 0) >= self.min_count]
            pooled = len(kept) < len(levels)
            # Rows of the lookup table: one per kept level, the pool if any, then the mix.
            onehot = np.eye(len(kept) + pooled)
            codes = self._codes(name, X[name], kept, pooled)
            seen = codes[codes >= 0]
            mix = onehot[seen].mean(axis=0) if len(seen) else np.full(len(onehot), 1 / len(onehot))
            self.kept_[name] = kept
            self.tables_[name] = np.vstack([onehot, mix])
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        blocks = []
        for name, table in self.tables_.items():
            kept = self.kept_[name]
            codes = self._codes(name, X[name], kept, pooled=len(table) - 1 > len(kept))
            blocks.append(table[np.where(codes >= 0, codes, len(table) - 1)])
        return np.hstack(blocks)

    def _codes(self, name: str, values: pd.Series, kept: list[str], pooled: bool) -> np.ndarray:
        """Row index into the one-hot table: a kept level, the pool, or -1 for missing."""
        codes = pd.Categorical(values, categories=kept).codes.astype(int)
        rare = (codes < 0) & values.notna().to_numpy()
        # A level outside `levels` cannot pass validation; if one came, it would count as missing.
        if pooled:
            codes[rare & values.isin(self.levels[name]).to_numpy()] = len(kept)
        return codes
