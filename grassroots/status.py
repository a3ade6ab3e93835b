"""What the ingest did, per district, in words an operator reads at a glance."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from grassroots import warehouse
from grassroots.settings import Settings
from grassroots.warehouse.lifecycle import Fate, fate_label

FIRST_ERRORS = 5


def _submissions(engine) -> dict[str, list[dict]]:
    from grassroots.warehouse.schema import submissions

    with engine.connect() as conn:
        rows = conn.execute(select(submissions).order_by(submissions.c.district, submissions.c.id)).mappings().all()
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["district"]].append(dict(row))
    return grouped


def _file_line(r: dict) -> str:
    as_of = f" 截至 {r['as_of']}" if r["as_of"] else ""
    taken = f" {r['rows_accepted'] or 0}/{r['rows_total'] or 0} 行" if r["rows_total"] is not None else ""
    late = " 逾期报送" if r.get("late") else ""
    return f"  #{r['id']:<4} {fate_label(r['fate'])} {r['file_name']}{as_of}{taken}{late}"


def render(settings: Settings, steps: dict, *, every_file: bool = False) -> str:
    """Per district: files received, accepted and rejected, the cases and visits held, each
    rejection with its reason, first errors and receipt; then this run's counts."""
    with warehouse.opened(settings.warehouse_url) as engine:
        return _render(engine, steps, every_file=every_file)


def _render(engine, steps: dict, *, every_file: bool) -> str:
    held = {d["district"]: d for d in warehouse.district_summary(engine)}
    lines = []
    for district, rows in _submissions(engine).items():
        accepted = [r for r in rows if r["fate"] == Fate.ACCEPTED]
        rejected = [r for r in rows if r["fate"] == Fate.REJECTED]
        read = sum(r["kind"] is not None for r in rows)
        h = held.get(district, {})
        holds = f"；库中问题 {h.get('cases', 0)} 个、走访 {h.get('visits', 0)} 次，最新截至 {h.get('latest_as_of') or '—'}" \
            if district in held else ""
        lines.append(f"{district}：收到 {len(rows)} 个文件，读取 {read} 个，接收 {len(accepted)} 个，退回 {len(rejected)} 个{holds}")
        for r in rows if every_file else rejected:
            lines.append(_file_line(r))
            if r["fate"] == Fate.REJECTED:
                lines.append(f"        原因：{r['reason']}（共 {r['errors'] or 0} 处错误）")
                errors = [f for f in warehouse.load_findings(engine, r["id"]) if f["severity"] == "error"]
                for f in errors[:FIRST_ERRORS]:
                    where = "，".join(x for x in (f["sheet"], f"第 {f['row']} 行" if f["row"] else "", f["column_name"]) if x)
                    lines.append(f"          - {where}：{f['reason']}")
            if r.get("receipt_path") and (every_file or r["fate"] == Fate.REJECTED):
                lines.append(f"        回执：{r['receipt_path']}")
        if accepted and not every_file:
            newest = max(accepted, key=lambda r: (r["as_of"] or r["received_at"].date(), r["id"]))
            if newest.get("receipt_path"):
                lines.append(f"  最新接收：{newest['file_name']}，回执：{newest['receipt_path']}")
    if not steps:
        return "\n".join(lines)
    scan, receive = steps.get("scan", {}), steps.get("receive", {})
    lines.append(
        f"本次：新收到 {len(receive.get('received', []))} 个，重复文件 {len(receive.get('duplicates', []))} 个，"
        f"仍在写入 {len(scan.get('settling', []))} 个，忽略 {len(scan.get('ignored', []))} 个（临时文件或非表格）"
    )
    return "\n".join(lines)
