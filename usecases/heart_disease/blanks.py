"""Blank inputs as unknowns: plausible completions lent by similar training patients.

In the data, which tests are missing depends on the hospital, and the hospitals' disease rates
differ a lot (36% in Hungary, 93% in Switzerland), so the model's missing-value flags learned the
hospital. A visitor's blank means "unknown", not "not measured here". A row with blanks is
therefore scored as the average over COUNT completions: the training patients most similar on
the inputs given each lend their values for the blank ones, and the model scores every completed
row. That average is the model's estimate of the disease rate among patients like this one.

A donor lends everything the visitor left blank, its own unmeasured tests included: which tests
a patient had depends on where they were examined, and that is as unknown as the results. Drawing
both from similar patients weighs the hospitals by how often they saw patients like this one, as
the disease rate among similar patients does. Lending only from patients with every test
measured would instead mean "examined where every test is done": one hospital, with its own rate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from usecases.heart_disease.data import CATEGORIES, NUMBERS

COUNT = 25  # completions per row: enough to average over, few enough to stay local
# A different level of a category counts like numbers sqrt(3) standard deviations apart: sex and
# chest pain split the disease rates more than a decade of age does.
LEVEL_GAP = 3.0
MISSING = -1  # category code of a value not measured


@dataclass(frozen=True)
class Donors:
    """The training patients that lend values, with what the distance between patients needs.

    Saved in the artifact with the model, so serving completes blanks from the data the
    evaluated model was trained on.
    """

    numbers: np.ndarray      # (n, k) values of NUMBERS, NaN where not measured
    codes: np.ndarray        # (n, c) position of each category value in its levels, or MISSING
    scale: np.ndarray        # (k,) standard deviation of each number in the training rows
    unmeasured: np.ndarray   # (k + c,) gap to a donor who lacks an input (see `of`)

    @classmethod
    def of(cls, train: pd.DataFrame) -> "Donors":
        """The donors of a training frame (in the cleaned data's columns).

        A donor who lacks an input the visitor gave is as far from the visitor, on that input,
        as two patients drawn at random: 2 for a number in standard deviations (squared),
        LEVEL_GAP times the chance that two patients' levels differ for a category.
        """
        numbers = train[list(NUMBERS)].to_numpy(dtype=float)
        scale = np.nanstd(numbers, axis=0)
        scale[~(scale > 0)] = 1.0  # a constant (or never measured) input: no gap to scale
        codes = category_codes(train[list(CATEGORIES)].to_numpy(dtype=object).tolist())
        differ = []
        for j, levels in enumerate(CATEGORIES.values()):
            measured = codes[:, j][codes[:, j] != MISSING]
            shares = np.bincount(measured, minlength=len(levels)) / max(len(measured), 1)
            differ.append(LEVEL_GAP * (1.0 - float((shares ** 2).sum())))
        return cls(numbers=numbers, codes=codes, scale=scale,
                   unmeasured=np.array([2.0] * len(NUMBERS) + differ))

    def nearest(self, numbers: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """(n, COUNT) indices, ascending, of the donors nearest each row on its given inputs;
        of donors equally near, the earlier.

        `numbers` (n, k) has NaN and `codes` (n, c) MISSING for a blank. A distance is summed
        element by element, input by input, so a row gets the same donors alone or in any batch.
        """
        distance = np.zeros((len(numbers), len(self.numbers)))
        k = numbers.shape[1]
        for j in range(k):
            given = ~np.isnan(numbers[:, j])
            if given.any():
                gap = (numbers[given, j, None] / self.scale[j]
                       - self.numbers[None, :, j] / self.scale[j]) ** 2
                gap[:, np.isnan(self.numbers[:, j])] = self.unmeasured[j]
                _add(distance, given, gap)
        for j in range(codes.shape[1]):
            given = codes[:, j] != MISSING
            if given.any():
                gap = np.where(self.codes[None, :, j] == codes[given, j, None], 0.0, LEVEL_GAP)
                gap[:, self.codes[:, j] == MISSING] = self.unmeasured[k + j]
                _add(distance, given, gap)
        return first(distance, min(COUNT, len(self.numbers)))

    def lend(self, picked: np.ndarray, numbers: np.ndarray, codes: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        """The completed rows, each row's `picked` donors in turn: (n * COUNT, k) numbers with
        NaN where the donor lacked the value too, and (n * COUNT, c) category codes."""
        count, donors = picked.shape[1], picked.ravel()
        given = np.repeat(numbers, count, axis=0)
        asked = np.repeat(codes, count, axis=0)
        return (np.where(np.isnan(given), self.numbers[donors], given),
                np.where(asked == MISSING, self.codes[donors], asked))


def _add(distance: np.ndarray, given: np.ndarray, gap: np.ndarray) -> None:
    """Add one input's gaps to the rows that gave it (usually all of a batch: no copy then)."""
    if given.all():
        distance += gap
    else:
        distance[given] += gap


def first(distance: np.ndarray, count: int) -> np.ndarray:
    """(n, count) column indices, ascending, of each row's `count` smallest distances; of tied
    distances at the boundary the earlier columns are taken (what a stable sort would keep)."""
    kth = np.partition(distance, count - 1, axis=1)[:, count - 1:count]
    below = distance < kth
    tied = distance == kth
    room = count - below.sum(axis=1, keepdims=True)
    chosen = below | (tied & (np.cumsum(tied, axis=1) <= room))
    return np.nonzero(chosen)[1].reshape(len(distance), count)


def category_codes(rows: list[list[Any]]) -> np.ndarray:
    """(n, c) positions of category values in their CATEGORIES levels; MISSING for None (or
    NaN)."""
    lookup = [{level: i for i, level in enumerate(levels)} for levels in CATEGORIES.values()]
    return np.array([[MISSING if v is None or v != v else lookup[j][v]
                      for j, v in enumerate(row)]
                     for row in rows], dtype=np.int64).reshape(len(rows), len(CATEGORIES))


def category_values(codes: np.ndarray) -> dict[str, np.ndarray]:
    """Category codes back to values, NaN for MISSING, per category (a DataFrame's columns)."""
    # MISSING (-1) picks the NaN put last.
    return {name: np.array(list(levels) + [np.nan], dtype=object)[codes[:, j]]
            for j, (name, levels) in enumerate(CATEGORIES.items())}
