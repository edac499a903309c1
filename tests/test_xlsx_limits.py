"""The direct .xlsx writer refuses what Excel would repair, and generate turns a master
text that is too long into an issue naming where it is instead of writing a broken file."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any, Dict, List

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from helpers import master_rows, run_cli, set_value, soffice_path
from welfare_workbook.generate import generate
from welfare_workbook.master import load_master
from welfare_workbook.xlsx import (
    CELL_TEXT_LIMIT, Book, Formula, StyleSheet, Validation, XlsxError, XlsxLimitError, clip, utf16_length,
)

ASTRAL = "𠮷"  # one character, two UTF-16 code units (Excel's LEN gives 2)


def _book() -> Book:
    return Book(StyleSheet(), created=dt.datetime(2030, 4, 1, 9, 0))


def _saved(book: Book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# sheet names


@pytest.mark.parametrize("name", [
    "a" * 32, ASTRAL * 16,  # 32 UTF-16 units although 16 characters
    "", "a[b", "a]b", "a:b", "a*b", "a?b", "a/b", "a\\b", "'quoted", "quoted'",
    "History", "HISTORY", "bell\x07", "_x0041_",
])
def test_sheet_names_excel_refuses_raise_at_once(name: str) -> None:
    book = _book()
    with pytest.raises(XlsxError):
        book.add_sheet(name)
    assert book.sheets == []


def test_sheet_name_length_counts_utf16_units() -> None:
    book = _book()
    book.add_sheet("a" * 31)
    book.add_sheet(ASTRAL * 15 + "a")  # 31 units
    with pytest.raises(XlsxLimitError) as raised:
        book.add_sheet(ASTRAL * 15 + "ab")  # 32 units, 17 characters
    assert (raised.value.length, raised.value.limit) == (32, 31)


@pytest.mark.parametrize("first, second", [("取組", "取組"), ("Sheet", "sHEET"), ("ＡＢＣ", "ａｂｃ")])
def test_sheet_names_are_unique_ignoring_case(first: str, second: str) -> None:
    book = _book()
    book.add_sheet(first)
    with pytest.raises(XlsxError, match="taken"):
        book.add_sheet(second)


def test_names_excel_accepts_are_written() -> None:
    book = _book()
    for name in ("O'Brien", "記入 & <確認>", "a" * 31, "History1", "_x41_", "x0041"):
        book.add_sheet(name).append_row(1, [(1, name, 0)])
    wb = openpyxl.load_workbook(io.BytesIO(_saved(book)))
    assert wb.sheetnames == [s.name for s in book.sheets]


def test_a_sheet_renamed_after_it_was_added_is_checked_on_saving() -> None:
    book = _book()
    book.add_sheet("一")
    book.add_sheet("二").name = "一"
    with pytest.raises(XlsxError, match="taken"):
        _saved(book)


# ---------------------------------------------------------------------------
# cell values


def test_cell_text_up_to_the_limit_is_written_and_reads_back() -> None:
    book = _book()
    longest = "あ" * (CELL_TEXT_LIMIT - 2) + ASTRAL  # 32,767 units
    book.add_sheet("s").append_row(1, [(1, longest, 0)])
    data = _saved(book)
    assert CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("s").to_python()[0][0] == longest
    assert openpyxl.load_workbook(io.BytesIO(data))["s"]["A1"].value == longest


@pytest.mark.parametrize("text, length", [
    ("x" * (CELL_TEXT_LIMIT + 1), CELL_TEXT_LIMIT + 1),
    ("内" * 40_000, 40_000),
    (ASTRAL * 16_384, 32_768),  # 16,384 characters, but 32,768 UTF-16 units
    ("\x01" * 10 + "x" * CELL_TEXT_LIMIT + "𠮷", CELL_TEXT_LIMIT + 2),  # counted as written: control characters dropped
])
def test_cell_text_over_the_limit_raises_with_the_address(text: str, length: int) -> None:
    book = _book()
    sheet = book.add_sheet("取組状況")
    sheet.append_row(1, [(1, "ok", 0)])
    with pytest.raises(XlsxLimitError) as raised:
        sheet.append_row(3, [(1, "ok", 0), (2, text, 0)])
    error = raised.value
    assert (error.sheet, error.cell, error.length, error.limit) == ("取組状況", "B3", length, CELL_TEXT_LIMIT)
    assert "'取組状況'!B3" in str(error) and "32,767" in str(error)
    sheet.append_row(3, [(1, "ok", 0), (2, "short", 0)])  # the refused row was not half written
    ws = openpyxl.load_workbook(io.BytesIO(_saved(book)))["取組状況"]
    assert [ws["A1"].value, ws["B3"].value] == ["ok", "short"]


def test_control_characters_do_not_count_towards_the_limit() -> None:
    book = _book()
    book.add_sheet("s").append_row(1, [(1, "\x01" * 10 + "x" * CELL_TEXT_LIMIT, 0)])


@pytest.mark.parametrize("value", [
    dt.date(2025, 4, 1), dt.datetime(2025, 4, 1, 9, 0), dt.time(9, 0), decimal.Decimal("1.5"),
    float("nan"), float("inf"), float("-inf"), 1e308, -10 ** 400, b"bytes", ["list"],
])
def test_values_that_are_not_text_numbers_or_bools_raise_with_the_address(value: Any) -> None:
    sheet = _book().add_sheet("s")
    with pytest.raises(XlsxError) as raised:
        sheet.append_row(7, [(3, value, 0)])
    assert not isinstance(raised.value, XlsxLimitError)  # a programming error, not data that is too long
    assert raised.value.cell == "C7" and "'s'!C7" in str(raised.value)


def test_numbers_bools_and_formulas_are_still_written() -> None:
    book = _book()
    book.add_sheet("s").append_row(1, [(1, 0, 0), (2, -2.5, 0), (3, 9.99e307, 0), (4, False, 0),
                                       (5, 10 ** 15, 0), (6, Formula("A1+1"), 0)])
    ws = openpyxl.load_workbook(io.BytesIO(_saved(book)))["s"]
    assert [c.value for c in ws[1]] == [0, -2.5, 9.99e307, False, 10 ** 15, "=A1+1"]


def test_a_formula_over_excels_limit_raises() -> None:
    sheet = _book().add_sheet("s")
    sheet.append_row(1, [(1, Formula("1+" * 4095 + "11"), 0)])  # 8,192 characters
    with pytest.raises(XlsxLimitError) as raised:
        sheet.append_row(2, [(1, Formula("1+" * 4096 + "1"), 0)])
    assert (raised.value.cell, raised.value.length) == ("A2", 8_193)


# ---------------------------------------------------------------------------
# headers, footers, validations


@pytest.mark.parametrize("part", ["header", "footer"])
def test_header_and_footer_over_255_units_raise_on_saving(part: str) -> None:
    book = _book()
    sheet = book.add_sheet("s")
    sheet.print_setup = {part: "&R" + "課" * 253}  # 255 units: fine
    _saved(book)
    sheet.print_setup = {part: "&R" + "課" * 252 + ASTRAL}  # 254 characters, 256 units
    with pytest.raises(XlsxLimitError) as raised:
        _saved(book)
    assert (raised.value.sheet, raised.value.cell, raised.value.length) == ("s", part, 256)


@pytest.mark.parametrize("field, limit", [("error_title", 32), ("prompt_title", 32), ("error", 255), ("prompt", 255)])
def test_validation_titles_and_messages_over_excels_limits_raise(field: str, limit: int) -> None:
    Validation("A1:A9", **{field: "あ" * limit})
    with pytest.raises(XlsxLimitError) as raised:
        Validation("A1:A9", **{field: "あ" * (limit - 1) + ASTRAL})
    assert (raised.value.length, raised.value.limit, raised.value.cell) == (limit + 1, limit, "A1:A9")
    validation = Validation("A1:A9")
    setattr(validation, field, "あ" * (limit + 1))  # changed after it was made: refused on writing
    with pytest.raises(XlsxLimitError):
        validation.to_xml()


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.sampled_from(["a", "あ", ASTRAL, "😀", " "]), max_size=40), limit=st.integers(0, 60))
def test_clip_cuts_by_utf16_units_and_never_splits_a_pair(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert text.startswith(clipped)
    assert utf16_length(clipped) <= limit
    if clipped != text:  # as long as it can be: the next character would not fit
        assert utf16_length(text[:len(clipped) + 1]) > limit
    clipped.encode("utf-8")  # no lone surrogate


def test_texts_excel_decodes_in_headers_and_validations_are_escaped_as_office_does() -> None:
    book = _book()
    sheet = book.add_sheet("s")
    sheet.print_setup = {"header": "&R_x0041_課", "footer": "&C&P / &N"}
    sheet.validations.append(Validation("A1", prompt_title="_x0041_", prompt="p_x000D_", error="e__x0041_"))
    data = _saved(book)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<oddHeader>&amp;R_x005F_x0041_課</oddHeader>" in xml
    assert 'promptTitle="_x005F_x0041_"' in xml and 'prompt="p_x005F_x000D_"' in xml
    assert 'error="e__x005F_x0041_"' in xml
    ws = openpyxl.load_workbook(io.BytesIO(data))["s"]
    assert ws.oddHeader.right.text == "_x0041_課"  # openpyxl decodes headers as Excel does


# ---------------------------------------------------------------------------
# the theme part


def test_the_package_has_a_theme_part() -> None:
    book = _book()
    book.add_sheet("s").append_row(1, [(1, "x", 0)])
    data = _saved(book)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "xl/theme/theme1.xml" in zf.namelist()
        types = zf.read("[Content_Types].xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        theme = zf.read("xl/theme/theme1.xml").decode()
    assert ('<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.theme+xml"/>') in types
    assert 'relationships/theme" Target="theme/theme1.xml"/>' in rels
    assert len(set(re.findall(r'Id="(rId\d+)"', rels))) == 3  # sheet, theme, styles: distinct ids
    assert "<a:clrScheme" in theme and "<a:fontScheme" in theme and "<a:fmtScheme" in theme
    assert openpyxl.load_workbook(io.BytesIO(data)).loaded_theme


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed; CI installs it")
def test_libreoffice_reads_escape_like_text_as_written(tmp_path: Path) -> None:
    """LibreOffice, like Excel, decodes _xHHHH_ in each run: what it reads is exported as CSV.

    (Its own .xlsx export does not escape overlapping ones such as _x005F_x0041_, so the
    CSV, not a re-saved .xlsx, shows what it read.)
    """
    texts = ["_x0041_", "a_x005F_b", " _x0041_ ", "_x005F_x0041_", "_x0041_x0042_", "普通の文"]
    book = _book()
    book.add_sheet("s").append_row(1, [(col, text, 0) for col, text in enumerate(texts, start=1)])
    source = tmp_path / "t.xlsx"
    book.save(source)
    proc = subprocess.run(
        [str(soffice_path()), f"-env:UserInstallation={(tmp_path / 'profile').resolve().as_uri()}", "--headless",
         "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76', "--outdir", str(tmp_path / "out"), str(source)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "out" / "t.csv", encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == texts


# ---------------------------------------------------------------------------
# generate: a master text too long becomes an issue


def _csv_master(rows: Dict[str, List[List[str]]], folder: Path) -> Path:
    """The master as a folder of CSV files: unlike an .xlsx, a CSV cell has no length limit."""
    folder.mkdir()
    for sheet, sheet_rows in rows.items():
        with open(folder / f"{sheet}.csv", "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(sheet_rows)
    return folder


def test_a_master_cell_over_excels_limit_is_an_issue_naming_the_cell(tmp_path: Path) -> None:
    rows = master_rows()
    row = set_value(rows, "取組", "取組No", "5", "内容", "内" * 40_000)
    master_path = _csv_master(rows, tmp_path / "master")
    master, issues = load_master(master_path)
    assert master is None
    assert [(i.code, i.sheet, i.cell) for i in issues] == [("master_value_too_long", "取組", f"D{row}")]
    assert issues.items[0].message == (f"「取組」シート D{row}：内容が 40,000 文字あり、Excel の 1 セルの上限"
                                       "（32,767 文字）を超えています。短くしてください。")

    result = run_cli("generate", "--master", str(master_path), "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 1
    assert [i["code"] for i in json.loads(result.stdout)["issues"]] == ["master_value_too_long"]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_master_cell_at_the_limit_loads(tmp_path: Path) -> None:
    rows = master_rows()
    set_value(rows, "取組", "取組No", "5", "内容", "内" * CELL_TEXT_LIMIT)
    master, issues = load_master(_csv_master(rows, tmp_path / "master"))
    assert master is not None and not issues.has_errors


def test_a_text_made_too_long_from_the_master_is_an_issue_and_no_file(tmp_path: Path) -> None:
    """Texts generate composes (an indicator's name and its actions, the department in
    the print header) are checked by the writer: generate reports, writes nothing broken."""
    rows = master_rows()
    set_value(rows, "指標", "指標No", "2", "指標名", "名" * CELL_TEXT_LIMIT)  # the cell fits; "\n③④" is added
    set_value(rows, "担当課", "課ID", "K03", "課名", "健康長寿課" * 60)  # 300 characters, the print header 255
    master, _ = load_master(_csv_master(rows, tmp_path / "master"))
    assert master is not None
    result = generate(master, tmp_path / "out", generated_at=dt.datetime(2025, 4, 1, 9, 0))
    found = {i.respondent_id: i for i in result.issues if i.code == "generate_value_too_long"}
    assert sorted(found) == ["K01", "K02", "K03"], [i.message for i in result.issues]
    assert found["K01"].sheet == "取組状況" and found["K01"].cell and "32,770" in found["K01"].message
    assert found["K03"].cell is None and "印刷ヘッダー" in found["K03"].message and "255" in found["K03"].message
    written = {w.respondent_id for w in result.workbooks}
    assert not written & {"K01", "K02", "K03"} and written
    assert {p.name for p in (tmp_path / "out").iterdir()} == {w.file.name for w in result.workbooks}
    assert result.issues.has_errors


def test_help_text_cut_with_clip_is_accepted_by_a_validation() -> None:
    # generate cuts the help of an input column with clip() where it used to cut characters
    text = "あ" * 253 + ASTRAL + "い"  # 256 units
    assert clip(text, 255) == "あ" * 253 + ASTRAL
    assert Validation("A1", prompt=clip(text, 255)).prompt == "あ" * 253 + ASTRAL
    with pytest.raises(XlsxLimitError):
        Validation("A1", prompt=text[:255])  # cutting characters is not enough
