"""The production deployment (docker-compose.yaml) is complete; no Docker engine runs here, so it is read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))


def test_every_airflow_component_postgres_and_redis(compose):
    services = compose["services"]
    assert set(AIRFLOW_SERVICES) | {"postgres", "redis", "airflow-init"} <= set(services)
    commands = {name: services[name]["command"] for name in AIRFLOW_SERVICES}
    assert commands == {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                        "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
                        "airflow-worker": "celery worker"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_airflow_image_is_33_with_the_project_pins(compose):
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM apache/airflow:3.3.2-python3.11" in dockerfile
    assert "requirements.txt" in dockerfile and "grassroots" in dockerfile
    for name in AIRFLOW_SERVICES:
        assert compose["services"][name]["build"] == "."


def test_celery_on_redis_and_two_databases(compose):
    env = compose["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
    metadata_db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    warehouse_db = env["GRASSROOTS_WAREHOUSE_URL"]
    assert metadata_db.rsplit("/", 1)[1] == "airflow" and warehouse_db.rsplit("/", 1)[1] == "warehouse"
    assert "@postgres:5432" in metadata_db and "@postgres:5432" in warehouse_db
    init_sql = (ROOT / "deploy" / "init-databases.sql").read_text(encoding="utf-8")
    assert "CREATE DATABASE warehouse" in init_sql
    assert "./deploy/init-databases.sql:/docker-entrypoint-initdb.d/10-warehouse.sql:ro" in \
        compose["services"]["postgres"]["volumes"]


def test_inbox_volume_and_settings_from_the_environment(compose):
    assert {"inbox", "grassroots-home", "postgres-data"} <= set(compose["volumes"])
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert "inbox:/opt/grassroots/inbox" in service["volumes"]
        env = service["environment"]
        assert env["GRASSROOTS_INBOX"].startswith("${GRASSROOTS_INBOX")  # S3/SFTP URL from the environment
        assert env["AIRFLOW_CONN_SMTP_DEFAULT"].startswith("${GRASSROOTS_SMTP_CONN")
        assert "GRASSROOTS_OPERATOR_EMAILS" in env
        assert env["AIRFLOW__CORE__FERNET_KEY"].startswith("${AIRFLOW_FERNET_KEY:?")  # refuses to start without


def test_health_checks_and_start_order(compose):
    services = compose["services"]
    for name in (*AIRFLOW_SERVICES, "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    depends = services["airflow-scheduler"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["airflow-init"]["condition"] == "service_completed_successfully"
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "pools set warehouse_writes" in init and "grassroots migrate" in init
