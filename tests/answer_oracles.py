"""Slow, obviously-right reference writers of answers.csv: the oracles that the fast
one-pass writer in ``welfare_workbook.answers`` is tested against."""

from __future__ import annotations

import csv
import io
import operator
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from welfare_workbook.answers import (
    ANSWER_COLUMNS, NEEDS_FIX, REQUIRED_ANSWER_COLUMNS, SUBMITTED, AnswerSet, HasReturns, csv_bytes, write_csv_values,
)
from welfare_workbook.contract import year_labels
from welfare_workbook.excel import atomic_write
from welfare_workbook.master import Master
from welfare_workbook.returns import ReturnStatus
from welfare_workbook.spec import load_specs


def answer_rows(master: Master, result: HasReturns) -> List[Dict[str, Any]]:
    """Every typed value of each respondent's current return, once, with provenance."""
    return [dict(zip(ANSWER_COLUMNS, values)) for values in answer_values(master, result)]


def answer_values(master: Master, result: HasReturns) -> List[Tuple[Any, ...]]:
    """:func:`answer_rows` as tuples in ANSWER_COLUMNS order (collect writes these: lighter than dicts)."""
    specs = load_specs()
    years = year_labels(master.settings.fiscal_year)
    labels: Dict[tuple, str] = {}
    rows: List[Tuple[Any, ...]] = []
    append = rows.append
    for ret in result.returns:
        if ret.status in (ReturnStatus.SUPERSEDED, ReturnStatus.OUT_OF_SCOPE) or not ret.respondent_id:
            continue
        respondent_id, respondent, file, status = ret.respondent_id, ret.respondent, ret.file, ret.status
        for cell in ret.cells:
            if cell.raw == "":
                continue
            label = labels.get((cell.sheet, cell.field))
            if label is None:
                label = labels[(cell.sheet, cell.field)] = specs[cell.sheet].column(cell.field).label_for(years)
            append((respondent_id, respondent, cell.sheet, cell.item_id, cell.field, cell.value, file, cell.cell,
                    status, label, cell.raw))
    return rows


def write_answers(rows: List[Dict[str, Any]], path: Path) -> None:
    """answers.csv in UTF-8 with BOM (Excel opens it), written atomically.

    Every cell goes through :func:`csv_cell`, so no value typed by a department (or
    file name) can run as a formula when the CSV is opened in a spreadsheet.
    """
    get = operator.itemgetter(*ANSWER_COLUMNS)
    write_answer_values(map(get, rows), path)


def write_answer_values(rows: Iterable[Sequence[Any]], path: Path) -> None:
    """:func:`write_answers` for rows of values in ANSWER_COLUMNS order (see :func:`answer_values`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ANSWER_COLUMNS)
    write_csv_values(buffer, writer, rows, len(ANSWER_COLUMNS))
    data = csv_bytes(buffer.getvalue())
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_csv_rows(buffer: Any, writer: Any, rows: Iterable[Dict[str, Any]], columns: Sequence[str]) -> None:
    """``writer.writerows([csv_cell(row[c]) for c in columns] for row in rows)``, faster.

    Most rows need neither quoting nor csv_cell's guard: such a row is written as its
    fields joined by commas, which is what the csv writer would write; any other row
    goes through csv_cell and the writer. ``writer`` must write to ``buffer`` with
    the default dialect and a CRLF line end.
    """
    get = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    write_csv_values(buffer, writer, map(get, rows), len(columns))


def answer_set_from_values(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> AnswerSet:
    """:meth:`from_rows` for rows of values in ``columns`` order (as collect holds them)."""
    dept_at, sheet_at, item_at, field_at, value_at = (columns.index(c) for c in REQUIRED_ANSWER_COLUMNS)
    status_at = columns.index("status") if "status" in columns else None
    answers = AnswerSet()
    for row in rows:
        dept = str(row[dept_at])
        key = (dept, str(row[sheet_at]), str(row[item_at]), str(row[field_at]))
        answers.values[key] = row[value_at]
        status = str((row[status_at] if status_at is not None else None) or SUBMITTED)
        if answers.status.get(dept) != NEEDS_FIX:
            answers.status[dept] = NEEDS_FIX if status == NEEDS_FIX else SUBMITTED
    return answers

