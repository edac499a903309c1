"""The compilation of a form survey (集計表.xlsx, laid out like seed 003) and its 確認結果.xlsx.

集計表.xlsx has two sheets:

- ``一覧``: one row per 団体 (団体コード order) with the figures the spec marks
  ``summary: true`` (a 複数選択 as one ○ column per option), then 合計 / 平均 rows as
  each item's ``total:`` says (and the count of ○ per option);
- ``団体別``: one print page or more per 団体 in 団体コード order, as the national
  compilation prints them: the 団体's name, the unnumbered 回答団体 block, then only the
  sections that apply to that 団体 (by its own answers), numbered closed up (a 団体
  running only 多機関協働事業 has it as section ３), with the form's own markers
  (①, ア, （ア）) and values with their units (``1,966,735（人）``).

Built from :class:`~.form_answers.FormRecord` s, so one compilation can be made from
several prefectures' answers.csv files.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .excel import ERROR_FILL, FONT_NAME, HEADER_FILL, StyleCache, atomic_write, estimate_lines, put
from .form_answers import FormRecord
from .form_contract import VALUE_FIELD, section_number
from .form_master import FormMaster, Respondent
from .form_spec import MARK, NUMERIC, FormSpec, Heading, Item, Repeat, Section
from .issues import SEVERITY_LABEL
from .master_model import column_letter
from .normalize import NA_VALUE
from .returns import RosterStatus
from .wareki import date_label, fiscal_year_label

SUMMARY_FILE = "集計表.xlsx"
CHECKS_FILE = "確認結果.xlsx"
PAGE_WIDTHS = (6, 20, 32, 20, 32)  # A–E of 団体別: 110 characters, one A4 portrait page wide at 8 pt or more
_UNITLESS = ("", )


def format_value(item: Item, value: Any, raw: Any = "", unit: str = "") -> str:
    """A value as the compilation prints it: ``1,966,735（人）``, ``1,362.90（k㎡）``, ``令和3年度～令和7年度``.

    >>> from welfare_workbook.form_spec import load_form_spec
    >>> spec = load_form_spec("chiiki_kyosei")
    >>> format_value(spec.item("population"), 1966735), format_value(spec.item("area"), 1362.9, "1362.90")
    ('1,966,735（人）', '1,362.90（k㎡）')
    """
    if value in ("", None):
        return ""
    text = str(value)
    if item.type in NUMERIC and isinstance(value, (int, float)) and not isinstance(value, bool):
        places = _places(raw)
        text = f"{value:,.{places}f}" if places else (f"{int(value):,}" if float(value).is_integer() else f"{value:,}")
    elif item.type == "month" and re.fullmatch(r"\d{4}-\d{2}", text):
        year, month = int(text[:4]), int(text[5:])
        text = f"{year}年{month}月"
    elif item.type == "year_range" and re.fullmatch(r"\d{4}-\d{4}", text):
        text = f"{fiscal_year_label(int(text[:4]))}～{fiscal_year_label(int(text[5:]))}"
    unit = unit or item.unit
    if unit and value != NA_VALUE and item.type in NUMERIC:
        text += f"（{unit}）"
    return text


def _places(raw: Any) -> int:
    """Decimal places typed (1362.90 -> 2), so the compilation shows the figure as written."""
    text = str(raw).translate({0xFF0E: ".", 0xFF0C: ","}).replace(",", "")
    match = re.search(r"\d+\.(\d+)", text)
    if not match:
        return 0
    try:
        Decimal(match.group(0))
    except InvalidOperation:
        return 0
    return len(match.group(1))


class _Page:
    """Writes the 団体別 sheet, one 団体 after another, each starting a new printed page."""

    def __init__(self, ws: Any, spec: FormSpec) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.ws, self.spec, self.row = ws, spec, 1
        self.merges: List[str] = []  # set once at the end: openpyxl's merge_cells is quadratic in their number
        self.styles = StyleCache()
        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(name=FONT_NAME, size=10)
        self.bold = Font(name=FONT_NAME, size=10, bold=True)
        self.big = Font(name=FONT_NAME, size=13, bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.sub_fill = PatternFill("solid", fgColor="E9EEF7")
        for index, width in enumerate(PAGE_WIDTHS, start=1):
            ws.column_dimensions[column_letter(index)].width = width

    def cells(self, values: Sequence[Tuple[int, Any]], kind: str, merge: Optional[Tuple[int, int]] = None,
              lines: int = 1) -> None:
        """One row: (column, value) pairs styled as ``kind``; ``merge`` joins columns."""
        fonts = {"name": self.big, "section": self.bold, "sub": self.bold, "heading": self.bold}
        fills = {"section": self.fill, "sub": self.sub_fill}
        for col, value in values:
            cell = put(self.ws, self.row, col, value)
            label_col = kind == "item" and col in (2, 4) or kind in ("section", "sub", "heading")
            attrs: Dict[str, Any] = {"font": fonts.get(kind, self.bold if label_col else self.font),
                                     "alignment": self.wrap}
            if kind != "name":
                attrs["border"] = self.border
            if kind in fills:
                attrs["fill"] = fills[kind]
            self.styles.apply(cell, (kind, label_col), **attrs)
        if merge:
            self.merges.append(f"{column_letter(merge[0])}{self.row}:{column_letter(merge[1])}{self.row}")
        self.ws.row_dimensions[self.row].height = min(409, 13.5 * max(1, lines) + 3)
        self.row += 1

    def item(self, item: Item, text: str, marker: str = "", label: str = "") -> None:
        label = label or item.label
        lines = max(estimate_lines(text, sum(PAGE_WIDTHS[2:]) - 2), estimate_lines(label, PAGE_WIDTHS[1]))
        self.cells([(1, marker), (2, label), (3, text), (4, None), (5, None)], "item", merge=(3, 5), lines=lines)

    def pair(self, left: Tuple[str, str], right: Optional[Tuple[str, str]]) -> None:
        lines = max(estimate_lines(left[1], PAGE_WIDTHS[2]), estimate_lines(left[0], PAGE_WIDTHS[1]),
                    estimate_lines(right[1], PAGE_WIDTHS[4]) if right else 1,
                    estimate_lines(right[0], PAGE_WIDTHS[3]) if right else 1)
        values = [(1, None), (2, left[0]), (3, left[1]), (4, right[0] if right else None), (5, right[1] if right else None)]
        self.cells(values, "item", lines=lines)


def _value(record: FormRecord, item: Item, block: int = 0) -> str:
    item_id = f"{item.id}.{block}" if block else item.id
    if item.type == "multi":
        chosen = set(record.chosen(item, block))
        return "\n".join(f"{o} {MARK}" if o in chosen else o for o in item.option_values)
    unit = str(record.values.get((item.unit_item, VALUE_FIELD), "")) if item.unit_item else ""
    return format_value(item, record.values.get((item_id, VALUE_FIELD), ""), record.raw.get((item_id, VALUE_FIELD), ""),
                        unit)


def _shown_items(spec: FormSpec, section: Section, record: FormRecord) -> List[Item]:
    """The items of a section the compilation prints: applying, and not a unit shown beside its figure."""
    units = {i.unit_item for i in spec.items if i.unit_item}
    return [i for i in section.content if isinstance(i, Item) and i.id not in units
            and record.applies(spec, (i.when,) if i.when else ())]


def _page(page: _Page, spec: FormSpec, record: FormRecord, title: str) -> None:
    page.cells([(1, title)], "name", merge=(1, 5), lines=2)
    number = 0
    for section in spec.sections:
        if not record.applies(spec, (section.when,) if section.when else ()):
            continue
        if section.numbered:
            number += 1
        _section(page, spec, record, section, section_number(number) if section.numbered else "", 0, number,
                 section.numbered)


def _section(page: _Page, spec: FormSpec, record: FormRecord, section: Section, marker: str, depth: int,
             number: int, numbered: bool) -> None:
    if depth == 0 and not numbered:  # the 回答団体 block: answers two to a line, no heading
        _pairs(page, [(i.label, _value(record, i)) for i in _shown_items(spec, section, record)])
        return
    page.cells([(1, marker), (2, section.title)], "section" if depth == 0 else "sub", merge=(2, 5))
    if section.columns > 1:
        _pairs(page, [(i.label, _value(record, i)) for i in _shown_items(spec, section, record)])
        return
    sub = 0
    for element in section.content:
        when = getattr(element, "when", None)
        if when and not record.applies(spec, (when,)):
            continue
        if isinstance(element, Section):
            sub += 1
            if element.when and not record.applies(spec, (element.when,)):
                continue
            _section(page, spec, record, element, section_number(number, sub) if numbered else "", depth + 1,
                     number, numbered)
        elif isinstance(element, Heading):
            page.cells([(1, element.marker), (2, element.text)], "heading", merge=(2, 5),
                       lines=estimate_lines(element.text, sum(PAGE_WIDTHS[1:]) - 2))
        elif isinstance(element, Repeat):
            _group(page, spec, record, element)
        else:
            page.item(element, _value(record, element), element.no)


def _group(page: _Page, spec: FormSpec, record: FormRecord, group: Repeat) -> None:
    """A repeat group: the blocks the 団体 filled, each under its marker (ア, イ …)."""
    used = [b for b in range(1, group.max + 1)
            if any(record.values.get((f"{i.id}.{b}", VALUE_FIELD), "") != "" for i in group.items)]
    page.cells([(1, group.no), (2, group.label)], "heading", merge=(2, 5))
    for block in used:
        for index, item in enumerate(group.items):
            page.item(item, _value(record, item, block), group.marker(block) if index == 0 else "")


def _pairs(page: _Page, pairs: List[Tuple[str, str]]) -> None:
    for index in range(0, len(pairs), 2):
        page.pair(pairs[index], pairs[index + 1] if index + 1 < len(pairs) else None)


def _summary_columns(spec: FormSpec) -> List[Tuple[str, Item, Optional[str]]]:
    """(heading, item, option) of the 一覧 columns: summary items, a 複数選択 one column per option."""
    columns: List[Tuple[str, Item, Optional[str]]] = []
    for item in spec.items:
        if not item.summary or spec.repeat_of(item.id):
            continue
        if item.type == "multi":
            columns += [(o, item, o) for o in item.option_values]
        else:
            columns.append((item.label + (f"（{item.unit}）" if item.unit else ""), item, None))
    return columns


def _list_sheet(wb: Any, master: FormMaster, records: Dict[str, FormRecord]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.active
    ws.title = "一覧"
    spec = master.spec
    columns = _summary_columns(spec)
    header = ["団体コード", "都道府県", "団体名", "状況"] + [c[0] for c in columns]
    bold, body = Font(name=FONT_NAME, bold=True, size=10), Font(name=FONT_NAME, size=10)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    _list_header(ws, header, bold, fill, wrap)
    styles = StyleCache()
    sums: Dict[int, List[float]] = {}
    codes = sorted(set(master.bodies) | set(records))
    for row, code in enumerate(codes, start=2):
        values = _list_row(code, master.bodies.get(code), records.get(code), columns, sums)
        for col, value in enumerate(values, start=1):
            cell = put(ws, row, col, value)
            styles.apply(cell, ("body", isinstance(value, float)), font=body, alignment=wrap,
                         number_format="#,##0.0#" if isinstance(value, float) else "#,##0")
    _list_totals(ws, len(codes) + 2, columns, sums, bold)
    ws.freeze_panes = "E2"
    ws.auto_filter.ref = f"A1:{column_letter(len(header))}{len(codes) + 1}"
    # two A4 landscape pages wide (one would print under 8 pt), 団体コード to 団体名 on both
    _print_setup(ws, "landscape", master, pages_wide=2)
    ws.print_title_rows, ws.print_title_cols = "1:1", "A:C"


def _list_header(ws: Any, header: List[str], bold: Any, fill: Any, wrap: Any) -> None:
    for col, text in enumerate(header, start=1):
        cell = put(ws, 1, col, text)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        ws.column_dimensions[column_letter(col)].width = 12 if col > 4 else (9, 10, 14, 8)[col - 1]
    ws.row_dimensions[1].height = 54


def _list_row(code: str, respondent: Optional[Respondent], record: Optional[FormRecord],
              columns: List[Tuple[str, Item, Optional[str]]], sums: Dict[int, List[float]]) -> List[Any]:
    """A 団体's 一覧 row; its numbers (and each ○ of an option column, as 1) go into ``sums`` by column."""
    values: List[Any] = [code, respondent.prefecture if respondent else "",
                         respondent.name if respondent else (record.respondent if record else ""),
                         record.status if record else str(RosterStatus.NOT_SUBMITTED)]
    for index, (_, item, option) in enumerate(columns, start=5):
        value: Any = ""
        if record is not None:
            value = record.values.get((item.id, option or VALUE_FIELD), "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sums.setdefault(index, []).append(float(value))
        elif option and value == MARK:
            sums.setdefault(index, []).append(1.0)
        values.append(value)
    return values


def _list_totals(ws: Any, first: int, columns: List[Tuple[str, Item, Optional[str]]], sums: Dict[int, List[float]],
                 bold: Any) -> None:
    """合計 and 平均 rows from ``first`` on, as each item's ``total:`` says (an option column: its ○ counted)."""
    for row, (label, kind) in enumerate((("合計", "sum"), ("平均", "mean")), start=first):
        cell = put(ws, row, 1, label)
        cell.font = bold
        for index, (_, item, option) in enumerate(columns, start=5):
            numbers = sums.get(index, [])
            wanted = (item.total == kind) or (kind == "sum" and option is not None)
            if not wanted or not numbers:
                continue
            total = sum(numbers) if kind == "sum" else round(sum(numbers) / len(numbers), 2)
            out = put(ws, row, index, int(total) if float(total).is_integer() else total)
            out.font, out.number_format = bold, "#,##0.0#" if kind == "mean" else "#,##0"


def _print_setup(ws: Any, orientation: str, master: FormMaster, pages_wide: int = 1) -> None:
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.right.text = master.settings.survey_name.replace("&", "&&")
    ws.oddFooter.center.text = "&P / &N"
    ws.page_margins.left = ws.page_margins.right = 0.5


def write_compilation(master: FormMaster, records: Dict[str, FormRecord], path: Path) -> None:
    """集計表.xlsx: 一覧 and 団体別 (see the module's docstring). Raises OSError when it cannot be written."""
    from openpyxl import Workbook
    from openpyxl.worksheet.pagebreak import Break

    wb = Workbook()
    _list_sheet(wb, master, records)
    ws = wb.create_sheet("団体別")
    page = _Page(ws, master.spec)
    for code in sorted(records):
        if page.row > 1:
            ws.row_breaks.append(Break(id=page.row - 1))  # each 団体 starts a printed page
        respondent = master.bodies.get(code)
        title = respondent.display if respondent else records[code].respondent
        _page(page, master.spec, records[code], title)
    from openpyxl.worksheet.cell_range import MultiCellRange

    ws.merged_cells = MultiCellRange(page.merges)  # the cells under a merge are left empty, as Excel keeps them
    _print_setup(ws, "portrait", master)
    atomic_write(path, wb.save)


def write_form_checks(master: FormMaster, result: Any, path: Path) -> None:
    """確認結果.xlsx: 提出状況 (every 団体) and 確認結果 (every issue, with its cell)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    deadline = date_label(master.settings.deadline) if master.settings.deadline else ""
    tables = {
        "提出状況": (["団体コード", "団体名", "状況", "ファイル", "エラー", "注意", "提出期限"], (10, 22, 10, 36, 8, 8, 20),
                  [[r.department.id, r.department.name, str(r.status), r.current.file if r.current else "",
                    r.current.errors if r.current else "", r.current.warnings if r.current else "", deadline]
                   for r in result.roster]),
        "確認結果": (["ファイル", "団体コード", "シート", "セル", "重要度", "コード", "内容"], (30, 10, 10, 7, 7, 22, 90),
                  [[i.file or "", i.respondent_id or "", i.sheet or "", i.cell or "", SEVERITY_LABEL.get(i.severity, ""),
                    i.code, i.message] for i in result.issues]),
    }
    bold, body = Font(name=FONT_NAME, bold=True), Font(name=FONT_NAME)
    fill, red = PatternFill("solid", fgColor=HEADER_FILL), PatternFill("solid", fgColor=ERROR_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    first = True
    for title, (header, widths, rows) in tables.items():
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        for col, (text, width) in enumerate(zip(header, widths), start=1):
            cell = put(ws, 1, col, text)
            cell.font, cell.fill = bold, fill
            ws.column_dimensions[column_letter(col)].width = width
        for r, values in enumerate(rows, start=2):
            for c, value in enumerate(values, start=1):
                cell = put(ws, r, c, value)
                cell.font, cell.alignment = body, wrap
            if str(values[2]) in (RosterStatus.NEEDS_FIX, RosterStatus.NOT_SUBMITTED) or values[4] == "エラー":
                ws.cell(r, 3).fill = red
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{column_letter(len(header))}{max(1, len(rows) + 1)}"
        _print_setup(ws, "landscape", master)
    atomic_write(path, wb.save)
