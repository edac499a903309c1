"""差戻し copies of the form survey: the 団体 with errors get their fresh form back with their
answers in the cells of their keys, the problems marked and a 修正依頼 sheet naming the
copy's cells; the copy is a faithful form (collected as-is it gives the same errors, fixed
it gives none and its copy is removed); a copy that cannot be written is an issue."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Dict, List, Tuple

import openpyxl
import pytest

from welfare_workbook.excel import ERROR_FILL
from welfare_workbook.form_contract import ANSWER_COL
from welfare_workbook.form_master import FormMaster
from welfare_workbook.form_pipeline import collect_forms
from welfare_workbook.form_sendback import FORM_RULES
from welfare_workbook.form_simulate import fill_form, plan_form_answers, rows_by_key
from welfare_workbook.report import REQUEST_SHEET

CODE = "012068"  # 釧路市: 推進員数 2, so a third block is too many
PREF = "090000"  # 栃木県 answering for itself (団体名 '－')
WARNED = "014524"  # 鷹栖町: a warning only, no copy
CLEAN = "132195"
LONG = "この行は回答欄ではありませんが、補足として書いておきたいことがあり、ここに記入しました。" * 2  # > 60 characters
OUTSIDE = "備考：電話は午前中のみ"


def typed_answers(form_master: FormMaster, code: str) -> Dict[str, Any]:
    """What each 団体 types: a complete answer with the mistakes of this test."""
    answers = plan_form_answers(form_master, form_master.bodies[code])
    if code == CODE:
        answers.pop("phone")  # required, left empty (it was prefilled): error
        answers["ca_population"] = "全市190,999人"  # not a number: error
        answers["suishin_career.3"] = "（3人目）社会福祉士"  # a block beyond the master's 2: error
    elif code == PREF:
        answers.pop("phone")
    elif code == WARNED:
        answers["t_name"] = "（記入例）多機関協働の取組"  # a section 鷹栖町 does not run: warning
    return answers


def submit(form_master: FormMaster, blank_forms: Path, folder: Path) -> Dict[str, Dict[str, Any]]:
    """The four returns; 釧路市 also inserted a row (its cells moved) and typed two stray values."""
    where = rows_by_key(form_master, form_master.bodies[CODE])
    last = max(r.row for r in where.values())

    def insert_and_stray(wb: Any) -> None:
        ws = wb[form_master.spec.sheet]
        ws.insert_rows(where["feature"].row)
        ws.cell(last + 4, ANSWER_COL).value = LONG  # below the form, in the answer column
        ws["G10"] = OUTSIDE  # right of the form

    typed = {}
    for code in (CODE, PREF, WARNED, CLEAN):
        typed[code] = typed_answers(form_master, code)
        source = next(blank_forms.glob(f"{code}_*.xlsx"))
        fill_form(form_master, form_master.bodies[code], source, folder / source.name, typed[code],
                  edit=insert_and_stray if code == CODE else None)
    return typed


def requests(path: Path) -> List[Tuple[Any, ...]]:
    """The lines of a copy's 修正依頼 below its header (No., 重要度, シート, セル, 直していただきたいこと)."""
    ws = openpyxl.load_workbook(path)[REQUEST_SHEET]
    return [row for row in ws.iter_rows(min_row=5, values_only=True) if row[0] is not None]


def same(a: Any, b: Any) -> bool:
    return str(a if a is not None else "") == str(b if b is not None else "")


def errors_at(result: Any, code: str) -> List[Tuple[str, str]]:
    ret = next(r.current for r in result.roster if r.department.id == code)
    return sorted((i.code, i.cell or "") for i in ret.issues if i.severity == "error")


@pytest.fixture(scope="module")
def collected(form_master: FormMaster, blank_forms: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Tuple[Any, Path, Dict]:
    root = tmp_path_factory.mktemp("sendback")
    typed = submit(form_master, blank_forms, root / "提出")
    return collect_forms(form_master, [root / "提出"], root / "回収結果"), root, typed


def test_only_the_bodies_with_errors_get_a_copy(collected: Tuple[Any, Path, Dict]) -> None:
    result, root, _ = collected
    folder = root / "回収結果" / "差戻し"
    assert sorted(p.name for p in folder.iterdir()) == ["差戻し_012068_釧路市.xlsx", "差戻し_090000_栃木県.xlsx"]
    assert result.outputs["sendback"] == str(folder)
    assert result.outputs[f"sendback:{CODE}"] == str(folder / "差戻し_012068_釧路市.xlsx")
    assert {k for k in result.outputs if k.startswith("sendback:")} == {f"sendback:{CODE}", f"sendback:{PREF}"}
    wb = openpyxl.load_workbook(folder / "差戻し_012068_釧路市.xlsx")
    assert wb.sheetnames[0] == REQUEST_SHEET and wb.active.title == REQUEST_SHEET
    assert [s.sheet_state for s in wb.worksheets[2:]] == ["veryHidden", "veryHidden"]  # _lists, _meta


def test_the_copy_holds_every_typed_value_in_the_cell_of_its_key(form_master: FormMaster,
                                                                 collected: Tuple[Any, Path, Dict]) -> None:
    result, root, typed = collected
    ws = openpyxl.load_workbook(result.outputs[f"sendback:{CODE}"])[form_master.spec.sheet]
    rows = rows_by_key(form_master, form_master.bodies[CODE])
    for key, row in rows.items():
        assert same(ws.cell(row.row, ANSWER_COL).value, typed[CODE].get(key)), key  # emptied prefills too
    ret = next(r for r in result.returns if r.respondent_id == CODE)
    assert any(c.cell != f"C{rows[c.row_key].row}" for c in ret.cells)  # the return's rows had moved


def test_errors_are_marked_and_requested_at_the_copys_cells(form_master: FormMaster,
                                                            collected: Tuple[Any, Path, Dict]) -> None:
    result, _, _ = collected
    path = Path(result.outputs[f"sendback:{CODE}"])
    ws = openpyxl.load_workbook(path)[form_master.spec.sheet]
    rows = rows_by_key(form_master, form_master.bodies[CODE])
    ret = next(r for r in result.returns if r.respondent_id == CODE)
    key_of = {c.cell: c.row_key for c in ret.cells}
    lines = requests(path)
    requested = {line[3] for line in lines if line[3]}
    expected = set()
    for issue in ret.issues:
        if issue.severity != "error" or issue.cell not in key_of:
            continue
        cell = f"C{rows[key_of[issue.cell]].row}"  # where the answer sits in the copy
        expected.add(cell)
        assert ws[cell].comment is not None and ws[cell].fill.fgColor.rgb.endswith(ERROR_FILL), cell
    assert {f"C{rows[k].row}" for k in ("phone", "ca_population", "suishin_career.3")} <= expected
    assert requested == expected
    # the form's own conditional formats (an empty required cell is tinted) must not paint over
    # the shading: a rule for the shaded cells comes first of all
    first = min((rule.priority, str(formats.sqref), rule) for formats in ws.conditional_formatting
                for rule in formats.rules)
    assert first[0] == 1 and set(first[1].split()) == expected and first[2].stopIfTrue
    assert first[2].dxf.fill.bgColor.rgb.endswith(ERROR_FILL)
    for line in lines:
        if line[3]:
            assert line[2] == form_master.spec.sheet and line[4].startswith(f"{line[3]}："), line
    assert not any("行の挿入" in str(line[4]) for line in lines)  # the copy is laid out fresh


def test_stray_values_are_requested_in_full(collected: Tuple[Any, Path, Dict]) -> None:
    result, _, _ = collected
    ret = next(r for r in result.returns if r.respondent_id == CODE)
    strays = [i for i in ret.issues if i.code in FORM_RULES.stray_codes]
    assert {i.code for i in strays} == {"form_value_unread", "input_outside"}
    lines = [line for line in requests(Path(result.outputs[f"sendback:{CODE}"])) if not line[3]]
    for text, issue in ((LONG, next(i for i in strays if i.code == "form_value_unread")),
                        (OUTSIDE, next(i for i in strays if i.code == "input_outside"))):
        assert any(f"『{text}』" in line[4] and f"提出されたファイルの {issue.cell}" in line[4] for line in lines), text


def test_the_copy_collected_as_is_gives_the_same_errors_and_fixed_none(form_master: FormMaster, blank_forms: Path,
                                                                       tmp_path: Path) -> None:
    submit(form_master, blank_forms, tmp_path / "提出")
    out = tmp_path / "回収結果"
    first = collect_forms(form_master, [tmp_path / "提出"], out)
    copy = Path(first.outputs[f"sendback:{CODE}"])
    rows = rows_by_key(form_master, form_master.bodies[CODE])
    key_of = {c.cell: c.row_key for c in next(r for r in first.returns if r.respondent_id == CODE).cells}
    expected = sorted((code, f"C{rows[key_of[cell]].row}") for code, cell in errors_at(first, CODE)
                      if code not in FORM_RULES.layout_codes)  # the inserted row is not in the copy
    assert {"form_required_empty", "not_a_number", "form_block_beyond_max"} <= {code for code, _ in expected}

    as_is = tmp_path / "そのまま"
    as_is.mkdir()
    shutil.copy(copy, as_is / copy.name)
    again = collect_forms(form_master, [as_is], tmp_path / "回収結果2")
    assert again.returns[0].respondent_id == CODE
    assert errors_at(again, CODE) == expected

    # the 団体 fixes the cells named in 修正依頼 and sends the copy back in place of its return
    wb = openpyxl.load_workbook(copy)
    ws = wb[form_master.spec.sheet]
    valid = plan_form_answers(form_master, form_master.bodies[CODE])
    by_row = {r.row: key for key, r in rows.items()}
    for line in requests(copy):
        if line[3]:
            ws[line[3]].value = valid.get(by_row[ws[line[3]].row])
    (tmp_path / "提出" / "012068_釧路市.xlsx").unlink()
    wb.save(tmp_path / "提出" / copy.name)
    fixed = collect_forms(form_master, [tmp_path / "提出"], out)
    assert errors_at(fixed, CODE) == []
    assert not copy.exists() and f"sendback:{CODE}" not in fixed.outputs
    assert (out / "差戻し" / "差戻し_090000_栃木県.xlsx").is_file()  # 栃木県 has not fixed its return


def test_an_unwritable_sendback_folder_is_an_issue_and_the_rest_is_written(form_master: FormMaster, blank_forms: Path,
                                                                          tmp_path: Path) -> None:
    submit(form_master, blank_forms, tmp_path / "提出")
    out = tmp_path / "回収結果"
    out.mkdir()
    (out / "差戻し").write_text("in the way", encoding="utf-8")  # a file where the folder should be
    result = collect_forms(form_master, [tmp_path / "提出"], out)
    unwritable = [i for i in result.issues if i.code == "output_unwritable"]
    assert unwritable and all(i.file.startswith("差戻し/") for i in unwritable)
    assert "sendback" not in result.outputs and not any(k.startswith("sendback:") for k in result.outputs)
    for key in ("answers", "wide", "summary", "checks", "issues"):
        assert Path(result.outputs[key]).is_file(), key
    assert not result.valid
