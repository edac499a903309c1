"""集計表.xlsx — the consolidated report for the council — and indicators.csv.

Everything is built from the master (headings, order, baselines, last year's values)
and the answers (this year's values), so the copy-paste mistakes of a hand-made
hand-out (a heading above the wrong indicator, a baseline that differs between two
tables) cannot happen: each fact is written from one place.

Sheets: 概要 (returns, ◎○△× and 方向性 counts with charts, achievement), 一覧表
(seed 001: one table of all indicators), one sheet per 基本施策 (seed 000), and
中間評価 (seed 004) when the survey asks for it.

The columns of the tables are laid out from the templates (each column's
``summary:``: heading, order, width, alignment, merged or not, which answers share a
cell), and the locked texts are the ones the survey sheets show (the contract's item
rows), so a column renamed or added in a template arrives here without code changes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .answers import NEEDS_FIX, SUBMITTED, AnswerSet, csv_bytes, write_csv_values
from .contract import ItemRow, action_row, indicator_row, year_labels
from .excel import (
    A4_POINTS, HEADER_FILL, LINE_POINTS, LOCKED_FILL, POINTS_PER_INCH, StyleCache, apply_page_plan, atomic_write,
    break_before_parenthesis, estimate_lines, keep_row_breaks, plan_pages, put, row_height, safe_filename,
)
from .master import Action, Master, circled, column_letter
from .normalize import NA_VALUE, plain_number
from .spec import ColumnSpec, SheetSpec, load_lists, load_specs
from .summary_columns import NOT_SUBMITTED, ReportColumn, cell_text, has_data, report_columns, respondent_text

SUMMARY_FILE = "集計表.xlsx"
INDICATORS_FILE = "indicators.csv"
INDICATOR_COLUMNS = ("year", "indicator_no", "indicator", "measure_id", "measure", "respondent_id", "respondent",
                     "value_numeric", "value_text", "unit", "type", "source", "status")


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


def statuses(master: Master, answers: AnswerSet, roster: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """提出済 / 要修正 / 未提出 for every respondent (from collect's roster when given)."""
    if roster is not None:
        return {d.id: roster.get(d.id, NOT_SUBMITTED) for d in master.respondents()}
    return {d.id: answers.status.get(d.id, NOT_SUBMITTED) for d in master.respondents()}


# ---------------------------------------------------------------------------
# writing helpers


class _Writer(StyleCache):
    """Shared styles and cell writing for the report sheets."""

    def __init__(self) -> None:
        super().__init__()
        from openpyxl.styles import Alignment, PatternFill

        self.center = self.wrap_center
        self.plain = Alignment(vertical="top")
        self.head_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.section_fill = PatternFill("solid", fgColor=LOCKED_FILL)

    def cell(self, ws: Any, row: int, col: int, value: Any, *, bold: bool = False, border: bool = True,
             center: bool = False, fill: Any = None, wrap: Optional[bool] = None) -> Any:
        """A report cell; text outside tables (border=False) overflows instead of wrapping."""
        cell = put(ws, row, col, value if value != "" else None)
        if wrap is None:
            wrap = border
        attributes: Dict[str, Any] = {
            "font": self.bold if bold else self.font,
            "alignment": (self.center if center else self.wrap) if wrap else self.plain,
        }
        if border:
            attributes["border"] = self.border
        if fill is not None:
            attributes["fill"] = fill
        self.apply(cell, (bold, border, center, wrap, id(fill)), **attributes)
        return cell

    def header(self, ws: Any, row: int, labels: Sequence[str], widths: Sequence[float]) -> None:
        for index, (label, width) in enumerate(zip(labels, widths), start=1):
            self.cell(ws, row, index, label, bold=True, center=True, fill=self.head_fill)
            ws.column_dimensions[column_letter(index)].width = width
        lines = max((estimate_lines(label, width) for label, width in zip(labels, widths)), default=1)
        ws.row_dimensions[row].height = max(30.0, row_height(lines))


# margins in inches: narrow at the sides so the seed-style tables keep 8 pt text on one page wide
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 0.3, 0.6, 0.6
DEFAULT_ROW = 15.0  # a row written without a height (openpyxl's default)
TITLE_SIZE = 14 / 10  # the 14 pt titles against 10 pt text


@dataclass
class _Pages:
    """What a sheet's print layout needs to know: the table's column widths, its title
    rows, the rows that must stay on one page (an item's rows: merged blocks), the
    headings that must not end a page apart from what follows, rows that start a page."""

    widths: Sequence[float]
    title_rows: Tuple[int, int] = (0, 0)
    groups: List[Tuple[int, int]] = field(default_factory=list)
    headings: List[int] = field(default_factory=list)
    new_page: List[int] = field(default_factory=list)
    heads: Dict[int, float] = field(default_factory=dict)  # first row of a merged block -> its text's height
    table_end: int = 0  # the last row of the table the title rows head

    def finish(self, ws: Any, *, titles_only_if_long: bool = False, last_row: int = 0) -> None:
        """A4, fit to the pages wide the widths need; manual row breaks that keep headings
        with their rows and items whole; the print area; page numbers."""
        plan = plan_pages(self.widths, margins=2 * SIDE_MARGIN, title_columns=2)
        ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
        ws.page_margins.top, ws.page_margins.bottom = TOP_MARGIN, BOTTOM_MARGIN
        ws.page_margins.header = ws.page_margins.footer = 0.3
        ws.print_options.horizontalCentered = True
        last_row = max(ws.max_row, last_row, 1)  # a chart's rows hold no cell
        # rows are printed at the scale; Excel, with narrower columns than estimated, may
        # print up to 7 % larger: plan the page lengths for that
        scale = min(1.0, plan.scale * 1.07)
        page = (A4_POINTS[plan.orientation][1] - (TOP_MARGIN + BOTTOM_MARGIN) * POINTS_PER_INCH) * 0.97 / scale
        heights = [ws.row_dimensions[r].height or DEFAULT_ROW for r in range(1, last_row + 1)]
        first, last = self.title_rows
        title_height = sum(heights[first - 1:last]) if first else 0.0
        breaks = keep_row_breaks(heights, page_height=page, title_height=title_height, groups=self.groups,
                                 keep_with_next=self.headings, new_page=self.new_page, heads=self.heads)
        table_end = self.table_end or max((end for _, end in self.groups), default=0)
        one_page = not any(b < table_end for b in breaks) and sum(heights[:table_end]) <= page
        rows = f"{first}:{last}" if first and not (titles_only_if_long and one_page) else ""
        apply_page_plan(ws, plan, title_rows=rows)
        from openpyxl.worksheet.pagebreak import Break

        for at in breaks:
            ws.row_breaks.append(Break(id=at))
        _split_merged(ws, self.groups, breaks)
        ws.print_area = f"A1:{column_letter(len(self.widths))}{last_row}"
        ws.oddFooter.center.text = "&P / &N"


CONTINUED = "（続き）"


def _split_merged(ws: Any, groups: Sequence[Tuple[int, int]], breaks: Sequence[int]) -> None:
    """An item longer than a page is cut where the page ends: its merged cells (No., name)
    are merged again page by page, and the part on the next page shows the No. and the
    name's first line marked （続き）, so no page starts with rows of an unnamed item."""
    import copy

    for first, last in groups:
        cuts = [b for b in breaks if first <= b < last]
        if not cuts:
            continue
        spans = [r for r in ws.merged_cells.ranges if r.min_row == first and r.max_row == last]
        parts = list(zip([first] + [b + 1 for b in cuts], cuts + [last]))
        for merged in spans:
            col = merged.min_col
            top = ws.cell(first, col)
            value, style = top.value, copy.copy(top._style)
            ws.unmerge_cells(merged.coord)
            for start, end in parts:
                if start > first and value is not None:
                    text = str(value)
                    shown = text if col == 1 else text.split("\n")[0] + "\n" + CONTINUED
                    put(ws, start, col, shown)._style = copy.copy(style)
                elif start > first:
                    ws.cell(start, col)._style = copy.copy(style)
                if end > start:
                    ws.merge_cells(start_row=start, start_column=col, end_row=end, end_column=col)


def _row_height(ws: Any, row: int, texts: Sequence[Tuple[str, float]]) -> None:
    lines = max((estimate_lines(text, width) for text, width in texts), default=1)
    ws.row_dimensions[row].height = row_height(lines)


MERGE_AT_MOST = 10  # rows of one item merged into one block


NARROW = 16  # a column this narrow breaks before a parenthesis rather than inside it


def _shown(column: ReportColumn, value: str) -> str:
    """A narrow cell's text (値, 現状, 回答課) with a line break before a parenthesis that
    would not fit on its line: 8（156人） / 福祉政策課（主） never leave a lone '）'."""
    return break_before_parenthesis(value, column.width) if value and column.width <= NARROW else value


def _item_rows(ws: Any, w: _Writer, columns: Sequence[ReportColumn], master: Master, answers: AnswerSet,
               status: Dict[str, str], row: int, rows: Sequence[Tuple[str, ItemRow]], pages: "_Pages",
               main: str = "") -> int:
    """Write one item (an indicator or a 取組) as one row per respondent, kept on one page
    when it fits; the next free row."""
    first = row
    # one item, a few respondents: its own columns span their rows, as the seeds print
    # them; with many (a prefecture-wide survey) each row repeats them instead
    merged = 1 < len(rows) <= MERGE_AT_MOST
    merged_height = 0.0
    for dept, item in rows:
        state = status.get(dept, NOT_SUBMITTED)
        values = [_shown(c, respondent_text(master, dept, state, main=dept == main, not_submitted=c.not_submitted)
                         if c.respondent else cell_text(c, item, answers, dept, has_data(state)))
                  for c in columns]
        for col, (column, value) in enumerate(zip(columns, values), start=1):
            cell = w.cell(ws, row, col, value, center=column.center)
            if value == NOT_SUBMITTED:
                cell.font = w.red
        _row_height(ws, row, [(value, column.width) for value, column in zip(values, columns)
                              if not (merged and column.merge)])
        if merged and row == first:  # the block's shared text: its rows together must hold it
            merged_height = max(row_height(estimate_lines(value, column.width))
                                for value, column in zip(values, columns) if column.merge)
        row += 1
    if merged:
        for col, column in enumerate(columns, start=1):
            if column.merge:
                ws.merge_cells(start_row=first, start_column=col, end_row=row - 1, end_column=col)
        short = merged_height - sum(ws.row_dimensions[r].height for r in range(first, row))
        if short > 0:
            ws.row_dimensions[row - 1].height = min(409.0, ws.row_dimensions[row - 1].height + short)
        pages.heads[first] = merged_height
    pages.groups.append((first, row - 1))
    return row


# ---------------------------------------------------------------------------
# sheets


def _indicator_rows(ws: Any, w: _Writer, columns: Sequence[ReportColumn], master: Master, answers: AnswerSet,
                    status: Dict[str, str], row: int, measure_id: str, pages: _Pages) -> int:
    """Write the indicator rows of one 基本施策; two 回答課 are shown one under the other,
    and kept on one page."""
    for ind in sorted((i for i in master.indicators.values() if i.measure_id == measure_id), key=lambda i: i.no):
        rows = [(dept, indicator_row(master, ind, dept)) for dept in ind.respondents]
        row = _item_rows(ws, w, columns, master, answers, status, row, rows, pages)
    return row


def _measure_actions(master: Master, measure_id: str) -> List[Action]:
    return sorted((a for a in master.actions.values() if a.measure_id == measure_id), key=lambda a: a.no)


def _heading(ws: Any, w: _Writer, row: int, text: str, widths: Sequence[float], *, title: bool = False,
             bold: bool = False) -> None:
    """A line of text above a table, across its width, as tall as it wraps to."""
    cell = w.cell(ws, row, 1, text, border=False, bold=bold, wrap=True)
    if title:
        cell.font = w.title
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
    ws.row_dimensions[row].height = row_height(
        estimate_lines(text, sum(widths) / (TITLE_SIZE if title else 1)), 19 if title else LINE_POINTS)


def _measure_sheet(wb: Any, w: _Writer, master: Master, answers: AnswerSet, status: Dict[str, str],
                   measure: Any, columns: Sequence[ReportColumn]) -> None:
    """One page per 基本施策, laid out as the progress report (seed 000)."""
    ws = wb.create_sheet(safe_filename(measure.id, 31).replace("[", "(").replace("]", ")"))
    widths = [c.width for c in columns]
    ncols = max(len(columns), 4)  # the その他取組 list below spans columns 1-2, 3 and 4…
    pages = _Pages(widths, title_rows=(5, 5))
    policy = measure.policy if measure.policy_id.startswith("重点") else f"{measure.policy_id} {measure.policy}"
    _heading(ws, w, 1, policy, widths)
    _heading(ws, w, 2, measure.label, widths, title=True)
    _heading(ws, w, 3, f"★めざす姿　⇒　{measure.vision}" if measure.vision else "★めざす姿", widths, bold=True)
    w.header(ws, 5, [c.label for c in columns], widths)
    row = _indicator_rows(ws, w, columns, master, answers, status, 6, measure.id, pages)
    pages.table_end = row - 1
    if row == 6:
        w.cell(ws, row, 1, "（この基本施策に指標はありません）", border=False)
        row += 1
    actions = _measure_actions(master, measure.id)
    row = _actions_list(ws, w, actions, row + 1, ncols, widths, pages)
    _other_actions(ws, w, master, answers, status, actions, row + 2, ncols, widths, pages)
    # the table's header repeats only when the table itself runs onto a second page
    pages.finish(ws, titles_only_if_long=True)


def _actions_list(ws: Any, w: _Writer, actions: Sequence[Action], row: int, ncols: int, widths: Sequence[float],
                  pages: _Pages) -> int:
    """★実現に向けて: the measure's actions, numbered ①②…; the last row written."""
    w.cell(ws, row, 1, "★実現に向けて", border=False, bold=True)
    pages.headings.append(row)
    first = row
    for action in actions:
        row += 1
        w.cell(ws, row, 1, circled(action.no), border=False, center=True)
        w.cell(ws, row, 2, action.content, border=False, wrap=True)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=ncols)
        _row_height(ws, row, [(action.content, sum(widths[1:]))])
    if row > first:
        pages.groups.append((first + 1, row))  # the list stays with its heading when it fits a page
    return row


def _other_actions(ws: Any, w: _Writer, master: Master, answers: AnswerSet, status: Dict[str, str],
                   actions: Sequence[Action], row: int, ncols: int, widths: Sequence[float], pages: _Pages) -> None:
    """★主な担当課におけるその他取組の状況: per 担当課, its actions and what it answered on
    その他の取組 (the columns that sheet's template declares for 集計表)."""
    columns = report_columns("other_actions", year_labels(master.settings.fiscal_year))
    w.cell(ws, row, 1, "★主な担当課におけるその他取組の状況", border=False, bold=True)
    pages.headings += [row, row + 1]  # the heading, the table's header and its first row go together
    row += 1
    body_label = "・".join(c.label for c in columns if not c.respondent)
    for col, label in ((1, "担当課等"), (3, "取組"), (4, body_label)):
        w.cell(ws, row, col, label, bold=True, center=True, fill=w.head_fill)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=ncols)
    _row_height(ws, row, [(body_label, sum(widths[3:]))])
    departments: Dict[str, List[Action]] = {}
    for action in actions:
        for dept in action.departments:
            departments.setdefault(dept, []).append(action)
    order = {dept: index for index, dept in enumerate(master.departments)}
    for dept, mine in sorted(departments.items(), key=lambda kv: order[kv[0]]):
        row += 1
        texts = [cell_text(c, action_row(master, action, dept), answers, dept, True)
                 for action in mine for c in columns if not c.respondent]
        label = respondent_text(master, dept, status.get(dept, NOT_SUBMITTED))
        numbers = "".join(circled(a.no) for a in mine)
        w.cell(ws, row, 1, label)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        w.cell(ws, row, 3, numbers, center=True)
        body = "\n\n".join(t for t in texts if t)
        w.cell(ws, row, 4, body)
        ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=ncols)
        _row_height(ws, row, [(body, sum(widths[3:])), (label, sum(widths[:2])), (numbers, widths[2])])


def _table_sheet(wb: Any, w: _Writer, master: Master, answers: AnswerSet, status: Dict[str, str],
                 columns: Sequence[ReportColumn]) -> None:
    """All indicators in one table (seed 001), with headings taken from the master."""
    ws = wb.create_sheet("一覧表")
    s = master.settings
    listed = [c for c in columns if c.in_list]
    widths = [c.width for c in listed]
    pages = _Pages(widths, title_rows=(4, 4))
    _heading(ws, w, 1, f"{s.plan_name}", widths, bold=True)
    _heading(ws, w, 2, f"{s.fiscal_year_label}実績及び具体的な取組内容", widths, title=True)
    w.header(ws, 4, [c.label for c in listed], widths)
    row = 5
    for measure in master.measures.values():
        if not any(i.measure_id == measure.id for i in master.indicators.values()):
            continue
        w.cell(ws, row, 1, measure.label, bold=True, fill=w.section_fill)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(listed))
        _row_height(ws, row, [(measure.label, sum(widths))])
        pages.headings.append(row)
        row = _indicator_rows(ws, w, listed, master, answers, status, row + 1, measure.id, pages)
    pages.finish(ws)
    ws.freeze_panes = "A5"


def _evaluation_sheet(wb: Any, w: _Writer, master: Master, answers: AnswerSet, status: Dict[str, str]) -> None:
    """取組 × 担当課 with evaluation and direction (seed 004): the columns the 取組 sheets'
    templates declare (中間評価 and 今後の方向性), under a heading per 基本施策."""
    names = [spec.name for spec in load_specs().values() if spec.items == "actions"]
    columns = report_columns("actions", year_labels(master.settings.fiscal_year))
    widths = [c.width for c in columns]
    ws = wb.create_sheet(names[0])
    pages = _Pages(widths, title_rows=(3, 3))
    _heading(ws, w, 1, f"{master.settings.plan_name}　{'・'.join(names)}", widths, title=True)
    w.header(ws, 3, [c.label for c in columns], widths)
    row = 4
    for measure in master.measures.values():
        actions = _measure_actions(master, measure.id)
        if not actions:
            continue
        heading = measure.label if measure.policy_id.startswith("重点") else f"{measure.policy}　{measure.label}"
        w.cell(ws, row, 1, heading, bold=True, fill=w.section_fill)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(columns))
        _row_height(ws, row, [(heading, sum(widths))])
        pages.headings.append(row)
        row += 1
        for action in actions:
            rows = [(dept, action_row(master, action, dept)) for dept in action.departments]
            row = _item_rows(ws, w, columns, master, answers, status, row, rows, pages, main=action.main)
    pages.finish(ws)
    ws.freeze_panes = "A4"


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


def _count_table(ws: Any, w: _Writer, master: Master, row: int, title: str, counts: Dict[str, Dict[str, int]],
                 columns: Sequence[str], pages: _Pages) -> int:
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
        _row_height(ws, row, [(label, widths[1])])
    first_measure = row + 1
    for measure in master.measures.values():
        row += 1
        w.cell(ws, row, 1, "基本施策", center=True)
        w.cell(ws, row, 2, measure.label)
        for index, c in enumerate(columns, start=3):
            w.cell(ws, row, index, counts.get(measure.id, {}).get(c, 0), center=True)
        _row_height(ws, row, [(measure.label, widths[1])])
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
DONE = (str(SUBMITTED), "確認待ち", "確認済")
# the order counts are given in: collect's roster words, then a survey folder's states
STATE_ORDER = ("提出済", "確認待ち", "確認済", "要修正", "差戻し中", "形式違い", "未提出")


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


def _overview_sheet(wb: Any, w: _Writer, master: Master, answers: AnswerSet, status: Dict[str, str],
                    with_achievement: bool = True) -> None:
    ws = wb.active
    ws.title = "概要"
    s = master.settings
    pages = _Pages(OVERVIEW_WIDTHS)
    # the survey's name on a line of its own, so a long plan name does not wrap a year apart
    _heading(ws, w, 1, f"{s.plan_name}\n{s.survey_name}　集計表", OVERVIEW_WIDTHS, title=True)
    _heading(ws, w, 2, f"回答課 {len(status)} 課：{_state_counts(status)}", OVERVIEW_WIDTHS, bold=True)
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
        _row_height(ws, row, [(dept_id, 10), (name, 36)])
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


def _enabled_specs(master: Master) -> List[SheetSpec]:
    """Sheet specs of the survey sheets this master asks for (その他の取組 with 取組状況)."""
    enabled = set(master.settings.sheets)
    return [spec for spec in load_specs().values()
            if spec.name in enabled or (spec.items == "other_actions" and "取組状況" in enabled)]


def _counted_columns(master: Master) -> List[Tuple[SheetSpec, ColumnSpec]]:
    return [(spec, column) for spec in _enabled_specs(master) if spec.items == "actions"
            for column in spec.input_columns if column.summary and column.summary.count and column.choices]


def value_field(master: Master) -> Optional[Tuple[str, str]]:
    """(sheet, field) of this year's indicator value (the template column with ``role: value``),
    or None when the survey does not ask for indicator values."""
    for spec in _enabled_specs(master):
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


def _achievement_table(ws: Any, w: _Writer, master: Master, answers: AnswerSet, status: Dict[str, str],
                       row: int, pages: _Pages) -> int:
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
    _row_height(ws, row, list(zip(labels, OVERVIEW_WIDTHS)))
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
        _row_height(ws, row, [(str(v), width) for v, width in zip(shown, widths)])
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


DETAIL_ROWS_LIMIT = 5000  # above this many indicator or 取組 rows, detail lives in the CSV files


def detail_rows(master: Master) -> Tuple[int, int]:
    """(indicator × 回答課 rows, 取組 × 担当課 rows) the detail sheets would hold."""
    return (sum(len(i.respondents) for i in master.indicators.values()),
            sum(len(a.departments) for a in master.actions.values()))


def build_summary(master: Master, answers: AnswerSet, roster: Optional[Dict[str, str]] = None) -> Any:
    """The 集計表 workbook (pure: nothing is written).

    A city's survey (tens of departments) gets every sheet. A survey of thousands of
    respondents would print thousands of pages, so past DETAIL_ROWS_LIMIT rows the
    detail sheets are left out and 概要 says to use answers.csv / indicators.csv.
    """
    from openpyxl import Workbook

    status = statuses(master, answers, roster)
    w = _Writer()
    wb = Workbook()
    indicator_count, action_count = detail_rows(master)
    kinds = {spec.items for spec in _enabled_specs(master)}
    small = indicator_count <= DETAIL_ROWS_LIMIT
    _overview_sheet(wb, w, master, answers, status, with_achievement=small)
    if "indicators" in kinds and master.indicators and small:
        columns = report_columns("indicators", year_labels(master.settings.fiscal_year))
        _table_sheet(wb, w, master, answers, status, columns)
        for measure in master.measures.values():
            _measure_sheet(wb, w, master, answers, status, measure, columns)
    if "actions" in kinds and action_count <= DETAIL_ROWS_LIMIT:
        _evaluation_sheet(wb, w, master, answers, status)
    if not small or action_count > DETAIL_ROWS_LIMIT:
        ws = wb["概要"]
        w.cell(ws, 3, 1, f"回答が多いため（指標 {indicator_count} 行・取組 {action_count} 行）、"
                         "一覧表と基本施策ごとのシートは省きました。値は answers.csv と indicators.csv を使ってください。",
               border=False, bold=True).font = w.red
    wb.properties.title = f"{master.settings.survey_name} 集計表"
    wb.properties.creator = "welfare_workbook"
    return wb


def indicator_rows(master: Master, answers: AnswerSet, status: Dict[str, str]) -> List[Dict[str, Any]]:
    """indicators.csv: indicator × 回答課 × year, past years from 実績 and this year from the answers."""
    return [dict(zip(INDICATOR_COLUMNS, values)) for values in indicator_values(master, answers, status)]


def indicator_values(master: Master, answers: AnswerSet, status: Dict[str, str]) -> List[Tuple[Any, ...]]:
    """:func:`indicator_rows` as tuples in INDICATOR_COLUMNS order (lighter: one per 課 and year)."""
    rows: List[Tuple[Any, ...]] = []
    append = rows.append
    year = master.settings.fiscal_year
    sheet, name = value_field(master) or ("", "")
    past: Dict[Tuple[Any, Any], List[Any]] = {}  # (indicator, department) -> its 実績 rows, in order
    for result in master.results:
        past.setdefault((result.indicator_no, result.department), []).append(result)
    departments = master.departments
    for ind in sorted(master.indicators.values(), key=lambda i: i.no):
        measure = master.measures[ind.measure_id]
        numeric_type = ind.numeric
        for dept in ind.respondents:
            series = [(r.year, r.value, "実績", "") for r in past.get((ind.no, dept), ()) if r.year < year]
            state = status.get(dept, NOT_SUBMITTED)
            series.append((year, answers.get(dept, sheet, ind.no, name) if has_data(state) else "",
                           "回答", state))
            if len(series) > 1:
                series.sort(key=lambda s: s[0])
            respondent = departments[dept].name
            for data_year, text, source, state_text in series:
                numeric = number(text) if numeric_type else None
                append((data_year, ind.no, ind.name, measure.id, measure.name, dept, respondent,
                        "" if numeric is None else (int(numeric) if numeric.is_integer() else numeric),
                        text, ind.unit, ind.type, source, state_text))
    return rows


def write_summary(master: Master, answers: AnswerSet, out_dir: Path,
                  roster: Optional[Dict[str, str]] = None) -> Dict[str, Path]:
    """Write 集計表.xlsx and indicators.csv into ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    summary = out_dir / SUMMARY_FILE
    atomic_write(summary, build_summary(master, answers, roster).save)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(INDICATOR_COLUMNS)
    write_csv_values(buffer, writer, indicator_values(master, answers, statuses(master, answers, roster)),
                     len(INDICATOR_COLUMNS))
    data = csv_bytes(buffer.getvalue())
    indicators = out_dir / INDICATORS_FILE
    atomic_write(indicators, lambda tmp: tmp.write_bytes(data))
    return {"summary": summary, "indicators": indicators}
