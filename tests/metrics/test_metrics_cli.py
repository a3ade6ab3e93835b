"""The metrics command line (a Chinese table, or JSON) and the compute_metrics DAG."""

from __future__ import annotations

import json

import pytest

from grassroots import metrics, warehouse
from grassroots.metrics import cli as metrics_cli
from grassroots.metrics import snapshots
from tests.metrics.test_metrics import CITY_D2, HS_D2
from tests.samples.metrics import D2, HS, JB, ZH, build


@pytest.fixture
def city(settings):
    engine = warehouse.connect(settings.warehouse_url)
    warehouse.upgrade(engine)
    build(engine)
    yield engine
    engine.dispose()


def test_table_in_chinese(city, settings, capsys):
    assert metrics_cli.run(D2, None, False, settings) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "全市 基层走访问题统计  截至2026年11月27日（本期 11月21日—11月27日）"
    assert metrics.compute(city, D2)["headline"] in lines
    assert "  累计梳理问题            9" in lines
    assert "  实质性进展率            55.6%" in lines
    assert "  责任落实                5/6（83.3%）" in lines
    assert "  平均办结用时（中位数）  40天" in lines
    assert "  未对接单位              市经信局" in lines
    assert "  未达要求领导            钱七（市经信局，缺联系基层）；孙八（市交通局，缺联系基层、破解难题）" in lines
    assert any(line.startswith("  海曙区    7           4           57.1%") for line in lines)
    assert "  海曙区 H4 问题H4：市交通局 李四，时限2026-11-20，逾期7天" in lines
    assert lines[-1] == "本期未报送问题清单的区县：镇海区"


def test_json_for_one_district(city, settings, capsys):
    assert metrics_cli.run(D2, HS, True, settings) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == [*metrics.FIGURES, "as_of", "districts"]
    assert {k: data[k] for k in metrics.FIGURES} == HS_D2
    assert (data["as_of"], data["districts"]) == ("2026-11-27", {})


def test_json_for_the_city(city, settings, capsys):
    metrics_cli.run(D2, None, True, settings)
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in metrics.FIGURES} == CITY_D2
    assert list(data["districts"]) == [HS, JB, ZH]


def test_compute_metrics_dag_stores_every_scope(airflow_db, city, settings):
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag().get_dag("compute_metrics")
    run = dag.test(run_conf={"as_of": D2.isoformat()})
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert states == {("list_scopes", -1): "success", **{("compute_scope", i): "success" for i in range(4)}}
    for scope in ("全市", HS, JB, ZH):
        for period in ("week", "month"):
            stored = snapshots.load(city, period, D2, scope)
            assert stored == metrics.compute(city, D2, period=period, district=None if scope == "全市" else scope)
    assert snapshots.load(city, "week", D2, "全市")["total"] == 9
