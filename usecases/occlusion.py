"""Occlusion: how an input moved a prediction, measured by putting it back to a typical value."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd


def occluded(frame: pd.DataFrame, reference: Mapping[str, Any], copies: int,
             numbers: Sequence[str]) -> pd.DataFrame:
    """`copies` stacked copies of the batch, for one model call.

    Copy 0 is the batch as given; copy j + 1 has column j set to its reference value; any further
    copies (a use case's own extra parts) stay as given for the caller to change. `numbers` are
    made float again after the object-typed stacking.
    """
    n_rows, n_columns = frame.shape
    given = frame.to_numpy(dtype=object)
    stacked = np.broadcast_to(given, (copies, n_rows, n_columns)).copy()
    for j, name in enumerate(frame.columns):
        stacked[j + 1, :, j] = reference[name]
    batch = pd.DataFrame(stacked.reshape(-1, n_columns), columns=list(frame.columns))
    return batch.astype({name: float for name in numbers})
