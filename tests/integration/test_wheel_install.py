"""The documented worker install works: a wheel built from a copy of the repo's files (nothing is written into the
checkout), installed into a fresh virtualenv outside the repo, runs the CLI, imports every DAG from the DAG folder
setting and runs intake on a one-message Maildir.

The fresh virtualenv gets the wheel with ``--no-deps``; its third-party dependencies come from this test run's
virtualenv, added as a plain path (so the checkout's editable install is not visible there)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from datetime import date
from pathlib import Path

import pytest
from support.scratch import scratch_settings

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("wheel")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    source, dist = work / "source", work / "dist"
    listed = subprocess.check_output(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO)
    for name in filter(None, listed.decode().split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        cwd=work,
    )
    (wheel,) = dist.glob("itreport-*.whl")
    target = work / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    site = Path(
        subprocess.check_output(
            [str(target / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(target / "bin" / "python"),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return target, wheel


def _run(target: Path, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=900)


def _env(home: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ITREPORT_", "AIRFLOW", "PYTHONPATH"))}
    return keep | {"ITREPORT_HOME": str(home), "AIRFLOW_HOME": str(home / "airflow"), **extra}


def test_wheel_carries_sql_gx_files_dbt_project_and_dags(installed):
    _, wheel = installed
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "ingestion/raw_schema.sql",
        "expectations/gx/great_expectations.yml",
        "itreport/bundled/dbt_project/dbt_project.yml",
        "itreport/bundled/dbt_project/seeds/indicator_catalogue.csv",
        "itreport/bundled/dbt_project/models/marts/fct_reporting_compliance.sql",
        "itreport/bundled/dags/monthly_close.py",
    ):
        assert required in names, required
    assert not any(name.startswith("itreport/bundled/dbt_project/target/") for name in names)


def test_cli_help_runs_from_the_wheel(installed, tmp_path):
    target, _ = installed
    result = _run(target, [str(target / "bin" / "itreport"), "--help"], _env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sample-mail" in result.stdout and "db" in result.stdout


def test_dags_import_from_the_dag_folder_setting(installed, tmp_path):
    target, _ = installed
    script = """
import json
from airflow.dag_processing.dagbag import DagBag
import itreport
from itreport.config.settings import Settings
settings = Settings.from_env()
bag = DagBag(dag_folder=str(settings.dags_dir))
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dags),
                  "package": itreport.__file__, "dags_dir": str(settings.dags_dir),
                  "dbt": str(settings.dbt_project_dir)}))
"""
    env = _env(tmp_path, AIRFLOW__CORE__LOAD_EXAMPLES="false")
    result = _run(target, [str(target / "bin" / "python"), "-c", script], env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["errors"] == {}
    assert {"intake", "monthly_close"} <= set(found["dags"])
    for path in (found["package"], found["dags_dir"], found["dbt"]):
        assert str(target) in path and str(REPO) not in path, path
    assert (Path(found["dbt"]) / "profiles.yml").is_file()


def test_intake_runs_from_the_wheel_on_a_one_message_maildir(installed, tmp_path, settings):
    from itreport.demo.sample_mail import generate_mailbox

    target, _ = installed
    scratch = scratch_settings(settings, tmp_path / "home", "itreport_wheel_intake")
    truth = generate_mailbox(scratch.maildir, date(2009, 6, 1), units=1, with_doc=False)
    files = [f for sub in ("new", "cur") for f in (scratch.maildir / sub).iterdir()]
    assert len(files) == len(truth.messages) >= 1
    script = """
import json
from itreport.config.settings import Settings
from itreport.orchestration.intake_run import run_intake
print(json.dumps(run_intake(Settings.from_env()).as_dict()))
"""
    env = _env(scratch.home, ITREPORT_MAILDIR=str(scratch.maildir), ITREPORT_WAREHOUSE_URL=scratch.warehouse_url or "")
    result = _run(target, [str(target / "bin" / "python"), "-c", script], env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["seen"] == len(files)
    assert sum(counts["states"].values()) == len(files)
    import psycopg

    with psycopg.connect(scratch.warehouse_url) as conn:
        ledger = conn.execute("select count(*) from raw.messages").fetchone()[0]
    assert ledger == len(files)
    assert len(list((scratch.home / "archive").rglob("*.eml"))) == len(files)
