"""House style is enforced in CI: ruff for Python, sqlfluff (dbt templater) for the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["ruff-check", "ruff-format"])
def test_ruff(args):
    result = subprocess.run([str(BIN / "ruff"), *args], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_lints_the_dbt_models(settings, tmp_path):
    from itreport.config.warehouse import dbt_env

    env = os.environ | dbt_env(settings) | {"DBT_TARGET_PATH": str(tmp_path / "target")}
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "dbt_project/models"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
