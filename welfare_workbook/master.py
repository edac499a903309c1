"""The master workbook: read it (xlsx, or a folder of CSV exports) and check it.

The master is what the secretariat edits: survey settings, departments, the plan
structure, actions, indicators and past results (format: README, DESIGN.md §3).
Every problem becomes an :class:`~welfare_workbook.issues.Issue` naming sheet and
cell; all problems are reported at once.

>>> master, issues = load_master(sample_path())
>>> issues.has_errors
False
>>> master.settings.fiscal_year
2024
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import issues as iss
from .issues import IssueList
from .spec import SURVEY_SHEETS, load_lists
from .wareki import fiscal_year_label, parse_date, parse_fiscal_year

SETTINGS_SHEET = "調査設定"
# sheet -> headers, in the order init-master writes them
MASTER_COLUMNS: Dict[str, Tuple[str, ...]] = {
    "調査設定": ("項目", "値"),
    "担当課": ("課ID", "課名", "区分", "メール", "担当者"),
    "計画体系": ("基本方針ID", "基本方針", "基本施策ID", "基本施策", "めざす姿"),
    "取組": ("取組No", "基本施策ID", "取組名", "内容", "主担当課ID", "関係課ID", "掲載ページ"),
    "指標": (
        "指標No", "基本施策ID", "指標名", "単位", "型", "回答課ID", "関連取組",
        "現状値", "現状年度", "目標値", "目標年度",
    ),
    "実績": ("年度", "指標No", "取組No", "課ID", "値", "取組内容", "成果", "課題", "評価", "方向性", "理由"),
}
REQUIRED_COLUMNS: Dict[str, Tuple[str, ...]] = {
    "担当課": ("課ID", "課名"),
    "計画体系": ("基本方針ID", "基本方針", "基本施策ID", "基本施策"),
    "取組": ("取組No", "基本施策ID", "取組名", "主担当課ID"),
    "指標": ("指標No", "基本施策ID", "指標名", "型", "回答課ID"),
    "実績": ("年度", "課ID"),
}
SETTINGS_ITEMS = ("自治体名", "計画名", "調査名", "対象年度", "提出期限", "事務局", "連絡先", "対象シート")
SETTINGS_REQUIRED = ("自治体名", "計画名", "調査名", "対象年度", "提出期限", "事務局", "対象シート")
SETTINGS_OPTIONAL = ("保護パスワード",)  # optional sheet-protection password
VALUE_TYPES = ("整数", "小数", "文章", "複合")
NUMERIC_TYPES = ("整数", "小数")
DEPARTMENT_KINDS = ("庁内", "関係機関")
SAMPLES = ("dai3ji", "dai2ji_chukan")
DEFAULT_SAMPLE = "dai3ji"

MasterSource = Union[str, Path]


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
    def value_type(self) -> str:
        """How its value cell is typed and checked: integer, decimal or text."""
        return {"整数": "integer", "小数": "decimal"}.get(self.type, "text")


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


@dataclass
class Master:
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
        """Names of departments that occur in ``text`` (e.g. a file name), in 担当課 order.

        Looks up each piece of ``text`` no longer than the longest name, so the cost does
        not grow with the number of departments (collect asks once per return).
        """
        order = self.__dict__.get("_department_order")
        if order is None:
            order = self.__dict__["_department_order"] = {}
            for dept in self.departments.values():
                if dept.name:
                    order.setdefault(dept.name, len(order))
        longest = max(map(len, order), default=0)
        found = {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + longest) + 1)
                 if text[i:j] in order}
        return sorted(found, key=order.__getitem__)

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


def split_list(text: str) -> List[str]:
    """'K01, K02' / 'K01、K02' / '①②' -> items (circled numbers become digits)."""
    spaced = "".join(f",{_CIRCLED[c]}," if c in _CIRCLED else c for c in text)
    spaced = unicodedata.normalize("NFKC", spaced)
    return [p.strip() for p in re.split(r"[,、\s;・/]+", spaced) if p.strip()]


def parse_int(text: str) -> Optional[int]:
    text = unicodedata.normalize("NFKC", text).strip()
    if text in _CIRCLED:
        return _CIRCLED[text]
    return int(text) if re.fullmatch(r"\d+", text) else None


@lru_cache(maxsize=4096)
def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ---------------------------------------------------------------------------
# reading


@dataclass
class RawSheet:
    """A master sheet as text, with the Excel position of every value."""

    name: str
    header: Dict[str, int]  # header text -> 1-based column
    rows: List[Tuple[int, List[str]]]  # (Excel row number, cell texts)

    def get(self, row: List[str], column: str) -> str:
        index = self.header.get(column)
        return row[index - 1] if index and index <= len(row) else ""

    def cell(self, row_number: int, column: str) -> str:
        return f"{column_letter(self.header.get(column, 1))}{row_number}"


def _raw_sheet(name: str, rows: Iterable[Sequence[Any]]) -> RawSheet:
    iterator = iter(rows)
    header_row = next(iterator, ())
    header = {}
    for index, value in enumerate(header_row, start=1):
        text = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")
        if text and text not in header:
            header[text] = index
    body = []
    for number, row in enumerate(iterator, start=2):
        texts = [cell_text(v) for v in row]
        if any(texts):
            body.append((number, texts))
    # NFKC folds 指標No; header keys are compared in that form.
    return RawSheet(name, header, body)


def _read_xlsx(path: Path) -> Dict[str, RawSheet]:
    import openpyxl  # imported lazily: keeps `--help` fast

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: _raw_sheet(ws.title, ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


def read_csv_text(path: Path) -> str:
    """CSV exported by Excel (cp932) or saved as UTF-8 (with or without BOM)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("cp932", data, 0, 1, "neither UTF-8 nor cp932")


def _read_csv_folder(folder: Path) -> Dict[str, RawSheet]:
    import csv
    import io

    sheets = {}
    for path in sorted(folder.glob("*.csv")):
        name = unicodedata.normalize("NFC", path.stem)
        rows = csv.reader(io.StringIO(read_csv_text(path), newline=""))
        sheets[name] = _raw_sheet(name, rows)
    return sheets


def read_raw(source: MasterSource) -> Dict[str, RawSheet]:
    """Read every sheet of a master as text. Raises OSError/ValueError when unreadable."""
    path = Path(source)
    if path.is_dir():
        return _read_csv_folder(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise ValueError("対応していない形式です")


def sample_path(name: str = DEFAULT_SAMPLE) -> Path:
    """Folder of the bundled sample master's CSV files."""
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; choose from {', '.join(SAMPLES)}")
    return Path(str(resources.files("welfare_workbook.samples").joinpath(name)))


# ---------------------------------------------------------------------------
# checking


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.issues = IssueList()

    def add(self, code: str, sheet: Optional[str] = None, cell: Optional[str] = None, **kw: Any) -> None:
        self.issues.add(iss.make(code, file=self.file, sheet=sheet, cell=cell, **kw))

    def required(self, sheet: RawSheet, number: int, row: List[str], columns: Iterable[str]) -> bool:
        ok = True
        for column in columns:
            if column in sheet.header and not sheet.get(row, column):
                self.add("master_required_empty", sheet.name, sheet.cell(number, column), column=column)
                ok = False
        return ok

    def number(self, sheet: RawSheet, number: int, row: List[str], column: str) -> Optional[int]:
        text = sheet.get(row, column)
        if not text:
            return None
        value = parse_int(text)
        if value is None:
            self.add("master_bad_number", sheet.name, sheet.cell(number, column), value=text)
        return value

    def unique(self, seen: Dict[Any, str], key: Any, sheet: RawSheet, number: int, column: str, shown: str) -> bool:
        cell = sheet.cell(number, column)
        if key in seen:
            self.add("master_duplicate_id", sheet.name, cell, column=column, value=shown, first=seen[key])
            return False
        seen[key] = cell
        return True


def _check_structure(raw: Dict[str, RawSheet], check: _Checker) -> Dict[str, RawSheet]:
    """Sheets and headers present; returns the usable sheets."""
    usable = {}
    for name, columns in MASTER_COLUMNS.items():
        sheet = raw.get(name)
        if sheet is None:
            check.add("master_sheet_missing", name)
            continue
        required = ("項目", "値") if name == SETTINGS_SHEET else REQUIRED_COLUMNS[name]
        missing = [c for c in columns if c not in sheet.header]
        # each missing heading gets its own free cell to the right, where it is to be added
        for offset, column in enumerate(missing, start=1):
            check.add("master_column_missing", name, f"{column_letter(len(sheet.header) + offset)}1", column=column)
        if not any(c in missing for c in required):
            usable[name] = sheet
    return usable


def _check_lengths(sheets: Dict[str, RawSheet], check: _Checker) -> None:
    """A cell longer than an Excel cell holds cannot go into a survey workbook: point at it."""
    from .xlsx import CELL_TEXT_LIMIT, utf16_length  # here: xlsx imports this module

    for sheet in sheets.values():
        columns = {index: name for name, index in sheet.header.items()}
        for number, row in sheet.rows:
            for index, text in enumerate(row, start=1):
                if len(text) * 2 > CELL_TEXT_LIMIT and utf16_length(text) > CELL_TEXT_LIMIT:  # cheap test first
                    check.add("master_value_too_long", sheet.name, f"{column_letter(index)}{number}",
                              column=columns.get(index, "セルの値"), length=f"{utf16_length(text):,}",
                              limit=f"{CELL_TEXT_LIMIT:,}")


def _settings(sheet: RawSheet, check: _Checker) -> Optional[Settings]:
    values: Dict[str, Tuple[str, str]] = {}
    for number, row in sheet.rows:
        key = unicodedata.normalize("NFKC", sheet.get(row, "項目")).replace(" ", "")
        if key:
            values[key] = (sheet.get(row, "値"), sheet.cell(number, "値"))
    ok = True
    last_row = (sheet.rows[-1][0] if sheet.rows else 1) + 1
    for item in SETTINGS_REQUIRED:
        text, cell = values.get(item, ("", f"A{last_row}"))
        if not text:
            check.add("master_required_empty", sheet.name, cell, column=item)
            ok = False
    year_text, year_cell = values.get("対象年度", ("", ""))
    year = parse_fiscal_year(year_text) if year_text else None
    if year_text and year is None:
        check.add("master_bad_year", sheet.name, year_cell, value=year_text)
        ok = False
    deadline_text, deadline_cell = values.get("提出期限", ("", ""))
    deadline = parse_date(deadline_text) if deadline_text else None
    if deadline_text and deadline is None:
        check.add("master_bad_date", sheet.name, deadline_cell, value=deadline_text)
        ok = False
    sheets_text, sheets_cell = values.get("対象シート", ("", ""))
    enabled = split_list(sheets_text)
    for name in enabled:
        if name not in SURVEY_SHEETS:
            check.add("master_unknown_setting", sheet.name, sheets_cell, value=name)
            ok = False
    if not ok or year is None:
        return None
    return Settings(
        municipality=values["自治体名"][0],
        plan_name=values["計画名"][0],
        survey_name=values["調査名"][0],
        fiscal_year=year,
        deadline=deadline,
        secretariat=values["事務局"][0],
        contact=values.get("連絡先", ("", ""))[0],
        sheets=tuple(n for n in SURVEY_SHEETS if n in enabled),
        password=values.get("保護パスワード", ("", ""))[0],
    )


def _departments(sheet: RawSheet, check: _Checker) -> Dict[str, Department]:
    departments: Dict[str, Department] = {}
    seen: Dict[Any, str] = {}
    for number, row in sheet.rows:
        if not check.required(sheet, number, row, REQUIRED_COLUMNS["担当課"]):
            continue
        dept_id = sheet.get(row, "課ID")
        if not check.unique(seen, dept_id, sheet, number, "課ID", dept_id):
            continue
        kind = sheet.get(row, "区分")
        if kind and kind not in DEPARTMENT_KINDS:
            check.add("master_unknown_kind", sheet.name, sheet.cell(number, "区分"), value=kind)
        departments[dept_id] = Department(
            dept_id, sheet.get(row, "課名"), kind, sheet.get(row, "メール"), sheet.get(row, "担当者")
        )
    return departments


def _measures(sheet: RawSheet, check: _Checker) -> Dict[str, Measure]:
    measures: Dict[str, Measure] = {}
    seen: Dict[Any, str] = {}
    for number, row in sheet.rows:
        if not check.required(sheet, number, row, REQUIRED_COLUMNS["計画体系"]):
            continue
        measure_id = sheet.get(row, "基本施策ID")
        if check.unique(seen, measure_id, sheet, number, "基本施策ID", measure_id):
            measures[measure_id] = Measure(
                sheet.get(row, "基本方針ID"), sheet.get(row, "基本方針"), measure_id,
                sheet.get(row, "基本施策"), sheet.get(row, "めざす姿"),
            )
    return measures


def _dept_refs(sheet: RawSheet, number: int, column: str, text: str,
               departments: Optional[Dict[str, Department]], check: _Checker) -> Tuple[str, ...]:
    refs = []
    for dept_id in split_list(text):
        if departments is not None and dept_id not in departments:
            check.add("master_unknown_department", sheet.name, sheet.cell(number, column), value=dept_id)
        elif dept_id not in refs:
            refs.append(dept_id)
    return tuple(refs)


def _measure_ref(sheet: RawSheet, number: int, row: List[str], measures: Optional[Dict[str, Measure]],
                 check: _Checker) -> bool:
    measure_id = sheet.get(row, "基本施策ID")
    if measures is not None and measure_id not in measures:
        check.add("master_unknown_measure", sheet.name, sheet.cell(number, "基本施策ID"), value=measure_id)
        return False
    return True


def _numbered(sheet: RawSheet, number: int, row: List[str], column: str, seen: Dict[Any, str],
              measures: Optional[Dict[str, Measure]], check: _Checker) -> Tuple[Optional[int], bool]:
    """Number, uniqueness and 基本施策 reference of a 取組 or 指標 row: (number, ok)."""
    no = check.number(sheet, number, row, column)
    ok = no is not None and check.unique(seen, no, sheet, number, column, sheet.get(row, column))
    ok = _measure_ref(sheet, number, row, measures, check) and ok
    return no, ok


def _actions(sheet: RawSheet, departments: Optional[Dict[str, Department]], measures: Optional[Dict[str, Measure]],
             check: _Checker) -> Dict[int, Action]:
    actions: Dict[int, Action] = {}
    seen: Dict[Any, str] = {}
    for number, row in sheet.rows:
        if not check.required(sheet, number, row, REQUIRED_COLUMNS["取組"]):
            continue
        no, ok = _numbered(sheet, number, row, "取組No", seen, measures, check)
        main = _dept_refs(sheet, number, "主担当課ID", sheet.get(row, "主担当課ID"), departments, check)
        related = _dept_refs(sheet, number, "関係課ID", sheet.get(row, "関係課ID"), departments, check)
        if ok and main and no is not None:
            actions[no] = Action(
                no, sheet.get(row, "基本施策ID"), sheet.get(row, "取組名"),
                sheet.get(row, "内容") or sheet.get(row, "取組名"), main[0], main[1:] + related,
                sheet.get(row, "掲載ページ"),
            )
    return actions


def _indicators(sheet: RawSheet, departments: Optional[Dict[str, Department]],
                measures: Optional[Dict[str, Measure]], actions: Dict[int, Action], action_numbers: Optional[set],
                check: _Checker) -> Dict[int, Indicator]:
    indicators: Dict[int, Indicator] = {}
    seen: Dict[Any, str] = {}
    for number, row in sheet.rows:
        if not check.required(sheet, number, row, REQUIRED_COLUMNS["指標"]):
            continue
        no, ok = _numbered(sheet, number, row, "指標No", seen, measures, check)
        value_type = sheet.get(row, "型")
        if value_type not in VALUE_TYPES:
            check.add("master_unknown_type", sheet.name, sheet.cell(number, "型"), value=value_type)
            ok = False
        respondents = _dept_refs(sheet, number, "回答課ID", sheet.get(row, "回答課ID"), departments, check)
        related = []
        for ref in split_list(sheet.get(row, "関連取組")):
            action_no = parse_int(ref)
            if action_no is None:
                check.add("master_bad_number", sheet.name, sheet.cell(number, "関連取組"), value=ref)
            elif action_numbers is not None and action_no not in action_numbers:
                check.add("master_unknown_action", sheet.name, sheet.cell(number, "関連取組"), value=ref)
            else:
                related.append(action_no)
        if ok and respondents and no is not None:
            indicators[no] = Indicator(
                no, sheet.get(row, "基本施策ID"), sheet.get(row, "指標名"), sheet.get(row, "単位"),
                value_type, respondents, tuple(related), sheet.get(row, "現状値"),
                sheet.get(row, "現状年度"), sheet.get(row, "目標値"), sheet.get(row, "目標年度"),
            )
    return indicators


def _results(sheet: RawSheet, departments: Optional[Dict[str, Department]], indicator_numbers: Optional[set],
             action_numbers: Optional[set], check: _Checker) -> List[Result]:
    lists = load_lists()
    results: List[Result] = []
    seen: Dict[Any, str] = {}
    for number, row in sheet.rows:
        if not check.required(sheet, number, row, REQUIRED_COLUMNS["実績"]):
            continue
        year_text = sheet.get(row, "年度")
        year = parse_fiscal_year(year_text)
        ok = True
        if year is None:
            check.add("master_bad_year", sheet.name, sheet.cell(number, "年度"), value=year_text)
            ok = False
        indicator_no = check.number(sheet, number, row, "指標No")
        action_no = check.number(sheet, number, row, "取組No")
        if (indicator_no is None) == (action_no is None):
            shown = sheet.get(row, "指標No") or sheet.get(row, "取組No") or "空欄"
            check.add("master_result_target", sheet.name, sheet.cell(number, "指標No"), value=shown)
            ok = False
        elif indicator_no is not None and indicator_numbers is not None and indicator_no not in indicator_numbers:
            check.add("master_unknown_indicator", sheet.name, sheet.cell(number, "指標No"), value=indicator_no)
            ok = False
        elif action_no is not None and action_numbers is not None and action_no not in action_numbers:
            check.add("master_unknown_action", sheet.name, sheet.cell(number, "取組No"), value=action_no)
            ok = False
        dept = sheet.get(row, "課ID")
        if departments is not None and dept not in departments:
            check.add("master_unknown_department", sheet.name, sheet.cell(number, "課ID"), value=dept)
            ok = False
        for column, key in (("評価", "grade"), ("方向性", "direction")):
            text = sheet.get(row, column)
            if text and text not in lists[key].values:
                check.add("master_bad_choice", sheet.name, sheet.cell(number, column), value=text,
                          column=column, choices="・".join(lists[key].values))
                ok = False
        result_key = (year, indicator_no, action_no, dept)
        if ok and check.unique(seen, result_key, sheet, number, "年度", f"{year_text} / {dept}"):
            assert year is not None
            results.append(Result(
                year, indicator_no, action_no, dept, sheet.get(row, "値"), sheet.get(row, "取組内容"),
                sheet.get(row, "成果"), sheet.get(row, "課題"), sheet.get(row, "評価"),
                sheet.get(row, "方向性"), sheet.get(row, "理由"),
            ))
    return results


def check_raw(raw: Dict[str, RawSheet], file: str) -> Tuple[Optional[Master], IssueList]:
    """Check every sheet of a read master; build the model when there is no error."""
    check = _Checker(file)
    sheets = _check_structure(raw, check)
    _check_lengths(sheets, check)
    settings = _settings(sheets[SETTINGS_SHEET], check) if SETTINGS_SHEET in sheets else None
    # None when the sheet is missing or unusable (already reported): references to it
    # are then not checked, so one missing heading does not bury the report under
    # hundreds of false "unknown ID" errors
    departments = _departments(sheets["担当課"], check) if "担当課" in sheets else None
    measures = _measures(sheets["計画体系"], check) if "計画体系" in sheets else None
    # numbers are collected first so that references to a row with another error
    # are not reported twice as "unknown"
    action_numbers = _numbers(sheets.get("取組"), "取組No")
    indicator_numbers = _numbers(sheets.get("指標"), "指標No")
    actions = _actions(sheets["取組"], departments, measures, check) if "取組" in sheets else {}
    indicators = (
        _indicators(sheets["指標"], departments, measures, actions, action_numbers, check) if "指標" in sheets else {}
    )
    results = (
        _results(sheets["実績"], departments, indicator_numbers, action_numbers, check) if "実績" in sheets else []
    )
    if check.issues.has_errors or settings is None:
        return None, check.issues
    master = Master(settings, departments or {}, measures or {}, actions, indicators, results, source=file)
    if not master.respondents():
        check.add("master_no_respondents")
        return None, check.issues
    return master, check.issues


def _numbers(sheet: Optional[RawSheet], column: str) -> Optional[set]:
    if sheet is None:
        return None
    numbers = (parse_int(sheet.get(row, column)) for _, row in sheet.rows)
    return {n for n in numbers if n is not None}


def load_master(source: MasterSource) -> Tuple[Optional[Master], IssueList]:
    """Read and check a master (.xlsx, or a folder of ``<シート名>.csv``).

    Returns ``(master, issues)``; ``master`` is None when there is any error.
    """
    path = Path(source)
    name = path.name
    if not path.exists():
        issues = IssueList()
        issues.add(iss.make("master_not_found", file=str(source)))
        return None, issues
    try:
        raw = read_raw(path)
    except Exception as exc:  # any unreadable file is a message, never a traceback
        issues = IssueList()
        issues.add(iss.make("master_unreadable", file=name, detail=_describe(exc)))
        return None, issues
    return check_raw(raw, name)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    if isinstance(exc, UnicodeDecodeError):
        return "文字コードが UTF-8 でも Shift_JIS でもありません"
    if "zip" in text.lower() or "not a zip" in text.lower():
        return "Excel ブックとして読み取れません（壊れているか、別の形式です）"
    return text[:120] or type(exc).__name__


# ---------------------------------------------------------------------------
# writing (init-master)


def sample_rows(name: str = DEFAULT_SAMPLE) -> Dict[str, List[List[str]]]:
    """The bundled sample as rows of text per sheet (header first)."""
    import csv
    import io

    folder = sample_path(name)
    sheets = {}
    for sheet in MASTER_COLUMNS:
        text = read_csv_text(folder / f"{sheet}.csv")
        sheets[sheet] = [row for row in csv.reader(io.StringIO(text, newline=""))]
    return sheets


def write_master_xlsx(rows: Dict[str, List[List[str]]], path: Path) -> None:
    """Write master rows (header first, per sheet) as an .xlsx the secretariat can edit."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from .excel import FONT_NAME, HEADER_FILL, atomic_write

    widths = {"項目": 14, "値": 60, "課名": 18, "基本方針": 28, "基本施策": 28, "めざす姿": 60, "取組名": 40,
              "内容": 60, "指標名": 40, "取組内容": 60, "成果": 40, "課題": 40, "理由": 40, "メール": 24}
    wb = Workbook()
    wb.remove(wb.active)
    header_font = Font(name=FONT_NAME, bold=True)
    body_font = Font(name=FONT_NAME)
    wrap = Alignment(wrap_text=True, vertical="top")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for sheet, sheet_rows in rows.items():
        ws = wb.create_sheet(sheet)
        for row in sheet_rows:
            ws.append([_typed(v) for v in row])
        for index, name in enumerate(sheet_rows[0], start=1):
            letter = column_letter(index)
            ws.column_dimensions[letter].width = widths.get(name, 12)
            ws.cell(1, index).font = header_font
            ws.cell(1, index).fill = fill
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.font, cell.alignment = body_font, wrap
                if cell.data_type == "f":  # text such as '=1+1' (e.g. an answer rolled over) stays text
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
        if sheet != SETTINGS_SHEET:
            ws.auto_filter.ref = ws.dimensions
        # dropdowns for the closed vocabularies of the master itself
        header = sheet_rows[0]
        for column, values in (("型", VALUE_TYPES), ("区分", DEPARTMENT_KINDS)):
            if column in header:
                letter = column_letter(header.index(column) + 1)
                dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
                dv.add(f"{letter}2:{letter}1000")
                ws.add_data_validation(dv)
    atomic_write(path, wb.save)


def _typed(text: str) -> Any:
    """Plain integers become numbers in the written sheet; everything else stays text."""
    return int(text) if re.fullmatch(r"-?[1-9]\d{0,8}|0", text) else text
