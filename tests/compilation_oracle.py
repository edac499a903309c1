"""The form compilation (集計表.xlsx) as it was written with openpyxl, kept as the oracle
the fast writer (``welfare_workbook.form_compilation``) is tested against: the same
workbook for its reader, cell for cell, merge for merge, style for style.

The code below is the openpyxl writer as it stood before the fast one replaced it; the
walk through a 団体's sections and the values (``_page``, ``_list_row`` …) come from
``form_report``, unchanged and shared by both writers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from welfare_workbook import form_report
from welfare_workbook.excel import FONT_NAME, HEADER_FILL, StyleCache, atomic_write, put
from welfare_workbook.form_answers import FormRecord
from welfare_workbook.form_master import FormMaster
from welfare_workbook.form_report import PAGE_WIDTHS, _list_row, _summary_columns
from welfare_workbook.form_spec import FormSpec, Item
from welfare_workbook.master_model import column_letter


class _Page(form_report._Page):
    """Writes the 団体別 sheet, one 団体 after another, each starting a new printed page.

    The walk through a 団体's sections (``form_report._page``, which calls ``cells``,
    ``item`` and ``pair``) is shared with the fast writer; the cells are written here.
    """

    def __init__(self, ws: Any, spec: FormSpec) -> None:  # pylint: disable=super-init-not-called
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
    _print_setup(ws, "landscape", master, pages_wide=2)  # two pages wide, 団体コード to 団体名 on both
    ws.print_title_rows, ws.print_title_cols = "1:1", "A:C"


def _list_header(ws: Any, header: List[str], bold: Any, fill: Any, wrap: Any) -> None:
    for col, text in enumerate(header, start=1):
        cell = put(ws, 1, col, text)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        ws.column_dimensions[column_letter(col)].width = 12 if col > 4 else (9, 10, 14, 8)[col - 1]
    ws.row_dimensions[1].height = 54


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


def write_compilation_openpyxl(master: FormMaster, records: Dict[str, FormRecord], path: Path) -> None:
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
        form_report._page(page, master.spec, records[code], title)
    from openpyxl.worksheet.cell_range import MultiCellRange

    ws.merged_cells = MultiCellRange(page.merges)  # the cells under a merge are left empty, as Excel keeps them
    _print_setup(ws, "portrait", master)
    atomic_write(path, wb.save)
