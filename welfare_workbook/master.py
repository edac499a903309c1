"""The master workbook: read it (xlsx, or a folder of CSV exports) and check it.

The master is what the secretariat edits: survey settings, departments, the plan
structure, actions, indicators and past results (format: README, DESIGN.md §3).
Its sheets are declared once in :mod:`master_model`; every cell is read and checked
by the kind its column declares, and records are built from the declared fields by
keyword. Every problem becomes an :class:`~welfare_workbook.issues.Issue` naming
sheet and cell; all problems are reported at once. Reading and writing the files is
:mod:`master_io`; the names of both modules are importable from here as well.

Every ID (課ID, 基本方針ID, 基本施策ID, 取組No, 指標No) is read by one rule,
:func:`~welfare_workbook.master_model.normalize_id`, where it is defined and where it is
referred to alike; an info issue says when the rule changed a cell. A mistake is
reported once, where it is: a blank or broken ID cell does not also make every
reference to it "unknown". Warnings point at values the master can hold but no survey
sheet or 集計表 can use (a 実績 year after the survey's, a 実績 row of a 課 that does
not answer it, a 現状値 that is not a number on a number indicator, a mail address no
mail reaches).

>>> master, issues = load_master(sample_path())
>>> issues.has_errors
False
>>> master.settings.fiscal_year
2024
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Set, Tuple

from . import issues as iss
from .excel_limits import CELL_TEXT_LIMIT, utf16_length
from .issues import IssueList
from .master_io import (  # re-exported (__all__): the package imports these from here
    DEFAULT_SAMPLE, SAMPLES, MasterSource, RawSheet, raw_sheet, read_csv_text, read_raw, sample_path, sample_rows,
    write_master_xlsx,
)
from .master_model import (  # re-exported likewise
    ACTIONS, DEPARTMENT_KINDS, DEPARTMENTS, INDICATORS, MASTER_COLUMNS, MASTER_SHEETS, MEASURES, NUMERIC_TYPES,
    RESULT_ANSWER_COLUMNS, RESULTS, SETTINGS, SETTINGS_ITEMS, SETTINGS_SHEET, VALUE_TYPES, Action, Department,
    Indicator, Master, MasterColumn, MasterSheet, Measure, Result, Settings, cell_text, circled, column_letter,
    id_problem, is_mail_address, mail_addresses, normalize_id, parse_int, split_list, with_year,
)
from .normalize import is_na, plain_number
from .spec import SURVEY_SHEETS, load_lists
from .wareki import fiscal_year_label, parse_date, parse_fiscal_year

__all__ = [  # this module's own, and the model and file handling the package imports from here
    "check_raw", "load_master",
    "DEFAULT_SAMPLE", "SAMPLES", "MasterSource", "RawSheet", "raw_sheet", "read_csv_text", "read_raw", "sample_path",
    "sample_rows", "write_master_xlsx",
    "ACTIONS", "DEPARTMENT_KINDS", "DEPARTMENTS", "INDICATORS", "MASTER_COLUMNS", "MASTER_SHEETS", "MEASURES",
    "NUMERIC_TYPES", "RESULT_ANSWER_COLUMNS", "RESULTS", "SETTINGS", "SETTINGS_ITEMS", "SETTINGS_SHEET",
    "VALUE_TYPES", "Action", "Department", "Indicator", "Master", "MasterColumn", "MasterSheet", "Measure", "Result",
    "Settings", "cell_text", "circled", "column_letter", "id_problem", "is_mail_address", "mail_addresses",
    "normalize_id", "parse_int", "split_list", "with_year",
]


class MasterChecker:
    """Collects the issues of one master file."""

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

    def unique(self, seen: Dict[Any, str], declared: MasterSheet, sheet: RawSheet, number: int,
               values: Dict[str, Any]) -> bool:
        """False (and reported) when an earlier row has the same key; a key of several
        columns is named in full: 年度・指標No・課ID の組（令和5年度・No.1・T12）."""
        first_column = declared.header(declared.key[0])
        cell = sheet.cell(number, first_column)
        key = tuple(values[f] for f in declared.key)
        if key not in seen:
            seen[key] = cell
            return True
        if len(declared.key) == 1:
            self.add("master_duplicate_id", sheet.name, cell, column=first_column, value=str(key[0]),
                     first=seen[key])
            return False
        parts = [(declared.header(f), _key_text(declared.column(f), values[f]))
                 for f in declared.key if values[f] not in (None, "")]
        self.add("master_duplicate_key", sheet.name, cell, columns="・".join(h for h, _ in parts),
                 values="・".join(t for _, t in parts), first=seen[key])
        return False


def _key_text(column: MasterColumn, value: Any) -> str:
    """A part of a key as a person reads it: 令和5年度, No.1, T12 (year, number, ID)."""
    if column.kind == "year":
        return fiscal_year_label(value)
    return f"No.{value}" if isinstance(value, int) else str(value)


@dataclass
class _Refs:
    """The IDs a row may refer to: every ID its defining sheet holds, read by
    :func:`normalize_id`, on rows with another error too (so a reference to such a row
    is not reported a second time as unknown).

    None where references cannot be checked: the sheet is missing or unusable, or one
    of its ID cells is blank or not an ID (reported at that cell). One missing heading
    or one blank cell then does not add an "unknown ID" error at every reference.
    """

    departments: Optional[Set[str]] = None
    measures: Optional[Set[str]] = None
    actions: Optional[Set[int]] = None
    indicators: Optional[Set[int]] = None


class _Cell(NamedTuple):
    """A cell being read: its column's declaration, its text and where it is."""

    column: MasterColumn
    text: str
    sheet: str
    at: str  # A1 address


# ---------------------------------------------------------------------------
# one parser per declared kind: the value of a cell, every problem reported


def _text(c: _Cell, refs: _Refs, check: MasterChecker) -> str:
    return c.text


def _normalised(c: _Cell, check: MasterChecker, text: Optional[str] = None) -> str:
    """The cell's ID(s) by :func:`normalize_id`; an info issue when that changed the text."""
    value = normalize_id(c.text) if text is None else text
    if value != c.text:
        check.add("master_id_normalized", c.sheet, c.at, column=c.column.header, original=c.text, value=value)
    return value


def _id(c: _Cell, refs: _Refs, check: MasterChecker) -> Optional[str]:
    """An ID defined in this cell; None (reported here) when it cannot be one."""
    if not c.text:
        return c.text
    if id_problem(normalize_id(c.text)):  # one message: the error, not also how it was read
        check.add("master_bad_id", c.sheet, c.at, column=c.column.header, value=c.text)
        return None
    return _normalised(c, check)


def _number(c: _Cell, refs: _Refs, check: MasterChecker) -> Optional[int]:
    if not c.text:
        return None
    value = parse_int(c.text)
    if value is None:
        check.add("master_bad_number", c.sheet, c.at, value=c.text)
    else:
        _normalised(c, check)  # １ read as 1: said once, as for every ID
    return value


def _year(c: _Cell, refs: _Refs, check: MasterChecker) -> Optional[int]:
    year = parse_fiscal_year(c.text) if c.text else None
    if c.text and year is None:
        check.add("master_bad_year", c.sheet, c.at, value=c.text)
    return year


def _date(c: _Cell, refs: _Refs, check: MasterChecker) -> Any:
    day = parse_date(c.text) if c.text else None
    if c.text and day is None:
        check.add("master_bad_date", c.sheet, c.at, value=c.text)
    return day


def _sheets(c: _Cell, refs: _Refs, check: MasterChecker) -> Tuple[str, ...]:
    enabled = split_list(c.text)
    for name in enabled:
        if name not in SURVEY_SHEETS:
            check.add("master_unknown_setting", c.sheet, c.at, value=name)
    return tuple(n for n in SURVEY_SHEETS if n in enabled)


def _choice(c: _Cell, refs: _Refs, check: MasterChecker) -> str:
    if c.text and c.text not in c.column.choices:
        check.add(c.column.issue, c.sheet, c.at, value=c.text)
    return c.text


def _listed(c: _Cell, refs: _Refs, check: MasterChecker) -> str:
    values = load_lists()[c.column.list_key].values
    if c.text and c.text not in values:
        check.add("master_bad_choice", c.sheet, c.at, value=c.text, column=c.column.header, choices="・".join(values))
    return c.text


def _department(c: _Cell, refs: _Refs, check: MasterChecker) -> str:
    value = _normalised(c, check)
    if value and refs.departments is not None and value not in refs.departments:
        check.add("master_unknown_department", c.sheet, c.at, value=value)
    return value


def _departments(c: _Cell, refs: _Refs, check: MasterChecker) -> Tuple[str, ...]:
    """The known 課IDs of a comma list, each once; unknown ones are reported and left out."""
    _normalised(c, check)
    found: List[str] = []
    for dept_id in split_list(c.text):
        if refs.departments is not None and dept_id not in refs.departments:
            check.add("master_unknown_department", c.sheet, c.at, value=dept_id)
        elif dept_id not in found:
            found.append(dept_id)
    return tuple(found)


def _measure(c: _Cell, refs: _Refs, check: MasterChecker) -> str:
    value = _normalised(c, check)
    if value and refs.measures is not None and value not in refs.measures:
        check.add("master_unknown_measure", c.sheet, c.at, value=value)
    return value


def _action(c: _Cell, refs: _Refs, check: MasterChecker) -> Optional[int]:
    no = _number(c, refs, check)
    if no is not None and refs.actions is not None and no not in refs.actions:
        check.add("master_unknown_action", c.sheet, c.at, value=no)
    return no


def _indicator(c: _Cell, refs: _Refs, check: MasterChecker) -> Optional[int]:
    no = _number(c, refs, check)
    if no is not None and refs.indicators is not None and no not in refs.indicators:
        check.add("master_unknown_indicator", c.sheet, c.at, value=no)
    return no


def _actions(c: _Cell, refs: _Refs, check: MasterChecker) -> Tuple[int, ...]:
    """取組Nos of a comma list (①② too); unreadable or unknown ones are reported and left out."""
    _normalised(c, check)
    found = []
    for ref in split_list(c.text):
        no = parse_int(ref)
        if no is None:
            check.add("master_bad_number", c.sheet, c.at, value=ref)
        elif refs.actions is not None and no not in refs.actions:
            check.add("master_unknown_action", c.sheet, c.at, value=ref)
        else:
            found.append(no)
    return tuple(found)


_PARSERS: Dict[str, Callable[[_Cell, _Refs, MasterChecker], Any]] = {
    "text": _text, "id": _id, "number": _number, "year": _year, "date": _date, "sheets": _sheets, "choice": _choice,
    "list": _listed, "department": _department, "departments": _departments, "measure": _measure,
    "action": _action, "actions": _actions, "indicator": _indicator,
}


# ---------------------------------------------------------------------------
# sheets


def _check_structure(raw: Dict[str, RawSheet], check: MasterChecker, csv_folder: bool = False) -> Dict[str, RawSheet]:
    """Sheets and headers present; returns the usable sheets (those with every required heading).

    A master that is a folder of CSV files is told about its files (指標.csv がありません).
    """
    usable = {}
    for declared in MASTER_SHEETS:
        sheet = raw.get(declared.name)
        if sheet is None:
            if csv_folder:
                check.add("master_csv_missing", declared.name, csv=f"{declared.name}.csv")
            else:
                check.add("master_sheet_missing", declared.name)
            continue
        if sheet.problem:  # a CSV that cannot be decoded: said once, its sheet left out
            check.add("master_csv_encoding", declared.name, csv=sheet.file)
            continue
        missing = [c for c in declared.headers if c not in sheet.header]
        # each missing heading gets its own free cell to the right, where it is to be added
        for offset, column in enumerate(missing, start=1):
            check.add("master_column_missing", declared.name, f"{column_letter(len(sheet.header) + offset)}1",
                      column=column)
        if not any(c in missing for c in declared.required_headers):
            usable[declared.name] = sheet
    return usable


Rule = Callable[[RawSheet, int, List[str], Dict[str, Any], "MasterChecker"], bool]
Row = Tuple[int, List[str], Dict[str, Any]]  # (Excel row number, cell texts, {field: value})


def _rows(declared: MasterSheet, sheet: RawSheet, refs: _Refs, check: MasterChecker,
          rule: Optional[Rule] = None) -> Iterator[Row]:
    """(row number, cell texts, {field: value}) of each usable row, every cell read by its kind.

    A row is usable when its required cells are filled, its key is readable and it
    passes the sheet's own ``rule`` (checked before the key: a row that breaks the rule
    is not a duplicate of anything); a second row with the key of an earlier one is
    reported and left out.
    """
    required = declared.required_headers
    key_required = [f for f in declared.key if declared.column(f).required]
    seen: Dict[Any, str] = {}
    for number, row in sheet.rows:
        if not check.required(sheet, number, row, required):
            continue
        values = {c.field: _PARSERS[c.kind](_Cell(c, sheet.get(row, c.header), sheet.name, sheet.cell(number, c.header)),
                                            refs, check)
                  for c in declared.columns}
        if any(values[f] is None for f in key_required):  # unreadable: already reported
            continue
        if rule is not None and not rule(sheet, number, row, values, check):
            continue
        if check.unique(seen, declared, sheet, number, values):
            yield number, row, values


def _check_lengths(sheets: Dict[str, RawSheet], check: MasterChecker) -> None:
    """A cell longer than an Excel cell holds cannot go into a survey workbook: point at it."""
    for sheet in sheets.values():
        columns = {index: name for name, index in sheet.header.items()}
        for number, row in sheet.rows:
            for index, text in enumerate(row, start=1):
                if len(text) * 2 > CELL_TEXT_LIMIT and utf16_length(text) > CELL_TEXT_LIMIT:  # cheap test first
                    check.add("master_value_too_long", sheet.name, f"{column_letter(index)}{number}",
                              column=columns.get(index, "セルの値"), length=f"{utf16_length(text):,}",
                              limit=f"{CELL_TEXT_LIMIT:,}")


def _settings(sheet: RawSheet, check: MasterChecker) -> Optional[Settings]:
    """調査設定: one 項目 | 値 row per declared item."""
    item_header, value_header = SETTINGS.headers
    values: Dict[str, Tuple[str, str]] = {}
    for number, row in sheet.rows:
        key = unicodedata.normalize("NFKC", sheet.get(row, item_header)).replace(" ", "")
        if key:
            values[key] = (sheet.get(row, value_header), sheet.cell(number, value_header))
    last_row = (sheet.rows[-1][0] if sheet.rows else 1) + 1
    for item in SETTINGS_ITEMS:
        text, cell = values.get(item.header, ("", f"A{last_row}"))  # a missing item is to be added below
        if item.required and not text:
            check.add("master_required_empty", sheet.name, cell, column=item.header)
    fields = {}
    for item in SETTINGS_ITEMS:
        text, cell = values.get(item.header, ("", ""))
        fields[item.field] = _PARSERS[item.kind](_Cell(item, text, sheet.name, cell), _Refs(), check)
    return Settings(**fields) if fields["fiscal_year"] is not None else None


def _department_records(sheet: RawSheet, refs: _Refs, check: MasterChecker) -> Dict[str, Department]:
    departments = {}
    for number, _, values in _rows(DEPARTMENTS, sheet, refs, check):
        # an address mail could never reach (shogai@town): a warning, the 課 still answers
        for address in mail_addresses(values["email"]):
            if not is_mail_address(address):
                check.add("master_bad_email", sheet.name, sheet.cell(number, DEPARTMENTS.header("email")),
                          value=address)
        departments[values["id"]] = Department(**values)
    return departments


def _measure_records(sheet: RawSheet, refs: _Refs, check: MasterChecker) -> Dict[str, Measure]:
    return {values["id"]: Measure(**values) for _, _, values in _rows(MEASURES, sheet, refs, check)}


def _action_records(sheet: RawSheet, refs: _Refs, check: MasterChecker) -> Dict[int, Action]:
    actions = {}
    for _, _, values in _rows(ACTIONS, sheet, refs, check):
        main = values["main"]
        if main:  # the first 主担当課ID is the main department; any further ones support it
            actions[values["no"]] = Action(**{**values, "main": main[0], "related": main[1:] + values["related"],
                                              "content": values["content"] or values["name"]})
    return actions


def _indicator_records(sheet: RawSheet, refs: _Refs, check: MasterChecker) -> Dict[int, Indicator]:
    indicators = {}
    for number, _, values in _rows(INDICATORS, sheet, refs, check):
        if values["type"] in NUMERIC_TYPES:  # 進捗率 needs numbers: 約400 cannot be one
            for field in ("baseline", "target"):
                text = values[field]
                if text and not is_na(text) and plain_number(text) is None:
                    column = INDICATORS.header(field)
                    check.add("master_value_not_number", sheet.name, sheet.cell(number, column), column=column,
                              value=text, type=values["type"], no=values["no"])
        if values["respondents"]:
            indicators[values["no"]] = Indicator(**values)
    return indicators


def _one_target(sheet: RawSheet, number: int, row: List[str], values: Dict[str, Any], check: MasterChecker) -> bool:
    """A 実績 row is about an indicator or about an action: exactly one of the two numbers."""
    if (values["indicator_no"] is None) != (values["action_no"] is None):
        return True
    indicator_header = RESULTS.header("indicator_no")
    shown = sheet.get(row, indicator_header) or sheet.get(row, RESULTS.header("action_no")) or "空欄"
    check.add("master_result_target", sheet.name, sheet.cell(number, indicator_header), value=shown)
    return False


@dataclass
class _Answered:
    """What a 実績 row is checked against: the survey year and who answers what."""

    year: Optional[int]
    actions: Dict[int, Action]
    indicators: Dict[int, Indicator]


def _result_records(sheet: RawSheet, refs: _Refs, check: MasterChecker, answered: _Answered) -> List[Result]:
    results = []
    for number, row, values in _rows(RESULTS, sheet, refs, check, rule=_one_target):
        _check_result(sheet, number, row, values, refs, check, answered)
        results.append(Result(**values))
    return results


def _check_result(sheet: RawSheet, number: int, row: List[str], values: Dict[str, Any], refs: _Refs,
                  check: MasterChecker, answered: _Answered) -> None:
    """Warnings for a 実績 row no survey sheet will ever show: a year after the survey's,
    a 課 that does not answer its indicator or take part in its 取組."""
    if answered.year is not None and values["year"] > answered.year:
        check.add("master_result_future_year", sheet.name, sheet.cell(number, RESULTS.header("year")),
                  value=sheet.get(row, RESULTS.header("year")), year=values["year"],
                  survey_year=fiscal_year_label(answered.year))
    dept = values["department"]
    if refs.departments is not None and dept not in refs.departments:  # already an error
        return
    no = values["indicator_no"]
    expected: Optional[Tuple[str, ...]] = None
    if no is not None and no in answered.indicators:
        kind, role, expected = "指標", "回答課", answered.indicators[no].respondents
    elif no is None and values["action_no"] in answered.actions:
        no = values["action_no"]
        kind, role, expected = "取組", "主担当課・関係課", answered.actions[no].departments
    if expected is not None and dept not in expected:
        check.add("master_result_department", sheet.name, sheet.cell(number, RESULTS.header("department")),
                  value=dept, kind=kind, no=no, role=role, expected="、".join(expected))


def _ids(sheet: Optional[RawSheet], column: str) -> Optional[Set[str]]:
    """Every ID of a defining column (normalised), or None when references to it cannot be
    checked: the sheet is unusable, or an ID cell is blank or not an ID (reported there)."""
    if sheet is None:
        return None
    ids = set()
    for _, row in sheet.rows:
        value = normalize_id(sheet.get(row, column))
        if not value or id_problem(value):
            return None
        ids.add(value)
    return ids


def _numbers(sheet: Optional[RawSheet], column: str) -> Optional[Set[int]]:
    """Every number of a numbering column, or None when one is blank or unreadable (reported there)."""
    if sheet is None:
        return None
    numbers = set()
    for _, row in sheet.rows:
        number = parse_int(sheet.get(row, column))
        if number is None:
            return None
        numbers.add(number)
    return numbers


def check_raw(raw: Dict[str, RawSheet], file: str, csv_folder: bool = False) -> Tuple[Optional[Master], IssueList]:
    """Check every sheet of a read master; build the model when there is no error.

    ``csv_folder``: the master is a folder of CSV files (messages name the files).
    """
    check = MasterChecker(file)
    sheets = _check_structure(raw, check, csv_folder)
    _check_lengths(sheets, check)
    settings = _settings(sheets[SETTINGS_SHEET], check) if SETTINGS_SHEET in sheets else None
    refs = _Refs(departments=_ids(sheets.get(DEPARTMENTS.name), DEPARTMENTS.header("id")),
                 measures=_ids(sheets.get(MEASURES.name), MEASURES.header("id")),
                 actions=_numbers(sheets.get(ACTIONS.name), ACTIONS.header("no")),
                 indicators=_numbers(sheets.get(INDICATORS.name), INDICATORS.header("no")))
    # records in the order the checks need them: 実績 is checked against actions and indicators
    departments = _department_records(sheets[DEPARTMENTS.name], refs, check) if DEPARTMENTS.name in sheets else {}
    measures = _measure_records(sheets[MEASURES.name], refs, check) if MEASURES.name in sheets else {}
    actions = _action_records(sheets[ACTIONS.name], refs, check) if ACTIONS.name in sheets else {}
    indicators = _indicator_records(sheets[INDICATORS.name], refs, check) if INDICATORS.name in sheets else {}
    answered = _Answered(settings.fiscal_year if settings else None, actions, indicators)
    results = _result_records(sheets[RESULTS.name], refs, check, answered) if RESULTS.name in sheets else []
    if check.issues.has_errors or settings is None:
        return None, check.issues
    master = Master(settings, departments, measures, actions, indicators, results, source=file)
    if not master.respondents():
        check.add("master_no_respondents")
        return None, check.issues
    return master, check.issues


def load_master(source: MasterSource) -> Tuple[Optional[Master], IssueList]:
    """Read and check a master (.xlsx, or a folder of ``<シート名>.csv``).

    Returns ``(master, issues)``; ``master`` is None when there is any error.
    """
    path = Path(source)
    raw, issues = read_master_file(path)
    if raw is None:
        return None, issues
    return check_raw(raw, path.name, csv_folder=path.is_dir())


def read_master_file(path: Path) -> Tuple[Optional[Dict[str, RawSheet]], IssueList]:
    """The sheets of a master file (.xlsx, or a folder of CSV exports) as read, or None
    with the reason (not there, not readable) — shared by the row and the form masters."""
    issues = IssueList()
    if not path.exists():
        issues.add(iss.make("master_not_found", file=str(path)))
        return None, issues
    try:
        return read_raw(path), issues
    except Exception as exc:  # any unreadable file is a message, never a traceback
        issues.add(iss.make("master_unreadable", file=path.name, detail=_describe(exc)))
        return None, issues


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    if isinstance(exc, UnicodeDecodeError):
        return "文字コードが UTF-8 でも Shift_JIS でもありません"
    if "zip" in text.lower() or "not a zip" in text.lower():
        return "Excel ブックとして読み取れません（壊れているか、別の形式です）"
    return text[:120] or type(exc).__name__
