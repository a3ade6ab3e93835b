"""The rules GX cannot check alone, column at a time in pandas.

Reference data (a town belongs to the district of the folder, units and leaders are known),
dates against each other and against the as-of date, 办结日期 exactly when 已办结, rows that
share a key, the reference workbook's own cross-sheet rules, and warnings across submissions.
Every rule returns the same `Finding`s as the GX checks: sheet, Excel row, header as written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

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
    """One finding per row for the cell of `field`; a detail may be a Series indexed by row.

    At most contract.MAX_FINDINGS_PER_RULE rows get a finding of their own; the rest are counted
    in one more_of_kind finding after them (a file wrong on every row costs no more than that)."""
    rows = [int(r) for r in rows]
    if not rows:
        return []
    rest = len(rows) - contract.MAX_FINDINGS_PER_RULE
    if rest > 0:
        shown = cell_findings(table, sheet, code, field, rows[:contract.MAX_FINDINGS_PER_RULE], **details)
        return [*shown, more_of_kind(shown[0], rest)]
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


def more_of_kind(first: Finding, rest: int) -> Finding:
    """'另有 N 处同类错误' after the first findings of a rule, with the severity of that rule."""
    from dataclasses import replace

    kind = "错误" if first.is_error else "警告"
    where = f"“{first.column}”列，如" if first.column else "如"
    more = finding("more_of_kind", sheet=first.sheet, column=first.column, column_index=first.column_index,
                   value=rest, detail=kind, other=where + first.reason)
    return replace(more, severity=first.severity, fix=first.fix)


def cap(findings: list[Finding]) -> list[Finding]:
    """At most MAX_FINDINGS_PER_RULE findings per rule, sheet and column (for lists not built by
    cell_findings: ragged lines, cases missing); the rest counted in a more_of_kind finding."""
    limit = contract.MAX_FINDINGS_PER_RULE
    counts = Counter((f.sheet, f.code, f.column) for f in findings)
    if all(n <= limit for n in counts.values()):
        return findings
    out, seen = [], Counter()
    for f in findings:
        key = (f.sheet, f.code, f.column)
        seen[key] += 1
        if seen[key] <= limit:
            out.append(f)
        elif seen[key] == limit + 1:
            out.append(more_of_kind(f, counts[key] - limit))
    return out


def tally(findings: list[Finding]) -> tuple[int, int]:
    """(errors, warnings), each more_of_kind finding counting the findings it stands for."""
    errors = warnings = 0
    for f in findings:
        n = int(f.value) if f.code == "more_of_kind" and f.value.isdigit() else 1
        if f.is_error:
            errors += n
        else:
            warnings += n
    return errors, warnings


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
            details["hint"] = contract.hint(col)
        elif check.code == "too_long":
            details["limit"] = col.text_limit
            details["detail"] = table.text[check.field].loc[rows].str.len()
        elif check.code == "not_in_choices":
            details["choices"] = "、".join(col.choices)
        elif check.code == "negative":
            details["limit"] = _number(col.minimum or 0)
        elif check.code == "number_too_large":
            details["limit"] = _number(col.upper)
        elif check.code in ("duplicate_case_id", "reference_duplicate", "reference_pairing"):
            fields = check.kwargs.get("column_list") or [check.field]
            details["other"] = _other_rows(table, fields, rows)
        if check.code == "bad_date":
            out.extend(_date_findings(table, sheet, check.field, rows))
            continue
        out.extend(cell_findings(table, sheet, check.code, check.field, rows, **details))
    return out


def _date_findings(table: Table, sheet: contract.Sheet, field: str, rows: list[int]) -> list[Finding]:
    """An unreadable date, or a date that cannot exist with the reason why (11月没有31日)."""
    why = {r: impossible_date(_plain(t)) for r, t in zip(rows, _at(table.text[field], rows), strict=True)}
    impossible = [r for r, w in why.items() if w]
    return (cell_findings(table, sheet, "bad_date", field, [r for r in rows if not why[r]])
            + cell_findings(table, sheet, "impossible_date", field, impossible,
                            detail=pd.Series({r: why[r][0] for r in impossible}, dtype="object"),
                            limit=pd.Series({r: why[r][1] for r in impossible}, dtype="object")))


_YMD = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def impossible_date(text: str) -> tuple[str, str] | None:
    """'2026/11/31' -> ('11月没有31日', '2026-11-30'): why a year-month-day cannot exist, and the
    closest real date; None when the text is not of that shape or the date exists."""
    import calendar

    m = _YMD.match(text or "")
    if not m:
        return None
    year, month, day = (int(x) for x in m.groups())
    if not 1 <= month <= 12:
        return f"一年只有12个月，没有{month}月", f"{year}-12-{min(day, 31) or 1:02d}"
    last = calendar.monthrange(year, month)[1]
    if 1 <= day <= last:
        return None
    if day == 0:
        return "没有0日", f"{year}-{month:02d}-01"
    why = f"{year}年2月没有29日（{year}年不是闰年）" if (month, day) == (2, 29) else f"{month}月没有{day}日"
    return why, f"{year}-{month:02d}-{last:02d}"


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

def reference_findings(sheet: contract.Sheet, table: Table, reference: Reference, district: str,
                       prefixes: Callable[[], frozenset[str]] = frozenset) -> list[Finding]:
    """Districts, towns, units and leaders named in the sheet, checked against the reference.

    `prefixes()`: the 问题编号 prefixes of the district (BL of BL-2026-001), from its ledgers
    (asked only when a row names another district: a regex over every case id): a row
    whose town or case id is the folder's district but whose 所属区县 is not is told to write the
    folder's district, not to remove the row. A shared leader name is the operators' to settle and
    is reported once, on the reference workbook, not on every district's receipt.
    """
    out: list[Finding] = []
    for col in sheet.columns:
        if not col.reference:
            continue
        f = col.field
        values = table.values[f]
        present = values.notna()
        unknown_code = contract.UNKNOWN_REFERENCE[col.reference]
        unknown = _rows(present & ~values.isin(list(_names(reference, col.reference))))
        out += cell_findings(table, sheet, unknown_code, f, unknown,
                             suggestion=_suggestions(table, f, unknown, col.reference, reference, district))
        if col.reference == "district":
            known = values.isin(list(reference.districts))
            wrong = _rows(present & known & (values != district))
            evidence = _belongs_here(sheet, table, reference, district, prefixes, wrong)
            out += cell_findings(table, sheet, "district_should_be", f, list(evidence), district=district,
                                 detail=pd.Series(evidence, dtype="object"))
            out += cell_findings(table, sheet, "wrong_district", f, [r for r in wrong if r not in evidence],
                                 district=district)
        elif col.reference == "town":
            known = values.isin(list(reference.towns))
            elsewhere = values.map(reference.towns) != district
            out += cell_findings(table, sheet, "town_not_in_district", f, _rows(present & known & elsewhere),
                                 district=district)
    return out


def _names(reference: Reference, kind: str) -> list[str]:
    return {"district": list(reference.districts), "town": list(reference.towns), "unit": reference.units,
            "leader": list(reference.leader_names)}[kind]


def _suggestions(table: Table, field: str, rows: list[int], kind: str, reference: Reference,
                 district: str) -> pd.Series:
    """For each unknown value: "是否为“霞浦街道”？…" from the district's names, then the city's."""
    from grassroots.validation import suggest

    towns = reference.towns_of(district)
    units = [u for u, t in reference.pairings.items() if t in set(towns)]
    own = {"district": [district], "town": towns, "unit": units,
           "leader": [x.name for x in reference.leaders if x.unit in set(units)]}[kind]
    city = _names(reference, kind)
    example = (own or city or [""])[0]
    texts: dict[str, str] = {}
    out = {}
    for row, value in zip(rows, _at(table.text[field], rows), strict=True):
        value = _plain(value)
        if value not in texts:
            texts[value] = contract.suggestion(kind, suggest.closest(value, own, city), district=district,
                                               example=example)
        out[row] = texts[value]
    return pd.Series(out, dtype="object")


_CASE_PREFIX = re.compile(r"^\s*([A-Za-z]+)[-_－—]")


def _prefix(case_id: str) -> str | None:
    m = _CASE_PREFIX.match(case_id)
    return m.group(1).upper() if m else None


def case_prefixes(case_ids: Iterable[object]) -> frozenset[str]:
    """The prefixes (BL of BL-2026-001) of a district's case ids."""
    return frozenset(p for c in case_ids if isinstance(c, str) and (p := _prefix(c)))


def _belongs_here(sheet: contract.Sheet, table: Table, reference: Reference, district: str,
                  prefixes: Callable[[], frozenset[str]], rows: list[int]) -> dict[int, str]:
    """For rows naming another district: the words saying their town or case id is the folder's."""
    if not rows:
        return {}
    prefixes = prefixes() if "case_id" in sheet.fields else frozenset()
    none = [None] * len(rows)
    towns = _at(table.values["town"], rows) if "town" in sheet.fields else none
    ids = _at(table.values["case_id"], rows) if "case_id" in sheet.fields and prefixes else none
    out = {}
    for row, town, case_id in zip(rows, towns, ids, strict=True):
        words = []
        if isinstance(town, str) and reference.towns.get(town) == district:
            words.append(f"街道（镇乡）“{town}”")
        if isinstance(case_id, str) and _prefix(case_id) in prefixes:
            words.append(f"问题编号“{case_id}”")
        if words:
            out[row] = "和".join(words)
    return out


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


def limit_findings(sheet: contract.Sheet, table: Table) -> list[Finding]:
    """What the warehouse cannot hold and GX does not see: dates outside the contract's window,
    control characters in text (PostgreSQL refuses NUL)."""
    out: list[Finding] = []
    low, high = pd.Timestamp(contract.DATE_MIN), pd.Timestamp(contract.DATE_MAX)
    window = f"{contract.DATE_MIN.isoformat()} 至 {contract.DATE_MAX.isoformat()}"
    for col in sheet.columns:
        if col.type == "date":
            value = table.values[col.field]
            out += cell_findings(table, sheet, "date_out_of_range", col.field, _rows((value < low) | (value > high)),
                                 limit=window)
        elif col.text_limit:
            text = table.text[col.field]
            out += cell_findings(table, sheet, "control_character", col.field,
                                 _rows(text.str.contains(contract.CONTROL_CHARACTERS, regex=True, na=False)))
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
    before_status = _looked_up(first["case_id"], prev["status"])
    now_rank, before_rank = _status_rank(first["status"]), _status_rank(before_status)
    back = (now_rank >= 0) & (before_rank >= 0) & (now_rank < before_rank)
    out += _case_warnings(sheet, table, "status_regressed", "status", _rows(back), first["case_id"],
                          before_status, first["status"])
    before_deadline = _looked_up(first["case_id"], prev["deadline"])
    later = first["deadline"] > before_deadline
    out += _case_warnings(sheet, table, "deadline_extended", "deadline", _rows(later), first["case_id"],
                          before_deadline.dt.strftime("%Y-%m-%d"), first["deadline"].dt.strftime("%Y-%m-%d"))
    header, index = place(table, sheet, "case_id")
    listed = set(current["case_id"].dropna().tolist())  # a set: pandas' isin is slow on 100k strings
    for case_id in sorted({c for c in ids if c not in listed}):
        out.append(finding("case_missing", sheet=table.sheet, column=header, column_index=index, value=case_id))
    return out


def _looked_up(case_ids: pd.Series, by_case: pd.Series) -> pd.Series:
    """`by_case` (indexed by unique case ids) at each of `case_ids`, on their index: Series.map,
    one hash lookup for all rows instead of its element-wise path on string arrays."""
    return pd.Series(by_case.reindex(case_ids.to_numpy(dtype=object)).to_numpy(), index=case_ids.index)


def _status_rank(status: pd.Series) -> pd.Series:
    """The place of each status in contract.STATUS_ORDER; -1 when it is none of them."""
    codes = pd.Categorical(status.astype("object"), categories=list(contract.STATUS_ORDER)).codes
    return pd.Series(codes, index=status.index)


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
