"""Rollover: this year's answers become next year's 実績, and the master moves a year on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from . import issues as iss
from .answers import NEEDS_FIX, csv_text, read_answers
from .issues import Issue, Report
from .master import MASTER_COLUMNS, load_master, read_raw, write_master_xlsx
from .wareki import fiscal_year_label, parse_date, parse_fiscal_year, short_label


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


RESULT_FIELDS = {
    ("取組状況", "value"): "値", ("取組状況", "content"): "取組内容", ("取組状況", "outcome"): "成果",
    ("取組状況", "challenge"): "課題", ("中間評価", "grade"): "評価", ("中間評価", "good"): "成果",
    ("中間評価", "issue"): "課題", ("今後の方向性", "direction"): "方向性", ("今後の方向性", "reason"): "理由",
}


def result_rows(year: int, answers: Sequence[Dict[str, Any]]) -> List[Dict[str, str]]:
    """answers.csv rows -> 実績 rows (one per indicator or 取組 and 課)."""
    merged: Dict[tuple, Dict[str, str]] = {}
    for answer in answers:
        sheet, name = str(answer["sheet"]), str(answer["field"])
        kind = "指標No" if sheet == "取組状況" else "取組No"
        key = (kind, int(str(answer["item_id"])), str(answer["respondent_id"]))
        row = merged.setdefault(key, {"年度": str(year), kind: str(key[1]), "課ID": key[2]})
        value = csv_text(answer["value"])
        if (sheet, name) in RESULT_FIELDS:
            column = RESULT_FIELDS[(sheet, name)]
            row[column] = f"{row[column]}\n{value}" if row.get(column) else value
        elif sheet == "その他の取組":
            text = f"●{value}" if name == "project" else value
            row["取組内容"] = f"{row['取組内容']}\n{text}" if row.get("取組内容") else text
    return list(merged.values())


def rollover(master_source: Path, answers_path: Path, out: Path, force: bool = False) -> RolloverResult:
    """Write next year's master: answers appended to 実績, 対象年度 and 提出期限 advanced.

    Refuses (an error issue, nothing written) while answers still have errors, unless ``force``.
    """
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
    raw = read_raw(master_source)
    order = list(MASTER_COLUMNS)  # 調査設定 first, as init-master writes it (a CSV folder reads in name order)
    rows = {name: _raw_rows(raw[name])
            for name in sorted(raw, key=lambda n: order.index(n) if n in order else len(order))}
    settings = rows["調査設定"]
    for row in settings[1:]:
        item = row[0] if row else ""
        if item in ("対象年度", "調査名") and len(row) > 1:
            row[1] = _next_label(row[1], year)
            if item == "対象年度" and parse_fiscal_year(row[1]) != year + 1:  # e.g. 平成31年度, Ｒ６
                row[1] = fiscal_year_label(year + 1)
        elif item == "提出期限" and len(row) > 1:
            row[1] = _next_deadline(row[1])
    results = rows["実績"]
    header = results[0]
    kept = [r for r in results[1:] if parse_fiscal_year(r[header.index("年度")]) != year]
    replaced = len(results) - 1 - len(kept)
    new = result_rows(year, answers)
    results[1:] = kept + [[r.get(column, "") for column in header] for r in new]
    write_master_xlsx(rows, Path(out))
    return RolloverResult(year + 1, len(new), replaced, [], Path(out))
