"""Generated workbooks: golden dump, protection, rows per respondent, validations,
context from 実績, _meta, file names, the generate command, LibreOffice re-save."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Dict, List, Set, Tuple

import openpyxl
import pytest

from helpers import (
    GUIDE_SHEET, LISTS_SHEET, META_SHEET, SAMPLE_MASTER_ARGS, dict_differences, dump_workbook, has_forbidden_filename_chars,
    header_columns, input_cells, master_rows, meta_keys_by_sheet, read_meta, run_cli, set_value,
    soffice_convert, soffice_path, sqref_cells, unlocked_cells, validations_at, write_master,
)
from welfare_workbook.excel import INPUT_FILL, LOCKED_FILL, safe_filename
from welfare_workbook.contract import pack_meta_rows, row_hash, survey_id, unpack_meta_rows
from welfare_workbook.generate import GenerateResult, build_workbook, generate
from welfare_workbook.master import Master, cell_text, load_master, sample_rows
from welfare_workbook.spec import load_specs, template_version

GOLDEN_DIR = Path(__file__).parent / "golden"
SURVEY_SHEETS = ("取組状況", "中間評価", "今後の方向性", "その他の取組")
GRADES = ["◎", "○", "△", "×"]
DIRECTIONS = ["拡充", "継続", "見直し", "廃止"]
HEADER_ROW, FIRST_ROW = 4, 5


def load(path: Path) -> Master:
    master, issues = load_master(path)
    assert master is not None, [i.message for i in issues]
    return master


def open_wb(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


# ---------------------------------------------------------------------------
# golden


def test_golden_dump_of_k02(workbook_of) -> None:
    """The whole K02 (社会福祉協議会) workbook, normalised, against tests/golden/generate_K02.json.

    Set UPDATE_GOLDEN=1 to rewrite the file after an intended change; review its diff.
    """
    golden = GOLDEN_DIR / "generate_K02.json"
    actual = dump_workbook(workbook_of["K02"].file)
    if os.environ.get("UPDATE_GOLDEN") == "1" or not golden.exists():
        existed = golden.exists()
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if not existed:
            pytest.fail(f"{golden} did not exist and has been written: review it and commit it")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    diffs = dict_differences(expected, actual)
    assert not diffs, "generated workbook differs from the golden dump " \
                      "(UPDATE_GOLDEN=1 rewrites it after an intended change):\n" + "\n".join(diffs)


def test_golden_dump_is_sane(workbook_of) -> None:
    """What the golden file must show, whatever else changes."""
    dump = dump_workbook(workbook_of["K02"].file)
    assert dump["sheets"] == [
        [GUIDE_SHEET, "visible"], ["取組状況", "visible"], ["中間評価", "visible"], ["今後の方向性", "visible"],
        ["その他の取組", "visible"], [LISTS_SHEET, "veryHidden"], [META_SHEET, "veryHidden"],
    ]
    assert dump["workbook_protection"]["lockStructure"] is True
    assert dump["defined_names"] == {"list_direction": "_lists!$B$2:$B$5", "list_grade": "_lists!$A$2:$A$5"}
    sheet = dump["sheet"]["取組状況"]
    assert sheet["header"][0] == "No." and "令和6年度の値" in sheet["header"]
    assert sheet["print"]["orientation"] == "landscape"
    assert sheet["print"]["paperSize"] == 9  # A4
    # two A4 landscape pages wide: last years' facts left, this year's inputs right, No. to 指標 repeated
    assert sheet["print"]["fitToWidth"] == 2 and sheet["print"]["fitToHeight"] == 0
    assert sheet["print"]["fitToPage"] is True
    assert sheet["print"]["print_title_rows"] == "$4:$4" and sheet["print"]["print_title_cols"] == "$A:$C"
    assert sheet["print"]["column_breaks"] == [10] and sheet["print"]["page_order"] == "overThenDown"
    assert sheet["freeze_panes"] == "A5"
    assert sheet["protection"]["sheet"] is True
    assert sheet["conditional_formats"], "required inputs must be highlighted while empty"
    assert dump["meta"]["pairs"]["respondent_id"] == "K02"
    assert "generated_at" not in dump["meta"]["pairs"]


# ---------------------------------------------------------------------------
# locked / unlocked, protection


def _check_protection(path: Path) -> int:
    specs = load_specs()
    wb = open_wb(path)
    assert wb.security is not None and wb.security.lockStructure is True
    assert wb[GUIDE_SHEET].protection.sheet is True
    assert not unlocked_cells(wb[GUIDE_SHEET])
    _, meta_rows = read_meta(wb)
    checked = 0
    for name in wb.sheetnames:
        if name not in SURVEY_SHEETS:
            continue
        ws = wb[name]
        spec = specs[name]
        rows = [r["row"] for r in meta_rows if r["sheet"] == name]
        first, last = min(rows), max(rows)
        assert (first, last) == (FIRST_ROW, FIRST_ROW + len(rows) - 1)
        assert ws.protection.sheet is True, name
        expected_inputs = input_cells(ws, spec, first, last)
        # the unlocked cells are exactly the input cells, nothing else
        assert unlocked_cells(ws) == expected_inputs, name
        for coordinate in expected_inputs:
            cell = ws[coordinate]
            assert cell.fill.fill_type == "solid"
            assert cell.fill.fgColor.rgb[-6:].upper() == INPUT_FILL, coordinate
            checked += 1
        for cell in ws[HEADER_ROW]:
            assert cell.value not in (None, ""), f"{name}!{cell.coordinate} header is empty"
            assert cell.protection.locked is True
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None and cell.coordinate not in expected_inputs:
                    assert cell.protection.locked is True, f"{name}!{cell.coordinate}"
        # locked context columns are grey, never the input colour
        for col in spec.locked_columns:
            cell = ws.cell(first, spec.index(col.id))
            assert cell.fill.fgColor.rgb[-6:].upper() == LOCKED_FILL
    assert wb[LISTS_SHEET].protection.sheet is True and wb[META_SHEET].protection.sheet is True
    return checked


def test_only_input_cells_are_unlocked(generated: GenerateResult) -> None:
    total = sum(_check_protection(wb.file) for wb in generated.workbooks)
    assert total > 500  # the test really looked at input cells


def test_only_input_cells_are_unlocked_dai2ji(generated_2: GenerateResult) -> None:
    assert sum(_check_protection(wb.file) for wb in generated_2.workbooks) > 100


# ---------------------------------------------------------------------------
# rows per respondent


def expected_keys(master_rows_: Dict[str, List[List[str]]]) -> Dict[str, Dict[str, Set[str]]]:
    """dept -> sheet -> row keys, computed from the master's rows (not from the model)."""

    def records(sheet: str) -> List[Dict[str, str]]:
        header, *body = master_rows_[sheet]
        return [dict(zip(header, row)) for row in body]

    def ids(text: str) -> List[str]:
        return [p.strip() for p in text.split(",") if p.strip()]

    settings = {r["項目"]: r["値"] for r in records("調査設定")}
    enabled = set(ids(settings["対象シート"]))
    measured = {int(n) for ind in records("指標") for n in ids(ind["関連取組"])}
    out: Dict[str, Dict[str, Set[str]]] = {}
    for dept in (r["課ID"] for r in records("担当課")):
        sheets: Dict[str, Set[str]] = {}
        if "取組状況" in enabled:
            sheets["取組状況"] = {f"IND:{r['指標No']}:{dept}" for r in records("指標") if dept in ids(r["回答課ID"])}
        mine = [r for r in records("取組") if dept in [r["主担当課ID"]] + ids(r["関係課ID"])]
        for name in ("中間評価", "今後の方向性"):
            if name in enabled:
                sheets[name] = {f"ACT:{r['取組No']}:{dept}" for r in mine}
        if "取組状況" in enabled:
            sheets["その他の取組"] = {f"ACT:{r['取組No']}:{dept}" for r in mine if int(r["取組No"]) not in measured}
        out[dept] = {name: keys for name, keys in sheets.items() if keys}
    return out


def _check_rows(result: GenerateResult, rows: Dict[str, List[List[str]]]) -> None:
    expected = expected_keys(rows)
    by_dept = {wb.respondent_id: wb for wb in result.workbooks}
    assert set(by_dept) == {d for d, sheets in expected.items() if sheets}
    for dept, wbinfo in by_dept.items():
        wb = open_wb(wbinfo.file)
        pairs, meta_rows = read_meta(wb)
        assert pairs["respondent_id"] == dept
        keys = meta_keys_by_sheet(meta_rows)
        assert {s: set(k) for s, k in keys.items()} == expected[dept], dept
        for sheet, sheet_keys in keys.items():
            assert len(sheet_keys) == len(set(sheet_keys)), f"{dept} {sheet}: duplicate row keys"
        # sheet order: guide, the survey sheets in fixed order, then the hidden ones
        survey = [s for s in SURVEY_SHEETS if s in expected[dept]]
        assert wb.sheetnames == [GUIDE_SHEET, *survey, LISTS_SHEET, META_SHEET]
        assert pairs["sheets"] == ",".join(survey)
        # the visible No. column agrees with the keys; no rows beyond them
        for r in meta_rows:
            ws = wb[r["sheet"]]
            assert str(ws.cell(r["row"], 1).value) == r["row_key"].split(":")[1], (dept, r)
        for sheet in survey:
            ws = wb[sheet]
            numbers = [ws.cell(row, 1).value for row in range(FIRST_ROW, ws.max_row + 1)]
            assert [str(n) for n in numbers] == [k.split(":")[1] for k in keys[sheet]]
            assert wbinfo.sheets[sheet] == len(keys[sheet])
        assert wbinfo.items == sum(len(k) for k in keys.values())


def test_each_respondent_gets_exactly_its_rows(generated: GenerateResult) -> None:
    _check_rows(generated, sample_rows("dai3ji"))


def test_each_respondent_gets_exactly_its_rows_dai2ji(generated_2: GenerateResult) -> None:
    _check_rows(generated_2, sample_rows("dai2ji_chukan"))


def test_departments_with_nothing_to_answer_get_no_workbook(tmp_path: Path) -> None:
    rows = master_rows()
    rows["担当課"].append(["K99", "会計課", "庁内", "k99@example.jp", ""])  # referenced nowhere
    set_value(rows, "調査設定", "項目", "対象シート", "値", "取組状況")
    master = load(write_master(rows, tmp_path / "master.xlsx"))
    result = generate(master, tmp_path / "out", generated_at=dt.datetime(2025, 4, 1, 9, 0))
    got = {wb.respondent_id for wb in result.workbooks}
    assert "K99" not in got
    # 学校教育課 only has action 7, which indicator 4 measures: nothing to answer here
    assert "K08" not in got
    assert {d.id for d in master.respondents()} == got
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == len(got)
    _check_rows(result, rows)


def test_dai2ji_generates_only_chukan_and_kongo(generated_2: GenerateResult) -> None:
    assert len(generated_2.workbooks) == 13
    for info in generated_2.workbooks:
        wb = open_wb(info.file)
        assert wb.sheetnames == [GUIDE_SHEET, "中間評価", "今後の方向性", LISTS_SHEET, META_SHEET]
        assert "取組状況" not in info.sheets
        assert set(info.sheets) == {"中間評価", "今後の方向性"}


# ---------------------------------------------------------------------------
# validations and lists


def test_indicator_value_validation_follows_its_type(generated: GenerateResult, sample_master: Master) -> None:
    spec = load_specs()["取組状況"]
    letter = openpyxl.utils.get_column_letter(spec.index("value"))
    seen_types = set()
    for info in generated.workbooks:
        wb = open_wb(info.file)
        if "取組状況" not in wb.sheetnames:
            continue
        ws = wb["取組状況"]
        _, meta_rows = read_meta(wb)
        for r in (r for r in meta_rows if r["sheet"] == "取組状況"):
            indicator = sample_master.indicators[int(r["row_key"].split(":")[1])]
            dvs = validations_at(ws, f"{letter}{r['row']}")
            types = {dv.type for dv in dvs}
            seen_types.add(indicator.type)
            if indicator.type == "整数":
                assert types == {"whole"}, r
            elif indicator.type == "小数":
                assert types == {"decimal"}, r
            else:
                assert not types & {"whole", "decimal"}, r
            for dv in dvs:
                if dv.type in ("whole", "decimal"):
                    # a warning, not a stop: '―' (no figure) must stay possible
                    assert dv.errorStyle == "warning"
                    assert float(dv.formula1) < 0 < float(dv.formula2)
    assert seen_types == {"整数", "小数", "文章", "複合"}


def _list_range(wb: openpyxl.Workbook, name: str) -> List[str]:
    defined = wb.defined_names[name]
    values = []
    for sheet, ref in defined.destinations:
        assert sheet == LISTS_SHEET
        for row in wb[sheet][ref.replace("$", "")]:
            values.extend(c.value for c in row)
    return values


def test_dropdowns_use_defined_names_on_the_hidden_list_sheet(generated: GenerateResult) -> None:
    checked = 0
    for info in generated.workbooks:
        wb = open_wb(info.file)
        assert _list_range(wb, "list_grade") == GRADES
        assert _list_range(wb, "list_direction") == DIRECTIONS
        assert wb[LISTS_SHEET].sheet_state == "veryHidden"
        _, meta_rows = read_meta(wb)
        for sheet, column, name in (("中間評価", "grade", "list_grade"), ("今後の方向性", "direction", "list_direction")):
            if sheet not in wb.sheetnames:
                continue
            ws = wb[sheet]
            letter = openpyxl.utils.get_column_letter(load_specs()[sheet].index(column))
            cells = {f"{letter}{r['row']}" for r in meta_rows if r["sheet"] == sheet}
            lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
            assert len(lists) == 1
            # OOXML stores the formula without a leading "=" (Excel repairs files that have one)
            assert lists[0].formula1 == name
            assert sqref_cells(lists[0].sqref) == cells
            checked += len(cells)
        for ws in wb.worksheets:
            for dv in ws.data_validations.dataValidation:
                assert not (dv.formula1 or "").startswith('"'), "no inline lists"
    assert checked > 100


def test_every_input_cell_has_one_validation_with_a_message(generated: GenerateResult) -> None:
    """Excel repairs (and users distrust) files where validations overlap; each input explains itself."""
    specs = load_specs()
    for info in generated.workbooks:
        wb = open_wb(info.file)
        _, meta_rows = read_meta(wb)
        for sheet in (s for s in wb.sheetnames if s in SURVEY_SHEETS):
            ws = wb[sheet]
            rows = [r["row"] for r in meta_rows if r["sheet"] == sheet]
            coverage: Dict[str, int] = {}
            for dv in ws.data_validations.dataValidation:
                assert dv.prompt and len(dv.prompt) <= 255
                assert dv.promptTitle and len(dv.promptTitle) <= 32
                assert dv.showInputMessage
                assert len(dv.error or "") <= 255 and len(dv.errorTitle or "") <= 32
                for cell in sqref_cells(dv.sqref):
                    coverage[cell] = coverage.get(cell, 0) + 1
            inputs = input_cells(ws, specs[sheet], min(rows), max(rows))
            assert set(coverage) == inputs, sheet
            assert set(coverage.values()) == {1}, sheet


# ---------------------------------------------------------------------------
# context from 実績


def _results_from_csv() -> Dict[Tuple[int, str, str], Dict[str, str]]:
    header, *body = sample_rows("dai3ji")["実績"]
    out = {}
    for row in body:
        record = dict(zip(header, row))
        if record["指標No"]:
            out[(int(record["年度"]), record["指標No"], record["課ID"])] = record
    return out


def test_previous_years_come_from_jisseki(generated: GenerateResult) -> None:
    results = _results_from_csv()
    k01_ind1 = None
    for info in generated.workbooks:
        wb = open_wb(info.file)
        if "取組状況" not in wb.sheetnames:
            continue
        ws = wb["取組状況"]
        cols = header_columns(ws, HEADER_ROW)
        _, meta_rows = read_meta(wb)
        for r in (r for r in meta_rows if r["sheet"] == "取組状況"):
            _, no, dept = r["row_key"].split(":")
            shown = {}
            for year, label in ((2023, "令和5年度"), (2022, "令和4年度")):
                record = results.get((year, no, dept), {})
                value = ws.cell(r["row"], cols[f"{label}の値"]).value
                content = ws.cell(r["row"], cols[f"{label}の具体的な取組内容"]).value
                assert cell_text(value) == cell_text(record.get("値", "")), (r, year)
                assert cell_text(content) == cell_text(record.get("取組内容", "")), (r, year)
                shown[year] = (value, content)
            if (no, dept) == ("1", "K01"):
                k01_ind1 = shown
    assert k01_ind1 is not None
    r5_value, r5_content = k01_ind1[2023]
    r4_value, r4_content = k01_ind1[2022]
    assert r5_content and r5_content.startswith("〇包括的な支援体制に向けて")
    assert r4_content and "5月30日地域福祉審議会" in r4_content
    assert str(r5_value) == cell_text(results[(2023, "1", "K01")]["値"])
    assert str(r4_value) == cell_text(results[(2022, "1", "K01")]["値"])


def test_indicator_context_shows_baseline_target_and_actions(workbook_of, sample_master: Master) -> None:
    wb = open_wb(workbook_of["K01"].file)
    ws = wb["取組状況"]
    cols = header_columns(ws, HEADER_ROW)
    _, meta_rows = read_meta(wb)
    row = next(r["row"] for r in meta_rows if r["row_key"] == "IND:1:K01")
    assert ws.cell(row, cols["現状値"]).value == "0\n（令和2年度）"
    assert ws.cell(row, cols["目標値"]).value == "1\n（令和8年度）"
    assert ws.cell(row, cols["指標（実現に向けての主な目標）・関連する取組"]).value == "包括的な支援体制の整備\n①②"
    assert ws.cell(row, cols["基本施策"]).value == "重点施策 包括的な支援体制づくり"


# ---------------------------------------------------------------------------
# _meta


def test_meta_rows_pack_into_cells_a_spreadsheet_can_hold() -> None:
    """A large sheet's row table spreads over several cells, each within Excel's 32,767
    characters, and reads back whole and in order."""
    rows = [(5 + i, f"IND:{i}:D{i:05d}", f"{i:016x}") for i in range(3000)]
    chunks = pack_meta_rows(rows)
    assert len(chunks) > 2 and all(0 < len(chunk) <= 32_767 for chunk in chunks)
    assert unpack_meta_rows("取組状況", chunks) == [("取組状況", *row) for row in rows]
    assert pack_meta_rows([]) == [] and unpack_meta_rows("x", []) == []


def test_meta_sheet(generated: GenerateResult, sample_master: Master) -> None:
    specs = load_specs()
    for info in generated.workbooks:
        wb = open_wb(info.file)
        assert wb[META_SHEET].sheet_state == "veryHidden"
        pairs, meta_rows = read_meta(wb)
        assert pairs["survey_id"] == survey_id(sample_master)
        assert re.fullmatch(r"S[0-9a-f]{12}", pairs["survey_id"])
        assert pairs["fiscal_year"] == 2024
        assert pairs["respondent_id"] == info.respondent_id
        assert pairs["respondent"] == info.respondent
        assert pairs["template_version"] == template_version()
        assert pairs["generated_at"] == "2025-04-01T09:00:00"
        assert len(meta_rows) == info.items
        for r in meta_rows:
            assert re.fullmatch(r"[0-9a-f]{16}", r["row_hash"])
            # the hash covers exactly the locked texts of the row, so a return can be
            # checked from its cell values alone
            ws = wb[r["sheet"]]
            spec = specs[r["sheet"]]
            locked = [ws.cell(r["row"], spec.index(c.id)).value for c in spec.locked_columns]
            assert r["row_hash"] == row_hash(locked), r


def test_row_hash_is_program_independent_and_sensitive() -> None:
    assert row_hash(["1", "a"]) == row_hash([1, "a"]) == row_hash([1.0, "a"])
    assert row_hash([None, "a"]) == row_hash(["", "a"])
    assert row_hash(["x\r\ny"]) == row_hash(["x\ny"])
    assert row_hash(["a", "b"]) != row_hash(["a", "c"])
    assert row_hash(["ab", ""]) != row_hash(["a", "b"])


def test_regenerating_is_deterministic(workbook_of, sample_master: Master, tmp_path: Path) -> None:
    dept = sample_master.departments["K02"]
    path = tmp_path / "again.xlsx"
    build_workbook(sample_master, dept, generated_at=dt.datetime(2030, 1, 2, 3, 4)).save(path)
    pairs_a, rows_a = read_meta(workbook_of["K02"].file)
    pairs_b, rows_b = read_meta(path)
    assert rows_a == rows_b
    assert pairs_b.pop("generated_at") == "2030-01-02T03:04:00"
    pairs_a.pop("generated_at")
    assert pairs_a == pairs_b
    assert dump_workbook(path) == dump_workbook(workbook_of["K02"].file)


def test_locked_text_change_changes_the_hash(sample_master: Master, tmp_path: Path) -> None:
    rows = master_rows()
    set_value(rows, "取組", "取組No", "5", "内容", "別の内容")
    changed = load(write_master(rows, tmp_path / "m.xlsx"))
    at = dt.datetime(2025, 4, 1)
    build_workbook(sample_master, sample_master.departments["K02"], generated_at=at).save(tmp_path / "a.xlsx")
    build_workbook(changed, changed.departments["K02"], generated_at=at).save(tmp_path / "b.xlsx")
    _, rows_a = read_meta(tmp_path / "a.xlsx")
    _, rows_b = read_meta(tmp_path / "b.xlsx")
    assert [(x["sheet"], x["row_key"]) for x in rows_a] == [(y["sheet"], y["row_key"]) for y in rows_b]
    differing = {(x["sheet"], x["row_key"]) for x, y in zip(rows_a, rows_b) if x["row_hash"] != y["row_hash"]}
    assert differing == {("中間評価", "ACT:5:K02"), ("今後の方向性", "ACT:5:K02"), ("その他の取組", "ACT:5:K02")}


# ---------------------------------------------------------------------------
# file names


def test_generated_file_names(generated: GenerateResult, sample_master: Master) -> None:
    names = [wb.file.name for wb in generated.workbooks]
    assert len(set(names)) == len(names)
    for info in generated.workbooks:
        name = info.file.name
        stem = info.file.stem
        assert name.endswith(".xlsx")
        assert not has_forbidden_filename_chars(name), name
        assert not stem.endswith((".", " ")), name
        assert info.respondent in name
        assert sample_master.settings.survey_name in name


def test_nasty_names_give_safe_distinct_file_names(tmp_path: Path) -> None:
    rows = master_rows()
    set_value(rows, "担当課", "課ID", "K02", "課名", '社会福祉協議会/本所: "地域福祉係" <*>|?')
    set_value(rows, "担当課", "課ID", "K04", "課名", "健康長寿課")  # same name as K03
    set_value(rows, "調査設定", "項目", "調査名", "値", "令和6年度 進捗状況調査?. ")
    master = load(write_master(rows, tmp_path / "master.xlsx"))
    result = generate(master, tmp_path / "out", generated_at=dt.datetime(2025, 4, 1, 9, 0))
    names = {wb.respondent_id: wb.file.name for wb in result.workbooks}
    assert len(set(names.values())) == len(names)
    for name in names.values():
        assert not has_forbidden_filename_chars(name), name
        assert not Path(name).stem.endswith((".", " ")), name
        assert (tmp_path / "out" / name).exists()
    assert names["K02"].startswith("社会福祉協議会／本所：")
    assert names["K03"] != names["K04"]
    assert "(K04)" in names["K04"]
    assert {p.name for p in (tmp_path / "out").iterdir()} == set(names.values())


@pytest.mark.parametrize("nasty", [
    'a/b\\c:d*e?f"g<h>i|j',
    "名前. . ",
    "  先頭と末尾  ",
    "CON",
    "com1.txt",
    "",
    "...",
    "制御\x00文字\x07\t\n改行",
    "か\u3099",  # decomposed が
    "長" * 300,
])
def test_safe_filename(nasty: str) -> None:
    safe = safe_filename(nasty)
    assert safe
    assert not has_forbidden_filename_chars(safe)
    assert not safe.endswith((".", " ")) and not safe.startswith(" ")
    assert len(safe) <= 121
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert safe_filename(safe) == safe  # idempotent


def test_safe_filename_examples() -> None:
    assert safe_filename('a/b\\c:d*e?f"g<h>i|j') == "a／b￥c：d＊e？f”g＜h＞i｜j"
    assert safe_filename("名前. . ") == "名前"
    assert safe_filename("CON") == "_CON"
    assert safe_filename("か\u3099") == "が"
    assert safe_filename("福祉政策課_令和6年度 進捗状況調査") == "福祉政策課_令和6年度 進捗状況調査"


# ---------------------------------------------------------------------------
# the generate command


def _generate_json(out: Path, *extra: str):
    result = run_cli("generate", *SAMPLE_MASTER_ARGS, "--out", str(out), "--json", *extra)
    payload = json.loads(result.stdout)
    return result, payload


def test_generate_command_json(tmp_path: Path, sample_master: Master) -> None:
    out = tmp_path / "調査票"
    result, payload = _generate_json(out)
    assert result.exit_code == 0, result.output
    workbooks = payload["workbooks"]
    assert len(workbooks) == len(sample_master.respondents()) == 11
    for entry in workbooks:
        assert {"respondent_id", "respondent", "file", "items"} <= set(entry)
        assert Path(entry["file"]).exists()
        assert entry["respondent"] == sample_master.departments[entry["respondent_id"]].name
        _, meta_rows = read_meta(Path(entry["file"]))
        assert entry["items"] == len(meta_rows) > 0
    files = {Path(e["file"]).name for e in workbooks}
    assert {p.name for p in out.iterdir()} == files  # nothing else, no temporary files

    # again into the same folder: the same files, nothing extra
    result, payload = _generate_json(out)
    assert result.exit_code == 0
    assert {Path(e["file"]).name for e in payload["workbooks"]} == files
    assert {p.name for p in out.iterdir()} == files
    assert payload["issues"] == []


def test_generate_removes_stale_and_keeps_foreign_files(tmp_path: Path, generated_2: GenerateResult) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / generated_2.workbooks[0].file.name  # a workbook of another survey
    shutil.copy2(generated_2.workbooks[0].file, stale)
    foreign = out / "事務局メモ.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "メモ"
    wb.save(foreign)
    lock = out / "~$福祉政策課_令和6年度 進捗状況調査.xlsx"
    lock.write_bytes(b"lock")

    result, payload = _generate_json(out)
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert foreign.exists() and lock.exists()
    files = {Path(e["file"]).name for e in payload["workbooks"]}
    assert {p.name for p in out.glob("*.xlsx")} == files | {foreign.name, lock.name}
    by_code = {(i["code"], i["file"]): i for i in payload["issues"]}
    assert set(by_code) == {("generate_removed_stale", stale.name), ("generate_foreign_file", foreign.name)}
    assert by_code[("generate_foreign_file", foreign.name)]["severity"] == "warning"
    assert by_code[("generate_foreign_file", foreign.name)]["context"] == {}  # the file is the whole story

    # the plain-text output names the foreign file too
    text = run_cli("generate", *SAMPLE_MASTER_ARGS, "--out", str(out))
    assert text.exit_code == 0
    assert foreign.name in text.stdout and "注意" in text.stdout


def test_generate_with_an_invalid_master_writes_nothing(tmp_path: Path) -> None:
    rows = master_rows()
    set_value(rows, "指標", "指標No", "1", "型", "数字")
    master = write_master(rows, tmp_path / "master.xlsx")
    result = run_cli("generate", "--master", str(master), "--out", str(tmp_path / "out"), "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert [i["code"] for i in payload["issues"]] == ["master_unknown_type"]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


# ---------------------------------------------------------------------------
# LibreOffice re-save


def _locked_map(ws) -> Dict[str, bool]:
    return {
        c.coordinate: bool(c.protection.locked)
        for row in ws.iter_rows() for c in row
        if hasattr(c, "column_letter") and (c.value is not None or not c.protection.locked)
    }


def _refers_to_list(formula: str, name: str, column: str) -> bool:
    formula = (formula or "").lstrip("=").replace("'", "")
    return formula == name or formula.replace("$", "") == f"{LISTS_SHEET}!{column}2:{column}5"


@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed; CI installs it")
def test_libreoffice_resave_keeps_lists_meta_and_protection(workbook_of, tmp_path: Path) -> None:
    import python_calamine

    original = tmp_path / "K02.xlsx"
    shutil.copy2(workbook_of["K02"].file, original)
    resaved = soffice_convert(original, tmp_path / "lo_out", tmp_path / "lo_profile")

    before = openpyxl.load_workbook(original)
    after = openpyxl.load_workbook(resaved)
    assert after.sheetnames == before.sheetnames
    assert after[META_SHEET].sheet_state in ("hidden", "veryHidden")
    assert read_meta(after) == read_meta(before)

    for sheet, name, column in (("中間評価", "list_grade", "A"), ("今後の方向性", "list_direction", "B")):
        lists_before = [dv for dv in before[sheet].data_validations.dataValidation if dv.type == "list"]
        lists_after = [dv for dv in after[sheet].data_validations.dataValidation if dv.type == "list"]
        assert len(lists_after) == 1, sheet
        assert _refers_to_list(lists_after[0].formula1, name, column), lists_after[0].formula1
        assert sqref_cells(lists_after[0].sqref) == sqref_cells(lists_before[0].sqref)
    assert _list_range(after, "list_grade") == GRADES
    assert _list_range(after, "list_direction") == DIRECTIONS

    for sheet in (s for s in before.sheetnames if s in SURVEY_SHEETS or s == GUIDE_SHEET):
        assert after[sheet].protection.sheet is True, sheet
        assert unlocked_cells(after[sheet]) == unlocked_cells(before[sheet]), sheet
        locked_before = _locked_map(before[sheet])
        locked_after = _locked_map(after[sheet])
        assert {k: locked_after.get(k, True) for k in locked_before} == locked_before, sheet

    # the fast reader opens it and sees the same _meta and the same locked texts
    book = python_calamine.CalamineWorkbook.from_path(str(resaved))
    assert META_SHEET in book.sheet_names
    meta = book.get_sheet_by_name(META_SHEET).to_python()
    pairs = {str(r[0]): r[1] for r in meta if r and r[0] not in ("", None)}
    assert pairs["respondent_id"] == "K02"
    assert int(pairs["fiscal_year"]) == 2024
    specs = load_specs()
    _, meta_rows = read_meta(before)
    for r in meta_rows:
        values = book.get_sheet_by_name(r["sheet"]).to_python()[r["row"] - 1]
        spec = specs[r["sheet"]]
        locked = [values[spec.index(c.id) - 1] for c in spec.locked_columns]
        assert row_hash(locked) == r["row_hash"], r
