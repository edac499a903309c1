"""Helpers for the collect tests: fill generated workbooks, re-save with LibreOffice,
read answers.csv, and look issues up by code, file, sheet and cell.

Everything works on real .xlsx files opened by the real readers; nothing is mocked.
"""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

from helpers import soffice_path
from welfare_workbook.contract import layout_for
from welfare_workbook.generate import GeneratedWorkbook
from welfare_workbook.master import Master
from welfare_workbook.simulate import Answer, fill_workbook, plan_answers

AnswerKey = Tuple[str, str, str]  # (sheet, row key, field)
NUMBER_TEXT = re.compile(r"-?\d+(\.\d+)?")


@dataclass
class Filled:
    """One filled return: whose, where, what was typed and in which cell."""

    respondent_id: str
    respondent: str
    path: Path
    shown: str  # the file name collect reports (relative to the folder collected)
    answers: Answer
    cells: Dict[AnswerKey, str] = field(default_factory=dict)

    def cell(self, sheet: str, field_id: str, row_key: str) -> str:
        return self.cells[(sheet, row_key, field_id)]


def fill(master: Master, generated: GeneratedWorkbook, folder: Path, name: str = "", *,
         answers: Optional[Answer] = None, edit: Any = None, seed: int = 0) -> Filled:
    """Fill every input cell of a generated workbook (``plan_answers`` unless given)."""
    answers = dict(plan_answers(master, generated.respondent_id, seed) if answers is None else answers)
    target = folder / (name or generated.file.name)
    cells = fill_workbook(master, generated.respondent_id, generated.file, target, answers, edit)
    return Filled(generated.respondent_id, generated.respondent, target, str(target.relative_to(folder)),
                  answers, cells)


def row_of(master: Master, dept_id: str, sheet: str, row_key: str) -> int:
    for row, item, _ in layout_for(master, dept_id)[sheet]:
        if item.key == row_key:
            return row
    raise KeyError((dept_id, sheet, row_key))


def item_of(master: Master, dept_id: str, sheet: str, row_key: str) -> Any:
    for _, item, _ in layout_for(master, dept_id)[sheet]:
        if item.key == row_key:
            return item
    raise KeyError((dept_id, sheet, row_key))


def keys_of(master: Master, dept_id: str, sheet: str) -> List[str]:
    return [item.key for _, item, _ in layout_for(master, dept_id)[sheet]]


# ---------------------------------------------------------------------------
# answers.csv


def read_answers(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def answers_at(rows: Iterable[Dict[str, str]], *, respondent_id: str, sheet: str, cell: str,
               file: Optional[str] = None) -> List[Dict[str, str]]:
    return [r for r in rows if r["respondent_id"] == respondent_id and r["sheet"] == sheet and r["cell"] == cell
            and (file is None or r["file"] == file)]


def assert_csv_value(text: str, typed: Any, where: str = "") -> None:
    """A typed value as answers.csv must show it: numbers as numbers, text identical."""
    if isinstance(typed, bool) or not isinstance(typed, (int, float)):
        assert text == typed, f"{where}: {text!r} != {typed!r}"
        return
    assert NUMBER_TEXT.fullmatch(text), f"{where}: {text!r} is not a plain number"
    assert not text.endswith(".0"), f"{where}: {text!r} has a trailing .0"
    if isinstance(typed, int) or float(typed).is_integer():
        assert text == str(int(typed)), f"{where}: {text!r} != {typed!r}"
    else:
        assert float(text) == typed, f"{where}: {text!r} != {typed!r}"


def assert_all_answers_present(rows: List[Dict[str, str]], filled: Sequence[Filled]) -> None:
    """Every typed value of every return appears exactly once at its provenance."""
    index: Dict[Tuple[str, str, str, str, str], List[Dict[str, str]]] = {}
    for row in rows:
        key = (row["respondent_id"], row["sheet"], row["field"], row["file"], row["cell"])
        index.setdefault(key, []).append(row)
    expected = 0
    for ret in filled:
        for (sheet, row_key, field_id), typed in ret.answers.items():
            if typed is None:
                continue
            expected += 1
            cell = ret.cells[(sheet, row_key, field_id)]
            found = index.get((ret.respondent_id, sheet, field_id, ret.shown, cell), [])
            where = f"{ret.shown} {sheet}!{cell} ({field_id})"
            assert len(found) == 1, f"{where}: found {len(found)} rows in answers.csv"
            row = found[0]
            assert row["respondent"] == ret.respondent, where
            assert row["item_id"] == row_key.split(":")[1], where
            assert_csv_value(row["value"], typed, where)
    assert len(rows) == expected, f"answers.csv has {len(rows)} rows, {expected} values were typed"


# ---------------------------------------------------------------------------
# issues


def issues_of(result: Any, code: str, file: Optional[str] = None) -> List[Any]:
    return [i for i in result.issues if i.code == code and (file is None or i.file == file)]


def where_of(issues: Iterable[Any]) -> List[Tuple[Optional[str], Optional[str]]]:
    return sorted(((i.sheet, i.cell) for i in issues), key=lambda t: (t[0] or "", t[1] or ""))


def the_issue(result: Any, code: str, file: str, sheet: Optional[str] = None, cell: Optional[str] = None) -> Any:
    """The one issue with this code in this file (and at this sheet/cell); fails otherwise."""
    found = [i for i in issues_of(result, code, file) if (sheet is None or i.sheet == sheet)
             and (cell is None or i.cell == cell)]
    assert len(found) == 1, (f"expected one {code} in {file} {sheet or ''} {cell or ''}, found "
                             f"{[(i.sheet, i.cell) for i in found]}; codes in file: "
                             f"{sorted({(i.code, i.sheet, i.cell) for i in result.issues if i.file == file}, key=str)}")
    issue = found[0]
    if sheet is None:
        assert issue.sheet is None, issue
    if cell is None:
        assert issue.cell is None, issue
    return issue


def return_of(result: Any, file: str) -> Any:
    found = [r for r in result.returns if r.file == file]
    assert len(found) == 1, (file, [r.file for r in result.returns])
    return found[0]


def roster_of(result: Any) -> Dict[str, Any]:
    return {row.department.id: row for row in result.roster}


# ---------------------------------------------------------------------------
# files


def sha256_tree(folder: Path) -> Dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def soffice_convert_all(sources: Sequence[Path], out_dir: Path, profile_dir: Path, fmt: str = "xlsx",
                        timeout: float = 300) -> List[Path]:
    """Re-save every file with LibreOffice in ONE soffice call (as a LibreOffice user would)."""
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, "--headless", f"-env:UserInstallation={profile_dir.resolve().as_uri()}",
         "--convert-to", fmt, "--outdir", str(out_dir), *[str(s) for s in sources]],
        capture_output=True, text=True, timeout=timeout,
    )
    results = [out_dir / (Path(s).stem + "." + fmt) for s in sources]
    missing = [r for r in results if not r.exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"soffice failed ({proc.returncode}), missing {missing}: {proc.stdout}\n{proc.stderr}")
    return results


def shift_validations(ws: Any, from_row: int, amount: int) -> None:
    """Move data validations down as Excel does when rows are inserted (openpyxl does not)."""
    for dv in ws.data_validations.dataValidation:
        ranges = []
        for rng in dv.sqref.ranges:
            r = CellRange(rng.coord)
            if r.min_row >= from_row:
                r.shift(row_shift=amount)
            elif r.max_row >= from_row:
                r.expand(down=amount)
            ranges.append(r.coord)
        dv.sqref = MultiCellRange(" ".join(ranges))


def drop_from_validation(ws: Any, coordinate: str) -> None:
    """Take one cell out of the list validation covering it (a dropdown pasted over)."""
    target = CellRange(coordinate)
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list" or not any(target.issubset(r) for r in dv.sqref.ranges):
            continue
        parts = []
        for rng in dv.sqref.ranges:
            r = CellRange(rng.coord)
            if not target.issubset(r):
                parts.append(r.coord)
                continue
            for row in range(r.min_row, r.max_row + 1):
                for col in range(r.min_col, r.max_col + 1):
                    if (row, col) != (target.min_row, target.min_col):
                        parts.append(CellRange(min_col=col, min_row=row, max_col=col, max_row=row).coord)
        dv.sqref = MultiCellRange(" ".join(parts))


@dataclass
class CorpusBase:
    """A folder of crafted returns collected once: what the corpus tests share."""

    master: Master
    folder: Path
    out: Path
    result: Any
    rows: List[Dict[str, str]]
    filled: Dict[str, Filled]  # case name -> filled return
    names: Dict[str, str] = field(default_factory=dict)  # case name -> file name as reported

    def answers(self, respondent_id: str) -> List[Dict[str, str]]:
        return [r for r in self.rows if r["respondent_id"] == respondent_id]

    def answer(self, respondent_id: str, sheet: str, cell: str) -> Dict[str, str]:
        found = answers_at(self.rows, respondent_id=respondent_id, sheet=sheet, cell=cell)
        assert len(found) == 1, (respondent_id, sheet, cell, found)
        return found[0]


def set_answer(answers: Dict[AnswerKey, Any], sheet: str, row_key: str, field_id: str, value: Any) -> None:
    """Change one planned answer (it must be one of the workbook's input cells)."""
    assert (sheet, row_key, field_id) in answers, (sheet, row_key, field_id)
    answers[(sheet, row_key, field_id)] = value


def corpus_folders(factory: Any, name: str, returns: str = "returns") -> Tuple[Path, Path, Path]:
    """(base, the folder collected, a work folder) of a corpus."""
    base = factory.mktemp(name)
    folder, work = base / returns, base / "work"
    folder.mkdir()
    work.mkdir()
    return base, folder, work
