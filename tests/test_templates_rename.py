"""A column renamed in the templates arrives everywhere: the templates are the only
declaration of a survey column, end to end.

A real copy of the bundled templates renames 中間評価's ``grade`` to ``hyoka`` and
取組状況's ``content`` to ``naiyo``; every command then uses that copy through
WELFARE_WORKBOOK_TEMPLATES. The bundled sample goes through generate, filled returns,
collect (answers.csv, 集計表.xlsx) and rollover, and each renamed field's values are
found under the new id in answers.csv, in their 集計表 cells and in next year's 実績.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import openpyxl
import pytest

from helpers import templates_copy
from welfare_workbook import normalize, pipeline, rollover, spec
from welfare_workbook.generate import generate
from welfare_workbook.master import Master, load_master, sample_path
from welfare_workbook.simulate import Answer, fill_workbook, plan_answers

YEAR = 2024
SEED = 11
COPIED = "K01"  # types last year's 取組内容 into one renamed cell: the rule against last year still sees it


def _clear_caches() -> None:
    """Templates, and what is remembered per choice list, are read again from the current folder."""
    spec.clear_caches()
    normalize._synonyms.cache_clear()


@pytest.fixture()
def renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = templates_copy(tmp_path)
    for name, old, new in (("chukan_hyoka.yaml", "id: grade", "id: hyoka"),
                           ("chukan_hyoka.yaml", "field: grade", "field: hyoka"),  # 課題 required for △ ×
                           ("torikumi_jokyo.yaml", "id: content", "id: naiyo")):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    _clear_caches()
    monkeypatch.setenv(spec.TEMPLATES_ENV, str(folder))
    yield folder
    monkeypatch.delenv(spec.TEMPLATES_ENV)
    _clear_caches()  # nothing read from the copy outlives this test


def _cycle(tmp_path: Path) -> Tuple[Master, Dict[str, Answer], Path, Any]:
    """generate → fill every input → collect, with the templates in force."""
    master, issues = load_master(sample_path())
    assert master is not None, issues.to_list()
    generated = generate(master, tmp_path / "調査票", generated_at=dt.datetime(2025, 4, 1, 9, 0))
    assert not generated.issues.has_errors
    plans: Dict[str, Answer] = {}
    for wb in generated.workbooks:
        plans[wb.respondent_id] = dict(plan_answers(master, wb.respondent_id, seed=SEED))
    copied = next((i for i in master.indicators_for(COPIED) if master.result(YEAR - 1, COPIED, indicator=i.no)
                   and master.result(YEAR - 1, COPIED, indicator=i.no).content), None)
    assert copied is not None
    key = ("取組状況", f"IND:{copied.no}:{COPIED}", "naiyo")
    assert key in plans[COPIED]
    plans[COPIED][key] = master.result(YEAR - 1, COPIED, indicator=copied.no).content
    for wb in generated.workbooks:
        fill_workbook(master, wb.respondent_id, wb.file, tmp_path / "提出" / wb.file.name, plans[wb.respondent_id])
    result = pipeline.collect(master, [tmp_path / "提出"], tmp_path / "回収結果")
    assert result.valid, [(i.file, i.cell, i.message) for i in result.issues if i.severity == "error"]
    return master, plans, tmp_path / "回収結果", result


def _typed(plans: Dict[str, Answer], sheet: str, field: str) -> Dict[Tuple[str, str], str]:
    """(item no, respondent) -> the text typed into ``field`` of ``sheet``."""
    out = {}
    for dept, answers in plans.items():
        for (sheet_name, key, name), value in answers.items():
            if (sheet_name, name) == (sheet, field):
                out[(key.split(":")[1], dept)] = str(value)
    return out


def _dept_id(master: Master, label: Any) -> str:
    name = re.sub(r"（主）$", "", str(label).split("\n")[0])
    return next(d.id for d in master.departments.values() if d.name == name)


def _table(ws: Any, master: Master, first_row: int, col: int) -> Dict[Tuple[str, str], Any]:
    """(No, respondent) -> the value in column ``col`` of a 集計表 table whose rows give the
    number in column A (blank under a merged one) and the respondent in column C."""
    out: Dict[Tuple[str, str], Any] = {}
    number = None
    for r in range(first_row, ws.max_row + 1):
        a, c = ws.cell(r, 1).value, ws.cell(r, 3).value
        if isinstance(a, str) and a.isdigit():
            number = a
        elif a is not None:  # a heading row
            number = None
            continue
        if number is not None and c is not None:
            out[(number, _dept_id(master, c))] = ws.cell(r, col).value
    return out


def test_renamed_columns_arrive_everywhere(renamed: Path, tmp_path: Path) -> None:
    specs = spec.load_specs()
    assert [c.id for c in specs["中間評価"].input_columns] == ["hyoka", "good", "issue"]
    assert specs["取組状況"].role("content").id == "naiyo"
    master, plans, out, result = _cycle(tmp_path)
    hyoka, naiyo = _typed(plans, "中間評価", "hyoka"), _typed(plans, "取組状況", "naiyo")
    assert len(hyoka) == sum(len(a.departments) for a in master.actions.values())
    assert len(naiyo) == sum(len(i.respondents) for i in master.indicators.values())

    # answers.csv: the new field ids, every typed value
    with open(out / "answers.csv", encoding="utf-8-sig", newline="") as handle:
        answers = list(csv.DictReader(handle))
    fields = {(a["sheet"], a["field"]) for a in answers}
    assert ("中間評価", "hyoka") in fields and ("取組状況", "naiyo") in fields
    assert ("中間評価", "grade") not in fields and ("取組状況", "content") not in fields
    got = {(a["item_id"], a["respondent_id"]): a["value"] for a in answers if a["field"] == "hyoka"}
    assert got == hyoka

    # the rule against last year follows the role to the renamed column
    copied = [i for i in result.issues if i.code == "same_as_last_year"]
    assert copied and all(i.respondent_id == COPIED and i.sheet == "取組状況" for i in copied)
    naiyo_column = openpyxl.utils.get_column_letter(specs["取組状況"].index("naiyo"))
    assert all(i.cell.startswith(naiyo_column) for i in copied)

    # 集計表: 評価 in the 中間評価 table and its ◎○△× count; 取組内容 in 一覧表 and each 基本施策 page
    book = openpyxl.load_workbook(out / "集計表.xlsx")
    evaluation = book["中間評価"]
    assert evaluation.cell(3, 6).value == "中間評価"
    assert _table(evaluation, master, 4, 6) == hyoka
    assert _table(book["一覧表"], master, 5, 9) == naiyo
    pages: Dict[Tuple[str, str], Any] = {}
    for measure in master.measures.values():
        pages.update(_table(book[measure.id], master, 6, 9))
    assert pages == naiyo
    counted = _count_total(book["概要"], "中間評価（◎○△×）の集計")
    assert counted == {g: sum(1 for v in hyoka.values() if v == g) for g in ("◎", "○", "△", "×")}

    # rollover: next year's 実績 keeps them as 評価 and 取組内容
    rolled = rollover.rollover(sample_path(), out / "answers.csv", tmp_path / "R7.xlsx")
    assert rolled.output is not None, [i.message for i in rolled.issues]
    sheet = openpyxl.load_workbook(rolled.output)["実績"]
    rows = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    header = rows[0]
    records = [dict(zip(header, row)) for row in rows[1:] if row[0] == str(YEAR)]
    assert {(r["取組No"], r["課ID"]): r["評価"] for r in records if r["取組No"]} == hyoka
    assert {(r["指標No"], r["課ID"]): r["取組内容"] for r in records if r["指標No"]} == naiyo


def _count_total(ws: Any, title: str) -> Dict[str, int]:
    """The 基本施策 rows of a 概要 count table, summed per choice."""
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == title)
    header = [ws.cell(top + 1, c).value for c in range(1, 8)]
    totals: Dict[str, int] = {}
    r = top + 2
    while ws.cell(r, 1).value in ("基本方針", "基本施策"):
        if ws.cell(r, 1).value == "基本施策":
            for c, label in enumerate(header[2:6], start=3):
                totals[label] = totals.get(label, 0) + int(ws.cell(r, c).value)
        r += 1
    return totals


def test_the_copy_is_in_force_only_inside_the_fixture(renamed: Path) -> None:
    from importlib import resources

    assert [c.id for c in spec.load_specs()["中間評価"].input_columns] == ["hyoka", "good", "issue"]
    bundled = str(resources.files("welfare_workbook.templates"))
    assert [c.id for c in spec.load_specs(bundled)["中間評価"].input_columns] == ["grade", "good", "issue"]


def test_nothing_of_the_copy_is_left_for_other_tests() -> None:
    """Runs after the tests above (file order): the variable is gone, the bundled templates load."""
    assert spec.TEMPLATES_ENV not in os.environ
    assert [c.id for c in spec.load_specs()["中間評価"].input_columns] == ["grade", "good", "issue"]
    assert "naiyo" not in [c.id for c in spec.load_specs()["取組状況"].columns]
