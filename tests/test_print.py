"""Every printed output, printed: LibreOffice renders each kind of workbook to PDF and
``pdftotext -bbox`` measures what a reader gets on A4.

For the two bundled samples, a larger plan ("other town", tests/print_helpers.py) and the form survey sample (form003):
a generated workbook (記入方法, 取組状況, 中間評価, 今後の方向性, その他の取組),
a 差戻し copy (修正依頼 first), 確認結果.xlsx and 集計表.xlsx are printed in one
LibreOffice run, then on every page:

- the paper is A4 and no word's box crosses its edge (nothing cut by the paper);
- every word is 8 pt or more: a word box's height is the font's height at the printed
  size, so it is turned into pt against a calibration sheet of 10 pt text printed at
  100 % in the same run, in the same fonts (whatever the machine substitutes for
  ＭＳ Ｐゴシック);
- no year in parentheses is cut by a line wrap (（令和11年度） leaving 度） or a lone ）).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pytest

from helpers import soffice_path
from print_helpers import Word, convert_to_pdf, other_town_master, pdf_words
from welfare_workbook.excel import FONT_NAME
from welfare_workbook.generate import generate
from welfare_workbook.master import load_master, sample_path
from welfare_workbook.pipeline import collect
from welfare_workbook.simulate import simulate_returns

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")

MIN_POINTS = 8.0
A4 = {(595, 842), (842, 595)}
CALIBRATION = {"cjk": "本文の文字の大きさ", "latin": "Body 0123"}  # 10 pt, printed at 100 %
# the tail of a year cut by a wrap: 度）, 11年度）, or a ） alone after （令和…
YEAR_TAIL = re.compile(r"^(?:[0-9０-９]+年度?|年度?|度)[）)]")
OPEN_YEAR = re.compile(r"[（(](?:令和|平成|R)[0-9０-９]*年?度?$")


def _is_cjk(text: str) -> bool:
    return bool(text) and ord(text[0]) >= 0x2E80


def _calibration(folder: Path) -> Path:
    """A sheet of 10 pt text in the font every output uses, printed at 100 %."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    for row, text in enumerate(CALIBRATION.values(), start=1):
        ws.cell(row, 1, text).font = Font(name=FONT_NAME, size=10)
    ws.column_dimensions["A"].width = 40
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    path = folder / "00_calibration.xlsx"
    wb.save(path)
    return path


def _ratios(words: Sequence[Word]) -> Dict[str, float]:
    """Word-box height per pt of font size, for Japanese and for Latin text."""
    found = {}
    for kind, text in CALIBRATION.items():
        first = text.split()[0]
        boxes = [w.height for w in words if w.text == first]
        assert boxes, f"calibration text {first!r} not found in the PDF"
        found[kind] = boxes[0] / 10.0
    return found


def _outputs(name: str, master_path: Path, work: Path) -> List[Tuple[str, Path]]:
    """(label, workbook) of every printed output of one survey: the largest generated
    workbook, a 差戻し copy, 確認結果 and 集計表."""
    master, issues = load_master(master_path)
    assert master is not None and not issues.has_errors, [i.message for i in issues]
    generated = generate(master, work / "調査票")
    assert not generated.issues.has_errors
    simulate_returns(master, generated.workbooks, work / "提出")
    result = collect(master, [work / "提出"], work / "回収結果")
    biggest = max(generated.workbooks, key=lambda wb: (len(wb.sheets), wb.items))
    outputs = [(f"{name} 調査票", biggest.file), (f"{name} 確認結果", Path(result.outputs["checks"])),
               (f"{name} 集計表", Path(result.outputs["summary"]))]
    sendbacks = sorted(Path(p) for key, p in result.outputs.items() if key.startswith("sendback:"))
    assert sendbacks, f"{name}: the simulated returns should need a 差戻し copy"
    outputs.append((f"{name} 差戻し", sendbacks[0]))
    return outputs


def _form_outputs(work: Path) -> List[Tuple[str, Path]]:
    """The same four kinds for the form survey sample (seed 003): a form, its 差戻し copy,
    確認結果 and 集計表 (the compilation, one page or more per 団体)."""
    from welfare_workbook.form_cli import simulate_sample_returns
    from welfare_workbook.form_generate import generate_forms
    from welfare_workbook.form_master import form_sample_path, load_form_master
    from welfare_workbook.form_pipeline import collect_forms

    master, issues = load_form_master(form_sample_path())
    assert master is not None and not issues.has_errors
    generated = generate_forms(master, work / "調査票")
    simulate_sample_returns(master, {wb.respondent_id: wb.file for wb in generated.workbooks}, work / "提出")
    result = collect_forms(master, [work / "提出"], work / "回収結果")
    sendbacks = sorted(Path(p) for key, p in result.outputs.items() if key.startswith("sendback:"))
    assert sendbacks, "form003: the simulated returns should need a 差戻し copy"
    return [("form003 調査票", max(wb.file for wb in generated.workbooks)),
            ("form003 確認結果", Path(result.outputs["checks"])), ("form003 集計表", Path(result.outputs["summary"])),
            ("form003 差戻し", sendbacks[0])]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, List[Word]]:
    """label -> the words of its PDF; 'calibration' -> the calibration sheet's."""
    base = tmp_path_factory.mktemp("print")
    masters = {"dai3ji": sample_path("dai3ji"), "dai2ji_chukan": sample_path("dai2ji_chukan"),
               "other_town": other_town_master(base / "other_town")}
    staged = base / "staged"
    staged.mkdir()
    sources = [_calibration(staged)]
    labels = ["calibration"]
    made = [output for name, path in masters.items() for output in _outputs(name, path, base / name)]
    for label, workbook in made + _form_outputs(base / "form003"):
        # one LibreOffice run for all: names made unique, as the PDFs share a folder
        target = staged / f"{len(sources):02d}_{label.replace(' ', '_')}.xlsx"
        shutil.copy2(workbook, target)
        sources.append(target)
        labels.append(label)
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils (CI's .ci/run does)"
    pdfs = convert_to_pdf(sources, base / "pdf", base / "lo_profile")
    return {label: pdf_words(pdf) for label, pdf in zip(labels, pdfs)}


def test_every_output_kind_was_printed(printed: Dict[str, List[Word]]) -> None:
    kinds = {label.split()[1] for label in printed if label != "calibration"}
    assert kinds == {"調査票", "確認結果", "集計表", "差戻し"}
    assert len(printed) == 1 + 4 * 4  # three row-survey masters and the form survey
    for label, words in printed.items():
        assert words, f"{label}: no text printed"


def test_pages_are_a4_and_no_text_crosses_the_edge(printed: Dict[str, List[Word]]) -> None:
    problems = []
    for label, words in printed.items():
        sizes = {(round(w.page_width), round(w.page_height)) for w in words}
        if not sizes <= A4:
            problems.append(f"{label}: pages of {sizes - A4} pt")
        problems += [f"{label} p.{w.page}: {w.text!r} at x {w.x0:.0f}–{w.x1:.0f}, y {w.y0:.0f}–{w.y1:.0f}"
                     for w in words if w.outside]
    assert not problems, "\n".join(problems[:20])


def test_body_text_is_at_least_8_pt(printed: Dict[str, List[Word]]) -> None:
    ratio = _ratios(printed["calibration"])
    problems = []
    for label, words in printed.items():
        if label == "calibration":
            continue
        smallest: Dict[int, Tuple[float, str]] = {}
        for w in words:
            size = w.height / ratio["cjk" if _is_cjk(w.text) else "latin"]
            if size < smallest.get(w.page, (99.0, ""))[0]:
                smallest[w.page] = (size, w.text)
        problems += [f"{label} p.{page}: {size:.1f} pt ({text!r})"
                     for page, (size, text) in sorted(smallest.items()) if size < MIN_POINTS - 0.05]
    assert not problems, "text printed under 8 pt:\n" + "\n".join(problems[:20])


def test_years_are_not_cut_inside_their_parentheses(printed: Dict[str, List[Word]]) -> None:
    problems = []
    for label, words in printed.items():
        for before, word in zip(words, words[1:]):
            if YEAR_TAIL.match(word.text) or (word.text in ("）", ")") and OPEN_YEAR.search(before.text)):
                problems.append(f"{label} p.{word.page}: {before.text!r} / {word.text!r}")
    assert not problems, "\n".join(problems[:20])
