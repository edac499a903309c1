"""集計表 概要: who returned (each state), the ◎○△× and 方向性 counts per 基本方針 and
基本施策 with charts, and the numeric indicators' achievement against their targets."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from .answers import NEEDS_FIX, SUBMITTED, AnswerSet
from .excel import (
    break_before_parenthesis,
)
from .master import Master, column_letter
from .normalize import NA_VALUE, plain_number
from .spec import ColumnSpec, SheetSpec, load_lists, load_specs
from .states import State
from .summary_columns import NOT_SUBMITTED, has_data

from .summary_layout import Pages, ReportWriter, fit_row, heading


def number(text: Any) -> Optional[float]:
    """A plain number in a cell ('6,460' -> 6460.0), else None (8（156人）, 希望者すべて …)."""
    if text in (None, "", NA_VALUE):
        return None
    return plain_number(str(text))


def achievement(baseline: Any, target: Any, value: Any) -> Optional[float]:
    """Progress from 現状 toward 目標, in percent (100 = target reached).

    >>> achievement("0", "8", "6")
    75.0
    >>> achievement("30", "20", "25")  # a target below the baseline
    50.0
    >>> achievement("希望者すべて", "8", "6") is None
    True
    """
    base, goal, now = number(baseline), number(target), number(value)
    if base is None or goal is None or now is None or goal == base:
        return None
    return round((now - base) / (goal - base) * 100, 1)


def choice_counts(master: Master, answers: AnswerSet, status: Dict[str, str], sheet: str, name: str,
                  list_key: str) -> Dict[str, Dict[str, int]]:
    """Counts of each choice (and 未回答) per 基本施策 over every 取組 × 担当課 asked."""
    values = load_lists()[list_key].values
    counts: Dict[str, Dict[str, int]] = {}
    for action in master.actions.values():
        bucket = counts.setdefault(action.measure_id, {v: 0 for v in values + ("未回答",)})
        for dept in action.departments:
            if dept not in status:
                continue
            answer = answers.get(dept, sheet, action.no, name)
            bucket[answer if answer in values else "未回答"] += 1
    return counts


OVERVIEW_WIDTHS = [10, 36] + [8] * 6  # 区分/No., 基本施策/指標, then counts (回答課 spans two)


CHART_ROW = 15.0  # pt: the rows a chart is drawn over (its height in rows is counted in these)


CHART_MAX_CM = 16.0  # a chart fits on one A4 landscape page


CHART_WIDTH_CM = 17.0  # from column A, inside the printed width of OVERVIEW_WIDTHS (about 18 cm)


def _chart_rows(ws: Any, first: int, height_cm: float) -> int:
    """Give the rows under a chart a known height; the last row it covers."""
    count = int(height_cm / 2.54 * 72 / CHART_ROW) + 2
    for row in range(first, first + count):
        ws.row_dimensions[row].height = CHART_ROW
    return first + count - 1


def _count_table(ws: Any, w: ReportWriter, master: Master, row: int, title: str, counts: Dict[str, Dict[str, int]],
                 columns: Sequence[str], pages: Pages) -> int:
    """A count table on a page of its own and its chart on the next; the last row used."""
    w.cell(ws, row, 1, title, border=False, bold=True)
    pages.new_page.append(row)
    pages.headings.append(row)
    row += 1
    widths = [10, 36] + [8] * len(columns)
    w.header(ws, row, ["区分", "基本方針・基本施策", *columns], widths)
    header_row = row
    # per 基本方針 totals, then each 基本施策
    policies: Dict[str, Dict[str, int]] = {}
    for measure in master.measures.values():
        bucket = policies.setdefault(measure.policy_id, {c: 0 for c in columns})
        for c in columns:
            bucket[c] += counts.get(measure.id, {}).get(c, 0)
    for policy_id, bucket in policies.items():
        row += 1
        policy = next(m.policy for m in master.measures.values() if m.policy_id == policy_id)
        label = policy if policy_id.startswith("重点") else f"{policy_id} {policy}"
        w.cell(ws, row, 1, "基本方針", center=True, fill=w.section_fill)
        w.cell(ws, row, 2, label, fill=w.section_fill)
        for index, c in enumerate(columns, start=3):
            w.cell(ws, row, index, bucket[c], center=True, fill=w.section_fill)
        fit_row(ws, row, [(label, widths[1])])
    first_measure = row + 1
    for measure in master.measures.values():
        row += 1
        w.cell(ws, row, 1, "基本施策", center=True)
        w.cell(ws, row, 2, measure.label)
        for index, c in enumerate(columns, start=3):
            w.cell(ws, row, index, counts.get(measure.id, {}).get(c, 0), center=True)
        fit_row(ws, row, [(measure.label, widths[1])])
    # the chart reads the 基本施策 rows; its series names come from the header row
    pages.new_page.append(row + 1)  # the chart prints on a page of its own
    height_cm = _bar_chart_rows(ws, title, header_row, first_measure, row, len(columns), f"A{row + 2}")
    return _chart_rows(ws, row + 1, height_cm + 0.5)


def _show_axes(chart: Any) -> None:
    """Axes visible in Excel too (openpyxl leaves them marked deleted), every category labelled.

    A bar chart draws its first category at the bottom; the category axis is reversed
    so the bars read top-down in the table's order, and the value axis crosses it at its
    last category, which keeps the numbers under the bars."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.tickLblSkip = 1
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.crosses = "max"


def _bar_chart_rows(ws: Any, title: str, header_row: int, first: int, last: int, ncols: int, anchor: str) -> float:
    """A stacked bar chart of the count rows; returns its height in cm."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.series import SeriesLabel

    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.grouping = "stacked"
    chart.overlap = 100
    for index in range(ncols):
        col = 3 + index
        values = Reference(ws, min_col=col, min_row=first, max_row=last)
        chart.add_data(values, titles_from_data=False)
        chart.series[-1].tx = SeriesLabel(v=str(ws.cell(header_row, col).value))
    chart.set_categories(Reference(ws, min_col=2, min_row=first, max_row=last))
    chart.y_axis.title = "件数"
    _show_axes(chart)
    chart.height = min(CHART_MAX_CM, max(7.5, 0.8 * (last - first + 1) + 3))
    chart.width = CHART_WIDTH_CM
    ws.add_chart(chart, anchor)
    return float(chart.height)


# roster words needing nothing more from a department (the rest are shown in red)
DONE = (str(SUBMITTED), State.AWAITING_REVIEW, State.ACCEPTED)


# the order counts are given in: collect's roster words, then a survey folder's states
STATE_ORDER = (str(SUBMITTED), State.AWAITING_REVIEW, State.ACCEPTED, State.NEEDS_FIX, State.SENT_BACK,
               State.WRONG_FORMAT, State.NOT_SUBMITTED)


def _state_counts(status: Dict[str, str]) -> str:
    """提出済 9・要修正 1・未提出 1 (every word of collect's roster; of a folder's states, those present).

    >>> _state_counts({"K01": "提出済", "K02": "未提出"})
    '提出済 1・要修正 0・未提出 1'
    >>> _state_counts({"K01": "確認済", "K02": "形式違い"})
    '確認済 1・形式違い 1'
    """
    words = [str(v) for v in status.values()]
    plain = set(words) <= {str(SUBMITTED), str(NEEDS_FIX), NOT_SUBMITTED}
    shown = [w for w in STATE_ORDER if (plain and w in (str(SUBMITTED), str(NEEDS_FIX), NOT_SUBMITTED)) or
             (not plain and w in words)]
    shown += sorted(set(words) - set(STATE_ORDER))
    return "・".join(f"{w} {words.count(w)}" for w in shown)


def overview_sheet(wb: Any, w: ReportWriter, master: Master, answers: AnswerSet, status: Dict[str, str],
                    with_achievement: bool = True) -> None:
    ws = wb.active
    ws.title = "概要"
    s = master.settings
    pages = Pages(OVERVIEW_WIDTHS)
    # the survey's name on a line of its own, so a long plan name does not wrap a year apart
    heading(ws, w, 1, f"{s.plan_name}\n{s.survey_name}　集計表", OVERVIEW_WIDTHS, title=True)
    heading(ws, w, 2, f"回答課 {len(status)} 課：{_state_counts(status)}", OVERVIEW_WIDTHS, bold=True)
    row = 4
    w.cell(ws, row, 1, "提出状況", border=False, bold=True)
    pages.headings.append(row)
    row += 1
    w.header(ws, row, ["課ID", "課名", "状況"], [10, 36, 10])
    pages.headings.append(row)
    for dept_id, state in status.items():
        row += 1
        name = master.departments[dept_id].name
        w.cell(ws, row, 1, dept_id, center=True)
        w.cell(ws, row, 2, name)
        cell = w.cell(ws, row, 3, state, center=True)
        if state not in DONE:
            cell.font = w.red
        fit_row(ws, row, [(dept_id, 10), (name, 36)])
    row += 2
    # a count table for each choice column the templates ask counts of (◎○△×, 方向性)
    for spec, column in _counted_columns(master):
        choices = load_lists()[column.choices or ""].values + ("未回答",)
        tallies = choice_counts(master, answers, status, spec.name, column.id, column.choices or "")
        title = column.summary.count if column.summary and column.summary.count else ""
        row = _count_table(ws, w, master, row, title, tallies, choices, pages) + 1
    if value_field(master) is not None and master.indicators and with_achievement:
        row = _achievement_table(ws, w, master, answers, status, row, pages)
    for index, width in enumerate(OVERVIEW_WIDTHS, start=1):
        ws.column_dimensions[column_letter(index)].width = width
    pages.finish(ws, last_row=row)


def enabled_specs(master: Master) -> List[SheetSpec]:
    """Sheet specs of the survey sheets this master asks for (その他の取組 with 取組状況)."""
    enabled = set(master.settings.sheets)
    return [spec for spec in load_specs().values()
            if spec.name in enabled or (spec.items == "other_actions" and "取組状況" in enabled)]


def _counted_columns(master: Master) -> List[Tuple[SheetSpec, ColumnSpec]]:
    return [(spec, column) for spec in enabled_specs(master) if spec.items == "actions"
            for column in spec.input_columns if column.summary and column.summary.count and column.choices]


def value_field(master: Master) -> Optional[Tuple[str, str]]:
    """(sheet, field) of this year's indicator value (the template column with ``role: value``),
    or None when the survey does not ask for indicator values."""
    for spec in enabled_specs(master):
        column = spec.role("value") if spec.items == "indicators" else None
        if column is not None:
            return spec.name, column.id
    return None


def achievement_rows(master: Master, answers: AnswerSet, status: Dict[str, str]) -> List[List[Any]]:
    """[No, 指標名, 回答課, 現状, 目標, 今年度, 進捗率 or '―'] for every numeric indicator × 回答課."""
    found = value_field(master)
    if found is None:
        return []
    sheet, name = found
    rows = []
    for ind in sorted(master.indicators.values(), key=lambda i: i.no):
        if not ind.numeric:
            continue
        for dept in ind.respondents:
            submitted = has_data(status.get(dept, NOT_SUBMITTED))
            value = answers.get(dept, sheet, ind.no, name) if submitted else NOT_SUBMITTED
            rate = achievement(ind.baseline, ind.target, value)
            rows.append([ind.no, ind.name, master.departments[dept].name, ind.baseline, ind.target, value,
                         rate if rate is not None else "―"])
    return rows


def _achievement_table(ws: Any, w: ReportWriter, master: Master, answers: AnswerSet, status: Dict[str, str],
                       row: int, pages: Pages) -> int:
    """The achievement table from a new page (回答課 spans columns C:D), its chart on the
    page after; the last row used."""
    w.cell(ws, row, 1, "数値指標の達成状況（現状値から目標値までの進み具合、％）", border=False, bold=True)
    pages.new_page.append(row)
    pages.headings += [row, row + 1]
    row += 1
    labels = ["No.", "指標", "回答課", "", "現状", "目標", master.settings.fiscal_year_label, "進捗率(%)"]
    for index, label in enumerate(labels, start=1):
        w.cell(ws, row, index, label or None, bold=True, center=True, fill=w.head_fill)
    ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
    fit_row(ws, row, list(zip(labels, OVERVIEW_WIDTHS)))
    header = row
    widths = OVERVIEW_WIDTHS[:2] + [OVERVIEW_WIDTHS[2] + OVERVIEW_WIDTHS[3]] + OVERVIEW_WIDTHS[4:]
    for values in achievement_rows(master, answers, status):
        row += 1
        # the narrow value columns break before a parenthesis rather than inside it
        shown = [break_before_parenthesis(v, width) if isinstance(v, str) and index > 2 else v
                 for index, (v, width) in enumerate(zip(values, widths), start=1)]
        for index, value in zip((1, 2, 3, 5, 6, 7, 8), shown):
            cell = w.cell(ws, row, index, value, center=index != 2)
            if value == NOT_SUBMITTED:
                cell.font = w.red
        w.cell(ws, row, 4, None)  # the merged cell's right half keeps the border
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
        fit_row(ws, row, [(str(v), width) for v, width in zip(shown, widths)])
    if row > header:
        from openpyxl.chart import BarChart, Reference

        chart = BarChart()
        chart.type = "bar"
        chart.title = "数値指標の進捗率(%)"
        chart.add_data(Reference(ws, min_col=8, min_row=header, max_row=row), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=row))
        chart.height = min(CHART_MAX_CM, max(7.5, 0.5 * (row - header) + 3))
        chart.width = CHART_WIDTH_CM
        chart.legend = None
        _show_axes(chart)
        pages.new_page.append(row + 1)
        ws.add_chart(chart, f"A{row + 2}")
        row = _chart_rows(ws, row + 1, chart.height + 0.5)
    return row
