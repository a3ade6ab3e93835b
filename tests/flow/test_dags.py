"""Team rules for DAG files: they parse cleanly without heavy imports, and each has what operators rely on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS.glob("*.py") if not p.name.startswith("_"))
HEAVY = ("great_expectations", "pandas", "openpyxl", "python_calamine", "matplotlib", "pyarrow", "psycopg")
LIGHT_PROJECT_MODULES = {"grassroots", "grassroots.dag_support", "grassroots.settings"}


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    """The DAGs as production parses them (the tests' GRASSROOTS_RETRIES=0 put aside)."""
    from airflow.dag_processing.dagbag import DagBag

    saved = os.environ.pop("GRASSROOTS_RETRIES", None)
    try:
        return DagBag(dag_folder=str(DAGS))
    finally:
        if saved is not None:
            os.environ["GRASSROOTS_RETRIES"] = saved


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {Path(d.fileloc).stem for d in dagbag.dags.values()} == {p.stem for p in DAG_FILES}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_dag_rules(dagbag, path):
    dag = dagbag.get_dag(path.stem)
    assert dag is not None, f"dag_id must equal the file name {path.stem}"
    assert dag.tags and "grassroots" in dag.tags
    assert dag.doc_md
    for task in dag.tasks:
        assert task.owner == "grassroots-data", task.task_id
        assert task.retries >= 1 or task.task_id.startswith("publish_"), task.task_id
        assert task.on_failure_callback, f"{task.task_id} has no failure callback"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_dag_file_parses_without_heavy_imports(path):
    """Parsing a DAG file imports nothing heavy and only the light project modules (airflow itself
    preloaded, as in the DAG processor). Its parse time is a line of `make bench` (bench_dag_parse)."""
    code = (
        "import sys, runpy, airflow.sdk, pendulum\n"
        f"before = set(sys.modules)\nrunpy.run_path({str(path)!r})\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    modules = set(out[0].split())
    roots = {m.split(".")[0] for m in modules}
    assert not roots & set(HEAVY), f"heavy imports at parse time: {roots & set(HEAVY)}"
    project = {m for m in modules if m.split(".")[0] == "grassroots"}
    assert project <= LIGHT_PROJECT_MODULES, f"DAG files must only wire: {project - LIGHT_PROJECT_MODULES}"
