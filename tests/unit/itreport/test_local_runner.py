"""``load_dag`` finds a DAG in its own file, or anywhere in the folder when the file is named otherwise."""

from __future__ import annotations

from pathlib import Path

from itreport.orchestration.local_runner import load_dag

DAG_FILE = """
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="{dag_id}", schedule=None, start_date=pendulum.datetime(2009, 1, 1))
def build():
    @task
    def nothing() -> None:
        return None

    nothing()


build()
"""


def test_a_dag_is_loaded_from_its_own_file_or_from_the_folder(tmp_path: Path) -> None:
    (tmp_path / "named.py").write_text(DAG_FILE.format(dag_id="named"), encoding="utf-8")
    (tmp_path / "elsewhere.py").write_text(DAG_FILE.format(dag_id="other_name"), encoding="utf-8")

    assert load_dag("named", tmp_path).dag_id == "named"
    assert load_dag("other_name", tmp_path).dag_id == "other_name"
