"""The direct .xlsx writer: what it writes reads back the same in openpyxl and calamine."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from welfare_workbook.excel import xlsx_text
from welfare_workbook.xlsx import Book, Font, Formula, StyleSheet, Validation, header_footer_text


def _book() -> tuple:
    styles = StyleSheet()
    ids = {
        "bold": styles.add(font=Font("ＭＳ Ｐゴシック", 10, bold=True)),
        "input": styles.add(fill="FFF2CC", border="808080", number_format=49, locked=False, wrap=True,
                            vertical="top"),
        "missing": styles.add_dxf_fill("F8CBAD"),
    }
    return Book(styles, created=dt.datetime(2030, 4, 1, 9, 0)), ids


# text with XML specials, surrounding spaces, line breaks, full-width and astral characters
any_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
# text made of the pieces of _xHHHH_ escapes (which Excel and calamine decode, openpyxl does not), CR and spaces
escape_like = st.lists(st.sampled_from(["_x0041_", "_x005F_", "_x000D_", "_x000d_", "_xD842_", "_", "x", "x005F_",
                                        "0041", "_x004", "\r", "\r\n", "\n", " ", "a", "𠮷"]),
                       min_size=1, max_size=8).map("".join)
texts = st.one_of(any_text, escape_like)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(texts, min_size=1, max_size=6))
@example(values=["a&b<c>\"'", " lead", "trail ", "行1\n行2", "cr\rlf\r\n", "𠮷野家", "\x01ctrl", "=1+1", "\x1b\r0"])
@example(values=["_x0041_", "_x005F_", "_x005F_x0041_", "\r", "\r\n", "a_x000D_b", "__x0041_x0042_", " _x0041_ ",
                 "x005F_", "_x0041_\r\n_x004a_"])
def test_any_text_reads_back_in_openpyxl_and_calamine(tmp_path_factory: pytest.TempPathFactory, values: list) -> None:
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    book, ids = _book()
    sheet = book.add_sheet("記入 & <確認>")
    sheet.append_row(1, [(col, value, ids["bold"]) for col, value in enumerate(values, start=1)])
    book.save(path)
    expected = [xlsx_text(v) for v in values]  # characters XML cannot hold are dropped
    ws = openpyxl.load_workbook(path)["記入 & <確認>"]
    read = [("" if c.value is None else c.value) for c in ws[1]]
    assert (read + [""] * len(values))[:len(values)] == expected
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("記入 & <確認>").to_python()
    read = [str(v) for v in rows[0]] if rows else []
    assert (read + [""] * len(values))[:len(values)] == expected


def test_numbers_formulas_styles_and_sheet_features(tmp_path: Path) -> None:
    book, ids = _book()
    sheet = book.add_sheet("取組状況")
    sheet.widths = {1: 12, 2: 30}
    sheet.append_row(1, [(1, "No.", ids["bold"]), (2, "値", ids["bold"])], height=40)
    sheet.append_row(2, [(1, 7, 0), (2, None, ids["input"]), (3, Formula('IF(LEN(TRIM(B2))=0,"未入力","")'), 0)])
    sheet.append_row(3, [(1, 2.5, 0), (2, True, 0)])
    sheet.merged.append("A5:C5")
    sheet.conditional.append(("B2:B3", "LEN(TRIM(B2))=0", ids["missing"]))
    sheet.validations.append(Validation("B2:B3", "whole", "0", "100", "between", "warning", "整数", "整数を入力",
                                        "値", "0〜100 の整数"))
    sheet.freeze_row = 2
    sheet.protected = True
    sheet.protect_format_rows_columns = True
    sheet.print_setup = {"orientation": "landscape", "header": "&R" + header_footer_text("A&B課"),
                         "footer": "&C&P / &N"}
    sheet.print_titles = "$1:$1"
    sheet.print_area = "$A$1:$C$3"
    sheet.selected = True
    sheet.text_numbers_ok = "A2:C3"
    hidden = book.add_sheet("_lists", "veryHidden")
    hidden.append_row(1, [(1, "◎", 0)])
    book.defined_names.append(("list_grade", "_lists!$A$1:$A$1"))
    book.lock_structure = True
    book.title = "題 <1>"
    book.save(tmp_path / "f.xlsx")

    wb = openpyxl.load_workbook(tmp_path / "f.xlsx")
    ws = wb["取組状況"]
    assert wb.active.title == "取組状況"
    assert [ws["A2"].value, ws["A3"].value, ws["B3"].value] == [7, 2.5, True]
    assert ws["C2"].value == '=IF(LEN(TRIM(B2))=0,"未入力","")'
    assert ws["A1"].font.b and ws["A1"].font.name == "ＭＳ Ｐゴシック"
    assert ws["B2"].protection.locked is False and ws["A2"].protection.locked is True
    assert ws["B2"].fill.fgColor.rgb.endswith("FFF2CC") and ws["B2"].number_format == "@"
    assert ws["B2"].border.left.style == "thin"
    assert ws.column_dimensions["B"].width == 30 and ws.row_dimensions[1].height == 40
    assert [str(r) for r in ws.merged_cells.ranges] == ["A5:C5"]
    assert ws.freeze_panes == "A2"
    assert ws.protection.sheet and ws.protection.formatRows is False
    dv = ws.data_validations.dataValidation[0]
    assert (dv.type, dv.formula1, dv.formula2, dv.errorStyle, dv.prompt) == ("whole", "0", "100", "warning",
                                                                              "0〜100 の整数")
    rules = [(str(r.sqref), rule.formula) for r in ws.conditional_formatting for rule in r.rules]
    assert rules == [("B2:B3", ["LEN(TRIM(B2))=0"])]
    assert ws.oddHeader.right.text == "A&&B課" and ws.print_title_rows == "$1:$1"
    assert ws.print_area == "'取組状況'!$A$1:$C$3" and ws.page_setup.orientation == "landscape"
    assert wb["_lists"].sheet_state == "veryHidden"
    assert wb.defined_names["list_grade"].attr_text == "_lists!$A$1:$A$1"
    assert wb.security.lockStructure and wb.properties.title == "題 <1>"
    with zipfile.ZipFile(tmp_path / "f.xlsx") as zf:  # openpyxl does not read ignoredErrors
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert '<ignoredError sqref="A2:C3" numberStoredAsText="1"/>' in xml
    assert xml.index("</headerFooter>") < xml.index("<ignoredErrors>")  # the schema's element order


def test_rows_must_come_in_order() -> None:
    book, _ = _book()
    sheet = book.add_sheet("s")
    sheet.append_row(2, [(1, "a", 0)])
    with pytest.raises(ValueError):
        sheet.append_row(2, [(1, "b", 0)])


def test_same_book_same_bytes(tmp_path: Path) -> None:
    """Deterministic output: zip entry dates come from the book, not the clock."""
    for name in ("a", "b"):
        book, ids = _book()
        book.add_sheet("s").append_row(1, [(1, "x", ids["bold"])])
        book.save(tmp_path / f"{name}.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_print_titles_columns_breaks_and_pages_wide(tmp_path: Path) -> None:
    """A sheet two pages wide: fit to 2 pages wide, the key columns and the header row
    repeated (one _xlnm.Print_Titles holding both, columns first as Excel writes it), a
    manual column break before the inputs and row breaks, right half after left half."""
    book, ids = _book()
    sheet = book.add_sheet("取組 状況")
    for row in range(1, 6):
        sheet.append_row(row, [(col, f"{row}-{col}", 0) for col in range(1, 7)])
    sheet.print_setup = {"orientation": "landscape", "pages_wide": 2, "page_order": "overThenDown"}
    sheet.print_titles = "$1:$1"
    sheet.print_title_columns = "$A:$B"
    sheet.column_breaks = [4]
    sheet.row_breaks = [3]
    book.save(tmp_path / "f.xlsx")

    ws = openpyxl.load_workbook(tmp_path / "f.xlsx")["取組 状況"]
    assert ws.print_title_rows == "$1:$1" and ws.print_title_cols == "$A:$B"
    assert int(ws.page_setup.fitToWidth) == 2 and int(ws.page_setup.fitToHeight) == 0
    assert ws.page_setup.pageOrder == "overThenDown"
    assert [b.id for b in ws.col_breaks.brk] == [4] and [b.id for b in ws.row_breaks.brk] == [3]
    assert all(b.man for b in ws.col_breaks.brk + ws.row_breaks.brk)
    with zipfile.ZipFile(tmp_path / "f.xlsx") as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "'取組 状況'!$A:$B,'取組 状況'!$1:$1</definedName>" in workbook
    assert xml.index("<pageSetup") < xml.index("<rowBreaks") < xml.index("<colBreaks")  # the schema's order


def test_number_formats_frozen_columns_filter_and_margins(tmp_path: Path) -> None:
    """What the form compilation's 一覧 needs: a custom number format beside a built-in
    one, rows and columns frozen together, an auto filter (with Excel's hidden
    _FilterDatabase name), the header and footer margins and the default row height."""
    styles = StyleSheet()
    decimal, again = styles.add(number_format="#,##0.0#"), styles.add(number_format="#,##0.0#")
    thousands, other = styles.add(number_format=3), styles.add(number_format="0.000")
    book = Book(styles)
    sheet = book.add_sheet("一覧")
    sheet.append_row(1, [(1, "コード", 0), (2, "値", 0), (3, "率", 0)])
    sheet.append_row(2, [(1, "01", 0), (2, 1234.5, decimal), (3, 1234, thousands), (4, 0.5, other)])
    sheet.freeze_row, sheet.freeze_column = 2, 3
    sheet.auto_filter = "A1:C2"
    sheet.default_row_height = 15
    sheet.print_setup = {"margins": (0.5, 0.5, 1, 1), "header_footer_margins": (0.5, 0.5)}
    book.save(tmp_path / "f.xlsx")

    assert decimal == again
    wb = openpyxl.load_workbook(tmp_path / "f.xlsx")
    ws = wb["一覧"]
    assert [ws["B2"].number_format, ws["C2"].number_format, ws["D2"].number_format] == ["#,##0.0#", "#,##0", "0.000"]
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == "A1:C2"
    assert ws.sheet_format.defaultRowHeight == 15
    margins = ws.page_margins
    assert (margins.left, margins.top, margins.header, margins.footer) == (0.5, 1, 0.5, 0.5)
    with zipfile.ZipFile(tmp_path / "f.xlsx") as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">\'一覧\'!$A$1:$C$2<' in workbook
    assert '<pane xSplit="2" ySplit="1" topLeftCell="C2" activePane="bottomRight" state="frozen"/>' in xml
    assert xml.index("</sheetData>") < xml.index("<autoFilter") < xml.index("<pageMargins")  # the schema's order
    assert CalamineWorkbook.from_path(str(tmp_path / "f.xlsx")).get_sheet_by_name("一覧").to_python()[1][1] == 1234.5
