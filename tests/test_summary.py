"""集計表.xlsx and indicators.csv: the consolidated report written by collect (and by
``report``), checked cell by cell against the master and the answers typed.

One module fixture runs a full cycle on the bundled 3rd-plan sample: generate, fill
every input cell of every department with ``plan_answers`` except one department
(K04, which answers indicators and actions) that sends nothing, collect, and open
``集計表.xlsx`` with openpyxl.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import openpyxl
import pytest
from click.testing import CliRunner

from helpers import SAMPLE_MASTER_ARGS, fill_rgb
from welfare_workbook import pipeline
from welfare_workbook import summary, summary_layout
from welfare_workbook.cli import cli
from welfare_workbook.generate import GenerateResult
from welfare_workbook.master import Master
from welfare_workbook.simulate import Answer, fill_workbook, plan_answers

SEED = 3
MISSING = "K04"  # answers indicators 14 and 17 and many 取組; sends no return
FORMULA_TEXT = "=1+1"
FORMULA_KEY = ("取組状況", "IND:1:K01", "content")  # typed as text into a content cell
YEAR = 2024
GRADES = ("◎", "○", "△", "×")
DIRECTIONS = ("拡充", "継続", "見直し", "廃止")
UNANSWERED = "未回答"
NUMBER = re.compile(r"[0-9]+")

# columns of the indicator tables (一覧表 and each 基本施策 sheet)
COL_NO, COL_NAME, COL_DEPT, COL_BASE, COL_TARGET = 1, 2, 3, 4, 5
COL_PREV_VALUE, COL_PREV_CONTENT, COL_VALUE, COL_CONTENT, COL_OUTCOME = 6, 7, 8, 9, 10
MEASURE_HEADER_ROW = 5
TABLE_HEADER_ROW = 4


@dataclass
class Cycle:
    master: Master
    plans: Dict[str, Answer]  # respondent id -> what it typed (all but MISSING)
    out: Path
    result: Any
    wb: Any  # 集計表.xlsx opened with openpyxl


@pytest.fixture(scope="module")
def cycle(sample_master: Master, generated: GenerateResult, tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    base = tmp_path_factory.mktemp("summary_cycle")
    returns = base / "returns"
    plans: Dict[str, Answer] = {}
    for wb in generated.workbooks:
        if wb.respondent_id == MISSING:
            continue
        answers = dict(plan_answers(sample_master, wb.respondent_id, seed=SEED))
        if wb.respondent_id == "K01":
            assert FORMULA_KEY in answers
            answers[FORMULA_KEY] = FORMULA_TEXT
        plans[wb.respondent_id] = answers
        fill_workbook(sample_master, wb.respondent_id, wb.file, returns / wb.file.name, answers)
    assert MISSING in {wb.respondent_id for wb in generated.workbooks}
    out = base / "out"
    out.mkdir()
    result = pipeline.collect(sample_master, [returns], out)
    assert result.valid, [(i.file, i.sheet, i.cell, i.code, i.message) for i in result.issues if i.severity == "error"]
    book = openpyxl.load_workbook(out / summary.SUMMARY_FILE)
    return Cycle(sample_master, plans, out, result, book)


# ---------------------------------------------------------------------------
# reading helpers


def text_of(value: Any) -> str:
    """How a typed value is shown in the report: 123 -> '123', 12.0 -> '12', 3.5 -> '3.5'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def unbroken(value: Any) -> Any:
    """A narrow cell's text without the line break the report puts before a parenthesis
    that would not fit on its line ('8\n（156人）' -> '8（156人）')."""
    return re.sub(r"\n(?=（)", "", value) if isinstance(value, str) else value


def typed(cycle: Cycle, dept: str, sheet: str, kind: str, no: int, field: str) -> Any:
    return cycle.plans[dept][(sheet, f"{kind}:{no}:{dept}", field)]


def dept_of(master: Master, label: Any) -> str:
    """Department id from a 回答課/担当課 cell ('障害者福祉課\\n（未提出）', '福祉政策課（主）')."""
    name = str(label).split("\n")[0]
    name = re.sub(r"（主）$", "", name)
    matches = [d.id for d in master.departments.values() if d.name == name]
    assert len(matches) == 1, label
    return matches[0]


@dataclass
class IndicatorRow:
    row: int
    no: int
    dept: str
    values: Tuple[Any, ...]  # columns 1.. as stored (merged continuation cells are None)

    def col(self, index: int) -> Any:
        return self.values[index - 1] if index <= len(self.values) else None


def indicator_rows(ws: Any, master: Master, first: int, last_col: int) -> List[IndicatorRow]:
    """The indicator rows of a table starting at ``first``: a row with a number in column
    A starts an indicator, the rows below with only a 回答課 belong to it."""
    rows: List[IndicatorRow] = []
    current: Optional[int] = None
    for r in range(first, ws.max_row + 1):
        values = tuple(ws.cell(r, c).value for c in range(1, last_col + 1))
        a, dept = values[0], values[COL_DEPT - 1]
        if isinstance(a, str) and NUMBER.fullmatch(a):
            current = int(a)
        elif a is None and dept is not None and current is not None and rows and rows[-1].row == r - 1:
            pass  # a second 回答課 of the same indicator
        else:
            current = None
            continue
        rows.append(IndicatorRow(r, current, dept_of(master, dept), values))
    return rows


def measure_sheets(cycle: Cycle) -> List[Tuple[Any, Any]]:
    return [(m, cycle.wb[m.id]) for m in cycle.master.measures.values()]


def expected_pairs(master: Master, measure_id: Optional[str] = None) -> List[Tuple[int, str]]:
    return [(i.no, d) for i in sorted(master.indicators.values(), key=lambda i: i.no)
            if measure_id is None or i.measure_id == measure_id for d in i.respondents]


def all_indicator_rows(cycle: Cycle) -> Dict[str, List[IndicatorRow]]:
    """sheet title -> indicator rows, for 一覧表 and every 基本施策 sheet."""
    out = {"一覧表": [r for r in indicator_rows(cycle.wb["一覧表"], cycle.master, TABLE_HEADER_ROW + 1, 9)]}
    for measure, ws in measure_sheets(cycle):
        out[ws.title] = indicator_rows(ws, cycle.master, MEASURE_HEADER_ROW + 1, 10)
    return out


def find_row(ws: Any, text: str, col: int = 1) -> int:
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, col).value == text:
            return r
    raise AssertionError(f"{ws.title}: no row with {text!r} in column {col}")


def count_table(ws: Any, title: str, columns: Tuple[str, ...]) -> Tuple[List[Tuple[str, Dict[str, int]]],
                                                                        List[Tuple[str, Dict[str, int]]]]:
    """(基本方針 rows, 基本施策 rows) of a count table in 概要: [(label, {column: count})]."""
    top = find_row(ws, title)
    header = [ws.cell(top + 1, c).value for c in range(1, 3 + len(columns))]
    assert header == ["区分", "基本方針・基本施策", *columns]
    policies, measures = [], []
    r = top + 2
    while ws.cell(r, 1).value in ("基本方針", "基本施策"):
        counts = {c: ws.cell(r, 3 + i).value for i, c in enumerate(columns)}
        (policies if ws.cell(r, 1).value == "基本方針" else measures).append((ws.cell(r, 2).value, counts))
        r += 1
    return policies, measures


# ---------------------------------------------------------------------------
# sheets and headings


def test_sheet_order(cycle: Cycle) -> None:
    expected = ["概要", "一覧表"] + [m.id for m in cycle.master.measures.values()] + ["中間評価"]
    assert cycle.wb.sheetnames == expected
    assert len(cycle.master.measures) == 10


def test_measure_sheet_heading_above_exactly_its_own_indicators(cycle: Cycle) -> None:
    master = cycle.master
    names = {i.no: i.name for i in master.indicators.values()}
    for measure, ws in measure_sheets(cycle):
        assert ws.cell(2, 1).value == measure.label
        assert ws.cell(MEASURE_HEADER_ROW, 1).value == "No."
        own = {i.no for i in master.indicators.values() if i.measure_id == measure.id}
        rows = indicator_rows(ws, master, MEASURE_HEADER_ROW + 1, 10)
        assert [(r.no, r.dept) for r in rows] == expected_pairs(master, measure.id), ws.title
        # every number in column A anywhere on the page is one of this measure's indicators
        numbers = {int(v) for (v,) in ws.iter_rows(min_col=1, max_col=1, values_only=True)
                   if isinstance(v, str) and NUMBER.fullmatch(v)}
        assert numbers == own, ws.title
        for r in rows:
            if r.col(COL_NAME) is not None:
                assert str(r.col(COL_NAME)).split("\n")[0] == names[r.no]
        # no other indicator's name appears anywhere on the page
        texts = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        for no, name in names.items():
            if no not in own:
                assert not any(name in t for t in texts), (ws.title, no, name)


def test_table_headings_are_followed_only_by_their_indicators(cycle: Cycle) -> None:
    master = cycle.master
    ws = cycle.wb["一覧表"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    labels = {m.label: m for m in master.measures.values()}
    sections: List[Tuple[str, List[int]]] = []
    for r in range(TABLE_HEADER_ROW + 1, ws.max_row + 1):
        a = ws.cell(r, 1).value
        if isinstance(a, str) and a in labels:
            assert f"A{r}:I{r}" in merged, f"heading row {r} is not merged across the table"
            assert fill_rgb(ws.cell(r, 1)) is not None, f"heading row {r} is not filled"
            sections.append((a, []))
        elif isinstance(a, str) and NUMBER.fullmatch(a):
            assert sections, f"indicator {a} above the first heading"
            sections[-1][1].append(int(a))
        else:
            assert a is None, (r, a)
    with_indicators = [m for m in master.measures.values()
                       if any(i.measure_id == m.id for i in master.indicators.values())]
    assert [label for label, _ in sections] == [m.label for m in with_indicators]
    for label, numbers in sections:
        own = sorted(i.no for i in master.indicators.values() if i.measure_id == labels[label].id)
        assert numbers == own, label
    rows = indicator_rows(ws, master, TABLE_HEADER_ROW + 1, 9)
    assert [(r.no, r.dept) for r in rows] == expected_pairs(master)


def test_evaluation_headings_and_rows_follow_the_master(cycle: Cycle) -> None:
    master = cycle.master
    ws = cycle.wb["中間評価"]
    seen: List[Tuple[str, int, str]] = []
    measure = None
    current = None
    for r in range(4, ws.max_row + 1):
        a, c = ws.cell(r, 1).value, ws.cell(r, 3).value
        if a is not None and not NUMBER.fullmatch(str(a)):
            measure = next(m for m in master.measures.values() if str(a).endswith(m.label))
            assert str(a).count(measure.policy) == 1, f"heading repeats the 基本方針: {a!r}"
            continue
        if a is not None:
            current = int(a)
            assert master.actions[current].measure_id == measure.id, (r, a)
        seen.append((measure.id, current, dept_of(master, c)))
    expected = [(m.id, a.no, d) for m in master.measures.values()
                for a in sorted(master.actions.values(), key=lambda a: a.no) if a.measure_id == m.id
                for d in a.departments]
    assert seen == expected


# ---------------------------------------------------------------------------
# values


def test_every_answered_value_is_at_its_indicator_and_respondent(cycle: Cycle) -> None:
    master = cycle.master
    checked = 0
    for title, rows in all_indicator_rows(cycle).items():
        with_outcome = title != "一覧表"
        for r in rows:
            name = master.departments[r.dept].name
            if r.dept == MISSING:
                continue
            assert r.col(COL_DEPT) == name, (title, r.row)
            value = typed(cycle, r.dept, "取組状況", "IND", r.no, "value")
            content = typed(cycle, r.dept, "取組状況", "IND", r.no, "content")
            assert unbroken(r.col(COL_VALUE)) == text_of(value), (title, r.row, r.no, r.dept)
            assert r.col(COL_CONTENT) == content, (title, r.row, r.no, r.dept)
            if with_outcome:
                outcome = typed(cycle, r.dept, "取組状況", "IND", r.no, "outcome")
                challenge = typed(cycle, r.dept, "取組状況", "IND", r.no, "challenge")
                assert outcome in r.col(COL_OUTCOME) and challenge in r.col(COL_OUTCOME)
            checked += 1
    answered = [p for p in expected_pairs(master) if p[1] != MISSING]
    assert checked == 2 * len(answered)  # once in 一覧表, once on the 基本施策 page


def test_two_respondents_of_one_indicator_one_under_the_other(cycle: Cycle) -> None:
    master = cycle.master
    shared = [i for i in master.indicators.values() if len(i.respondents) == 2]
    assert shared
    for title, rows in all_indicator_rows(cycle).items():
        ws = cycle.wb[title]
        merged = {str(r) for r in ws.merged_cells.ranges}
        by_no: Dict[int, List[IndicatorRow]] = {}
        for r in rows:
            by_no.setdefault(r.no, []).append(r)
        for ind in shared:
            if ind.no not in by_no:
                continue
            first, second = by_no[ind.no]
            assert second.row == first.row + 1
            assert (first.dept, second.dept) == ind.respondents
            assert first.col(COL_NO) == str(ind.no) and second.col(COL_NO) is None
            assert f"A{first.row}:A{second.row}" in merged, (title, ind.no)


def test_previous_year_columns_equal_the_results_of_2023(cycle: Cycle) -> None:
    master = cycle.master
    compared = 0
    for title, rows in all_indicator_rows(cycle).items():
        for r in rows:
            result = master.result(YEAR - 1, r.dept, indicator=r.no)
            expected_value = result.value if result and result.value else None
            expected_content = result.content if result and result.content else None
            assert unbroken(r.col(COL_PREV_VALUE)) == expected_value, (title, r.no, r.dept)
            assert r.col(COL_PREV_CONTENT) == expected_content, (title, r.no, r.dept)
            compared += result is not None
    assert compared >= 30
    header = [c.value for c in cycle.wb["一覧表"][TABLE_HEADER_ROW]]
    assert header[COL_PREV_VALUE - 1] == "R5" and header[COL_VALUE - 1] == "R6"


def test_missing_department_shows_not_submitted(cycle: Cycle) -> None:
    master = cycle.master
    missing_rows = 0
    for title, rows in all_indicator_rows(cycle).items():
        for r in rows:
            if r.dept != MISSING:
                assert r.col(COL_VALUE) != summary.NOT_SUBMITTED
                continue
            missing_rows += 1
            assert r.col(COL_VALUE) == summary.NOT_SUBMITTED, (title, r.no)
            assert r.col(COL_CONTENT) is None
            assert "未提出" in str(r.col(COL_DEPT))
    assert missing_rows == 2 * len(master.indicators_for(MISSING))
    assert missing_rows > 0


def test_evaluation_sheet_equals_the_returns(cycle: Cycle) -> None:
    master = cycle.master
    ws = cycle.wb["中間評価"]
    assert [c.value for c in ws[3]][5] == "中間評価" and [c.value for c in ws[3]][7] == "今後の方向性"
    current = None
    checked = set()
    for r in range(4, ws.max_row + 1):
        a, c = ws.cell(r, 1).value, ws.cell(r, 3).value
        if a is not None and not NUMBER.fullmatch(str(a)):
            continue
        if a is not None:
            current = int(a)
        dept = dept_of(master, c)
        grade, direction = ws.cell(r, 6).value, ws.cell(r, 8).value
        if dept == MISSING:
            assert (grade, direction) == (summary.NOT_SUBMITTED, None)
        else:
            assert grade == typed(cycle, dept, "中間評価", "ACT", current, "grade"), (current, dept)
            assert direction == typed(cycle, dept, "今後の方向性", "ACT", current, "direction"), (current, dept)
            assert ws.cell(r, 9).value == typed(cycle, dept, "今後の方向性", "ACT", current, "reason")
        assert (current, dept) not in checked
        checked.add((current, dept))
    assert checked == {(a.no, d) for a in master.actions.values() for d in a.departments}


def test_formula_text_is_stored_as_text(cycle: Cycle) -> None:
    for title in ("一覧表", cycle.master.indicators[1].measure_id):
        ws = cycle.wb[title]
        rows = [r for r in indicator_rows(ws, cycle.master, 5, 9) if (r.no, r.dept) == (1, "K01")]
        assert len(rows) == 1
        cell = ws.cell(rows[0].row, COL_CONTENT)
        assert cell.value == FORMULA_TEXT
        assert cell.data_type == "s"
    # nothing in the report is a live formula
    for ws in cycle.wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


# ---------------------------------------------------------------------------
# 概要


def _expected_counts(cycle: Cycle, sheet: str, field: str, columns: Tuple[str, ...]) -> Dict[str, Dict[str, int]]:
    """Counts per 基本施策, computed from what each department typed (MISSING: 未回答)."""
    counts = {m: {c: 0 for c in columns + (UNANSWERED,)} for m in cycle.master.measures}
    for action in cycle.master.actions.values():
        departments = [action.main] + [d for d in action.related if d != action.main]
        for dept in departments:
            value = UNANSWERED if dept not in cycle.plans else typed(cycle, dept, sheet, "ACT", action.no, field)
            counts[action.measure_id][value] += 1
    return counts


@pytest.mark.parametrize("title, sheet, field, columns", [
    ("中間評価（◎○△×）の集計", "中間評価", "grade", GRADES),
    ("今後の方向性の集計", "今後の方向性", "direction", DIRECTIONS),
])
def test_overview_counts_per_measure_and_policy(cycle: Cycle, title, sheet, field, columns) -> None:
    master = cycle.master
    expected = _expected_counts(cycle, sheet, field, columns)
    assert sum(c[UNANSWERED] for c in expected.values()) == len(master.actions_for(MISSING))
    policies, measures = count_table(cycle.wb["概要"], title, columns + (UNANSWERED,))
    assert [label for label, _ in measures] == [m.label for m in master.measures.values()]
    for (label, counts), measure in zip(measures, master.measures.values()):
        assert counts == expected[measure.id], label
    policy_ids = list(dict.fromkeys(m.policy_id for m in master.measures.values()))
    assert len(policies) == len(policy_ids)
    for (label, counts), policy_id in zip(policies, policy_ids):
        members = [m for m in master.measures.values() if m.policy_id == policy_id]
        assert members[0].policy in label
        total = {c: sum(expected[m.id][c] for m in members) for c in columns + (UNANSWERED,)}
        assert counts == total, label


def test_overview_submission_table(cycle: Cycle) -> None:
    ws = cycle.wb["概要"]
    top = find_row(ws, "提出状況")
    assert [ws.cell(top + 1, c).value for c in (1, 2, 3)] == ["課ID", "課名", "状況"]
    table = {}
    r = top + 2
    while ws.cell(r, 1).value:
        table[ws.cell(r, 1).value] = (ws.cell(r, 2).value, ws.cell(r, 3).value)
        r += 1
    master = cycle.master
    assert table == {d.id: (d.name, "未提出" if d.id == MISSING else "提出済") for d in master.respondents()}
    assert "未提出 1" in ws.cell(2, 1).value


def test_overview_charts(cycle: Cycle) -> None:
    charts = cycle.wb["概要"]._charts
    assert len(charts) >= 3

    def title(chart: Any) -> str:
        return "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))

    titles = [title(c) for c in charts]
    assert any("◎○△×" in t for t in titles), titles
    assert any("方向性" in t for t in titles), titles
    assert any("進捗率" in t for t in titles), titles


def test_achievement_of_one_indicator_by_hand(cycle: Cycle) -> None:
    master = cycle.master
    ind = master.indicators[3]  # 健康づくりの担い手の人数: 137 -> 201, answered by K03
    assert ind.type == "整数" and ind.respondents == ("K03",)
    assert (ind.baseline, ind.target) == ("137", "201")
    value = typed(cycle, "K03", "取組状況", "IND", 3, "value")
    by_hand = round((value - 137) / (201 - 137) * 100, 1)
    assert summary.achievement(ind.baseline, ind.target, str(value)) == pytest.approx(by_hand)
    ws = cycle.wb["概要"]
    top = find_row(ws, "数値指標の達成状況（現状値から目標値までの進み具合、％）")
    columns = [c for c in range(1, 10) if ws.cell(top + 1, c).value is not None]  # 回答課 spans C:D
    header = [ws.cell(top + 1, c).value for c in columns]
    assert header == ["No.", "指標", "回答課", "現状", "目標", "令和6年度", "進捗率(%)"]
    rows = {}
    r = top + 2
    while ws.cell(r, 1).value is not None:
        rows[(ws.cell(r, 1).value, ws.cell(r, 3).value)] = [unbroken(ws.cell(r, c).value) for c in columns]
        r += 1
    row = rows[(3, master.departments["K03"].name)]
    assert row[5] == text_of(value)
    assert row[6] == pytest.approx(by_hand)
    # a comma baseline (3,113 -> 3,500) and a 小数 value
    ten = master.indicators[10]
    value10 = typed(cycle, "K02", "取組状況", "IND", 10, "value")
    by_hand10 = round((float(value10) - 3113) / (3500 - 3113) * 100, 1)
    assert rows[(10, master.departments["K02"].name)][6] == pytest.approx(by_hand10)
    assert summary.achievement(ten.baseline, ten.target, value10) == pytest.approx(by_hand10)
    # only numeric indicators are listed; the missing department has no rate
    assert {no for no, _ in rows} == {i.no for i in master.indicators.values() if i.type in ("整数", "小数")}
    missing = rows[(14, master.departments[MISSING].name)]
    assert missing[5:] == [summary.NOT_SUBMITTED, "―"]


@pytest.mark.parametrize("baseline, target, value, expected", [
    ("30", "20", "25", 50.0),  # decreasing target, half way
    ("30", "20", "20", 100.0),
    ("30", "20", "35", -50.0),  # moved away from the target
    ("100", "50", "60", 80.0),
    ("0", "8", "6", 75.0),
    ("6,460", "10,000", "8,230", 50.0),
])
def test_achievement_numbers(baseline, target, value, expected) -> None:
    assert summary.achievement(baseline, target, value) == pytest.approx(expected)


@pytest.mark.parametrize("baseline, target, value", [
    ("1", "希望者すべて", "3"),
    ("男性17.87／女性20.64", "男性18.63／女性21.38", "男性18.02／女性21.10"),
    ("0", "8", "8（156人）"),
    ("0", "8", ""),
    ("0", "8", None),
    ("0", "8", "―"),
    (None, "8", "3"),
    ("5", "5", "5"),  # no distance to cover
])
def test_achievement_is_none_for_non_numeric(baseline, target, value) -> None:
    assert summary.achievement(baseline, target, value) is None


# ---------------------------------------------------------------------------
# print setup


def test_measure_sheets_print_setup(cycle: Cycle) -> None:
    """One A4 landscape page wide; the table's header repeats when the table runs past its
    first page (and only then: the ★その他 list on the next page is not headed by it)."""
    repeated = 0
    for measure, ws in measure_sheets(cycle):
        ps = ws.page_setup
        assert ps.orientation == "landscape", ws.title
        assert int(ps.paperSize) == int(ws.PAPERSIZE_A4) == 9
        assert int(ps.fitToWidth) == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        breaks = [b.id for b in ws.row_breaks.brk]
        last = max(r.row for r in indicator_rows(ws, cycle.master, MEASURE_HEADER_ROW + 1, 10))
        long_table = any(b < last for b in breaks)
        assert bool(ws.print_title_rows) == long_table, ws.title
        if long_table:
            assert ws.print_title_rows == "$5:$5", ws.title
            repeated += 1
    assert repeated  # the sample has 基本施策 whose table needs two pages


def test_print_layout_of_every_summary_sheet(cycle: Cycle) -> None:
    """A4, fit to pages wide at a scale that keeps 10 pt text at 8 pt or more; headings
    never end a page (the next row is on the same page); the charts list 基本施策 in the
    table's order (category axis reversed: bar charts draw bottom-up)."""
    from openpyxl.utils import get_column_letter

    from welfare_workbook.excel import LOCKED_FILL, MIN_PRINT_SCALE, plan_pages

    for ws in cycle.wb.worksheets:
        widths = [ws.column_dimensions[get_column_letter(c)].width for c in range(1, ws.max_column + 1)]
        assert int(ws.page_setup.paperSize) == 9 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert plan_pages(widths, margins=2 * summary_layout.SIDE_MARGIN).scale >= MIN_PRINT_SCALE, ws.title
        breaks = {b.id for b in ws.row_breaks.brk}
        for r in range(1, ws.max_row + 1):
            cell = ws.cell(r, 1)
            heading = fill_rgb(cell) == LOCKED_FILL and ws.cell(r, 2).value is None
            if heading and isinstance(cell.value, str):
                assert r not in breaks, (ws.title, r, cell.value)
    for chart in cycle.wb["概要"]._charts:
        assert chart.x_axis.scaling.orientation == "maxMin"


# ---------------------------------------------------------------------------
# indicators.csv


def _read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_indicators_csv(cycle: Cycle) -> None:
    master = cycle.master
    rows = _read_csv(cycle.out / summary.INDICATORS_FILE)
    assert list(rows[0]) == list(summary.INDICATOR_COLUMNS)
    keys = [(int(r["year"]), int(r["indicator_no"]), r["respondent_id"]) for r in rows]
    assert len(keys) == len(set(keys))
    expected: Dict[Tuple[int, int, str], Tuple[str, str]] = {}
    for no, dept in expected_pairs(master):
        for result in master.results:
            if result.indicator_no == no and result.department == dept and result.year < YEAR:
                expected[(result.year, no, dept)] = (result.value, "実績")
        answered = "" if dept == MISSING else text_of(typed(cycle, dept, "取組状況", "IND", no, "value"))
        expected[(YEAR, no, dept)] = (answered, "回答")
    assert set(keys) == set(expected)
    assert {k[0] for k in keys} == {2022, 2023, 2024}
    numeric_seen = 0
    for row, key in zip(rows, keys):
        ind = master.indicators[key[1]]
        text, source = expected[key]
        assert row["value_text"] == text, key
        assert row["source"] == source
        if key[0] == YEAR:
            assert row["status"] == ("未提出" if key[2] == MISSING else "提出済")
        if ind.type in ("文章", "複合"):
            assert row["value_numeric"] == "", key
            continue
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            assert row["value_numeric"] == "", key
        else:
            assert float(row["value_numeric"]) == pytest.approx(number), key
            numeric_seen += 1
    assert numeric_seen > 30
    # a comma in the raw text is kept in value_text, the number in value_numeric
    ten = [r for r in rows if (r["year"], r["indicator_no"]) == ("2022", "10")]
    assert [(r["value_text"], r["value_numeric"]) for r in ten] == [("4,194", "4194")]


# ---------------------------------------------------------------------------
# report command


def _values(ws: Any) -> List[Tuple[Any, ...]]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def test_report_rebuilds_an_equivalent_summary(cycle: Cycle, tmp_path: Path) -> None:
    other = tmp_path / "other"
    result = CliRunner().invoke(cli, ["report", *SAMPLE_MASTER_ARGS, "--answers", str(cycle.out / "answers.csv"), "--out", str(other)])
    assert result.exit_code == 0, result.output
    rebuilt = openpyxl.load_workbook(other / summary.SUMMARY_FILE)
    original = openpyxl.load_workbook(cycle.out / summary.SUMMARY_FILE)  # fresh: reading cells adds them
    assert rebuilt.sheetnames == original.sheetnames
    assert len(_values(original["一覧表"])) > 30
    for title in ("一覧表", "中間評価", "概要") + tuple(m.id for m in cycle.master.measures.values()):
        assert _values(rebuilt[title]) == _values(original[title]), title
    assert (other / summary.INDICATORS_FILE).read_bytes() == (cycle.out / summary.INDICATORS_FILE).read_bytes()


def test_report_missing_answers_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", *SAMPLE_MASTER_ARGS, "--answers", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "見つかりません" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content", [
    "a,b,c\n1,2,3\n",  # another CSV with rows
    "respondent_id,sheet,item_id\nK01,取組状況,1\n",  # columns missing
    "a,b,c\n",  # header only
    "",  # empty file
], ids=["other-csv", "missing-columns", "header-only", "empty"])
def test_report_wrong_columns_is_an_error_in_japanese(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "answers.csv"
    bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", *SAMPLE_MASTER_ARGS, "--answers", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", result.stderr)
    assert "answers.csv" in result.stderr
    assert not (tmp_path / "o" / summary.SUMMARY_FILE).exists()


# ---------------------------------------------------------------------------
# one declaration


def test_baseline_and_target_are_shown_as_the_survey_sheet_shows_them(sample_master: Master) -> None:
    """現状値 / 目標値 with their year are formatted in one place: a 目標年度 without a 目標値
    shows nothing in the workbook's row and in 集計表 alike (no lone '（令和8年度）')."""
    import dataclasses

    from welfare_workbook.answers import AnswerSet
    from welfare_workbook.contract import indicator_row

    first = sample_master.indicators[1]
    blank = dataclasses.replace(first, target="", target_year="令和8年度")
    master = dataclasses.replace(sample_master, indicators={**sample_master.indicators, 1: blank})
    dept = blank.respondents[0]
    context = indicator_row(master, blank, dept).context
    assert context["target"] == "" and context["baseline"] == blank.baseline_label
    assert indicator_row(sample_master, first, dept).context["target"] == f"{first.target}\n（{first.target_year}）"
    ws = summary.build_summary(master, AnswerSet())["一覧表"]
    row = find_row(ws, "1")
    assert ws.cell(row, COL_TARGET).value is None
    assert ws.cell(row, COL_BASE).value == context["baseline"]


def test_report_columns_follow_the_templates() -> None:
    from welfare_workbook.contract import year_labels

    labels = [c.label for c in summary.report_columns("indicators", year_labels(YEAR))]
    assert labels == ["No.", "実現に向けての主な目標", "回答課", "現状", "目標", "R5", "令和5年度具体的な取組内容", "R6",
                      "令和6年度具体的な取組内容", "めざす姿に向けた成果と課題"]
    assert [c.label for c in summary.report_columns("indicators", year_labels(YEAR)) if not c.in_list][0] \
        == "めざす姿に向けた成果と課題"
