"""`python -m grassroots ...`: the same code the DAGs run, for operators and districts."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from grassroots import settings as settings_module


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def cmd_template(args, settings) -> int:
    from grassroots.intake import forms

    reference = None
    if args.district:
        from grassroots import warehouse

        with warehouse.opened(settings.warehouse_url) as engine:
            reference = warehouse.load_reference(engine)
    out = Path(args.out)
    for path in forms.write_templates(out, reference=reference, district=args.district):
        print(path)
    return 0


def cmd_demo_data(args, settings) -> int:
    from grassroots import demo

    target = Path(args.inbox) if args.inbox else Path(settings.inbox)
    summary = demo.write_demo(target)
    print(f"演示数据已写入 {target}：{summary['files']} 个文件，{summary['districts']} 个区县")
    return 0


def cmd_ingest(args, settings) -> int:
    from grassroots import ingest, status

    steps = ingest.run_once(settings)
    if args.json:
        print(json.dumps(steps, ensure_ascii=False, indent=1, default=str))
    else:
        print(status.render(settings, steps))
    return 0


def cmd_check(args, settings) -> int:
    from grassroots.validation import precheck

    return precheck.run_check(Path(args.file), district=args.district,
                           reference_path=Path(args.reference) if args.reference else None, settings=settings)


def cmd_status(args, settings) -> int:
    from grassroots import status

    print(status.render(settings, {}, every_file=args.files))
    return 0


def cmd_metrics(args, settings) -> int:
    from grassroots.metrics import cli as metrics_cli

    return metrics_cli.run(args.as_of, args.district, args.json, settings)


def cmd_report(args, settings) -> int:
    from grassroots.report import cli as report_cli

    return report_cli.run(args.as_of, args.district, settings, period=args.period)


def cmd_migrate(args, settings) -> int:
    from grassroots import warehouse

    with warehouse.opened(settings.warehouse_url):
        pass
    print(f"warehouse at the newest schema: {settings.warehouse_url}")
    return 0


def cmd_settings(args, settings) -> int:
    for name, value in settings_module.describe(settings):
        print(f"{name:16} {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grassroots", description="基层走访问题清单：数据接收、校验、入库、统计与报告")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the log")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("template", help="write the blank official workbooks (问题清单, 走访记录, 基础数据)")
    p.add_argument("--out", default="templates", help="folder to write into (default ./templates)")
    p.add_argument("--district", help="pre-fill the dropdowns with this district's towns and units")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("demo-data", help="write the demo inbox, reference workbook included")
    p.add_argument("--inbox", help="default: GRASSROOTS_INBOX")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("ingest", help="one pass over the inbox: exactly the steps of the ingest DAG")
    p.add_argument("--json", action="store_true", help="print the steps' results as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("check", help="pre-check a file without submitting it; writes the receipt beside it")
    p.add_argument("file")
    p.add_argument("--district", help="default: the name of the file's folder")
    p.add_argument("--reference", help="a reference workbook (default: the warehouse's, else the inbox's)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "metrics", help="every figure of metrics.md at a date, for the city or one district",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Periods follow the as-of dates written in the files, never the day a file was read:\n"
               "  - a case counts with its state in the newest ledger dated on or before --as-of;\n"
               "  - a visit counts at --as-of once the visit log that reports it is dated on or before\n"
               "    --as-of (a visit reported late, 补报, counts from the period of the log that reports it,\n"
               "    so a report already sent never changes; visits_reported_late counts them);\n"
               "  - a file belongs to the period of its as-of date; its arrival is kept apart (逾期报送).")
    p.add_argument("--as-of", type=_date, required=True, help="YYYY-MM-DD")
    p.add_argument("--district", help="one district instead of the city")
    p.add_argument("--json", action="store_true", help="one JSON object keyed by the figure names")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("report", help="build the summary report into the outbox (.eml, .html, .xlsx) without sending")
    p.add_argument("--as-of", type=_date, required=True, help="YYYY-MM-DD, the end of the period")
    p.add_argument("--district", help="a district's slice instead of the city report")
    p.add_argument("--period", choices=["week", "month"], default="week")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("status", help="per district: files, fates, cases and visits held, rejections with reasons")
    p.add_argument("--files", action="store_true", help="list every file, not only the rejected ones")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("migrate", help="create or upgrade the warehouse schema (Alembic)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("settings", help="print the settings in force")
    p.set_defaults(func=cmd_settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_module.load()
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
