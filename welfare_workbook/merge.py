"""Reconcile returns against the roster and write the tidy answers.

:func:`collect` is the whole ``collect`` command as one library call: find and read
the returns, keep one per respondent, validate them together, and write
``answers.csv``, ``確認結果.xlsx`` and ``差戻し/`` into the output folder.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from .collect import (
    STATUS_FIX, STATUS_OK, STATUS_OLD, STATUS_OUT, Return, find_files, normalize_return, pick_current, read_return,
)
from .excel import atomic_write
from .issues import ERROR, Issue
from .master import Department, Master
from .spec import load_specs
from .generate import year_labels

ANSWERS_FILE = "answers.csv"
CHECKS_FILE = "確認結果.xlsx"
SENDBACK_DIR = "差戻し"
ANSWER_COLUMNS = ("respondent_id", "respondent", "sheet", "item_id", "field", "value", "file", "cell",
                  "status", "label", "raw")
OUT_OF_SCOPE = {"wrong_survey", "unknown_respondent", "meta_missing"}

ROSTER_MISSING = "未提出"
ROSTER_OK = "提出済"
ROSTER_FIX = "要修正"
ROSTER_RESUBMITTED = "再提出"


@dataclass
class RosterRow:
    department: Department
    status: str
    current: Optional[Return] = None
    returns: int = 0


@dataclass
class CollectResult:
    returns: List[Return]
    roster: List[RosterRow]
    notes: List[Issue] = field(default_factory=list)  # about files skipped while searching
    outputs: Dict[str, str] = field(default_factory=dict)

    @property
    def current(self) -> List[Return]:
        return [r for r in self.returns if r.status != STATUS_OLD]

    @property
    def valid(self) -> bool:
        return not any(r.errors for r in self.current)

    @property
    def missing(self) -> List[Department]:
        return [row.department for row in self.roster if row.status == ROSTER_MISSING]

    @property
    def issues(self) -> List[Issue]:
        return self.notes + [i for r in self.returns for i in r.issues]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "valid": self.valid,
            "returns": [r.to_dict() for r in self.returns],
            "missing": [{"respondent_id": d.id, "respondent": d.name} for d in self.missing],
            "issues": [
                {"file": i.file, "respondent_id": i.respondent_id, "sheet": i.sheet, "cell": i.cell,
                 "code": i.code, "severity": i.severity, "message": i.message}
                for i in self.issues
            ],
            "outputs": dict(self.outputs),
        }


def _status(ret: Return) -> str:
    if ret.status == STATUS_OLD:
        return STATUS_OLD
    if any(i.code in OUT_OF_SCOPE for i in ret.issues):
        return STATUS_OUT
    return STATUS_FIX if ret.errors else STATUS_OK


def roster(master: Master, returns: List[Return]) -> List[RosterRow]:
    rows = []
    for dept in master.respondents():
        mine = [r for r in returns if r.respondent_id == dept.id]
        current = [r for r in mine if r.status != STATUS_OLD]
        if not current:
            rows.append(RosterRow(dept, ROSTER_MISSING, None, len(mine)))
            continue
        ret = current[0]
        if ret.errors:
            status = ROSTER_FIX
        else:
            status = ROSTER_RESUBMITTED if len(mine) > 1 else ROSTER_OK
        rows.append(RosterRow(dept, status, ret, len(mine)))
    return rows


def read_all(master: Master, sources: Sequence[Path],
             progress: Optional[Callable[[int, int], None]] = None) -> CollectResult:
    """Find, read, normalise, de-duplicate and validate every return (no output written)."""
    from .validate import validate_returns

    files, notes = find_files(sources)
    returns = []
    for number, (path, shown) in enumerate(files, start=1):
        ret = read_return(path, shown, master)
        normalize_return(ret, master)
        returns.append(ret)
        if progress:
            progress(number, len(files))
    pick_current(returns)
    current = [r for r in returns if r.status != STATUS_OLD and r.readable]
    validate_returns(current, master)
    for ret in returns:
        ret.status = _status(ret)
    return CollectResult(returns, roster(master, returns), notes)


def answer_rows(master: Master, result: CollectResult) -> List[Dict[str, Any]]:
    """Every typed value of each respondent's current return, once, with provenance."""
    specs = load_specs()
    years = year_labels(master.settings.fiscal_year)
    rows = []
    for ret in result.returns:
        if ret.status in (STATUS_OLD, STATUS_OUT) or not ret.respondent_id:
            continue
        for cell in ret.cells:
            if cell.raw == "":
                continue
            rows.append({
                "respondent_id": ret.respondent_id, "respondent": ret.respondent, "sheet": cell.sheet,
                "item_id": cell.item_id, "field": cell.field, "value": cell.value, "file": ret.file,
                "cell": cell.cell, "status": ret.status,
                "label": specs[cell.sheet].column(cell.field).label_for(years), "raw": cell.raw,
            })
    return rows


def csv_text(value: Any) -> str:
    """Numbers as numbers (12, not 12.0); everything else as text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return "" if value is None else str(value)


def write_answers(rows: List[Dict[str, Any]], path: Path) -> None:
    """answers.csv in UTF-8 with BOM (Excel opens it), written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ANSWER_COLUMNS)
    for row in rows:
        writer.writerow([csv_text(row[c]) for c in ANSWER_COLUMNS])
    data = buffer.getvalue().encode("utf-8-sig")
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def collect(master: Master, sources: Sequence[Path], out_dir: Path,
            progress: Optional[Callable[[int, int], None]] = None) -> CollectResult:
    """The ``collect`` command: read every return and write all outputs into ``out_dir``."""
    from .report import write_check_workbook, write_sendbacks

    out_dir = Path(out_dir)
    result = read_all(master, sources, progress)
    answers = out_dir / ANSWERS_FILE
    write_answers(answer_rows(master, result), answers)
    checks = out_dir / CHECKS_FILE
    write_check_workbook(master, result, checks)
    sendback = out_dir / SENDBACK_DIR
    written = write_sendbacks(master, result, sendback)
    result.outputs = {"answers": str(answers), "checks": str(checks), "sendback": str(sendback)}
    result.outputs.update({f"sendback:{rid}": str(p) for rid, p in written.items()})
    return result


__all__ = ["CollectResult", "RosterRow", "collect", "read_all", "answer_rows", "write_answers",
           "STATUS_OK", "STATUS_FIX", "STATUS_OLD", "STATUS_OUT", "ERROR"]
