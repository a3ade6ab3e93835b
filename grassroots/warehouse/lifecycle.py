"""The life of a submission: the states a file goes through, the fate it ends with, their labels.

One definition, used by the ingest steps, the merge, the operators' page, `status` and the SQL
(bound as parameters: `:fate_accepted`, `:state_merged`, ... see `SQL_PARAMS`), so a state is never
spelled twice.

    received ─ read ─ validated ─ merged ─ done        (fate: pending → accepted)
        └───────┴────────┴──── rejected                 (fate: rejected)
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where the file is in the ingest: each task takes the submissions the previous one left."""

    RECEIVED = "received"
    READ = "read"
    VALIDATED = "validated"
    MERGED = "merged"
    REJECTED = "rejected"
    DONE = "done"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


class Fate(StrEnum):
    """What became of the file, as the district and the operators are told."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return FATE_LABELS[self]


STATE_LABELS = {State.RECEIVED: "已登记", State.READ: "已读取", State.VALIDATED: "已校验", State.MERGED: "已入库",
                State.REJECTED: "已退回", State.DONE: "已完成"}
FATE_LABELS = {Fate.PENDING: "处理中", Fate.ACCEPTED: "已接收", Fate.REJECTED: "已退回"}

IN_WAREHOUSE = (State.MERGED, State.DONE)
"""The states of an accepted file whose rows are in the warehouse."""

SQL_PARAMS = {f"state_{s.value}": s.value for s in State} | {f"fate_{f.value}": f.value for f in Fate}
"""The lifecycle as the SQL files bind it (`s.fate = :fate_accepted`)."""


def fate_label(fate: str | None) -> str:
    """The Chinese word for a fate (a file with none yet is 处理中)."""
    return FATE_LABELS[Fate(fate)] if fate else FATE_LABELS[Fate.PENDING]
