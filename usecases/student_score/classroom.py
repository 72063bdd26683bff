"""The classroom profile: which study classroom a pupil's teacher and class inputs point to.

In STAR each first-grade teacher had one class, and the teacher and class inputs (school type,
class type, degree, career ladder, years of experience, teacher ethnicity) nearly single it out:
the 6,379 pupils show 308 distinct profiles, and 363 once the (unasked) school id is added.
Classrooms differ a lot in math (teaching, peers, school), so the model may learn from that
profile: the mean score of the pupils who shared it (target encoded, cross-fitted, in the
pipeline) and two facts about those classmates computed here. A profile never seen in training
gets the overall values, so the model falls back to the inputs (CV R2 0.55 without the profile,
0.61 with it).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

PROFILE = ("school1", "star1", "degree1", "ladder1", "experience1", "tethnicity1")
KEY = "classroom"
READING, FREE_LUNCH = "class_reading", "class_free_lunch"
NO_CLASSROOM = "(none)"  # a key no training row has: the profile pinned to "unknown"


def classroom_key(frame: pd.DataFrame) -> pd.Series:
    """One string per row joining the profile inputs; missing values read "nan" on both sides."""
    key = frame[PROFILE[0]].astype(str)
    for name in PROFILE[1:]:
        key = key + "|" + frame[name].astype(str)
    return key


def row_keys(rows: list[dict[str, Any]], numbers: tuple[str, ...]) -> list[str]:
    """`classroom_key` for plain row dicts, without a frame: the same strings for the same rows.

    The frame holds `numbers` as floats and a blank as NaN, which read "15.0" and "nan".
    """
    return ["|".join("nan" if row.get(name) is None
                     else str(float(row[name])) if name in numbers else str(row[name])
                     for name in PROFILE) for row in rows]


class ClassroomProfile(BaseEstimator, TransformerMixin):
    """Adds the classroom key and the classmates' mean reading score and free-lunch share.

    If the frame already has a `classroom` column, it is used as given: the explanation pins the
    key so that changing one teacher input is not read as moving the pupil to another classroom.
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> "ClassroomProfile":
        key = classroom_key(X)
        free = X["lunch1"].eq("free").astype(float).where(X["lunch1"].notna())
        self.reading_ = X["read1"].groupby(key).mean()
        self.free_lunch_ = free.groupby(key).mean()
        self.size_ = key.value_counts()
        self.overall_reading_ = float(X["read1"].mean())
        self.overall_free_lunch_ = float(free.mean()) if free.notna().any() else 0.5
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        key = out[KEY] if KEY in out else classroom_key(out)
        out[KEY] = key
        out[READING] = key.map(self.reading_).fillna(self.overall_reading_).astype(float)
        out[FREE_LUNCH] = key.map(self.free_lunch_).fillna(self.overall_free_lunch_).astype(float)
        return out

    def classmates(self, keys: pd.Series) -> np.ndarray:
        """How many training pupils share each key (0 for a profile not in the study)."""
        return keys.map(self.size_).fillna(0).astype(int).to_numpy()
