"""The answers of a form survey as data: answers.csv (long), the wide CSV, and the records both come from.

answers.csv has the row-table survey's columns (``respondent_id, respondent, sheet,
item_id, field, value, file, cell, status, label, raw``): ``respondent_id`` is the
団体コード, ``item_id`` the form item (``suishin_career.2`` for block 2 of a repeat group),
``field`` is ``value`` or, for a ○ row of a 複数選択, the option. The wide CSV has one row
per 団体 and one column per item (per block of a repeat group); a 複数選択 has a
column joining the options chosen and one 0/1 column per option (``jigyo:都道府県事業``).

A :class:`FormRecord` is one 団体's answers, built from a collect run or read back from
answers.csv files (several prefectures' collections merge into one set of records).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .answers import ANSWER_COLUMNS, csv_bytes, csv_field, read_answers, write_csv_values
from .excel import atomic_write
from .form_contract import VALUE_FIELD, form_layout
from .form_master import FormMaster
from .form_spec import MARK, Condition, FormSpec, Item
from .returns import Return, ReturnStatus, RosterStatus

ANSWERS_FILE = "answers.csv"
WIDE_FILE = "回答一覧.csv"
WIDE_FIXED = ("団体コード", "都道府県", "団体名", "状況")
_LEFT_OUT = (ReturnStatus.SUPERSEDED, ReturnStatus.OUT_OF_SCOPE)

Key = Tuple[str, str]  # (item_id, field)


@dataclass
class FormRecord:
    """One 団体's answers: value and as typed (raw), by (item_id, field)."""

    code: str
    respondent: str
    status: str = str(RosterStatus.SUBMITTED)
    values: Dict[Key, Any] = field(default_factory=dict)
    raw: Dict[Key, Any] = field(default_factory=dict)

    def get(self, item_id: str, name: str = VALUE_FIELD) -> Any:
        return self.values.get((item_id, name), "")

    def chosen(self, item: Item, block: int = 0) -> List[str]:
        """The options of a 複数選択 marked ○, in form order."""
        item_id = f"{item.id}.{block}" if block else item.id
        return [o for o in item.option_values if self.values.get((item_id, o)) == MARK]

    def applies(self, spec: FormSpec, conditions: Sequence[Condition]) -> bool:
        """Whether items under ``conditions`` apply to this 団体, by its own answers."""
        for condition in conditions:
            item = spec.item(condition.item)
            if item.type == "multi":
                if not set(self.chosen(item)) & set(condition.values):
                    return False
            elif str(self.get(item.id)) not in condition.values:
                return False
        return True


def records_from_returns(master: FormMaster, returns: Iterable[Return], roster: Dict[str, str]) -> Dict[str, FormRecord]:
    """The current return of each 団体, as records (values of a return with errors are kept)."""
    records: Dict[str, FormRecord] = {}
    for ret in returns:
        if ret.status in _LEFT_OUT or not ret.respondent_id:
            continue
        record = records.setdefault(ret.respondent_id, FormRecord(ret.respondent_id, ret.respondent or "",
                                                                 roster.get(ret.respondent_id, str(RosterStatus.SUBMITTED))))
        for cell in ret.cells:
            if cell.raw != "":
                record.values[(cell.item_id, cell.field)] = cell.value
                record.raw[(cell.item_id, cell.field)] = cell.raw
    return records


def records_from_answers(paths: Sequence[Path]) -> Dict[str, FormRecord]:
    """Records read back from answers.csv files; a later file's 団体 replaces an earlier one's.

    Raises ValueError / OSError as :func:`answers.read_answers` does.
    """
    records: Dict[str, FormRecord] = {}
    for path in paths:
        mine: Dict[str, FormRecord] = {}
        for row in read_answers(Path(path)):
            code = str(row["respondent_id"])
            record = mine.setdefault(code, FormRecord(code, str(row.get("respondent") or ""),
                                                      str(row.get("status") or RosterStatus.SUBMITTED)))
            key = (str(row["item_id"]), str(row["field"]))
            record.values[key] = _number(row["value"])
            record.raw[key] = row.get("raw", row["value"])
        records.update(mine)
    return records


def _number(text: Any) -> Any:
    """answers.csv holds numbers as their text (12, 26.7): read them back as numbers."""
    if not isinstance(text, str) or not text or len(text) > 20:
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    if not text.lstrip("-").replace(".", "", 1).isdigit():
        return text  # 1e5, nan, inf: kept as written
    return int(value) if "." not in text else value


# ---------------------------------------------------------------------------
# answers.csv


def answers_bytes(master: FormMaster, returns: Iterable[Return]) -> bytes:
    """answers.csv of the current returns: one row per typed value, in form order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ANSWER_COLUMNS)
    # a whole line is joined and checked at once; only a line that needs quoting or the
    # formula guard goes field by field (most lines need neither)
    write_csv_values(buffer, writer, _answer_values(master.spec, returns), len(ANSWER_COLUMNS))
    return csv_bytes(buffer.getvalue())


def _answer_values(spec: FormSpec, returns: Iterable[Return]) -> Iterator[Tuple[Any, ...]]:
    """The values of each answers.csv row, in ANSWER_COLUMNS order."""
    labels: Dict[str, str] = {}  # item_id (with its block) -> label: the same few hundred in every return
    for ret in returns:
        if ret.status in _LEFT_OUT or not ret.respondent_id:
            continue
        status = str(ret.status)
        for cell in ret.cells:
            if cell.raw == "":
                continue
            label = labels.get(cell.item_id)
            if label is None:
                item = spec.item(cell.row_key.partition(":")[0].partition(".")[0])
                block = cell.item_id.partition(".")[2]
                group = spec.repeat_of(item.id)
                label = labels[cell.item_id] = \
                    f"{item.label}（{group.marker(int(block))}）" if group and block else item.label
            yield (ret.respondent_id, ret.respondent, cell.sheet, cell.item_id, cell.field, cell.value, ret.file,
                   cell.cell, status, label, cell.raw)


def write_answers(master: FormMaster, returns: Iterable[Return], path: Path) -> None:
    data = answers_bytes(master, returns)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


# ---------------------------------------------------------------------------
# the wide CSV


def wide_columns(spec: FormSpec) -> List[Tuple[str, str, str, Optional[str]]]:
    """(header, item_id, kind, option) of each item column, in form order.

    kind: ``value`` (one answer), ``joined`` (the options of a 複数選択 joined with 、),
    ``flag`` (1 when that option is chosen, else 0).
    """
    columns: List[Tuple[str, str, str, Optional[str]]] = []
    for row in form_layout(spec, None, None):
        if row.item is None:
            continue
        item_id = f"{row.item.id}.{row.block}" if row.block else row.item.id
        if row.kind == "multi":
            columns.append((item_id, item_id, "joined", None))
            columns += [(f"{item_id}:{o}", item_id, "flag", o) for o in row.item.option_values]
        elif row.kind == "item":
            columns.append((item_id, item_id, "value", None))
    return columns


def wide_bytes(master: FormMaster, records: Dict[str, FormRecord]) -> bytes:
    """One row per 団体 (the master's, then any other in the answers), 団体コード order."""
    spec = master.spec
    columns = wide_columns(spec)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(WIDE_FIXED) + [c[0] for c in columns])
    for code in sorted(set(master.bodies) | set(records)):
        respondent = master.bodies.get(code)
        record = records.get(code)
        fixed = [code, respondent.prefecture if respondent else "", respondent.name if respondent else
                 (record.respondent if record else ""),
                 record.status if record else str(RosterStatus.NOT_SUBMITTED)]
        cells: List[Any] = []
        for _, item_id, kind, option in columns:
            if record is None:
                cells.append("")
            elif kind == "flag":
                cells.append(1 if record.values.get((item_id, option or "")) == MARK else 0)
            elif kind == "joined":
                item = spec.item(item_id.partition(".")[0])
                chosen = [o for o in item.option_values if record.values.get((item_id, o)) == MARK]
                cells.append("、".join(chosen))
            else:
                cells.append(record.values.get((item_id, VALUE_FIELD), ""))
        buffer.write(",".join(csv_field(v) for v in fixed + cells) + "\r\n")
    return csv_bytes(buffer.getvalue())


def write_wide(master: FormMaster, records: Dict[str, FormRecord], path: Path) -> None:
    data = wide_bytes(master, records)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
