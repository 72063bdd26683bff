"""What two model versions were trained and measured on, side by side, for the compare page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.models import DatasetVersion, ModelVersion


@dataclass(frozen=True)
class DataSide:
    """One version's data: its dataset version (None for versions registered before datasets
    were recorded), training rows by source, and the held-out rows it was measured on."""

    dataset: DatasetVersion | None
    rows_by_source: dict[str, int]
    held_out_rows: int | None
    held_out_fingerprint: str | None
    new_data: dict[str, Any] | None


@dataclass(frozen=True)
class SourceChange:
    source: str
    a: int | None
    b: int | None

    @property
    def difference(self) -> int:
        return (self.b or 0) - (self.a or 0)


@dataclass(frozen=True)
class DataComparison:
    a: DataSide
    b: DataSide
    sources: list[SourceChange]

    @property
    def same_held_out(self) -> bool:
        """Whether both were measured on the very same held-out rows (known for both)."""
        return self.a.held_out_fingerprint is not None and \
            self.a.held_out_fingerprint == self.b.held_out_fingerprint

    @property
    def same_training_data(self) -> bool:
        return self.a.dataset is not None and self.b.dataset is not None and \
            self.a.dataset.fingerprint == self.b.dataset.fingerprint


def evaluation(version: ModelVersion) -> dict[str, Any]:
    found = (version.params or {}).get("evaluation")
    return found if isinstance(found, dict) else {}


def data_side(version: ModelVersion) -> DataSide:
    dataset, held_out = version.dataset, evaluation(version).get("held_out") or {}
    by_source: dict[str, int] = {}
    if dataset is not None:
        recorded = dataset.details.get("rows_by_source") if dataset.details else None
        by_source = {str(k): int(v) for k, v in recorded.items()} if recorded else \
            {" + ".join(dataset.sources): dataset.rows}
    return DataSide(dataset, by_source, held_out.get("rows"), held_out.get("fingerprint"),
                    evaluation(version).get("new_data"))


def data_comparison(a: ModelVersion, b: ModelVersion) -> DataComparison:
    first, second = data_side(a), data_side(b)
    names = list(first.rows_by_source) + [n for n in second.rows_by_source
                                          if n not in first.rows_by_source]
    return DataComparison(first, second, [SourceChange(n, first.rows_by_source.get(n),
                                                       second.rows_by_source.get(n))
                                          for n in names])
