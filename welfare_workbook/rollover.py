"""Rollover: this year's answers become next year's 実績, and the master moves a year on.

Which 実績 column an answer goes to is its template column's ``rollover:`` (with an
optional ``rollover_prefix:``); answers of an indicator sheet fill a row by 指標No,
the others by 取組No. A column renamed in its template is carried over all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import issues as iss
from .answers import NEEDS_FIX, csv_text, read_answers
from .issues import Issue, Report
from .master import (
    MASTER_COLUMNS, RESULTS, SETTINGS, SETTINGS_ITEMS, Master, RawSheet, load_master, read_raw,
    write_master_xlsx,
)
from .spec import SheetSpec, load_specs
from .wareki import fiscal_year_label, parse_date, parse_fiscal_year, short_label

Rows = Dict[str, List[List[str]]]  # sheet -> rows of text, header first


@dataclass
class RolloverResult(Report):
    next_year: int
    added: int
    replaced: int
    issues: List[Issue] = field(default_factory=list)
    output: Optional[Path] = None


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


def _next_deadline(text: str) -> str:
    day = parse_date(text)
    if day is None:
        return text
    try:
        return day.replace(year=day.year + 1).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28).isoformat()


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
    """The master and the answers, or a result saying why there is nothing to roll over."""
    master, issues = load_master(master_source)
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


def _advance_settings(rows: Rows, year: int) -> None:
    """対象年度 and 調査名 one year on (in the style they are written), 提出期限 a year later."""
    item_of = {item.field: item.header for item in SETTINGS_ITEMS}
    for row in rows[SETTINGS.name][1:]:
        item = row[0] if row else ""
        if len(row) < 2:
            continue
        if item in (item_of["fiscal_year"], item_of["survey_name"]):
            row[1] = _next_label(row[1], year)
            if item == item_of["fiscal_year"] and parse_fiscal_year(row[1]) != year + 1:  # e.g. 平成31年度, Ｒ６
                row[1] = fiscal_year_label(year + 1)
        elif item == item_of["deadline"]:
            row[1] = _next_deadline(row[1])


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
    """Write next year's master: answers appended to 実績, 対象年度 and 提出期限 advanced.

    Refuses (an error issue, nothing written) while answers still have errors, unless ``force``.
    """
    inputs = _read_inputs(master_source, answers_path, force)
    if isinstance(inputs, RolloverResult):  # refused: nothing is written
        return inputs
    year = inputs.master.settings.fiscal_year
    rows = _sheet_rows(read_raw(master_source))
    _advance_settings(rows, year)
    new = result_rows(year, inputs.answers)
    replaced = _replace_results(rows, year, new)
    write_master_xlsx(rows, Path(out))
    return RolloverResult(year + 1, len(new), replaced, [], Path(out))
