"""Whatever the file, reading and proposing end in a table, a proposal or a TableError."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from tests.usecases.tabular.test_profile import checked
from usecases.tabular.profile import propose
from usecases.tabular.table import TableError, read_table

CELLS = ["", " ", "0", "1", "-3.5", "1e400", "nan", "inf", "1,234", "3,5", "TRUE", "no",
         "2024-02-30", "12:30", "group A", "Zoë", "a much longer sentence with several words",
         '"quoted"', "x;y", "tab\there", "line\nbreak", "\u200b", "NULL", "?"]


def random_table(rng: np.random.Generator) -> bytes:
    columns = int(rng.integers(1, 8))
    rows = int(rng.integers(15, 90))
    kinds = rng.choice(len(CELLS), size=(columns, 4))  # each column draws from a few cells
    out = io.StringIO()
    writer = csv.writer(out, delimiter=str(rng.choice([",", ";", "\t"])))
    writer.writerow([f"col {i}" if rng.random() > 0.03 else "" for i in range(columns)])
    for _ in range(rows):
        writer.writerow([CELLS[int(rng.choice(kinds[c]))] for c in range(columns)])
    data = out.getvalue().encode("utf-8")
    if rng.random() < 0.2:  # damage it: cut it short or drop in stray bytes
        at = int(rng.integers(0, len(data) + 1))
        data = data[:at] + (bytes(rng.integers(0, 256, 3).tolist()) if rng.random() < 0.5
                            else b"")
    return data


@pytest.mark.parametrize("seed", range(60))
def test_a_random_file_is_read_or_refused_and_proposed_without_crashing(seed):
    rng = np.random.default_rng(seed)
    data = random_table(rng)
    try:
        frame = read_table(data)
    except TableError as refused:
        assert refused.status in (400, 413, 415, 422) and refused.message
        return
    task = [None, "regression", "classification"][seed % 3]
    for target in list(frame.columns)[:2] + ["missing"]:
        checked(propose(frame, target, task=task, include=frame.columns[:1]))
