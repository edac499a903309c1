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
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .answers import AnswerSet, csv_bytes, write_csv_values
from .contract import ItemRow, action_row, indicator_row, year_labels
from .excel import atomic_write, break_before_parenthesis, estimate_lines, row_height, safe_filename
from .master import Action, Master, circled
from .spec import load_specs
from .summary_columns import NOT_SUBMITTED, ReportColumn, cell_text, has_data, report_columns, respondent_text
from .summary_layout import Pages, ReportWriter, fit_row, heading
from .summary_overview import enabled_specs, overview_sheet, achievement, number, value_field  # noqa: F401 (re-exported)

SUMMARY_FILE = "集計表.xlsx"
INDICATORS_FILE = "indicators.csv"
INDICATOR_COLUMNS = ("year", "indicator_no", "indicator", "measure_id", "measure", "respondent_id", "respondent",
                     "value_numeric", "value_text", "unit", "type", "source", "status")


def statuses(master: Master, answers: AnswerSet, roster: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """提出済 / 要修正 / 未提出 for every respondent (from collect's roster when given)."""
    if roster is not None:
        return {d.id: roster.get(d.id, NOT_SUBMITTED) for d in master.respondents()}
    return {d.id: answers.status.get(d.id, NOT_SUBMITTED) for d in master.respondents()}


# ---------------------------------------------------------------------------
# writing helpers


# margins in inches: narrow at the sides so the seed-style tables keep 8 pt text on one page wide


MERGE_AT_MOST = 10  # rows of one item merged into one block


NARROW = 16  # a column this narrow breaks before a parenthesis rather than inside it


def _shown(column: ReportColumn, value: str) -> str:
    """A narrow cell's text (値, 現状, 回答課) with a line break before a parenthesis that
    would not fit on its line: 8（156人） / 福祉政策課（主） never leave a lone '）'."""
    return break_before_parenthesis(value, column.width) if value and column.width <= NARROW else value


def _item_rows(ws: Any, w: ReportWriter, columns: Sequence[ReportColumn], master: Master, answers: AnswerSet,
               status: Dict[str, str], row: int, rows: Sequence[Tuple[str, ItemRow]], pages: "Pages",
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
        fit_row(ws, row, [(value, column.width) for value, column in zip(values, columns)
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


def _indicator_rows(ws: Any, w: ReportWriter, columns: Sequence[ReportColumn], master: Master, answers: AnswerSet,
                    status: Dict[str, str], row: int, measure_id: str, pages: Pages) -> int:
    """Write the indicator rows of one 基本施策; two 回答課 are shown one under the other,
    and kept on one page."""
    for ind in sorted((i for i in master.indicators.values() if i.measure_id == measure_id), key=lambda i: i.no):
        rows = [(dept, indicator_row(master, ind, dept)) for dept in ind.respondents]
        row = _item_rows(ws, w, columns, master, answers, status, row, rows, pages)
    return row


def _measure_actions(master: Master, measure_id: str) -> List[Action]:
    return sorted((a for a in master.actions.values() if a.measure_id == measure_id), key=lambda a: a.no)


def _measure_sheet(wb: Any, w: ReportWriter, master: Master, answers: AnswerSet, status: Dict[str, str],
                   measure: Any, columns: Sequence[ReportColumn]) -> None:
    """One page per 基本施策, laid out as the progress report (seed 000)."""
    ws = wb.create_sheet(safe_filename(measure.id, 31).replace("[", "(").replace("]", ")"))
    widths = [c.width for c in columns]
    ncols = max(len(columns), 4)  # the その他取組 list below spans columns 1-2, 3 and 4…
    pages = Pages(widths, title_rows=(5, 5))
    policy = measure.policy if measure.policy_id.startswith("重点") else f"{measure.policy_id} {measure.policy}"
    heading(ws, w, 1, policy, widths)
    heading(ws, w, 2, measure.label, widths, title=True)
    heading(ws, w, 3, f"★めざす姿　⇒　{measure.vision}" if measure.vision else "★めざす姿", widths, bold=True)
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


def _actions_list(ws: Any, w: ReportWriter, actions: Sequence[Action], row: int, ncols: int, widths: Sequence[float],
                  pages: Pages) -> int:
    """★実現に向けて: the measure's actions, numbered ①②…; the last row written."""
    w.cell(ws, row, 1, "★実現に向けて", border=False, bold=True)
    pages.headings.append(row)
    first = row
    for action in actions:
        row += 1
        w.cell(ws, row, 1, circled(action.no), border=False, center=True)
        w.cell(ws, row, 2, action.content, border=False, wrap=True)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=ncols)
        fit_row(ws, row, [(action.content, sum(widths[1:]))])
    if row > first:
        pages.groups.append((first + 1, row))  # the list stays with its heading when it fits a page
    return row


def _other_actions(ws: Any, w: ReportWriter, master: Master, answers: AnswerSet, status: Dict[str, str],
                   actions: Sequence[Action], row: int, ncols: int, widths: Sequence[float], pages: Pages) -> None:
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
    fit_row(ws, row, [(body_label, sum(widths[3:]))])
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
        fit_row(ws, row, [(body, sum(widths[3:])), (label, sum(widths[:2])), (numbers, widths[2])])


def _table_sheet(wb: Any, w: ReportWriter, master: Master, answers: AnswerSet, status: Dict[str, str],
                 columns: Sequence[ReportColumn]) -> None:
    """All indicators in one table (seed 001), with headings taken from the master."""
    ws = wb.create_sheet("一覧表")
    s = master.settings
    listed = [c for c in columns if c.in_list]
    widths = [c.width for c in listed]
    pages = Pages(widths, title_rows=(4, 4))
    heading(ws, w, 1, f"{s.plan_name}", widths, bold=True)
    heading(ws, w, 2, f"{s.fiscal_year_label}実績及び具体的な取組内容", widths, title=True)
    w.header(ws, 4, [c.label for c in listed], widths)
    row = 5
    for measure in master.measures.values():
        if not any(i.measure_id == measure.id for i in master.indicators.values()):
            continue
        w.cell(ws, row, 1, measure.label, bold=True, fill=w.section_fill)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(listed))
        fit_row(ws, row, [(measure.label, sum(widths))])
        pages.headings.append(row)
        row = _indicator_rows(ws, w, listed, master, answers, status, row + 1, measure.id, pages)
    pages.finish(ws)
    ws.freeze_panes = "A5"


def _evaluation_sheet(wb: Any, w: ReportWriter, master: Master, answers: AnswerSet, status: Dict[str, str]) -> None:
    """取組 × 担当課 with evaluation and direction (seed 004): the columns the 取組 sheets'
    templates declare (中間評価 and 今後の方向性), under a heading per 基本施策."""
    names = [spec.name for spec in load_specs().values() if spec.items == "actions"]
    columns = report_columns("actions", year_labels(master.settings.fiscal_year))
    widths = [c.width for c in columns]
    ws = wb.create_sheet(names[0])
    pages = Pages(widths, title_rows=(3, 3))
    heading(ws, w, 1, f"{master.settings.plan_name}　{'・'.join(names)}", widths, title=True)
    w.header(ws, 3, [c.label for c in columns], widths)
    row = 4
    for measure in master.measures.values():
        actions = _measure_actions(master, measure.id)
        if not actions:
            continue
        title = measure.label if measure.policy_id.startswith("重点") else f"{measure.policy}　{measure.label}"
        w.cell(ws, row, 1, title, bold=True, fill=w.section_fill)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(columns))
        fit_row(ws, row, [(title, sum(widths))])
        pages.headings.append(row)
        row += 1
        for action in actions:
            rows = [(dept, action_row(master, action, dept)) for dept in action.departments]
            row = _item_rows(ws, w, columns, master, answers, status, row, rows, pages, main=action.main)
    pages.finish(ws)
    ws.freeze_panes = "A4"


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
    w = ReportWriter()
    wb = Workbook()
    indicator_count, action_count = detail_rows(master)
    kinds = {spec.items for spec in enabled_specs(master)}
    small = indicator_count <= DETAIL_ROWS_LIMIT
    overview_sheet(wb, w, master, answers, status, with_achievement=small)
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
