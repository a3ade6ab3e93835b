"""The rules GX cannot check alone, column at a time in pandas.

Reference data (a town belongs to the district of the folder, units and leaders are known),
dates against each other and against the as-of date, 办结日期 exactly when 已办结, rows that
share a key, the reference workbook's own cross-sheet rules, and warnings across submissions.
Every rule returns the same `Finding`s as the GX checks: sheet, Excel row, header as written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

import pandas as pd

from grassroots import contract
from grassroots.findings import Finding, finding
from grassroots.intake.reader import Table
from grassroots.reference import Reference
from grassroots.validation.suites import Failure

MAX_OTHER_ROWS = 5  # rows named in "另见第 … 行"


# --- building findings ----------------------------------------------------------------------

def place(table: Table, sheet: contract.Sheet, field: str) -> tuple[str, int | None]:
    """The header as written in the file and its 0-based column, for a field of the table."""
    if field in table.headers:
        header, index = table.headers[field]
        return header, index
    return sheet.column(field).header, None


def _plain(value: object) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def cell_findings(table: Table, sheet: contract.Sheet, code: str, field: str, rows: Iterable[int],
                  **details: object) -> list[Finding]:
    """One finding per row for the cell of `field`; a detail may be a Series indexed by row."""
    rows = [int(r) for r in rows]
    if not rows:
        return []
    header, index = place(table, sheet, field)
    texts = _at(table.text[field], rows)
    per_row = {k: _at(v, rows) for k, v in details.items() if isinstance(v, pd.Series)}
    fixed = {k: v for k, v in details.items() if not isinstance(v, pd.Series)}
    out = []
    for i, row in enumerate(rows):
        values = {k: _plain(v[i]) for k, v in per_row.items()}
        out.append(finding(code, sheet=table.sheet, row=row, column=header, column_index=index,
                           value=_plain(texts[i]), **fixed, **values))
    return out


def _at(series: pd.Series, rows: list[int]) -> list:
    """The values of `series` at these rows, as a plain list (one lookup, not one per row)."""
    return series.reindex(rows).astype("object").tolist()


def _rows(mask: pd.Series) -> list[int]:
    return [int(r) for r in mask.index[mask.fillna(False).to_numpy(dtype=bool)]]


# --- from GX failures -----------------------------------------------------------------------

def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def failure_findings(sheet: contract.Sheet, table: Table, failures: list[Failure]) -> list[Finding]:
    """GX's failing rows as findings with the contract's words for each rule."""
    out: list[Finding] = []
    for failure in failures:
        check, rows = failure.check, failure.rows
        col = sheet.column(check.field)
        details: dict[str, object] = {}
        if check.code == "required":
            details["hint"] = col.hint
        elif check.code == "too_long":
            details["limit"] = col.max_length
            details["detail"] = table.text[check.field].loc[rows].str.len()
        elif check.code == "not_in_choices":
            details["choices"] = "、".join(col.choices)
        elif check.code == "negative":
            details["limit"] = _number(col.minimum or 0)
        elif check.code in ("duplicate_case_id", "reference_duplicate", "reference_pairing"):
            fields = check.kwargs.get("column_list") or [check.field]
            details["other"] = _other_rows(table, fields, rows)
        out.extend(cell_findings(table, sheet, check.code, check.field, rows, **details))
    return out


def _other_rows(table: Table, fields: list[str], rows: list[int]) -> pd.Series:
    """For each row that repeats a key: the other rows holding the same key ('3、9')."""
    keys = table.text.loc[rows, fields].astype("object").fillna("").agg("\x1f".join, axis=1)
    groups: dict[str, list[int]] = defaultdict(list)
    for row, key in zip(rows, keys, strict=True):
        groups[key].append(int(row))
    other = {}
    for row, key in zip(rows, keys, strict=True):
        rest = [r for r in groups[key] if r != row]
        shown = "、".join(str(r) for r in rest[:MAX_OTHER_ROWS])
        other[int(row)] = shown + ("等" if len(rest) > MAX_OTHER_ROWS else "")
    return pd.Series(other, dtype="object")


# --- a district's sheet against the reference data ------------------------------------------

def reference_findings(sheet: contract.Sheet, table: Table, reference: Reference, district: str) -> list[Finding]:
    """Districts, towns, units and leaders named in the sheet, checked against the reference."""
    out: list[Finding] = []
    for col in sheet.columns:
        if not col.reference:
            continue
        f = col.field
        values = table.values[f]
        present = values.notna()
        unknown_code = contract.UNKNOWN_REFERENCE[col.reference]
        if col.reference == "district":
            known = values.isin(list(reference.districts))
            out += cell_findings(table, sheet, unknown_code, f, _rows(present & ~known))
            out += cell_findings(table, sheet, "wrong_district", f, _rows(present & known & (values != district)),
                                 district=district)
        elif col.reference == "town":
            known = values.isin(list(reference.towns))
            out += cell_findings(table, sheet, unknown_code, f, _rows(present & ~known))
            elsewhere = values.map(reference.towns) != district
            out += cell_findings(table, sheet, "town_not_in_district", f, _rows(present & known & elsewhere),
                                 district=district)
        elif col.reference == "unit":
            known = values.isin(list(reference.units))
            out += cell_findings(table, sheet, unknown_code, f, _rows(present & ~known))
        elif col.reference == "leader":
            known = values.isin(list(reference.leader_names))
            out += cell_findings(table, sheet, unknown_code, f, _rows(present & ~known))
            shared = values.isin(list(reference.shared_leader_names))
            out += cell_findings(table, sheet, "ambiguous_leader", f, _rows(present & shared))
    if sheet.kind == contract.VISITS:
        out += _visit_leader_findings(sheet, table, reference)
    return out


def _visit_leader_findings(sheet: contract.Sheet, table: Table, reference: Reference) -> list[Finding]:
    """A visit counts for the leader of that name in that unit: two such leaders are ambiguous."""
    counts = Counter((x.name, x.unit) for x in reference.leaders)
    shared = {f"{n}\x1f{u}" for (n, u), k in counts.items() if k > 1}
    if not shared or table.rows == 0:
        return []
    key = table.values["leader"].astype("object").fillna("") + "\x1f" + table.values["unit"].astype("object").fillna("")
    return cell_findings(table, sheet, "ambiguous_leader", "leader", _rows(key.isin(list(shared))))


# --- dates and status -----------------------------------------------------------------------

def date_findings(sheet: contract.Sheet, table: Table, as_of: dt.date) -> list[Finding]:
    """The contract's DATE_RULES: each date against another date of the row or the as-of date."""
    out: list[Finding] = []
    as_of_ts = pd.Timestamp(as_of)
    for rule in contract.DATE_RULES:
        if rule.kind != sheet.kind:
            continue
        value = table.values[rule.field]
        if rule.bound == contract.AS_OF:
            bound = as_of_ts + pd.DateOffset(years=rule.years) if rule.years else as_of_ts
            limit: object = bound.date().isoformat()
        else:
            bound = table.values[rule.bound]
            limit = bound.dt.strftime("%Y-%m-%d")
        bad = value > bound if rule.compare == "not_after" else value < bound
        out += cell_findings(table, sheet, rule.code, rule.field, _rows(bad), limit=limit)
    return out


def status_findings(sheet: contract.Sheet, table: Table) -> list[Finding]:
    """办结日期 is filled in exactly when 办理状态 is 已办结."""
    if sheet.kind != contract.LEDGER:
        return []
    status = table.values[contract.STATUS_FIELD]
    resolved_on = table.text[contract.RESOLVED_ON_FIELD]
    resolved = status == contract.STATUS_RESOLVED
    valid = status.isin(list(contract.STATUS_ORDER))
    return (
        cell_findings(table, sheet, "resolved_on_missing", contract.RESOLVED_ON_FIELD, _rows(resolved & resolved_on.isna()))
        + cell_findings(table, sheet, "resolved_on_unexpected", contract.RESOLVED_ON_FIELD,
                        _rows(valid & ~resolved & resolved_on.notna()))
    )


# --- across submissions ---------------------------------------------------------------------

def history_findings(sheet: contract.Sheet, table: Table, previous: dict[str, dict] | None,
                     as_of: dt.date) -> list[Finding]:
    """Warnings against the district's current cases: status back, deadline later, case gone.

    Only cases whose current state is not newer than this ledger are compared: an older ledger
    arriving late says nothing about what happened since.
    """
    if not previous or sheet.kind != contract.LEDGER or table.rows == 0:
        return []
    ids = [str(k) for k in previous]
    states = [v or {} for v in previous.values()]

    def column(name: str) -> pd.Series:
        return pd.Series([v.get(name) for v in states], index=ids, dtype="object")

    prev = pd.DataFrame({"status": column("status"), "deadline": pd.to_datetime(column("deadline"), errors="coerce"),
                         "as_of": pd.to_datetime(column("as_of"), errors="coerce")})
    compared = (prev["as_of"].isna() | (prev["as_of"] <= pd.Timestamp(as_of))).tolist()
    ids = [c for c, keep in zip(ids, compared, strict=True) if keep]
    prev = prev.loc[compared]
    prev = prev.loc[~prev.index.duplicated()]
    if prev.empty:
        return []
    out: list[Finding] = []
    current = table.values[["case_id", "status", "deadline"]]
    first = current.loc[current["case_id"].notna() & ~current["case_id"].duplicated()]
    before_status = first["case_id"].map(prev["status"])
    rank = {s: i for i, s in enumerate(contract.STATUS_ORDER)}
    back = first["status"].map(rank) < before_status.map(rank)
    out += _case_warnings(sheet, table, "status_regressed", "status", _rows(back), first["case_id"],
                          before_status, first["status"])
    before_deadline = first["case_id"].map(prev["deadline"])
    later = first["deadline"] > before_deadline
    out += _case_warnings(sheet, table, "deadline_extended", "deadline", _rows(later), first["case_id"],
                          before_deadline.dt.strftime("%Y-%m-%d"), first["deadline"].dt.strftime("%Y-%m-%d"))
    header, index = place(table, sheet, "case_id")
    listed = set(current["case_id"].dropna().tolist())  # a set: pandas' isin is slow on 100k strings
    for case_id in sorted({c for c in ids if c not in listed}):
        out.append(finding("case_missing", sheet=table.sheet, column=header, column_index=index, value=case_id))
    return out


def _case_warnings(sheet: contract.Sheet, table: Table, code: str, field: str, rows: list[int],
                   case_ids: pd.Series, before: pd.Series, now: pd.Series) -> list[Finding]:
    """Worded with the case id, pointing at (and showing) the cell that changed."""
    from dataclasses import replace

    if not rows:
        return []
    header, index = place(table, sheet, field)
    columns = zip(_at(table.text[field], rows), _at(case_ids, rows), _at(before, rows), _at(now, rows), strict=True)
    out = []
    for row, (text, case_id, was, is_now) in zip(rows, columns, strict=True):
        f = finding(code, sheet=table.sheet, row=row, column=header, column_index=index,
                    value=_plain(case_id), other=_plain(was), detail=_plain(is_now))
        out.append(replace(f, value=_plain(text)))
    return out


# --- the reference workbook -----------------------------------------------------------------

def reference_workbook_findings(tables: dict[str, Table]) -> list[Finding]:
    """Cross-sheet rules of the reference workbook; `tables` keyed by contract sheet name."""
    out: list[Finding] = []
    names = {
        kind: set(tables[sheet_name].values["name"].dropna()) if sheet_name in tables else None
        for kind, sheet_name in contract.REFERENCE_SHEET_OF.items()
    }
    for spec in contract.REFERENCE_SHEETS:
        table = tables.get(spec.name)
        if table is None or table.rows == 0:
            continue
        for col in spec.columns:
            known = names.get(col.reference) if col.reference else None
            if known is None:
                continue
            values = table.values[col.field]
            bad = values.notna() & ~values.isin(list(known))
            out += cell_findings(table, spec, "reference_unknown", col.field, _rows(bad),
                                 other=contract.REFERENCE_SHEET_OF[col.reference])
    sheet_name, scope_field = contract.RECIPIENT_SCOPE
    recipients = tables.get(sheet_name)
    if recipients is not None and recipients.rows and names["district"] is not None:
        allowed = [contract.SCOPE_CITY, *names["district"]]
        scope = recipients.values[scope_field]
        spec = next(s for s in contract.REFERENCE_SHEETS if s.name == sheet_name)
        out += cell_findings(recipients, spec, "bad_scope", scope_field, _rows(scope.notna() & ~scope.isin(allowed)))
    leaders = tables.get("领导干部")
    if leaders is not None and leaders.rows:
        spec = next(s for s in contract.REFERENCE_SHEETS if s.name == "领导干部")
        name = leaders.values["name"]
        shared = name.notna() & name.duplicated(keep=False)
        out += cell_findings(leaders, spec, "ambiguous_leader", "name", _rows(shared))
    return out
