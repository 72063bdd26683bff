"""The benchmark (bench/): its quick mode runs end to end and writes a well-formed report.

Timings are never asserted here (CI machines differ); what is checked is that every part runs,
that the table and the targets are well formed, that every prediction answered was stored, and
that a reused instance folder is only read. The small pieces the report rests on (parsing
bootstrap lines, wrk's Lua script, judging a target) are checked directly.
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from bench import load, machine, report, training
from bench.http_load import Stored

ROOT = Path(__file__).resolve().parents[2]
QUICK_TIMEOUT = 300  # seconds; the quick mode itself takes well under a minute


def predictions_in(instance: Path) -> int:
    with closing(sqlite3.connect(instance / "modelhub.db")) as connection:
        return connection.execute("SELECT count(*) FROM predictions").fetchone()[0]


@pytest.fixture(scope="module")
def quick(trained_instance, tmp_path_factory) -> dict:
    """One quick run on the session's trained instance: its output, report and the instance."""
    output = tmp_path_factory.mktemp("bench") / "BENCHMARKS.md"
    before = predictions_in(trained_instance)
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--instance", str(trained_instance),
         "--output", str(output)], cwd=ROOT, capture_output=True, text=True,
        timeout=QUICK_TIMEOUT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return {"stdout": result.stdout, "text": output.read_text(), "before": before,
            "instance": trained_instance}


def section(text: str, heading: str) -> list[str]:
    """The lines under `## heading`, up to the next heading."""
    lines = text.splitlines()
    start = lines.index(f"## {heading}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def markdown_table(lines: list[str]) -> list[list[str]]:
    """The cells of the first Markdown table in `lines`, header row first, separator dropped."""
    rows = [line for line in lines if line.startswith("|")]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    assert set(cells[1]) == {"---"}
    return [cells[0]] + cells[2:]


def value(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_results_table_is_well_formed(quick):
    header, *rows = markdown_table(section(quick["text"], "Results"))
    assert tuple(header) == report.COLUMNS
    assert rows
    for row in rows:
        assert len(row) == len(header), row
        low, median, high = value(row[3]), value(row[2]), value(row[4])
        assert low <= median <= high, row
        assert int(row[7]) >= 1


def test_quick_run_measures_sections_one_to_four_and_six(quick):
    sections = {row[0] for row in markdown_table(section(quick["text"], "Results"))[1:]}
    assert {s.split(" ", 1)[0] for s in sections} == {"1.", "2.", "3.", "4.", "6."}
    # PostgreSQL's figures come from the same run: singles at 16 connections, batches of
    # 1,000, the history.
    rows = markdown_table(section(quick["text"], "Results"))[1:]
    postgres = [row[1] for row in rows if row[0].startswith("6.")]
    assert any("16 conn: throughput" in r for r in postgres)
    assert any("batches of 1,000" in r for r in postgres)
    assert any("first page" in r for r in postgres)
    # A reused instance was not trained, so there is no training figure to show.
    assert not any(s.startswith("5.") for s in sections)


def test_every_prediction_answered_was_stored(quick):
    rows = markdown_table(section(quick["text"], "Targets"))[1:]
    stored = [row for row in rows if row[0].endswith("every prediction stored")]
    assert stored and all(row[3] == "PASS" for row in stored), stored


def test_targets_are_judged_or_marked_not_measured(quick):
    header, *rows = markdown_table(section(quick["text"], "Targets"))
    assert header == ["Target", "Required", "Measured (median)", "Result"]
    for row in rows:
        assert row[3].split(" ")[0] in ("PASS", "MISS") or row[3] == "not measured", row
    # The quick mode loads 10,000 predictions only: the 1,000,000-row targets are not judged.
    history = [row for row in rows if "1,000,000" in row[0]]
    assert history and all(row[3] == "not measured" for row in history)


def test_report_names_machine_software_and_commands(quick):
    text = quick["text"]
    assert "cores" in "\n".join(section(text, "Machine"))
    assert "Commit: " in "\n".join(section(text, "Software"))
    commands = "\n".join(section(text, "Commands"))
    assert "python -m bench.run --quick" in commands
    assert "gunicorn --bind 127.0.0.1:PORT" in commands and "wrk --threads 1" in commands


def test_printed_table_is_the_written_one(quick):
    table = "\n".join(line for line in section(quick["text"], "Results") if line.startswith("|"))
    assert table in quick["stdout"]


def test_reused_instance_is_only_read(quick):
    assert predictions_in(quick["instance"]) == quick["before"]


@pytest.mark.parametrize("line, name, seconds, metric", [
    ("heart-disease: version 1 registered and promoted; roc_auc = 0.9100 (7.0 s)",
     "heart-disease", 7.0, "roc_auc = 0.9100"),
    ("student-score: version 12 registered; r2 = 0.5829 (9.9 s)", "student-score", 9.9,
     "r2 = 0.5829"),
])
def test_bootstrap_lines_give_each_use_case_its_seconds(line, name, seconds, metric):
    match = training.REGISTERED.match(line)
    assert (match["name"], float(match["seconds"]), match["metric"]) == (name, seconds, metric)


def test_bootstrap_progress_lines_are_not_read_as_results():
    assert training.REGISTERED.match("heart-disease: training (job 1)") is None


@pytest.mark.parametrize("body", [b'{"inputs": {"a": 1}}', b'{"inputs": {"text": "]=] ]==]"}}'])
def test_wrk_script_carries_the_body_unchanged(body, tmp_path):
    text = load.script(body, tmp_path).read_text()
    opening = text.index("wrk.body = [") + len("wrk.body = [")
    level = text[opening:].index("[")
    closing_bracket = "]" + "=" * level + "]"
    start = opening + level + 1
    assert text[start:text.index(closing_bracket, start)] == body.decode()


@pytest.mark.parametrize("value_, line, higher, passed", [
    (0.6, 0.5, True, True), (0.4, 0.5, True, False),
    (80.0, 100.0, False, True), (120.0, 100.0, False, False),
])
def test_targets_pass_on_the_right_side_of_the_line(value_, line, higher, passed):
    target = report.threshold("t", "r", value_, line, higher_is_better=higher)
    assert target.passed is passed
    assert target.result.startswith("PASS" if passed else "MISS")


def test_unmeasured_target_is_neither_pass_nor_miss():
    assert report.threshold("t", "r", None, 1.0, higher_is_better=True).result == "not measured"


@pytest.mark.parametrize("stored, ok", [(10, True), (12, True), (9, False), (13, False)])
def test_stored_check_allows_only_requests_still_in_flight(stored, ok):
    # 10 answers over 2 connections: up to 2 more rows from requests wrk stopped waiting for.
    assert Stored("x", 2, answered=10, stored=stored, slack=2).ok is ok


def test_commit_is_marked_by_changes_other_than_the_report(tmp_path, monkeypatch):
    """A rerun finds BENCHMARKS.md rewritten by the run before it: that alone is not a change
    to the code measured."""
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "BENCHMARKS.md").write_text("old run\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("commit", "-q", "-m", "start")
    monkeypatch.setattr(machine, "ROOT", tmp_path)
    (tmp_path / "BENCHMARKS.md").write_text("new run\n")
    assert not machine.commit().endswith("with uncommitted changes")
    (tmp_path / "code.py").write_text("x = 2\n")
    assert machine.commit().endswith("with uncommitted changes")
