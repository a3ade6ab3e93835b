"""A small city whose November has a case of three of the four themes that progressed, for the
通报 and export tests: merged straight into the warehouse (the files' path is the ingest tests')."""

from __future__ import annotations

import datetime as dt

from grassroots import warehouse
from grassroots.reference import Recipient
from tests.samples import warehouse as ws
from tests.samples.ingest import small_city

AS_OF = dt.date(2026, 11, 30)
HS, YZ = "海曙区", "鄞州区"
CITY_ADDRESS, HS_ADDRESS = "city@example.gov.cn", "haishu@example.gov.cn"


def _yz(case_id: str, status: str, **fields) -> dict:
    return ws.case(case_id, status, district=YZ, town="姜山镇", paired_unit="市经信局", responsible_unit="市经信局",
                   **fields)


def populate(engine):
    """海曙区: an October ledger and a November one; 鄞州区: a November one. In November HS-001,
    HS-005 (典型案例), YZ-002 made substantive progress (大局所需), YZ-001 (民生所盼) and HS-003
    (转型所迫) were resolved; HS-002 was resolved in October, HS-004 (治理所困) is still under way."""
    ref = small_city()
    ref.recipients = [Recipient("市领导", CITY_ADDRESS, "全市"), Recipient("海曙区联络员", HS_ADDRESS, HS)]
    warehouse.replace_reference(engine, ref)
    october = [
        ws.case("HS-001", "推进中", title="章水镇李家坑村水源保护地产业发展受限", theme="大局所需", funds_wan=None),
        ws.case("HS-002", "已办结", title="石碶街道老旧小区加装电梯", town="石碶街道", paired_unit="市交通局",
                resolved_on="2026-10-20", progress_note="完成加装电梯12部"),
    ]
    ws.merge_ledger(engine, "hs-october.xlsx", dt.date(2026, 10, 30), october,
                    visits=[ws.visit("V-001", case_ids="HS-001", visit_date="2026-10-12")])
    november = [
        dict(october[0], status="取得实质性进展", funds_wan="120",
             progress_note="谋划推动“共享村落”、林下经济产业示范园等试点项目建设。"),
        october[1],
        ws.case("HS-003", "已办结", title="章水镇生活垃圾分类投放点需标准化改造", theme="转型所迫", funds_wan="30",
                resolved_on="2026-11-20", reported_on="2026-11-02",
                progress_note="落实30万元推动垃圾投放点、归集点标准化提升改造"),
        ws.case("HS-004", "推进中", title="章水镇中小微企业安全生产隐患排查", theme="治理所困", reported_on="2026-11-03",
                progress_note="开展入企培训"),
        ws.case("HS-005", "取得实质性进展", title="章水镇渔业企业开渔期前融资难", theme="大局所需", funds_wan=None,
                reported_on="2026-11-04", exemplary="是",
                progress_note="组织金融机构“一对一”上门对接，推出金融产品和保险保障“组合拳”"),
    ]
    ws.merge_ledger(engine, "hs-november.xlsx", dt.date(2026, 11, 27), november,
                    visits=[ws.visit("V-002", case_ids="HS-003,HS-005", visit_date="2026-11-05", target="章水镇渔业企业")])
    ws.merge_ledger(engine, "yz-november.xlsx", dt.date(2026, 11, 26), [
        _yz("YZ-001", "已办结", title="姜山镇乐歌股份公司申请智能转型补助金", resolved_on="2026-11-25",
            reported_on="2026-11-01", funds_wan="400",
            progress_note="第一时间帮助企业申请400万元智能转型补助金，联系行业专家上门开展智能化诊断"),
        _yz("YZ-002", "取得实质性进展", title="姜山镇工业企业用能指标紧张", theme="大局所需", funds_wan="50",
            reported_on="2026-11-01", progress_note="通过提能效、增抵扣挖掘节能潜力"),
    ], district=YZ)
    return engine
