"""The dbt project documents what it builds: cheap checks on its YAML, no database and no dbt run."""

from pathlib import Path

import yaml

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
MODELS_DIR = DBT_DIR / "models"


def _model_entries() -> dict[str, tuple[Path, dict]]:
    entries: dict[str, tuple[Path, dict]] = {}
    for path in sorted(MODELS_DIR.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            assert model["name"] not in entries, f"{model['name']} is described twice"
            entries[model["name"]] = (path, model)
    return entries


def test_every_model_is_documented_and_marts_have_typed_contracts():
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["profile"] == "itreport"
    assert {"deadline_day", "timezone", "first_period"} <= set(project["vars"])

    entries = _model_entries()
    sql_files = sorted(MODELS_DIR.rglob("*.sql"))
    assert sql_files, "no models found"
    problems = []
    for sql in sql_files:
        name = sql.stem
        if name not in entries:
            problems.append(f"{sql.relative_to(DBT_DIR)}: no .yml entry")
            continue
        yml_path, model = entries[name]
        if yml_path.parent != sql.parent:
            problems.append(f"{name}: described in {yml_path.relative_to(DBT_DIR)}, not beside the model")
        if not str(model.get("description") or "").strip():
            problems.append(f"{name}: no description")
        columns = model.get("columns") or []
        if not columns:
            problems.append(f"{name}: no columns documented")
        for column in columns:
            if not str(column.get("description") or "").strip():
                problems.append(f"{name}.{column['name']}: no description")
        if sql.parent.name == "marts":
            contract = (model.get("config") or {}).get("contract") or {}
            if contract.get("enforced") is not True:
                problems.append(f"{name}: mart without an enforced contract")
            for column in columns:
                if not str(column.get("data_type") or "").strip():
                    problems.append(f"{name}.{column['name']}: no data_type")
    assert not problems, "\n".join(problems)
