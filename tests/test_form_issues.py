"""Each bad input of a form survey is one Japanese, cell-addressed issue, and the other files are still processed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from welfare_workbook.form_generate import form_book
from welfare_workbook.form_master import FormMaster
from welfare_workbook.form_pipeline import collect_forms
from welfare_workbook.form_simulate import fill_form, plan_form_answers, rows_by_key
from welfare_workbook.issues import Issue

CODE = "012068"  # 釧路市: runs 地域力強化推進事業 and 多機関協働事業, 推進員数 2


@pytest.fixture(scope="module")
def master(form_master: FormMaster) -> FormMaster:
    return form_master


@pytest.fixture(scope="module")
def forms(blank_forms: Path) -> Path:
    return blank_forms


def submit(master: FormMaster, forms: Path, tmp_path: Path, changes: Dict[str, Optional[Any]],
           code: str = CODE) -> Any:
    """One 団体's complete return with ``changes`` (None empties a cell) beside a clean return of another."""
    returns = tmp_path / "returns"
    for who, edits in ((code, changes), ("132195", {})):
        respondent = master.bodies[who]
        answers = plan_form_answers(master, respondent)
        for key, value in edits.items():
            if value is None:
                answers.pop(key, None)
            else:
                answers[key] = value
        source = next(forms.glob(f"{who}_*.xlsx"))
        fill_form(master, respondent, source, returns / source.name, answers)
    return collect_forms(master, [returns], tmp_path / "out")


def cell_of(master: FormMaster, key: str, code: str = CODE) -> str:
    return f"C{rows_by_key(master, master.bodies[code])[key].row}"


def only(result: Any, code: str) -> List[Issue]:
    return [i for i in result.issues if i.code == code]


def clean_other(result: Any) -> None:
    other = next(r for r in result.roster if r.department.id == "132195")
    assert other.status == "提出済" and other.current.errors == 0


def test_answer_where_item_does_not_apply_is_a_warning(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    result = submit(master, forms, tmp_path, {"p_name": "（県の事業）"})  # 都道府県事業 not chosen
    [issue] = only(result, "form_not_applicable")
    assert issue.severity == "warning" and issue.cell == cell_of(master, "p_name") and issue.sheet == "調査票"
    assert "都道府県事業" in issue.message
    clean_other(result)


def test_required_item_of_applying_section_empty_is_an_error(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    result = submit(master, forms, tmp_path, {"t_goal": None, "phone": None})
    assert {i.cell for i in only(result, "form_required_empty")} == {cell_of(master, "t_goal"), cell_of(master, "phone")}
    assert all(i.severity == "error" for i in only(result, "form_required_empty"))
    clean_other(result)


def test_section_that_does_not_apply_needs_nothing(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    """鷹栖町 runs only 地域力強化推進事業: an empty 多機関 section is no error."""
    result = submit(master, forms, tmp_path, {}, code="014524")
    assert result.valid


def test_repeat_block_beyond_the_masters_number(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    result = submit(master, forms, tmp_path, {"suishin_career.3": "3人目の経歴"})
    [issue] = only(result, "form_block_beyond_max")
    assert issue.cell == cell_of(master, "suishin_career.3") and issue.context["max"] == 2
    assert issue.context["block"] == 3


def test_later_block_in_use_needs_its_required_items(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    result = submit(master, forms, tmp_path, {"result_title.2": "○○部会", "result_text.2": None})
    assert [i.cell for i in only(result, "form_required_empty")] == [cell_of(master, "result_text.2")]


@pytest.mark.parametrize("code, expected", [("012067", "form_code_check_digit"), ("012041", "form_code_unknown"),
                                            ("01206", "form_bad_code"), ("132195", "form_code_mismatch")])
def test_dantai_code_checks(master: FormMaster, forms: Path, tmp_path: Path, code: str, expected: str) -> None:
    result = submit(master, forms, tmp_path, {"dantai_code": code})
    [issue] = [i for i in result.issues if i.code.startswith("form_") and "code" in i.code]
    assert issue.code == expected and issue.cell == cell_of(master, "dantai_code") and issue.severity == "error"
    clean_other(result)


def test_bad_values_are_cell_addressed(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    result = submit(master, forms, tmp_path, {"population": "約170万", "jigyo:3": "はい?", "as_of": "昔",
                                              "welfare_rate_unit": "割"})
    found = {i.code: i.cell for i in result.issues if i.severity == "error"}
    assert found["not_a_number"] == cell_of(master, "population")
    assert found["form_bad_mark"] == cell_of(master, "jigyo:3")
    assert found["form_bad_month"] == cell_of(master, "as_of")
    assert found["bad_choice"] == cell_of(master, "welfare_rate_unit")


def test_other_survey_other_year_and_row_table_survey(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    from welfare_workbook.generate import build_workbook
    from welfare_workbook.master import load_master, sample_path

    returns = tmp_path / "returns"
    returns.mkdir()
    respondent = master.bodies[CODE]
    last_year = dataclasses.replace(master, settings=dataclasses.replace(master.settings, fiscal_year=2017))
    form_book(last_year, respondent)[0].save(returns / "前年度.xlsx")
    other = dataclasses.replace(master, settings=dataclasses.replace(master.settings, survey_name="別の調査"))
    form_book(other, respondent)[0].save(returns / "別調査.xlsx")
    row_master, _ = load_master(sample_path())
    build_workbook(row_master, row_master.respondents()[0]).save(returns / "表形式.xlsx")
    good = master.bodies["132195"]
    source = next(forms.glob("132195_*.xlsx"))
    fill_form(master, good, source, returns / source.name, plan_form_answers(master, good))
    result = collect_forms(master, [returns], tmp_path / "out")
    codes = {i.file: i.code for i in result.issues if i.severity == "error"}
    assert codes == {"前年度.xlsx": "wrong_year", "別調査.xlsx": "wrong_survey", "表形式.xlsx": "form_rowtable_return"}
    clean_other(result)
    assert not result.valid


def test_form_without_meta_is_matched_by_its_code(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    respondent = master.bodies[CODE]

    def drop_meta(wb: Any) -> None:
        del wb["_meta"]

    source = next(forms.glob(f"{CODE}_*.xlsx"))
    fill_form(master, respondent, source, tmp_path / "r" / "renamed.xlsx", plan_form_answers(master, respondent),
              edit=drop_meta)
    result = collect_forms(master, [tmp_path / "r"], tmp_path / "out")
    assert [i.code for i in result.issues if i.severity != "info"] == ["meta_matched_by_content"]
    assert result.returns[0].respondent_id == CODE and result.valid


def test_inserted_row_is_found_by_its_locked_texts(master: FormMaster, forms: Path, tmp_path: Path) -> None:
    respondent = master.bodies[CODE]
    where = rows_by_key(master, respondent)

    def insert(wb: Any) -> None:
        ws = wb["調査票"]
        ws.protection.sheet = False
        ws.insert_rows(where["feature"].row)

    source = next(forms.glob(f"{CODE}_*.xlsx"))
    answers = plan_form_answers(master, respondent)
    fill_form(master, respondent, source, tmp_path / "r" / "x.xlsx", answers, edit=insert)
    result = collect_forms(master, [tmp_path / "r"], tmp_path / "out")
    moved = only(result, "row_moved")
    assert moved and moved[0].context["expected_row"] == where["feature"].row
    values = {c.row_key: c.value for c in result.returns[0].cells}
    assert values["aim"] == answers["aim"]  # read from where the row is now
    # rows of the same texts further down (a group's name and its items, each block) are
    # each read from their own row, and the form's own notes are not stray values
    typed = {c.row_key: c.raw for c in result.returns[0].cells if c.raw != ""}
    assert {k: str(v) for k, v in typed.items()} == {k: str(v) for k, v in answers.items()}
    assert all(i.context["row"] == i.context["expected_row"] + 1 for i in moved)
    assert not only(result, "form_value_unread")
