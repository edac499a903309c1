"""Rollover: this year's answers become next year's 実績, and the master moves a year on.

提出期限 keeps the style it is written in and moves back to a working day (an info
issue says so). Which 実績 column an answer goes to is its template column's ``rollover:`` (with an
optional ``rollover_prefix:``); answers of an indicator sheet fill a row by 指標No,
the others by 取組No. A column renamed in its template is carried over all the same.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import issues as iss
from .answers import NEEDS_FIX, csv_text, read_answers
from .issues import Issue, Report
from .kinds import is_form, load_any_master
from .master import (
    MASTER_COLUMNS, RESULTS, SETTINGS, SETTINGS_ITEMS, Master, RawSheet, column_letter, read_raw,
    write_master_xlsx,
)
from .spec import SheetSpec, load_specs
from .wareki import (
    closed_because, date_like, fiscal_year_label, parse_date, parse_fiscal_year, previous_working_day, short_label,
    with_weekday,
)

Rows = Dict[str, List[List[str]]]  # sheet -> rows of text, header first


@dataclass
class RolloverResult(Report):
    next_year: int
    added: int
    replaced: int
    issues: List[Issue] = field(default_factory=list)
    output: Optional[Path] = None
    carries_results: bool = True  # False for a form survey: only 対象年度 and 提出期限 move on


def _raw_rows(sheet: Any) -> List[List[str]]:
    """A read master sheet back to rows (header first, the sheet's own column order)."""
    width = max(sheet.header.values(), default=0)
    names = [""] * width
    for name, index in sheet.header.items():
        names[index - 1] = name
    return [names] + [[row[i] if i < len(row) else "" for i in range(width)] for _, row in sheet.rows]


def _next_label(text: str, year: int) -> str:
    """Advance a year written as 令和6年度 / R6 / 2024(年度) to the next one, keeping its style."""
    replacements = [(fiscal_year_label(year), fiscal_year_label(year + 1)), (short_label(year), short_label(year + 1)),
                    (f"{year}", f"{year + 1}")]
    wide = str.maketrans("0123456789", "０１２３４５６７８９")  # 令和６年度 as often typed
    replacements += [(old.translate(wide), new.translate(wide)) for old, new in replacements]
    for old, new in replacements:
        if old in text:
            return text.replace(old, new)
    return text


class Deadline(NamedTuple):
    """Next year's 提出期限: as written, and the day it was moved from (None when it was not)."""

    text: str
    day: Optional[dt.date] = None  # the deadline itself (None when the cell is not a date)
    moved_from: Optional[dt.date] = None
    closed: str = ""  # why the office is closed on ``moved_from`` (土曜日, 憲法記念日 …)


def _next_deadline(text: str) -> Deadline:
    """The deadline a year on, in the style it is written in (和暦 stays 和暦), moved to the
    working day before when it lands on a weekend, a national holiday or 年末年始.

    >>> _next_deadline("令和8年5月29日")  # 2027-05-29 is a Saturday
    Deadline(text='令和9年5月28日', day=datetime.date(2027, 5, 28), moved_from=datetime.date(2027, 5, 29), closed='土曜日')
    >>> _next_deadline("未定")
    Deadline(text='未定', day=None, moved_from=None, closed='')
    """
    day = parse_date(text)
    if day is None:
        return Deadline(text)
    try:
        next_day = day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        next_day = day.replace(year=day.year + 1, day=28)
    working = previous_working_day(next_day)
    if working == next_day:
        return Deadline(date_like(next_day, text), next_day)
    return Deadline(date_like(working, text), working, next_day, closed_because(next_day) or "")


def result_targets(specs: Optional[Mapping[str, SheetSpec]] = None) -> Dict[Tuple[str, str], Tuple[str, str]]:
    """(sheet, field) -> (実績 column, prefix) for every template column with ``rollover:``.

    >>> result_targets()[("中間評価", "grade")], result_targets()[("その他の取組", "project")]
    (('評価', ''), ('取組内容', '●'))
    """
    return {(spec.name, col.id): (col.rollover, col.rollover_prefix)
            for spec in (load_specs() if specs is None else specs).values()
            for col in spec.input_columns if col.rollover}


def result_rows(year: int, answers: Sequence[Dict[str, Any]]) -> List[Dict[str, str]]:
    """answers.csv rows -> 実績 rows (one per indicator or 取組 and 課), keyed by 実績 heading.

    Several answers for one 実績 column (e.g. 関連する事業名 and 事業の状況 → 取組内容) are
    joined line by line, in answers.csv order.
    """
    specs = load_specs()
    targets = result_targets(specs)
    year_column, department_column = RESULTS.header("year"), RESULTS.header("department")
    number_column = {"indicators": RESULTS.header("indicator_no")}
    merged: Dict[tuple, Dict[str, str]] = {}
    for answer in answers:
        sheet, name = str(answer["sheet"]), str(answer["field"])
        spec = specs.get(sheet)
        if spec is None:  # not a sheet of these templates: nothing to carry over
            continue
        kind = number_column.get(spec.items, RESULTS.header("action_no"))
        key = (kind, int(str(answer["item_id"])), str(answer["respondent_id"]))
        row = merged.setdefault(key, {year_column: str(year), kind: str(key[1]), department_column: key[2]})
        if (sheet, name) in targets:
            column, prefix = targets[(sheet, name)]
            text = prefix + csv_text(answer["value"])
            row[column] = f"{row[column]}\n{text}" if row.get(column) else text
    return list(merged.values())


@dataclass
class _Inputs:
    """What a rollover works from, once read and accepted."""

    master: Master
    answers: List[Dict[str, Any]]


def _read_inputs(master_source: Path, answers_path: Path, force: bool) -> Union[_Inputs, RolloverResult]:
    """The master (of either kind of survey) and the answers, or a result saying why there is nothing to roll over."""
    master, issues = load_any_master(master_source)
    if master is None:
        return RolloverResult(0, 0, 0, list(issues))
    year = master.settings.fiscal_year
    try:
        answers = read_answers(Path(answers_path))
    except (ValueError, OSError) as exc:
        return RolloverResult(year + 1, 0, 0, [iss.make("answers_unreadable", file=Path(answers_path).name,
                                                           detail=str(exc))])
    failing = sorted({a.get("respondent") or a["respondent_id"] for a in answers if a.get("status") == NEEDS_FIX})
    if failing and not force:
        return RolloverResult(year + 1, 0, 0, [iss.make("rollover_has_errors", file=Path(answers_path).name,
                                                           departments="、".join(failing))])
    return _Inputs(master, answers)


def _sheet_rows(raw: Dict[str, RawSheet]) -> Rows:
    """The master's sheets as rows, 調査設定 first as init-master writes it (a CSV folder reads
    in name order), other sheets after the declared ones."""
    order = list(MASTER_COLUMNS)
    return {name: _raw_rows(raw[name]) for name in sorted(raw, key=lambda n: order.index(n) if n in order else len(order))}


def _advance_settings(rows: Rows, year: int, file: str) -> List[Issue]:
    """対象年度 and 調査名 one year on (in the style they are written), 提出期限 a year later
    (on a working day: an info issue says when it was moved)."""
    item_of = {item.field: item.header for item in SETTINGS_ITEMS}
    header = rows[SETTINGS.name][0]
    item_index, value_index = (header.index(h) for h in SETTINGS.headers)  # the sheet's own column order
    issues = []
    for number, row in enumerate(rows[SETTINGS.name][1:], start=2):
        if len(row) <= max(item_index, value_index):
            continue
        item = unicodedata.normalize("NFKC", row[item_index]).replace(" ", "")  # as master reads it
        if item in (item_of["fiscal_year"], item_of["survey_name"]):
            row[value_index] = _next_label(row[value_index], year)
            if item == item_of["fiscal_year"] and parse_fiscal_year(row[value_index]) != year + 1:  # 平成31年度, Ｒ６
                row[value_index] = fiscal_year_label(year + 1)
        elif item == item_of["deadline"]:
            deadline = _next_deadline(row[value_index])
            if deadline.moved_from is not None and deadline.day is not None:
                written = date_like(deadline.moved_from, row[value_index])
                issues.append(iss.make(
                    "rollover_deadline_moved", file=file, sheet=SETTINGS.name,
                    cell=f"{column_letter(value_index + 1)}{number}", closed=deadline.closed,
                    # a weekend needs no name (the weekday is shown); a holiday is named
                    closed_note="" if deadline.closed.endswith("曜日") else f"（{deadline.closed}）",
                    shown=with_weekday(deadline.moved_from, written), moved=with_weekday(deadline.day, deadline.text),
                    original=deadline.moved_from.isoformat(), deadline=deadline.day.isoformat()))
            row[value_index] = deadline.text
    return issues


def _replace_results(rows: Rows, year: int, new: List[Dict[str, str]]) -> int:
    """This year's 実績 rows replaced by ``new`` (in the sheet's own column order); how many were replaced."""
    results = rows[RESULTS.name]
    header = results[0]
    year_index = header.index(RESULTS.header("year"))
    kept = [r for r in results[1:] if parse_fiscal_year(r[year_index]) != year]
    replaced = len(results) - 1 - len(kept)
    results[1:] = kept + [[r.get(column, "") for column in header] for r in new]
    return replaced


def rollover(master_source: Path, answers_path: Path, out: Path, force: bool = False) -> RolloverResult:
    """Write next year's master: answers appended to 実績, 対象年度 and 提出期限 advanced
    (a form survey's master: 対象年度 and 提出期限 only — its 回答団体 stay as they are).

    Refuses (an error issue, nothing written) while answers still have errors, unless ``force``.
    """
    inputs = _read_inputs(master_source, answers_path, force)
    if isinstance(inputs, RolloverResult):  # refused: nothing is written
        return inputs
    year = inputs.master.settings.fiscal_year
    rows = _sheet_rows(read_raw(master_source))
    issues = _advance_settings(rows, year, Path(out).name)
    if is_form(inputs.master):  # each year's form is answered afresh: nothing is carried but the year and the deadline
        write_master_xlsx(rows, Path(out))
        return RolloverResult(year + 1, 0, 0, issues, Path(out), carries_results=False)
    new = result_rows(year, inputs.answers)
    replaced = _replace_results(rows, year, new)
    write_master_xlsx(rows, Path(out))
    return RolloverResult(year + 1, len(new), replaced, issues, Path(out))
