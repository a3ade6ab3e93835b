"""A small city for the metrics tests, merged through the real warehouse code, with every figure
worked out by hand in tests/test_metrics.py.

Reference: 海曙区 (章水镇, 石碶街道), 江北区 (慈城镇), 镇海区 (招宝山街道, nobody paired with it);
市发改委 -> 章水镇, 市交通局 -> 石碶街道, 市经信局 -> 慈城镇; leaders 1 王五 (市发改委), 2 赵六
(市交通局), 3 钱七 (市经信局), 4 王五 (市经信局: the same name as leader 1), 5 孙八 (市交通局).

海曙区 ledgers at D1 (11-20) and D2 (11-27), 江北区 at D2 only; see the tables in `build`.
"""

from __future__ import annotations

import datetime as dt

from grassroots import warehouse
from grassroots.findings import finding
from grassroots.reference import Leader, Reference
from tests.samples.warehouse import case, frame, submit, visit

D1, D2, D3 = dt.date(2026, 11, 20), dt.date(2026, 11, 27), dt.date(2026, 12, 4)
HS, JB, ZH = "海曙区", "江北区", "镇海区"


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def reference() -> Reference:
    return Reference(
        districts={HS: "330203", JB: "330205", ZH: "330211"},
        towns={"章水镇": HS, "石碶街道": HS, "慈城镇": JB, "招宝山街道": ZH},
        units=["市发改委", "市交通局", "市经信局"],
        pairings={"市发改委": "章水镇", "市交通局": "石碶街道", "市经信局": "慈城镇"},
        leaders=[Leader("王五", "主任", "市发改委"), Leader("赵六", "局长", "市交通局"),
                 Leader("钱七", "局长", "市经信局"), Leader("王五", "副局长", "市经信局"),
                 Leader("孙八", "副局长", "市交通局")],
        recipients=[],
    )


def hs(case_id: str, status: str, **fields) -> dict:
    """A 海曙区 case: 章水镇 / 市发改委 unless told, responsible 市交通局 / 李四."""
    return case(case_id, status, **fields)


def jb(case_id: str, status: str, **fields) -> dict:
    base = {"district": JB, "town": "慈城镇", "paired_unit": "市经信局", "responsible_unit": "江北区住建局",
            "responsible_person": "周九", "lead_leader": None}
    return case(case_id, status, **(base | fields))


SHIQI = {"town": "石碶街道", "paired_unit": "市交通局"}

HS_D1 = [
    hs("H1", "未启动", reported_on="2026-10-01", deadline="2026-11-19", lead_leader="王五"),
    hs("H2", "推进中", reported_on="2026-11-15", deadline="2026-11-27", source="重点项目", theme="大局所需",
       lead_leader="赵六"),
    hs("H3", "已办结", reported_on="2026-10-01", deadline="2026-11-15", resolved_on="2026-11-10", lead_leader=None),
    hs("H4", "取得实质性进展", reported_on="2026-10-10", deadline="2026-11-20", lead_leader=None),
    hs("H5", "推进中", reported_on="2026-10-20", deadline="2027-01-31", responsible_person=None, lead_leader=None,
       **SHIQI),
]
HS_D2 = [
    hs("H1", "已办结", reported_on="2026-10-01", deadline="2026-11-19", resolved_on="2026-11-25", lead_leader="王五"),
    hs("H2", "取得实质性进展", reported_on="2026-11-15", deadline="2026-11-27", source="重点项目", theme="大局所需",
       lead_leader="赵六"),
    HS_D1[2],
    # H4 is not listed any more: it keeps its D1 state and is missing from the latest ledger
    HS_D1[4],
    hs("H6", "未启动", reported_on="2026-11-26", deadline="2026-12-04", theme=None, lead_leader=None, **SHIQI),
    hs("H7", "推进中", reported_on="2026-11-21", deadline="2026-12-05", lead_leader=None, **SHIQI),
]
JB_D2 = [
    jb("J1", "已办结", reported_on="2026-11-01", deadline="2026-12-31", resolved_on="2026-11-21", lead_leader="钱七"),
    jb("J2", "未启动", reported_on="2026-11-02", deadline="2026-11-26", source="信访事项"),
]
# A week later 海曙区 moves on: none of it may change the figures at D1 or D2.
HS_D3 = [
    HS_D2[0],
    hs("H2", "已办结", reported_on="2026-11-15", deadline="2026-11-27", source="重点项目", theme="大局所需",
       resolved_on="2026-12-01", lead_leader="赵六"),
    HS_D1[2],
    hs("H4", "已办结", reported_on="2026-10-10", deadline="2026-11-20", resolved_on="2026-12-02", lead_leader="孙八"),
    hs("H5", "推进中", reported_on="2026-10-20", deadline="2027-01-31", lead_leader=None, **SHIQI),
    HS_D2[4], HS_D2[5],
    hs("H8", "未启动", reported_on="2026-11-27", deadline="2026-12-20", lead_leader=None),
]

# (V1 and V4 name a case: the merge cannot take a visit log without any 关联问题编号 yet)
V1 = visit("HS-ZF-1", case_ids="H1", visit_date="2026-11-03", unit="市发改委", leader="王五", town="章水镇")
V2 = visit("HS-ZF-2", visit_date="2026-11-18", unit="市经信局", leader="王五", town="石碶街道")
V3 = visit("HS-ZF-3", visit_date="2026-11-24", unit="市交通局", leader="赵六", town="石碶街道")
V4_LATE = visit("HS-ZF-4", case_ids="H4", visit_date="2026-11-26", unit="市交通局", leader="孙八", town="石碶街道")


def merge(engine, name: str, district: str, as_of: dt.date, received_at: str, ledger: list[dict] | None,
          visits: list[dict] | None = None) -> int:
    sid, checksum = submit(engine, name, district=district)
    warehouse.merge_submission(
        engine, sid, district=district, as_of=as_of,
        ledger=frame("ledger", ledger, checksum) if ledger else None,
        visits=frame("visits", visits, checksum) if visits else None)
    warehouse.update_submission(engine, sid, state="done", received_at=utc(received_at))
    return sid


def register(engine, name: str, district: str, received_at: str, **fields) -> int:
    sid, _ = submit(engine, name, district=district, state=fields.pop("state", "received"))
    warehouse.update_submission(engine, sid, received_at=utc(received_at), **fields)
    return sid


def build_d1(engine) -> None:
    """Everything known at D1: the reference data and 海曙区's first ledger with two visits."""
    warehouse.replace_reference(engine, reference())
    register(engine, "基础数据.xlsx", "_reference", "2026-11-21T01:00:00", state="done", fate="accepted",
             kind="reference")
    merge(engine, "海曙区问题清单1120.xlsx", HS, D1, "2026-11-20T02:00:00", HS_D1, [V1, V2])
    # pending at local 23:50 on 11-20 (the D1 week), and at 00:10 on 11-21 (the D2 week)
    register(engine, "海曙区补充1.xlsx", HS, "2026-11-20T15:50:00")


def build_d2(engine) -> None:
    """What arrives in the D2 week: 海曙区's and 江北区's ledgers, and 江北区's rejected file."""
    register(engine, "海曙区补充2.xlsx", HS, "2026-11-20T16:10:00")
    rejected = register(engine, "江北区问题清单（错）.xlsx", JB, "2026-11-25T03:00:00", state="done",
                        fate="rejected", kind="ledger", rows_total=2, rows_accepted=0, errors=3)
    warehouse.record_findings(engine, rejected, [
        finding("required", sheet="问题清单", row=3, column="责任人"),
        finding("required", sheet="问题清单", row=4, column="责任人"),
        finding("bad_date", sheet="问题清单", row=4, column="发现日期", value="11月2"),
        finding("deadline_far", sheet="问题清单", row=5, column="完成时限", value="2030-01-01"),
    ])
    merge(engine, "江北区问题清单1127.xlsx", JB, D2, "2026-11-26T03:00:00", JB_D2)
    merge(engine, "海曙区问题清单1127.xlsx", HS, D2, "2026-11-27T01:00:00", HS_D2, [V1, V3])
    register(engine, "海曙区补充3.xlsx", HS, "2026-11-27T15:30:00")  # local 23:30 on 11-27


def build_d3(engine) -> None:
    """A week later: a newer 海曙区 ledger, and a visit of 11-26 first reported with it."""
    merge(engine, "海曙区问题清单1204.xlsx", HS, D3, "2026-12-04T01:00:00", HS_D3, [V4_LATE])


def build(engine) -> None:
    build_d1(engine)
    build_d2(engine)
