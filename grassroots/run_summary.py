"""What an ingest pass did, per district, in words an operator reads at a glance."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from grassroots import warehouse
from grassroots.settings import Settings

FATE_LABEL = {"accepted": "已接收", "rejected": "已退回", "pending": "处理中", None: "处理中"}


def submissions_by_district(settings: Settings) -> dict[str, list[dict]]:
    from grassroots.warehouse.schema import submissions

    engine = warehouse.connect(settings.warehouse_url)
    warehouse.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(submissions).order_by(submissions.c.district, submissions.c.id)).mappings().all()
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["district"]].append(dict(row))
    return grouped


def render(settings: Settings, steps: dict) -> str:
    """Per district: files found, read, accepted and rejected with the reason; then this run's counts."""
    lines = []
    for district, rows in submissions_by_district(settings).items():
        accepted = sum(r["fate"] == "accepted" for r in rows)
        rejected = sum(r["fate"] == "rejected" for r in rows)
        read = sum(r["kind"] is not None for r in rows)
        lines.append(f"{district}：收到 {len(rows)} 个文件，读取 {read} 个，接收 {accepted} 个，退回 {rejected} 个")
        for r in rows:
            as_of = f"截至 {r['as_of']}" if r["as_of"] else ""
            taken = f"{r['rows_accepted'] or 0}/{r['rows_total'] or 0} 行" if r["rows_total"] is not None else ""
            lines.append(f"  #{r['id']:<4} {FATE_LABEL.get(r['fate'], r['fate'])} {r['file_name']} {as_of} {taken}".rstrip())
            if r["fate"] == "rejected" and r["reason"]:
                lines.append(f"        原因：{r['reason']}（共 {r['errors'] or 0} 处错误）")
            if r.get("receipt_path"):
                lines.append(f"        回执：{r['receipt_path']}")
    if not steps:
        return "\n".join(lines)
    scan, receive = steps.get("scan", {}), steps.get("receive", {})
    lines.append(
        f"本次：新收到 {len(receive.get('received', []))} 个，重复文件 {len(receive.get('duplicates', []))} 个，"
        f"仍在写入 {len(scan.get('settling', []))} 个，忽略 {len(scan.get('ignored', []))} 个（临时文件或非表格）"
    )
    return "\n".join(lines)
