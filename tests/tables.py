"""Tables an admin might make a use case from, for the tests.

`student_performance` has the shape of the widely used "students performance in exams" table
(1,000 students; gender, race/ethnicity, parental level of education, lunch, test preparation
course; math, reading and writing scores). That table is itself generated (its author's exam
score generator) and no package on PyPI ships it, so the tests draw one of their own with the
same columns, categories and relationships: scores driven by one shared ability, girls ahead in
reading and writing, boys in math, standard lunch and a completed preparation course helping.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

EDUCATION = ["some high school", "high school", "some college", "associate's degree",
             "bachelor's degree", "master's degree"]


def student_performance(rows: int = 1000, seed: int = 2018) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    male = rng.random(rows) < 0.48
    group = rng.choice(["group A", "group B", "group C", "group D", "group E"], rows,
                       p=[0.09, 0.19, 0.32, 0.26, 0.14])
    education = rng.choice(EDUCATION, rows, p=[0.18, 0.2, 0.23, 0.22, 0.12, 0.05])
    standard = rng.random(rows) < 0.645
    prepared = rng.random(rows) < 0.36
    ability = rng.normal(0, 1, rows) + 0.08 * np.array([EDUCATION.index(e) for e in education])
    ability += np.select([group == "group E", group == "group A"], [0.3, -0.25], 0)

    def score(base, spread, boys, lunch, course, noise):
        value = (base + spread * ability + boys * male + lunch * standard + course * prepared
                 + rng.normal(0, noise, rows))
        return np.clip(np.round(value), 0, 100).astype(int)

    return pd.DataFrame({
        "gender": np.where(male, "male", "female"), "race/ethnicity": group,
        "parental level of education": education,
        "lunch": np.where(standard, "standard", "free/reduced"),
        "test preparation course": np.where(prepared, "completed", "none"),
        "math score": score(54, 12.5, 5, 11, 5.5, 4.5),
        "reading score": score(65, 12.5, -7, 7, 7, 3.5),
        "writing score": score(63, 13, -9, 8, 9.5, 3.5)})


def as_csv(frame: pd.DataFrame) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode()
