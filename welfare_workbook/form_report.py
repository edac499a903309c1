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
several prefectures' answers.csv files. This module decides what the compilation holds
(:func:`compilation_layout`: rows of (column, value, kind of look), merges, page breaks,
widths, print set-up) and reads no workbook and writes none: a reader of returns, it
never reaches the writer; :mod:`~.form_compilation` writes the layout with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .excel import ERROR_FILL, FONT_NAME, HEADER_FILL, atomic_write, estimate_lines, put
from .excel_limits import CELL_TEXT_LIMIT, HEADER_FOOTER_LIMIT, NUMBER_LIMIT, clip
from .form_answers import FormRecord
from .form_contract import VALUE_FIELD, section_number
from .form_master import FormMaster, Respondent
from .form_spec import MARK, NUMERIC, FormSpec, Heading, Item, Repeat, Section
from .issues import SEVERITY_LABEL
from .master_model import column_letter
from .normalize import NA_VALUE
from .returns import RosterStatus
from .states import State
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


@dataclass(frozen=True)
class Look:
    """How a kind of cell looks: 10 pt ＭＳ Ｐゴシック wrapped at the top, unless it says otherwise."""

    size: float = 10
    bold: bool = False
    fill: Optional[str] = None  # solid fill RGB
    border: bool = False  # thin grey lines on all four sides (BORDER_COLOR)
    number_format: str = "General"
    wrap: bool = True  # wrapped text, top aligned; False: no alignment at all


SUB_FILL = "E9EEF7"  # a 中項目's heading: paler than a section's
# every kind of cell the compilation writes; the writer (form_compilation) turns each into one style
LOOKS: Dict[str, Look] = {
    "name": Look(size=13, bold=True),  # a 団体's page title
    "section": Look(bold=True, fill=HEADER_FILL, border=True),
    "sub": Look(bold=True, fill=SUB_FILL, border=True),
    "heading": Look(bold=True, border=True),  # a heading or repeat group inside a section
    "label": Look(bold=True, border=True),  # an item's label (columns B and D of an item row)
    "text": Look(border=True),  # an item's value and its marker (A)
    "list_header": Look(bold=True, fill=HEADER_FILL),
    "list_body": Look(number_format="#,##0"),
    "list_decimal": Look(number_format="#,##0.0#"),
    "total_label": Look(bold=True, wrap=False),
    "total": Look(bold=True, wrap=False, number_format="#,##0"),
    "mean": Look(bold=True, wrap=False, number_format="#,##0.0#"),
}
Cell = Tuple[int, Any, str]  # (column, value, kind of LOOKS); a None value is an empty cell with that look
PRINT_MARGINS = (0.5, 0.5, 1.0, 1.0)  # left, right, top, bottom (inches)
HEADER_FOOTER_MARGINS = (0.5, 0.5)
FOOTER = "&C&P / &N"  # page n / pages, centred


@dataclass
class SheetLayout:
    """One sheet of the compilation as its reader sees it, in no writer's terms."""

    name: str
    orientation: str  # every sheet: A4, PRINT_MARGINS, the survey's header and FOOTER
    widths: Dict[int, float]
    rows: List[Tuple[int, List[Cell], Optional[float]]] = field(default_factory=list)  # (row, cells, height)
    merges: List[str] = field(default_factory=list)  # 'C3:E3'; the cells under a merge are left empty
    row_breaks: List[int] = field(default_factory=list)  # a printed page ends after each of these rows
    freeze: Tuple[int, int] = (0, 0)  # (rows, columns) kept in view
    auto_filter: str = ""
    title_rows: str = ""  # '$1:$1': printed at the top of every page
    title_columns: str = ""  # '$A:$C': printed at the left of every page of a table printed wide
    pages_wide: int = 1  # printed fit to this many pages wide


@dataclass
class CompilationLayout:
    """集計表.xlsx: its sheets in order, and the print header every page carries."""

    sheets: List[SheetLayout]
    header: str  # Excel header codes: the survey's name at the right


def _text(value: Any) -> Any:
    """A value as a cell can hold it: text cut to Excel's limit (openpyxl cut it too), a
    number Excel cannot hold as its text; answers.csv keeps every value whole."""
    if isinstance(value, str):  # a character is at most two UTF-16 units: most text needs no counting
        return value if len(value) <= CELL_TEXT_LIMIT // 2 else clip(value, CELL_TEXT_LIMIT)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        return str(value)
    return value


class _Page:
    """Lays out the 団体別 sheet, one 団体 after another, each starting a new printed page."""

    def __init__(self) -> None:
        self.sheet = SheetLayout("団体別", "portrait", dict(enumerate(PAGE_WIDTHS, start=1)))
        self.row = 1

    def cells(self, values: Sequence[Tuple[int, Any]], kind: str, merge: Optional[Tuple[int, int]] = None,
              lines: int = 1) -> None:
        """One row: (column, value) pairs of look ``kind`` (an item's: labels in B and D); ``merge`` joins columns."""
        if kind == "item":
            cells = [(col, _text(value), "label" if col in (2, 4) else "text") for col, value in values]
        else:
            cells = [(col, _text(value), kind) for col, value in values]
        if merge:
            self.sheet.merges.append(f"{column_letter(merge[0])}{self.row}:{column_letter(merge[1])}{self.row}")
        self.sheet.rows.append((self.row, cells, min(409, 13.5 * max(1, lines) + 3)))
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


def _list_sheet(master: FormMaster, records: Dict[str, FormRecord]) -> SheetLayout:
    """一覧: a header row, a row per 団体 (団体コード order), then 合計 and 平均."""
    columns = _summary_columns(master.spec)
    header = ["団体コード", "都道府県", "団体名", "状況"] + [c[0] for c in columns]
    widths = {col: 12 if col > 4 else (9, 10, 14, 8)[col - 1] for col in range(1, len(header) + 1)}
    # two A4 landscape pages wide (one would print under 8 pt), 団体コード to 団体名 on both
    sheet = SheetLayout("一覧", "landscape", widths, freeze=(1, 4), title_rows="$1:$1", title_columns="$A:$C",
                        pages_wide=2)
    sheet.rows.append((1, [(col, _text(text), "list_header") for col, text in enumerate(header, start=1)], 54))
    sums: Dict[int, List[float]] = {}
    codes = sorted(set(master.bodies) | set(records))
    for row, code in enumerate(codes, start=2):
        values = _list_row(code, master.bodies.get(code), records.get(code), columns, sums)
        sheet.rows.append((row, [(col, _text(value), "list_decimal" if isinstance(value, float) else "list_body")
                                 for col, value in enumerate(values, start=1)], None))
    sheet.rows += _list_totals(len(codes) + 2, columns, sums)
    sheet.auto_filter = f"A1:{column_letter(len(header))}{len(codes) + 1}"
    return sheet


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


def _list_totals(first: int, columns: List[Tuple[str, Item, Optional[str]]],
                 sums: Dict[int, List[float]]) -> List[Tuple[int, List[Cell], Optional[float]]]:
    """合計 and 平均 rows from ``first`` on, as each item's ``total:`` says (an option column: its ○ counted)."""
    rows: List[Tuple[int, List[Cell], Optional[float]]] = []
    for row, (label, kind) in enumerate((("合計", "sum"), ("平均", "mean")), start=first):
        cells: List[Cell] = [(1, label, "total_label")]
        for index, (_, item, option) in enumerate(columns, start=5):
            numbers = sums.get(index, [])
            wanted = (item.total == kind) or (kind == "sum" and option is not None)
            if not wanted or not numbers:
                continue
            total = sum(numbers) if kind == "sum" else round(sum(numbers) / len(numbers), 2)
            cells.append((index, _text(int(total) if float(total).is_integer() else total),
                          "mean" if kind == "mean" else "total"))
        rows.append((row, cells, None))
    return rows


def print_header(master: FormMaster) -> str:
    """The survey's name at the right of every printed page ('&' doubled: it starts a code
    there), cut to fit Excel's limit for a header."""
    name = master.settings.survey_name
    name = clip(name, HEADER_FOOTER_LIMIT - 2 - name.count("&"))  # room for '&R' and each doubled '&'
    return "&R" + name.replace("&", "&&")


def compilation_layout(master: FormMaster, records: Dict[str, FormRecord]) -> CompilationLayout:
    """集計表.xlsx as its reader sees it (see the module's docstring); :mod:`form_compilation` writes it."""
    page = _Page()
    for code in sorted(records):
        if page.row > 1:
            page.sheet.row_breaks.append(page.row - 1)  # each 団体 starts a printed page
        respondent = master.bodies.get(code)
        title = respondent.display if respondent else records[code].respondent
        _page(page, master.spec, records[code], title)
    return CompilationLayout([_list_sheet(master, records), page.sheet], print_header(master))


def _print_setup(ws: Any, orientation: str, master: FormMaster) -> None:
    """確認結果's print set-up (openpyxl): A4, one page wide, the compilation's margins, header and footer."""
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.right.text = print_header(master)[2:]  # without its '&R'
    ws.oddFooter.center.text = FOOTER[2:]
    margins = ws.page_margins
    (margins.left, margins.right, margins.top, margins.bottom), (margins.header, margins.footer) = \
        PRINT_MARGINS, HEADER_FOOTER_MARGINS


# the statuses (and a survey folder's states) whose 状況 cell is shaded: the 団体 has something to do
ATTENTION = frozenset({str(RosterStatus.NEEDS_FIX), str(RosterStatus.NOT_SUBMITTED), str(State.WRONG_FORMAT)})


def write_form_checks(master: FormMaster, result: Any, path: Path) -> None:
    """確認結果.xlsx: 提出状況 (every 団体, its state in a survey folder) and 確認結果 (every issue, with its cell)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    deadline = date_label(master.settings.deadline) if master.settings.deadline else ""
    tables = {
        "提出状況": (["団体コード", "団体名", "状況", "ファイル", "エラー", "注意", "提出期限"], (10, 22, 10, 36, 8, 8, 20),
                  [[r.department.id, r.department.name, r.shown, r.current.file if r.current else "",
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
            if str(values[2]) in ATTENTION or values[4] == "エラー":
                ws.cell(r, 3).fill = red
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{column_letter(len(header))}{max(1, len(rows) + 1)}"
        _print_setup(ws, "landscape", master)
    atomic_write(path, wb.save)
