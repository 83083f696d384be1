"""docker/ checked without a Docker engine: the compose file against the compose-spec schema, every Dockerfile
with hadolint, and the invariants the stack relies on, read from the parsed YAML."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE = DOCKER / "compose.yaml"
BIN = Path(sys.executable).parent
DOCKERFILES = sorted(DOCKER.rglob("Dockerfile"))
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
}
VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?[-?+]([^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment is written as a mapping"
    return {k: str(v) for k, v in env.items()}


def test_compose_file_matches_the_compose_spec_schema():
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout.lower()


def test_a_broken_compose_file_fails_the_schema(tmp_path):
    """The schema check can fail: a service with an unknown key is refused."""
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  redis:\n    image: redis:7.2-bookworm\n    healthcheck_typo: {}\n")
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(DOCKER)))
def test_dockerfile_passes_hadolint(dockerfile):
    result = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", "--config", str(DOCKER / ".hadolint.yaml"), str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_ignores_have_reasons():
    config = yaml.safe_load((DOCKER / ".hadolint.yaml").read_text(encoding="utf-8"))
    text = (DOCKER / ".hadolint.yaml").read_text(encoding="utf-8")
    for rule in config.get("ignored", []):
        before = text.split(f"- {rule}")[0].rstrip().splitlines()
        assert before[-1].lstrip().startswith("#") and len(before[-1]) > 40, f"{rule} has no reason above it"
    for dockerfile in DOCKERFILES:
        assert "hadolint ignore" not in dockerfile.read_text(encoding="utf-8"), "ignores live in .hadolint.yaml"


def test_expected_services_are_there(compose):
    services = set(compose["services"])
    assert services >= AIRFLOW_SERVICES | {"postgres", "redis", "dovecot", "mailpit", "superset", "mail-sample"}


def _image_tag(image: str) -> str:
    """The image as compose would resolve it with an empty .env (the default of ``${VAR:-default}``)."""
    match = VARIABLE.fullmatch(image)
    return match.group(2) if match else image


def test_every_image_tag_is_pinned(compose):
    images = {name: _image_tag(s["image"]) for name, s in compose["services"].items() if "image" in s}
    froms = {
        f"{p.relative_to(DOCKER)}:{line.split()[1]}": line.split()[1]
        for p in DOCKERFILES
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.startswith("FROM ")
    }
    assert images and froms
    for where, image in {**images, **froms}.items():
        name, _, tag = image.rpartition(":")
        assert name and tag, f"{where}: {image} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{where}: {image} is not pinned to a version"
    assert any(image.startswith("apache/airflow:3.3.2") for image in froms.values())


def test_every_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        assert test, f"{name} has no health check"


def test_one_jwt_secret_and_the_execution_api_at_the_api_server(compose):
    secrets = {name: _env(compose["services"][name]).get("AIRFLOW__API_AUTH__JWT_SECRET") for name in AIRFLOW_SERVICES}
    assert None not in secrets.values(), secrets
    assert len(set(secrets.values())) == 1, secrets
    assert VARIABLE.fullmatch(next(iter(secrets.values()))), "the secret comes from .env"
    for name in AIRFLOW_SERVICES:
        env = _env(compose["services"][name])
        url = env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
        assert re.fullmatch(r"http://airflow-apiserver:8080/execution/", url), url
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false"
    assert compose["services"]["airflow-apiserver"]["command"] == "api-server"


def test_worker_can_be_scaled(compose):
    worker = compose["services"]["airflow-worker"]
    assert worker["command"] == "celery worker"
    assert "container_name" not in worker and "ports" not in worker, "a fixed name or host port stops --scale"


def test_no_secret_in_the_compose_file(compose):
    for name, service in compose["services"].items():
        for key, value in _env(service).items():
            if SECRET_NAME.search(key):
                match = VARIABLE.fullmatch(value)
                assert (match and not (match.group(2) or "").strip()) or "set in .env" in value, (
                    f"{name}: {key} must come from .env without a default"
                )
            for userinfo in re.findall(r"://([^@/\s]*)@", value):
                password = userinfo.partition(":")[2]
                assert not password or VARIABLE.fullmatch(password), f"{name}: {key} has a password in the URL"


def test_env_example_lists_every_variable_and_no_secret(compose):
    used = set(VARIABLE.findall(COMPOSE.read_text(encoding="utf-8")))
    used_names = {name for name, _ in used}
    example = {}
    for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            example[key] = value
    assert used_names - {"HOSTNAME"} <= set(example), sorted(used_names - set(example))
    assert set(example) <= used_names, sorted(set(example) - used_names)
    for key, value in example.items():
        if SECRET_NAME.search(key) and key != "ITREPORT_IMAP_CA_FILE":
            assert value in ("change-me", ""), f"{key} holds a value in .env.example"
        assert not re.search(r"://[^:/@]+:[^@]+@", value), f"{key} has a password in a URL"


def test_postgres_makes_the_warehouse_roles(compose):
    volumes = compose["services"]["postgres"]["volumes"]
    assert any(v.startswith("./postgres/10-warehouse.sh:/docker-entrypoint-initdb.d/") for v in volumes)
    sql = (DOCKER / "postgres" / "warehouse.sql").read_text(encoding="utf-8")
    for role in ("itreport_loader", "itreport_dbt", "bi_reader"):
        assert f"create role {role}" in sql
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")


def test_airflow_image_installs_the_wheel_with_constraints_libreoffice_and_fonts():
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "pip wheel" in text and re.search(r"pip install .*-c /tmp/constraints.txt /tmp/dist/itreport-\*\.whl", text)
    assert "libreoffice-writer-nogui" in text and "fonts-noto-core" in text
    assert "AIRFLOW__CORE__LOAD_EXAMPLES=false" in text
