"""The leaders' summary report: built from the figures, mailed to the recipients once per period.

build_report(figures, previous, period=, scope=) -> Report; build_message(report, sender=,
recipients=) -> EmailMessage; send.send_reports / send.write_outbox wire them to the warehouse.
"""

from grassroots.report.build import Report, build_report
from grassroots.report.message import build_message

__all__ = ["Report", "build_message", "build_report"]
