"""Sums of table rows picked by runs of a CSR-style index, added exactly as scipy adds them.

Serving must match the evaluated model to the last bit, and the model's sums are scipy's sparse
products: each output row starts at zero and adds its entries one by one, in stored order.
numpy adds in pairs when it sums along the fast axis in memory, so it rounds differently there;
along the slow axis (axis 0 of a C-ordered array, more than one value per row) it adds one row
at a time, as scipy does. So the runs are padded into steps x runs x width, zeros after each
run's end (x + 0 is x), and summed over the steps from zero. For a request's few short runs
that is many times cheaper than building a scipy matrix; long runs (big batches) still go
through scipy, where building the matrix costs little in comparison.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

PADDED_LIMIT = 300_000   # values a padded sum may hold before scipy is cheaper


def run_sums(table: np.ndarray, column: np.ndarray, lo: np.ndarray, hi: np.ndarray,
             weights: np.ndarray | None = None) -> np.ndarray:
    """out[r] = sum of weights[e] * table[column[e]] for e in lo[r]:hi[r], added in order of e.

    Bit for bit what `csr_matrix((weights, column, ptr)) @ table` gives (weights default to
    ones) for the runs laid end to end; table is 2-d, weights (if any) of table's dtype, and
    out a C-ordered runs x width array of that dtype.
    """
    lengths = hi - lo
    steps = int(lengths.max(initial=0))
    if len(lo) * steps * table.shape[1] > PADDED_LIMIT:
        return scipy_sums(table, column, lo, lengths, weights)
    if len(lo) == 1:
        run = slice(lo[0], hi[0])
        return stepped_sums(np.take(table, column[run], axis=0)[:, None],
                            None if weights is None else weights[run, None])
    step = np.arange(steps)[:, None]
    inside = step < lengths                                  # steps x runs
    at = np.where(inside, lo + step, 0)
    factor = inside if weights is None else np.where(inside, weights[at], 0.0)
    return stepped_sums(np.take(table, column[at], axis=0), factor)


def stepped_sums(picked: np.ndarray, factor: np.ndarray | None = None) -> np.ndarray:
    """Sums over the steps (axis 0) of picked (steps x runs x width) times factor (steps x
    runs), from zero and one step at a time: runs x width, C-ordered. Overwrites picked."""
    if factor is not None:
        picked *= factor[..., None]
    if len(picked) == 0:
        return np.zeros(picked.shape[1:], dtype=picked.dtype)
    if picked[0].size == 1:
        return np.cumsum(picked, axis=0)[-1]   # a lone column would be summed in pairs
    return np.add.reduce(picked, axis=0, initial=0.0)


def scipy_sums(table: np.ndarray, column: np.ndarray, lo: np.ndarray, lengths: np.ndarray,
               weights: np.ndarray | None = None) -> np.ndarray:
    """run_sums through scipy's CSR product, for runs too long to pad."""
    entries = ranges(lo, lengths)
    data = (np.ones(len(entries), dtype=table.dtype) if weights is None
            else weights[entries])
    ptr = np.concatenate(([0], np.cumsum(lengths)))
    matrix = sp.csr_matrix((data, column[entries], ptr), shape=(len(lo), table.shape[0]))
    return np.asarray(matrix @ table)


def ranges(lo: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions lo[r] .. lo[r] + lengths[r] - 1 of every r, laid end to end."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - lengths - lo, lengths)
