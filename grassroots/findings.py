"""One model for every problem found in a submission, from an unreadable file to a bad cell.

A finding names the place as the district sees it in Excel (sheet, row number, column header)
and carries the contract's Chinese reason and fix, so receipts, the pre-check, the warehouse and
the operators' page all show the same words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from grassroots import contract


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    reason: str
    fix: str
    sheet: str = ""
    row: int | None = None  # as Excel shows it, 1-based
    column: str = ""  # the header as written in the file
    column_index: int | None = None  # 0-based position in the sheet, for receipts
    value: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == contract.ERROR

    def as_dict(self) -> dict:
        return asdict(self)


def finding(
    code: str,
    *,
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    column_index: int | None = None,
    value: object = "",
    **details: object,
) -> Finding:
    """Build a finding with the contract's message for `code`."""
    shown = "" if value is None else str(value)
    if len(shown) > 200:
        shown = shown[:200] + "…"
    reason, fix = contract.message(code, value=shown, header=contract.display_header(column), sheet=sheet,
                                   **details)
    return Finding(
        code=code,
        severity=contract.RULES[code].severity,
        reason=reason,
        fix=fix,
        sheet=sheet,
        row=None if row is None else int(row),
        column=column,
        column_index=None if column_index is None else int(column_index),
        value=shown,
    )


class Unreadable(Exception):
    """The file as a whole cannot be taken: one finding says why, in Chinese."""

    def __init__(self, found: Finding):
        super().__init__(found.reason)
        self.finding = found
