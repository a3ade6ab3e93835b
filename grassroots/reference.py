"""The reference data (districts, towns, units, pairings, leaders, recipients) in memory.

Validation asks it whether a town belongs to a district, the warehouse stores it, the demo
writes it and the report reads its recipients. It is built from the reference workbook's tables
(reader.read_reference) or from the warehouse.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Leader:
    name: str
    title: str
    unit: str


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    scope: str  # 全市 or a district name


@dataclass
class Reference:
    districts: dict[str, str] = field(default_factory=dict)  # name -> code
    towns: dict[str, str] = field(default_factory=dict)  # town -> district
    units: list[str] = field(default_factory=list)
    pairings: dict[str, str] = field(default_factory=dict)  # unit -> town
    leaders: list[Leader] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)

    @property
    def leader_names(self) -> set[str]:
        return {leader.name for leader in self.leaders}

    @property
    def shared_leader_names(self) -> set[str]:
        """Names that two or more leaders share: a visit or case naming them is ambiguous."""
        counts = Counter(leader.name for leader in self.leaders)
        return {name for name, n in counts.items() if n > 1}

    def towns_of(self, district: str) -> list[str]:
        return [t for t, d in self.towns.items() if d == district]

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame]) -> Reference:
        """From the reference workbook's sheets (keyed by sheet name, columns by contract field)."""

        from grassroots.contract import header_key

        by_key = {header_key(name): frame for name, frame in tables.items()}  # 街道(镇乡) = 街道（镇乡）

        def rows(sheet: str) -> list[dict]:
            frame = by_key.get(header_key(sheet))
            if frame is None:
                return []
            return [
                {k: (None if pd.isna(v) else str(v)) for k, v in rec.items()}
                for rec in frame.to_dict("records")
            ]

        ref = cls()
        for r in rows("区县"):
            if r["name"]:
                ref.districts.setdefault(r["name"], r.get("code") or "")
        for r in rows("街道（镇乡）"):
            if r["name"]:
                ref.towns.setdefault(r["name"], r["district"] or "")
        ref.units = list(dict.fromkeys(r["name"] for r in rows("单位") if r["name"]))
        for r in rows("包联关系"):
            if r["unit"]:
                ref.pairings.setdefault(r["unit"], r["town"] or "")
        ref.leaders = [Leader(r["name"], r.get("title") or "", r["unit"] or "") for r in rows("领导干部") if r["name"]]
        ref.recipients = [
            Recipient(r["name"], r["email"] or "", r["scope"] or "") for r in rows("收件人") if r["name"]
        ]
        return ref
