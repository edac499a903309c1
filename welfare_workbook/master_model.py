r"""The master's records and the declaration of its sheets, with the helpers for its cell values.

Each master sheet is declared once here (:data:`MASTER_SHEETS`): heading ↔ record
field ↔ required ↔ kind (how the cell is read and checked) ↔ width in the written
.xlsx. The reader and checker (:mod:`master`), the writer and the samples
(:mod:`master_io`), rollover and the README test all work from these tables, and
records are built from them by keyword. This module depends on nothing else in the
package but :mod:`wareki`, so :mod:`spec` can check a template's ``rollover:``
target against the 実績 sheet declared here.

>>> RESULTS.header("grade"), RESULTS.key
('評価', ('year', 'indicator_no', 'action_no', 'department'))
>>> MASTER_COLUMNS["担当課"]
('課ID', '課名', '区分', 'メール', '担当者')
>>> with_year("137", "令和2年度")
'137\n（令和2年度）'
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, Collection, Dict, List, Optional, Set, Tuple

from .wareki import fiscal_year_label

VALUE_TYPES = ("整数", "小数", "文章", "複合")
NUMERIC_TYPES = ("整数", "小数")
DEPARTMENT_KINDS = ("庁内", "関係機関")

# ---------------------------------------------------------------------------
# model


@dataclass(frozen=True)
class Settings:
    municipality: str
    plan_name: str
    survey_name: str
    fiscal_year: int
    deadline: Optional[dt.date]
    secretariat: str
    contact: str
    sheets: Tuple[str, ...]
    password: str = ""

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    kind: str = ""
    email: str = ""
    person: str = ""


@dataclass(frozen=True)
class Measure:
    """A 基本施策 with its 基本方針."""

    policy_id: str
    policy: str
    id: str
    name: str
    vision: str = ""

    @property
    def label(self) -> str:
        """Heading as the seeds print it: 'Ⅰ-1 支え合いの意識づくり'."""
        return f"{self.id} {self.name}" if not self.id.startswith("重点") else f"重点施策 {self.name}"


@dataclass(frozen=True)
class Action:
    no: int
    measure_id: str
    name: str
    content: str
    main: str
    related: Tuple[str, ...] = ()
    page: str = ""

    @property
    def departments(self) -> Tuple[str, ...]:
        return (self.main,) + tuple(d for d in self.related if d != self.main)


@dataclass(frozen=True)
class Indicator:
    no: int
    measure_id: str
    name: str
    unit: str
    type: str
    respondents: Tuple[str, ...]
    actions: Tuple[int, ...]
    baseline: str
    baseline_year: str
    target: str
    target_year: str

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def baseline_label(self) -> str:
        """現状値 as the survey sheet and 集計表 show it: with its year below."""
        return with_year(self.baseline, self.baseline_year)

    @property
    def target_label(self) -> str:
        """目標値 as the survey sheet and 集計表 show it: with its year below."""
        return with_year(self.target, self.target_year)

    @property
    def value_type(self) -> str:
        """How its value cell is typed and checked: integer, decimal or text."""
        return {"整数": "integer", "小数": "decimal"}.get(self.type, "text")


def with_year(value: str, year: str) -> str:
    """A value with the year it belongs to below it; the value alone when either is missing
    (an empty 目標値 shows nothing rather than a lone year)."""
    return f"{value}\n（{year}）" if value and year else value


@dataclass(frozen=True)
class Result:
    """One row of 実績: a past answer for an indicator or an action."""

    year: int
    indicator_no: Optional[int]
    action_no: Optional[int]
    department: str
    value: str = ""
    content: str = ""
    outcome: str = ""
    challenge: str = ""
    grade: str = ""
    direction: str = ""
    reason: str = ""


class RespondentWords:
    """What users call the respondents of a master and their id: the row-table survey's
    課 / 課ID (its 担当課 sheet); a form survey's master says 団体 / 団体コード (回答団体)."""

    respondent_noun: ClassVar[str] = "課"
    respondent_id_label: ClassVar[str] = "課ID"
    person_is_section: ClassVar[bool] = False  # Department.person is a person (担当者), not a section
    respondent_sheet: ClassVar[str] = "担当課"  # the master sheet that lists them

    @classmethod
    def wording(cls) -> Dict[str, str]:
        """Message fields that name the respondents (shared messages of either kind of survey)."""
        return {"noun": cls.respondent_noun, "id_label": cls.respondent_id_label, "roster_sheet": cls.respondent_sheet}


def names_in(text: str, names: Collection[str]) -> Set[str]:
    """The ``names`` that occur in ``text`` (e.g. a file name). Looks up each piece of ``text``
    no longer than the longest name, so the cost does not grow with the number of names
    (collect asks once per return).

    >>> sorted(names_in("20261130_健康長寿課_回答.xlsx", {"健康長寿課", "長寿課", "福祉課"}))
    ['健康長寿課', '長寿課']
    """
    longest = max(map(len, names), default=0)
    return {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + longest) + 1)
            if text[i:j] in names}


@dataclass
class Master(RespondentWords):
    settings: Settings
    departments: Dict[str, Department]
    measures: Dict[str, Measure]
    actions: Dict[int, Action]
    indicators: Dict[int, Indicator]
    results: List[Result] = field(default_factory=list)
    source: str = ""

    def result(self, year: int, department: str, *, indicator: Optional[int] = None,
               action: Optional[int] = None) -> Optional[Result]:
        return self._results_index().get((year, indicator, action, department))

    def _results_index(self) -> Dict[tuple, Result]:
        index = self.__dict__.get("_index")
        if index is None:
            index = {(r.year, r.indicator_no, r.action_no, r.department): r for r in self.results}
            self.__dict__["_index"] = index
        return index

    @property
    def measured_actions(self) -> set:
        """Actions that at least one indicator refers to."""
        return {no for ind in self.indicators.values() for no in ind.actions}

    def indicators_for(self, dept_id: str) -> List[Indicator]:
        """The indicators ``dept_id`` answers, in 指標 order (indexed once: at national scale
        every indicator may list thousands of respondents)."""
        index = self.__dict__.get("_indicators_by_respondent")
        if index is None:
            index = self.__dict__["_indicators_by_respondent"] = {}
            for indicator in self.indicators.values():
                for respondent in dict.fromkeys(indicator.respondents):
                    index.setdefault(respondent, []).append(indicator)
        return list(index.get(dept_id, ()))

    def actions_for(self, dept_id: str) -> List[Action]:
        return [a for a in self.actions.values() if dept_id in a.departments]

    def other_actions_for(self, dept_id: str) -> List[Action]:
        measured = self.measured_actions
        return [a for a in self.actions_for(dept_id) if a.no not in measured]

    def respondents(self) -> List[Department]:
        """Departments that have anything to answer, in 担当課 order (computed once)."""
        cached = self.__dict__.get("_respondents")
        if cached is None:
            cached = self.__dict__["_respondents"] = self._find_respondents()
        return list(cached)

    def is_respondent(self, dept_id: Optional[str]) -> bool:
        """``dept_id`` answers this survey (a set lookup: collect asks once per return)."""
        ids = self.__dict__.get("_respondent_ids")
        if ids is None:
            ids = self.__dict__["_respondent_ids"] = frozenset(d.id for d in self.respondents())
        return dept_id in ids

    def department_names_in(self, text: str) -> List[str]:
        """Names of departments that occur in ``text`` (e.g. a file name), in 担当課 order."""
        order = self.__dict__.get("_department_order")
        if order is None:
            order = self.__dict__["_department_order"] = {}
            for dept in self.departments.values():
                if dept.name:
                    order.setdefault(dept.name, len(order))
        return sorted(names_in(text, order), key=order.__getitem__)

    def _find_respondents(self) -> List[Department]:
        enabled = set(self.settings.sheets)
        result = []
        for dept in self.departments.values():
            has_indicators = "取組状況" in enabled and bool(self.indicators_for(dept.id))
            has_actions = bool(enabled & {"中間評価", "今後の方向性"}) and bool(self.actions_for(dept.id))
            # その他の取組 belongs to the 取組状況 report (seed 000); without it every action
            # would be "without an indicator" and be asked a second time
            has_other = "取組状況" in enabled and bool(self.other_actions_for(dept.id))
            if has_indicators or has_actions or has_other:
                result.append(dept)
        return result


# ---------------------------------------------------------------------------
# cell values


def cell_text(value: Any) -> str:
    """Canonical text of a master cell: numbers without '.0', dates as ISO, trimmed."""
    if type(value) is str:  # the common case, kept fast: collect hashes every locked cell
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}
_CIRCLED.update({chr(0x3251 + i): i + 21 for i in range(15)})
_CIRCLED.update({chr(0x32B1 + i): i + 36 for i in range(15)})


def circled(no: int) -> str:
    """① for 1 … ㊿ for 50; plain digits beyond."""
    for char, n in _CIRCLED.items():
        if n == no:
            return char
    return f"({no})"


# The one rule for IDs (課ID, 基本方針ID, 基本施策ID, 取組No, 指標No), where they are defined
# and where they are referred to alike: NFKC (full-width Ｔ０３ is T03, ｶ is カ) and trimmed.
# Roman numerals (Ⅰ-1, the plan's own numbering) and circled numbers (①, read as 取組No by
# split_list and parse_int) are kept as written: NFKC would turn Ⅰ-1 into the Latin I-1.
_KEPT = "[\u2160-\u217f" + "".join(_CIRCLED) + "]"
_KEPT_RE = re.compile(f"({_KEPT})")
LIST_SEPARATORS = ",、;・/"  # between the items of a comma list (and whitespace)
_SEPARATOR_RE = re.compile(f"[{LIST_SEPARATORS}\\s]+")
_NOT_IN_ID = re.compile(f"[{LIST_SEPARATORS}\\s]")


def normalize_id(text: str) -> str:
    """An ID as the master reads it: NFKC and trimmed, Roman and circled numerals kept.

    >>> normalize_id("Ｔ０３"), normalize_id(" K01　"), normalize_id("Ⅰ－１"), normalize_id("①")
    ('T03', 'K01', 'Ⅰ-1', '①')
    """
    if text.isascii():  # the common case, kept fast: masters with thousands of 課
        return text.strip()
    return "".join(part if _KEPT_RE.fullmatch(part) else unicodedata.normalize("NFKC", part)
                   for part in _KEPT_RE.split(text)).strip()


def id_problem(text: str) -> bool:
    """True when a (normalised) ID cannot be one: it holds a space, a list separator or a
    control character, so a comma list could never refer to it.

    >>> id_problem("T03"), id_problem("T 03"), id_problem("K01,K02"), id_problem("Ⅰ-1")
    (False, True, True, False)
    """
    return bool(_NOT_IN_ID.search(text)) or any(unicodedata.category(c)[0] == "C" for c in text)


def split_list(text: str) -> List[str]:
    """'K01, K02' / 'K01、K02' / '①②' -> items (circled numbers become digits), each read by
    :func:`normalize_id`."""
    spaced = "".join(f",{_CIRCLED[c]}," if c in _CIRCLED else c for c in text)
    return [p for p in _SEPARATOR_RE.split(normalize_id(spaced)) if p]


def parse_int(text: str) -> Optional[int]:
    text = normalize_id(text)
    if text in _CIRCLED:
        return _CIRCLED[text]
    return int(text) if re.fullmatch(r"\d+", text) else None


def mail_addresses(text: str) -> List[str]:
    """Addresses in a メール cell: several may be separated by , ; 、 or spaces; full-width is folded.

    >>> mail_addresses("ｋ０１＠example.jp; k01b@example.jp")
    ['k01@example.jp', 'k01b@example.jp']
    """
    return [a for a in re.split(r"[\s,;、]+", unicodedata.normalize("NFKC", text or "")) if a]


def is_mail_address(address: str) -> bool:
    """A rule simple enough to state in the README: the standard library's parser
    (:class:`email.headerregistry.Address`) reads it as ``local@domain``, and the domain has
    a dot between non-empty parts (``shogai@town`` is a valid address in RFC 5322, but
    never one a department can receive mail at).

    >>> is_mail_address("k01@example.jp"), is_mail_address("shogai@town"), is_mail_address("a b@x.jp")
    (True, False, False)
    """
    from email.errors import MessageError
    from email.headerregistry import Address

    try:
        parsed = Address(addr_spec=address)
    except (MessageError, ValueError, IndexError):  # HeaderParseError, its defects, a bare 'x@'
        return False
    labels = parsed.domain.split(".")
    return bool(parsed.username) and len(labels) >= 2 and all(labels)


@lru_cache(maxsize=4096)
def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters



# ---------------------------------------------------------------------------
# the master's sheets, declared once

# How a cell is read and checked (master.py has one parser per kind):
KINDS = (
    "text",  # kept as written
    "id",  # an ID defined here (課ID of 担当課, 基本施策ID of 計画体系): normalize_id, no spaces or separators
    "number",  # a whole number (① … accepted)
    "year",  # a fiscal year: 令和6年度 / R6 / 2024
    "date",  # a date: 2025-05-30 / 令和7年5月30日
    "sheets",  # survey sheets to make (調査設定 対象シート)
    "choice",  # one of ``choices``; anything else is reported as ``issue``
    "list",  # one of the dropdown list ``list_key`` of templates/lists.yaml (評価, 方向性)
    "department",  # one 課ID of 担当課
    "departments",  # 課IDs, comma separated
    "measure",  # a 基本施策ID of 計画体系
    "action",  # one 取組No of 取組
    "actions",  # 取組Nos, comma separated (①② too)
    "indicator",  # one 指標No of 指標
)


@dataclass(frozen=True)
class MasterColumn:
    """One heading of a master sheet and the record field it fills."""

    header: str
    field: str
    required: bool = False
    kind: str = "text"
    width: float = 12  # in the .xlsx init-master and rollover write
    choices: Tuple[str, ...] = ()  # kind "choice": also a dropdown in the written .xlsx
    issue: str = ""  # kind "choice": the issue code of a value outside ``choices``
    list_key: str = ""  # kind "list"


@dataclass(frozen=True)
class MasterSheet:
    """A master sheet: its columns in the order init-master writes them, and the fields
    that identify a row (a second row with the same key is reported as a duplicate)."""

    name: str
    columns: Tuple[MasterColumn, ...]
    key: Tuple[str, ...] = ()

    @property
    def headers(self) -> Tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def required_headers(self) -> Tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.required)

    def column(self, field_name: str) -> MasterColumn:
        return next(c for c in self.columns if c.field == field_name)

    def header(self, field_name: str) -> str:
        return self.column(field_name).header


SETTINGS = MasterSheet("調査設定", (
    MasterColumn("項目", "item", required=True, width=14),
    MasterColumn("値", "value", required=True, width=60),
))
# The items of 調査設定 (one row each, 項目 | 値) and the Settings field each fills.
SETTINGS_ITEMS = (
    MasterColumn("自治体名", "municipality", required=True),
    MasterColumn("計画名", "plan_name", required=True),
    MasterColumn("調査名", "survey_name", required=True),
    MasterColumn("対象年度", "fiscal_year", required=True, kind="year"),
    MasterColumn("提出期限", "deadline", required=True, kind="date"),
    MasterColumn("事務局", "secretariat", required=True),
    MasterColumn("連絡先", "contact"),
    MasterColumn("対象シート", "sheets", required=True, kind="sheets"),
    MasterColumn("保護パスワード", "password"),  # optional sheet-protection password
)
DEPARTMENTS = MasterSheet("担当課", (
    MasterColumn("課ID", "id", required=True, kind="id"),
    MasterColumn("課名", "name", required=True, width=18),
    MasterColumn("区分", "kind", kind="choice", choices=DEPARTMENT_KINDS, issue="master_unknown_kind"),
    MasterColumn("メール", "email", width=24),
    MasterColumn("担当者", "person"),
), key=("id",))
MEASURES = MasterSheet("計画体系", (
    MasterColumn("基本方針ID", "policy_id", required=True, kind="id"),
    MasterColumn("基本方針", "policy", required=True, width=28),
    MasterColumn("基本施策ID", "id", required=True, kind="id"),
    MasterColumn("基本施策", "name", required=True, width=28),
    MasterColumn("めざす姿", "vision", width=60),
), key=("id",))
ACTIONS = MasterSheet("取組", (
    MasterColumn("取組No", "no", required=True, kind="number"),
    MasterColumn("基本施策ID", "measure_id", required=True, kind="measure"),
    MasterColumn("取組名", "name", required=True, width=40),
    MasterColumn("内容", "content", width=60),
    MasterColumn("主担当課ID", "main", required=True, kind="departments"),
    MasterColumn("関係課ID", "related", kind="departments"),
    MasterColumn("掲載ページ", "page"),
), key=("no",))
INDICATORS = MasterSheet("指標", (
    MasterColumn("指標No", "no", required=True, kind="number"),
    MasterColumn("基本施策ID", "measure_id", required=True, kind="measure"),
    MasterColumn("指標名", "name", required=True, width=40),
    MasterColumn("単位", "unit"),
    MasterColumn("型", "type", required=True, kind="choice", choices=VALUE_TYPES, issue="master_unknown_type"),
    MasterColumn("回答課ID", "respondents", required=True, kind="departments"),
    MasterColumn("関連取組", "actions", kind="actions"),
    MasterColumn("現状値", "baseline"),
    MasterColumn("現状年度", "baseline_year"),
    MasterColumn("目標値", "target"),
    MasterColumn("目標年度", "target_year"),
), key=("no",))
RESULTS = MasterSheet("実績", (
    MasterColumn("年度", "year", required=True, kind="year"),
    MasterColumn("指標No", "indicator_no", kind="indicator"),
    MasterColumn("取組No", "action_no", kind="action"),
    MasterColumn("課ID", "department", required=True, kind="department"),
    MasterColumn("値", "value", width=20),
    MasterColumn("取組内容", "content", width=60),
    MasterColumn("成果", "outcome", width=40),
    MasterColumn("課題", "challenge", width=40),
    MasterColumn("評価", "grade", kind="list", list_key="grade"),
    MasterColumn("方向性", "direction", kind="list", list_key="direction"),
    MasterColumn("理由", "reason", width=40),
), key=("year", "indicator_no", "action_no", "department"))

MASTER_SHEETS = (SETTINGS, DEPARTMENTS, MEASURES, ACTIONS, INDICATORS, RESULTS)
SETTINGS_SHEET = SETTINGS.name
# sheet -> headers, in the order init-master writes them
MASTER_COLUMNS: Dict[str, Tuple[str, ...]] = {sheet.name: sheet.headers for sheet in MASTER_SHEETS}
# 実績 columns a template's answer may be carried into by rollover (``rollover:``)
RESULT_ANSWER_COLUMNS = tuple(c.header for c in RESULTS.columns if c.field not in RESULTS.key)
