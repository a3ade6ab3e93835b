"""The data contract with the districts, defined once.

Headers, aliases, types, required flags, allowed values and every Chinese message live here and
nowhere else: the reader maps headers with it, the templates draw their dropdowns and notes from
it, the validation builds its GX suites and cross-field rules from it, and receipts print its
messages. See ../shared/spec/data-contract.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

LEDGER = "ledger"
VISITS = "visits"
REFERENCE = "reference"

ERROR = "error"
WARNING = "warning"

# Values that mean "empty" in an optional column.
NULL_TOKENS = frozenset({"", "/", "-", "无", "—", "－"})

STATUS_NOT_STARTED = "未启动"
STATUS_IN_PROGRESS = "推进中"
STATUS_SUBSTANTIVE = "取得实质性进展"
STATUS_RESOLVED = "已办结"
STATUS_ORDER = (STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_SUBSTANTIVE, STATUS_RESOLVED)

SOURCES = ("重点项目", "民生实事", "信访事项", "企业诉求", "其他")
THEMES = ("大局所需", "民生所盼", "转型所迫", "治理所困")
TARGET_TYPES = ("村", "社区", "企业", "群众", "其他")
ACTIVITIES = ("走访", "座谈", "蹲点调研", "下访接访", "专题调研", "其他")
SCOPE_CITY = "全市"
"""The scope of the whole city (figures, reports, recipients)."""
REFERENCE_FOLDER = "_reference"
"""The inbox folder where the reference workbook (基础数据) is dropped; every other top folder is a district's."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet as the districts see it."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    type: str = "text"  # text | date | number | integer | choice | list
    required: bool = False
    choices: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)  # accepted spelling -> canonical
    max_length: int | None = None
    minimum: float | None = None
    reference: str | None = None  # district | town | unit | leader
    hint: str = ""  # 填表说明: how to fill it in, also the "how to fix" of a receipt
    width: int = 14  # column width in the templates


@dataclass(frozen=True)
class Sheet:
    kind: str
    name: str  # the sheet name in a workbook, also how a CSV is described
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, field_name: str) -> Column:
        for c in self.columns:
            if c.field == field_name:
                return c
        raise KeyError(field_name)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)


_DISTRICT = Column(
    "district", "所属区县", ("区县", "区县（市）", "所属区县（市）"), required=True,
    reference="district", hint="本区县名称，须与提交文件夹一致，如：海曙区",
)
_TOWN = Column(
    "town", "街道（镇乡）", ("街道", "镇乡", "乡镇（街道）"), required=True,
    reference="town", hint="须为本区县所辖街道（镇乡），如：姜山镇", width=16,
)

LEDGER_SHEET = Sheet(LEDGER, "问题清单", (
    Column("case_id", "问题编号", ("编号", "问题序号"), required=True, max_length=64,
           hint="本区县内唯一，重复提交时保持不变，如：HS-2026-001"),
    Column("title", "问题名称", ("问题", "问题标题", "问题描述"), required=True, max_length=500,
           hint="简要写明问题，500字以内", width=36),
    Column("source", "问题来源", ("来源", "问题类型"), type="choice", required=True, choices=SOURCES,
           hint="从下拉列表选择"),
    Column("theme", "问题领域", ("领域", "类别"), type="choice", choices=THEMES,
           hint="可选，从下拉列表选择"),
    _DISTRICT,
    _TOWN,
    Column("paired_unit", "包联单位", ("联系单位", "结对单位"), required=True, reference="unit",
           hint="与该街道（镇乡）结对的市直单位全称，如：市经信局", width=20),
    Column("responsible_unit", "责任单位", ("牵头单位",), required=True, max_length=200,
           hint="负责解决该问题的单位", width=20),
    Column("responsible_person", "责任人", ("责任人员",), required=True, max_length=100,
           hint="责任人姓名"),
    Column("lead_leader", "领衔领导", ("牵头领导",), reference="leader", max_length=100,
           hint="可选，须为领导干部名单中的姓名"),
    Column("reported_on", "发现日期", ("收集日期", "登记日期"), type="date", required=True,
           hint="日期，如：2026-11-20，不晚于截至日期"),
    Column("deadline", "完成时限", ("办结时限", "时限"), type="date", required=True,
           hint="日期，不早于发现日期"),
    Column("status", "办理状态", ("状态", "进展状态"), type="choice", required=True,
           choices=STATUS_ORDER, synonyms={"已销号": STATUS_RESOLVED, "已解决": STATUS_RESOLVED},
           hint="从下拉列表选择；已销号、已解决按已办结处理"),
    Column("resolved_on", "办结日期", ("销号日期",), type="date",
           hint="仅在办理状态为已办结时填写，介于发现日期和截至日期之间"),
    Column("progress_note", "进展情况", ("工作进展", "进展"), max_length=2000,
           hint="可选，简述进展", width=36),
    Column("funds_wan", "涉及资金（万元）", ("资金（万元）", "金额（万元）"), type="number", minimum=0,
           hint="可选，数字，单位万元，如：400"),
))

VISITS_SHEET = Sheet(VISITS, "走访记录", (
    Column("visit_id", "走访编号", ("编号",), max_length=64,
           hint="可选；填写后重复提交按编号去重"),
    Column("visit_date", "走访日期", ("日期",), type="date", required=True,
           hint="日期，如：2026-11-20，不晚于截至日期"),
    Column("unit", "走访单位", ("包联单位", "单位"), required=True, reference="unit",
           hint="市直单位全称，如：市经信局", width=20),
    Column("leader", "带队领导", ("领导", "走访领导"), required=True, max_length=100,
           hint="带队领导姓名"),
    Column("leader_title", "领导职务", ("职务",), max_length=100, hint="可选"),
    _DISTRICT,
    _TOWN,
    Column("target", "走访对象", ("对象", "走访对象名称"), required=True, max_length=200,
           hint="村、社区、企业或群众名称", width=24),
    Column("target_type", "对象类型", ("类型",), type="choice", required=True, choices=TARGET_TYPES,
           hint="从下拉列表选择"),
    Column("activity", "活动形式", ("形式", "调研形式"), type="choice", required=True,
           choices=ACTIVITIES, hint="从下拉列表选择"),
    Column("participants", "参与人数", ("人数",), type="integer", minimum=0, hint="可选，整数"),
    Column("problems_collected", "收集问题数", ("问题数",), type="integer", minimum=0,
           hint="可选，整数"),
    Column("case_ids", "关联问题编号", ("问题编号",), type="list",
           hint="可选，多个编号用逗号、顿号或空格分隔", width=20),
    Column("note", "备注", (), max_length=2000, hint="可选", width=24),
))

# The reference workbook, owned by the city office.
REFERENCE_SHEETS = (
    Sheet(REFERENCE, "区县", (
        Column("name", "名称", ("区县",), required=True, max_length=50),
        Column("code", "代码", (), max_length=20),
    )),
    Sheet(REFERENCE, "街道（镇乡）", (
        Column("name", "名称", ("街道（镇乡）", "街道"), required=True, max_length=50),
        Column("district", "所属区县", ("区县",), required=True, reference="district"),
    )),
    Sheet(REFERENCE, "单位", (
        Column("name", "名称", ("单位",), required=True, max_length=100),
    )),
    Sheet(REFERENCE, "包联关系", (
        Column("unit", "单位", ("包联单位",), required=True, reference="unit"),
        Column("town", "街道（镇乡）", ("街道",), required=True, reference="town"),
    )),
    Sheet(REFERENCE, "领导干部", (
        Column("name", "姓名", (), required=True, max_length=100),
        Column("title", "职务", (), max_length=100),
        Column("unit", "单位", (), required=True, reference="unit"),
    )),
    Sheet(REFERENCE, "收件人", (
        Column("name", "姓名", (), required=True, max_length=100),
        Column("email", "邮箱", ("电子邮箱", "邮件"), required=True, max_length=254),
        Column("scope", "范围", (), required=True, hint="全市，或区县名称"),
    )),
)

SUBMISSION_SHEETS = (LEDGER_SHEET, VISITS_SHEET)


def sheet_for(kind: str) -> Sheet:
    return {LEDGER: LEDGER_SHEET, VISITS: VISITS_SHEET}[kind]


# --- header matching ------------------------------------------------------------------------

_HEADER_MARKS = re.compile(r"[\s*＊※★☆#:：]+")


def header_key(text: object) -> str:
    """A header as written -> the key it is matched by (spaces, marks and width removed)."""
    if text is None:
        return ""
    return _HEADER_MARKS.sub("", unicodedata.normalize("NFKC", str(text)))


def header_index(sheet: Sheet) -> dict[str, str]:
    """Header key -> field, the official header first so that it wins over an alias."""
    index: dict[str, str] = {}
    for col in sheet.columns:
        index.setdefault(header_key(col.header), col.field)
    for col in sheet.columns:
        for alias in col.aliases:
            index.setdefault(header_key(alias), col.field)
    return index


# --- messages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    message: str  # may use {header} {value} {district} {choices} {limit} {other}
    fix: str


RULES: dict[str, Rule] = {r.code: r for r in (
    # a file that cannot be read at all
    Rule("unreadable", ERROR, "文件无法读取：{detail}", "请用 Excel 或 WPS 打开确认文件完好，另存为 .xlsx 后重新提交"),
    Rule("encrypted", ERROR, "文件设置了打开密码，系统无法读取", "请取消密码保护（文件→信息→保护工作簿），另存后重新提交"),
    Rule("empty", ERROR, "文件是空的，没有任何内容", "请确认保存了正确的文件后重新提交"),
    Rule("no_header", ERROR, "找不到表头：文件中没有“问题清单”或“走访记录”的必填列", "请使用统一模板，表头须包含：{detail}"),
    Rule("missing_column", ERROR, "缺少必填列“{header}”", "请按模板补上“{header}”列"),
    Rule("unsupported_type", ERROR, "不支持的文件类型“{detail}”", "请提交 .xlsx、.xls 或 .csv 文件"),
    Rule("too_large", ERROR, "文件过大（{detail}），超过系统上限", "请拆分文件或删除多余的空行空列后重新提交"),
    Rule("too_many_rows", ERROR, "工作表“{sheet}”行数过多（{detail}），超过系统上限", "请删除多余的空行（含只设置了格式的空行）后重新提交"),
    Rule("too_many_columns", ERROR, "工作表“{sheet}”列数过多（{detail}），超过系统上限", "请删除多余的空列后重新提交"),
    Rule("no_rows", ERROR, "表头下没有任何数据行", "请填写数据后重新提交"),
    Rule("unknown_folder", ERROR, "文件夹“{value}”不是已登记的区县，系统无法确定这是哪个区县的数据", "请把文件放进本区县名称命名的文件夹，如：海曙区"),
    Rule("internal_error", ERROR, "系统处理该文件时出错（{detail}）", "请联系市里数据组，并附上本回执"),
    Rule("ragged_row", ERROR, "该行有 {detail} 个单元格，与表头的列数不一致", "请检查该行是否多了或少了分隔符（逗号），含逗号的内容须加英文双引号"),
    Rule("duplicate_column", WARNING, "“{header}”列出现了多次，只采用第一列", "请删除重复的列"),
    Rule("optional_column_missing", WARNING, "缺少可选列“{header}”", "如有该项信息，请按模板补上“{header}”列"),
    Rule("empty_sheet", WARNING, "工作表“{sheet}”表头下没有数据行，本次未采用该表", "如需提交该表，请填写数据后重新提交"),
    # cells
    Rule("required", ERROR, "“{header}”为必填项，不能为空", "请填写{header}：{hint}"),
    Rule("bad_date", ERROR, "“{value}”不是可识别的日期", "请填写日期，如 2026-11-20"),
    Rule("bad_number", ERROR, "“{value}”不是数字", "请只填写数字，如 400"),
    Rule("not_whole_number", ERROR, "“{value}”不是整数", "请填写整数，如 12"),
    Rule("negative", ERROR, "“{value}”不能小于 {limit}", "请填写不小于 {limit} 的数"),
    Rule("not_in_choices", ERROR, "“{value}”不是“{header}”的可选值", "请从下拉列表中选择：{choices}"),
    Rule("too_long", ERROR, "内容过长（{detail}字），超过 {limit} 字", "请精简到 {limit} 字以内"),
    Rule("unknown_district", ERROR, "“{value}”不是已登记的区县", "请填写区县全称，如：海曙区"),
    Rule("wrong_district", ERROR, "该行属于“{value}”，但文件提交在“{district}”的文件夹中", "请只提交本区县（{district}）的数据，其他区县的数据由其自行提交"),
    Rule("unknown_town", ERROR, "“{value}”不是已登记的街道（镇乡）", "请填写街道（镇乡）全称，如：姜山镇"),
    Rule("town_not_in_district", ERROR, "“{value}”不属于{district}", "请核对街道（镇乡）名称和所属区县"),
    Rule("unknown_unit", ERROR, "“{value}”不是已登记的包联单位", "请填写单位全称，与单位名单一致，如：市经信局"),
    Rule("unknown_leader", ERROR, "“{value}”不在领导干部名单中", "请填写领导干部名单中的姓名，或留空"),
    Rule("ambiguous_leader", WARNING, "有两位以上领导干部名叫“{value}”，统计时可能无法区分", "请与市里联系在名单中区分同名领导"),
    Rule("duplicate_case_id", ERROR, "问题编号“{value}”在本文件中重复（另见第 {other} 行）", "每个问题只占一行，编号不得重复"),
    Rule("resolved_on_missing", ERROR, "办理状态为已办结，但没有填写办结日期", "请填写办结日期"),
    Rule("resolved_on_unexpected", ERROR, "办理状态不是已办结，却填写了办结日期", "未办结的问题请清空办结日期，已办结的请修改办理状态"),
    Rule("after_as_of", ERROR, "{header}“{value}”晚于本表截至日期 {limit}", "请核对日期，或在标题中写明正确的截至日期"),
    Rule("deadline_before_reported", ERROR, "完成时限“{value}”早于发现日期 {limit}", "请核对完成时限和发现日期"),
    Rule("resolved_before_reported", ERROR, "办结日期“{value}”早于发现日期 {limit}", "请核对办结日期和发现日期"),
    Rule("deadline_far", WARNING, "完成时限“{value}”在两年以后", "请核对完成时限是否填写正确"),
    Rule("visit_old", WARNING, "走访日期“{value}”距今超过一年", "请核对走访日期是否填写正确"),
    # across submissions
    Rule("status_regressed", WARNING, "问题“{value}”的办理状态由“{other}”退回为“{detail}”", "如确有反复请在进展情况中说明原因"),
    Rule("deadline_extended", WARNING, "问题“{value}”的完成时限由 {other} 推迟到 {detail}", "推迟时限须按程序报批，请在进展情况中说明"),
    Rule("case_missing", WARNING, "问题“{value}”在上一期清单中有，本期清单中没有", "问题清单须列出全部问题（含已办结），请补上或说明原因"),
    # the reference workbook
    Rule("reference_missing_sheet", ERROR, "基础数据缺少工作表“{sheet}”", "请使用统一的基础数据模板"),
    Rule("reference_duplicate", ERROR, "“{value}”重复", "每项只登记一次"),
    Rule("reference_unknown", ERROR, "“{value}”在“{other}”表中不存在", "请先在“{other}”表中登记"),
    Rule("reference_pairing", ERROR, "“{value}”结对了不止一个街道（镇乡），或一个街道（镇乡）结对了多个单位", "包联关系须一对一"),
    Rule("bad_email", ERROR, "“{value}”不是有效的邮箱地址", "请填写如 name@example.gov.cn 的邮箱"),
    Rule("bad_scope", ERROR, "范围“{value}”既不是全市也不是区县名称", "请填写“全市”或区县名称"),
)}


def message(code: str, **values: object) -> tuple[str, str]:
    """The (reason, how to fix) of a rule, filled in; missing values print as empty."""
    rule = RULES[code]
    safe = _Blank({k: "" if v is None else v for k, v in values.items()})
    return rule.message.format_map(safe), rule.fix.format_map(safe)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


# --- rules across cells, rows and files -----------------------------------------------------
# Validation builds its GX suites from the columns above and these tables, and its row rules
# from these tables; the Chinese words of each code are in RULES.

AS_OF = "as_of"


@dataclass(frozen=True)
class DateRule:
    """A date of a row compared with another date of the same row, or with the as-of date.

    The rule holds when `field` is not after (`not_after`) or not before (`not_before`) the
    bound: another field of the row, or the as-of date moved by `years`. Empty dates are not
    compared (required and bad_date say what is wrong with them).
    """

    kind: str
    field: str
    code: str
    compare: str  # not_after | not_before
    bound: str  # a field of the same row, or AS_OF
    years: int = 0


DATE_RULES = (
    DateRule(LEDGER, "reported_on", "after_as_of", "not_after", AS_OF),
    DateRule(LEDGER, "resolved_on", "after_as_of", "not_after", AS_OF),
    DateRule(VISITS, "visit_date", "after_as_of", "not_after", AS_OF),
    DateRule(LEDGER, "deadline", "deadline_before_reported", "not_before", "reported_on"),
    DateRule(LEDGER, "resolved_on", "resolved_before_reported", "not_before", "reported_on"),
    DateRule(LEDGER, "deadline", "deadline_far", "not_after", AS_OF, years=2),
    DateRule(VISITS, "visit_date", "visit_old", "not_before", AS_OF, years=-1),
)

# 办结日期 is required exactly when 办理状态 is 已办结 (resolved_on_missing / resolved_on_unexpected).
RESOLVED_ON_FIELD = "resolved_on"
STATUS_FIELD = "status"

# Values that may appear only once in a sheet: (sheet name, fields taken together, code).
UNIQUE_KEYS = (
    (LEDGER_SHEET.name, ("case_id",), "duplicate_case_id"),
    ("区县", ("name",), "reference_duplicate"),
    ("街道（镇乡）", ("name",), "reference_duplicate"),
    ("单位", ("name",), "reference_duplicate"),
    ("包联关系", ("unit",), "reference_pairing"),
    ("包联关系", ("town",), "reference_pairing"),
    ("领导干部", ("name", "unit"), "reference_duplicate"),
    ("收件人", ("email", "scope"), "reference_duplicate"),
)

# Text patterns a value must match: (sheet name, field) -> (regular expression, code).
EMAIL_PATTERN = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
PATTERNS = {("收件人", "email"): (EMAIL_PATTERN, "bad_email")}

# A column naming reference data (Column.reference): the code of a value the reference lacks in a
# district's sheet, and the reference sheet that must list it (reference_unknown in the workbook).
UNKNOWN_REFERENCE = {
    "district": "unknown_district",
    "town": "unknown_town",
    "unit": "unknown_unit",
    "leader": "unknown_leader",
}
REFERENCE_SHEET_OF = {"district": "区县", "town": "街道（镇乡）", "unit": "单位"}
# Reference sheets that must hold at least one row; the scope column of 收件人.
REFERENCE_SHEETS_NOT_EMPTY = ("区县", "街道（镇乡）", "单位", "包联关系")
RECIPIENT_SCOPE = ("收件人", "scope")
