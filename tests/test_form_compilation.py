"""集計表.xlsx written by the fast writer (form_compilation) is, for its reader, the
workbook the openpyxl writer made (tests/compilation_oracle.py): every cell's value,
font, fill, border, alignment and number format, the merges, widths, row heights,
page breaks, frozen panes, the filter and the print set-up, compared as openpyxl reads
them back, never as bytes. The data: the form sample's transcribed answers (the demo's)
and every applying cell filled, each with the odd cases a compilation meets (a 団体
not in the master, a 団体 that sent nothing, text past Excel's limit, '&' in the
survey's name)."""

from __future__ import annotations

import copy
import dataclasses
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple

import openpyxl
import pytest

from compilation_oracle import write_compilation_openpyxl
from helpers import dict_differences, soffice_path
from welfare_workbook.excel_limits import CELL_TEXT_LIMIT
from welfare_workbook.form_answers import FormRecord, records_from_answers
from welfare_workbook.form_compilation import write_compilation
from welfare_workbook.form_master import FormMaster
from welfare_workbook.form_pipeline import collect_forms
from welfare_workbook.form_simulate import fill_form, plan_form_answers, sample_answers


def _rgb(color: Any) -> Any:
    """A colour's RGB without its alpha (openpyxl writes 00, the fast writer FF; Excel ignores it)."""
    return color.rgb[-6:] if color is not None and isinstance(color.rgb, str) else None


def _cell(cell: Any) -> Dict[str, Any]:
    font, fill, border, align = cell.font, cell.fill, cell.border, cell.alignment
    value = None if cell.value == "" else cell.value  # an empty text and no value read back alike
    return {
        "v": value, "font": [font.name, float(font.sz or 11), bool(font.b), _rgb(font.color)],
        "fill": _rgb(fill.fgColor) if fill.fill_type == "solid" else None,
        "border": [[side.style, _rgb(side.color) if side.style else None]
                   for side in (border.left, border.right, border.top, border.bottom)],
        "align": [align.horizontal, align.vertical, bool(align.wrap_text)], "format": cell.number_format,
    }


def dump_compilation(path: Path) -> Dict[str, Any]:
    """What a reader of 集計表.xlsx sees, as openpyxl reads it back."""
    wb = openpyxl.load_workbook(path)
    out: Dict[str, Any] = {"sheets": wb.sheetnames, "active": wb.active.title}
    for ws in wb.worksheets:
        ps, margins = ws.page_setup, ws.page_margins
        out[ws.title] = {
            "cells": {c.coordinate: _cell(c) for row in ws.iter_rows() for c in row
                      if hasattr(c, "column_letter") and (c.value not in (None, "") or c.has_style)},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: d.width for k, d in sorted(ws.column_dimensions.items()) if d.customWidth},
            "heights": {r: d.height for r, d in sorted(ws.row_dimensions.items()) if d.customHeight},
            "default_height": float(ws.sheet_format.defaultRowHeight),
            "row_breaks": [(b.id, bool(b.man)) for b in ws.row_breaks.brk],
            "column_breaks": [b.id for b in ws.col_breaks.brk],
            "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref,
            "print": [ps.orientation, int(ps.paperSize), int(ps.fitToWidth), int(ps.fitToHeight),
                      bool(ws.sheet_properties.pageSetUpPr.fitToPage), ws.print_title_rows, ws.print_title_cols,
                      ws.print_area, ps.pageOrder],
            "margins": [margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer],
            "header": [ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text],
            "footer": [ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text],
        }
    wb.close()
    return out


def _records(master: FormMaster, blank_forms: Path, folder: Path, planned: bool) -> Dict[str, FormRecord]:
    """Every 団体's form filled (the sample's answers, or every applying cell), collected."""
    given = sample_answers()
    returns = folder / "returns"
    for form in sorted(blank_forms.glob("*.xlsx")):
        respondent = master.bodies[form.name.split("_")[0]]
        answers = plan_form_answers(master, respondent) if planned else given.get(respondent.code, {})
        fill_form(master, respondent, form, returns / form.name, answers)
    collect_forms(master, [returns], folder / "out")
    return records_from_answers([folder / "out" / "answers.csv"])


def _odd_cases(master: FormMaster, records: Dict[str, FormRecord]) -> Tuple[FormMaster, Dict[str, FormRecord]]:
    """The same answers with what a compilation also meets: '&' in the survey's name, a
    団体 not in the master, one that sent nothing, text longer than a cell holds."""
    odd = copy.copy(master)
    odd.settings = dataclasses.replace(master.settings, survey_name="調査 A&B ＆ 集計")
    records = dict(records)
    first, missing = sorted(records)[0], sorted(records)[1]
    del records[missing]  # 未提出 in 一覧, no page
    stranger = copy.deepcopy(records[first])
    stranger.code, stranger.respondent = "999999", "マスタにない村"
    key = next(k for k, v in stranger.values.items() if isinstance(v, str) and len(v) > 10)
    stranger.values[key] = "長" * (CELL_TEXT_LIMIT + 50)  # cut to the limit, as openpyxl cut it
    stranger.values[("population", "")] = "=SUM(1)"  # text that looks like a formula stays text
    records["999999"] = stranger
    return odd, records


@pytest.fixture(scope="module", params=["sample", "planned"])
def compiled(request: pytest.FixtureRequest, form_master: FormMaster, blank_forms: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    """(openpyxl's, the fast writer's) 集計表.xlsx of the same records."""
    folder = tmp_path_factory.mktemp(f"compilation_{request.param}")
    master, records = _odd_cases(form_master, _records(form_master, blank_forms, folder, request.param == "planned"))
    write_compilation_openpyxl(master, records, folder / "oracle.xlsx")
    write_compilation(master, records, folder / "fast.xlsx")
    return folder / "oracle.xlsx", folder / "fast.xlsx"


def test_the_fast_compilation_is_the_openpyxl_one_for_its_reader(compiled: Tuple[Path, Path]) -> None:
    oracle, fast = (dump_compilation(path) for path in compiled)
    assert dict_differences(oracle, fast) == []
    pages = fast["団体別"]
    assert len(pages["row_breaks"]) > 3 and len(pages["merged"]) > 100 and len(pages["cells"]) > 1000


def test_the_compilation_holds_the_odd_cases(compiled: Tuple[Path, Path]) -> None:
    wb = openpyxl.load_workbook(compiled[1])
    listing = list(wb["一覧"].iter_rows(values_only=True))
    rows = {row[0]: row for row in listing[1:-2]}
    assert rows["999999"][2] == "マスタにない村" and "未提出" in [row[3] for row in rows.values()]
    assert wb["一覧"].oddHeader.right.text == "調査 A&&B ＆ 集計"
    texts: List[Any] = [c.value for row in wb["団体別"].iter_rows() for c in row]
    assert "長" * CELL_TEXT_LIMIT in texts
    assert isinstance(listing[-2][4], int)  # the population total stays a number


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_compilation(compiled: Tuple[Path, Path], tmp_path: Path) -> None:
    """LibreOffice converts it to PDF (it would stop at a file it has to repair), both sheets printed."""
    source = tmp_path / "集計表.xlsx"
    shutil.copy2(compiled[1], source)
    subprocess.run([str(soffice_path()), f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True,
                   timeout=300)
    assert (tmp_path / "集計表.pdf").stat().st_size > 10_000
