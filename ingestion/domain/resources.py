"""Where the project's files are: the checkout's folders when running from one, else the copies the wheel carries.

A worker installs the product as a wheel (``pip install -c constraints.txt .``); the dbt project (its seeds hold the
catalogue and the registry) and the DAG files travel inside it as package data under ``itreport/bundled``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def _in_checkout() -> bool:
    return (CHECKOUT_ROOT / "pyproject.toml").is_file() and (CHECKOUT_ROOT / "dbt_project").is_dir()


IN_CHECKOUT = _in_checkout()


def project_folder(name: str) -> Path:
    """``dbt_project`` or ``dags``: the checkout's folder, or the copy bundled in the installed wheel."""
    if IN_CHECKOUT:
        return CHECKOUT_ROOT / name
    return Path(str(files("itreport.bundled") / name))


def package_file(package: str, name: str) -> Path:
    """A data file shipped inside a package (SQL, GX configuration), as a path on disk."""
    return Path(str(files(package) / name))


DBT_PROJECT_DIR = project_folder("dbt_project")
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
DAGS_DIR = project_folder("dags")
