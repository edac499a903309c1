"""集計表.xlsx written: the layout :mod:`~.form_report` decides, put on paper with :mod:`xlsx`.

form_report reads returns and must never reach the writer (tests/test_architecture.py),
so what the compilation holds is decided there, and this module only turns it into a
workbook: each kind of look into one style, each row into a written row, and the sheet
settings (merges, page breaks, frozen panes, the filter, the print set-up) into the
sheet's. The fast writer replaced openpyxl here, which spent most of the form survey's
collect building a cell object per cell and serialising it through an XML tree.

>>> from welfare_workbook.form_master import form_sample_path, load_form_master
>>> master, _ = load_form_master(form_sample_path())
>>> book = compilation_book(compilation_layout(master, {}))
>>> [s.name for s in book.sheets], book.sheets[0].freeze_row, book.sheets[0].freeze_column
(['一覧', '団体別'], 2, 5)
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

from .excel import BORDER_COLOR, FONT_NAME, atomic_write
from .form_answers import FormRecord
from .form_master import FormMaster
from .form_report import FOOTER, HEADER_FOOTER_MARGINS, LOOKS, PRINT_MARGINS, CompilationLayout, Look, \
    compilation_layout
from .xlsx import Book, Font, StyleSheet

_BUILT_IN_FORMATS = {"General": 0, "#,##0": 3}  # Excel's ids; any other code is a custom format


def _style(styles: StyleSheet, look: Look) -> int:
    """The style id of a look: its font, fill, border, number format and alignment."""
    return styles.add(font=Font(name=FONT_NAME, size=look.size, bold=look.bold), fill=look.fill,
                      border=BORDER_COLOR if look.border else None,
                      number_format=_BUILT_IN_FORMATS.get(look.number_format, look.number_format),
                      vertical="top" if look.wrap else None, wrap=look.wrap)


def compilation_book(layout: CompilationLayout) -> Book:
    """The workbook of a layout: its sheets in order, each printed on A4 as many pages wide as it says."""
    styles = StyleSheet()
    ids: Dict[str, int] = {kind: _style(styles, look) for kind, look in LOOKS.items()}
    book = Book(styles)
    for shown in layout.sheets:
        sheet = book.add_sheet(shown.name)
        sheet.widths = dict(shown.widths)
        sheet.default_row_height = 15  # openpyxl's, which wrote this file before: rows without a height look as then
        for number, cells, height in shown.rows:
            sheet.append_row(number, [(col, value, ids[kind]) for col, value, kind in cells], height)
        sheet.merged = list(shown.merges)
        sheet.row_breaks = list(shown.row_breaks)
        sheet.freeze_row, sheet.freeze_column = shown.freeze[0] + 1, shown.freeze[1] + 1  # the first that scrolls
        sheet.auto_filter = shown.auto_filter
        sheet.print_titles, sheet.print_title_columns = shown.title_rows, shown.title_columns
        sheet.print_setup = {"orientation": shown.orientation, "margins": PRINT_MARGINS, "pages_wide": shown.pages_wide,
                             "header_footer_margins": HEADER_FOOTER_MARGINS, "header": layout.header, "footer": FOOTER}
    book.sheets[0].selected = True
    return book


def write_compilation(master: FormMaster, records: Dict[str, FormRecord], path: Path) -> None:
    """集計表.xlsx: 一覧 and 団体別 (see :mod:`~.form_report`). Raises OSError when it cannot be written."""
    book = compilation_book(compilation_layout(master, records))
    atomic_write(path, book.save)
