"""A corrupt seed (issue 11): reading it fails naming the file and the line, not with a bare KeyError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingestion.domain.catalogue import load_catalogue
from ingestion.domain.registry import load_registry
from ingestion.domain.resources import SEEDS_DIR
from ingestion.domain.seed_rows import SeedError


@pytest.fixture
def seeds(tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    return target


def _corrupt(path, line_number: int, new_line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_number - 1] = new_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _corrupt_cell(path: Path, line_number: int, column: str, value: str) -> None:
    """Put ``value`` in ``column`` of the file's line ``line_number`` (1 is the header)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header, row = lines[0].split(","), lines[line_number - 1].split(",")
    row[header.index(column)] = value
    _corrupt(path, line_number, ",".join(row))


def test_a_bad_date_in_the_registry_names_file_and_line(seeds):
    _corrupt_cell(seeds / "reporting_units.csv", 4, "valid_from", "2009-13-45")
    with pytest.raises(SeedError, match=r"reporting_units\.csv:4: .*2009-13-45"):
        load_registry(seeds)


def test_a_short_row_in_the_catalogue_names_file_and_line(seeds):
    _corrupt(seeds / "indicator_catalogue.csv", 3, "1.9,G1")
    with pytest.raises(SeedError, match=r"indicator_catalogue\.csv:3: "):
        load_catalogue(seeds)


def test_a_bad_number_in_the_targets_names_file_and_line(seeds):
    _corrupt_cell(seeds / "indicator_targets.csv", 2, "target_value", "nhiều")
    with pytest.raises(SeedError, match=r"indicator_targets\.csv:2: .*nhiều"):
        load_catalogue(seeds)


def test_the_shipped_seeds_read_cleanly():
    assert load_registry().units and load_catalogue().indicators
