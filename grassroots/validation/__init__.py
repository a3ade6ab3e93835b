"""Validation of districts' submissions and the reference workbook (GX suites + row rules).

    validate_submission(sub, reference, district=..., as_of=..., previous=..., datadocs_dir=...)
    validate_reference(tables) -> (Reference | None, findings)

Both return the contract's `Finding`s; great_expectations is imported only when a table is
validated, so importing this package is cheap.
"""

from grassroots.validation.run import ValidationResult, validate_reference, validate_submission

__all__ = ["ValidationResult", "validate_reference", "validate_submission"]
