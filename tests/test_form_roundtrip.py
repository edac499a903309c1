"""Form surveys end to end: every answer cell of every generated form, filled (respecting conditions
and choices), arrives in answers.csv at its file and cell — also after a LibreOffice re-save — and
the wide CSV has one row per 団体 with the right 0/1 columns.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from welfare_workbook.answers import csv_text
from welfare_workbook.form_collect import normalize_answer
from welfare_workbook.form_contract import parse_key
from welfare_workbook.form_generate import generate_forms
from welfare_workbook.form_master import FormMaster, form_sample_path, load_form_master
from welfare_workbook.form_pipeline import collect_forms
from welfare_workbook.form_simulate import fill_form, plan_form_answers, rows_by_key
from welfare_workbook.form_spec import MARK


def read_csv(path: Path) -> list:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def master() -> FormMaster:
    loaded, issues = load_form_master(form_sample_path())
    assert loaded is not None, [i.message for i in issues]
    return loaded


@pytest.fixture(scope="module")
def filled(master: FormMaster, tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Dict[Tuple[str, str], Any]]:
    """Every 団体's form with every applying answer cell filled: (folder, (file, cell) -> typed)."""
    root = tmp_path_factory.mktemp("forms")
    generated = generate_forms(master, root / "forms")
    assert generated.valid and len(generated.workbooks) == len(master.bodies)
    typed: Dict[Tuple[str, str], Any] = {}
    for wb in generated.workbooks:
        respondent = master.bodies[wb.respondent_id]
        answers = plan_form_answers(master, respondent)
        cells = fill_form(master, respondent, wb.file, root / "returns" / wb.file.name, answers)
        typed.update({(wb.file.name, cells[key]): (key, value) for key, value in answers.items()})
    return root / "returns", typed


def _expected(master: FormMaster, key: str, value: Any) -> str:
    item_id, _, option = parse_key(key)
    return csv_text(normalize_answer(value, master.spec.item(item_id), option=bool(option))[0])


def _check_answers(master: FormMaster, out: Path, typed: Dict[Tuple[str, str], Any], exact_raw: bool = True) -> None:
    rows = read_csv(out / "answers.csv")
    found = {(r["file"], r["cell"]): r for r in rows}
    assert len(rows) == len(found)  # each typed value exactly once
    assert set(found) == set(typed)
    for where, (key, value) in typed.items():
        row = found[where]
        item_id, block, option = parse_key(key)
        assert row["item_id"] == (f"{item_id}.{block}" if block else item_id)
        assert row["field"] == (master.spec.item(item_id).options[option - 1].value if option else "value")
        assert row["value"] == _expected(master, key, value), (where, key)
        if exact_raw:
            assert row["raw"] == csv_text(value)


def test_every_filled_cell_arrives_in_answers_csv(master: FormMaster, filled: Tuple[Path, Dict], tmp_path: Path) -> None:
    folder, typed = filled
    result = collect_forms(master, [folder], tmp_path)
    assert result.valid, [i.message for i in result.issues if i.severity == "error"]
    assert not [i for i in result.issues if i.severity == "warning"]
    _check_answers(master, tmp_path, typed)
    assert {r.department.id for r in result.roster if r.status == "提出済"} == set(master.bodies)


def test_wide_csv_has_one_row_per_respondent_and_flags(master: FormMaster, filled: Tuple[Path, Dict],
                                                        tmp_path: Path) -> None:
    folder, typed = filled
    collect_forms(master, [folder], tmp_path)
    rows = read_csv(tmp_path / "回答一覧.csv")
    assert [r["団体コード"] for r in rows] == sorted(master.bodies)
    jigyo = master.spec.item("jigyo")
    for row in rows:
        chosen = set(master.prefill(master.bodies[row["団体コード"]], jigyo))
        for option in jigyo.option_values:
            assert row[f"jigyo:{option}"] == ("1" if option in chosen else "0")
        assert row["jigyo"] == "、".join(o for o in jigyo.option_values if o in chosen)
        assert row["状況"] == "提出済"
    # a repeat group has one column per block; values of block 1 of the result group are there
    assert "result_text.1" in rows[0] and "result_text.6" in rows[0]
    assert all(row["result_text.1"] for row in rows)


def test_compilation_pages_follow_each_respondents_sections(master: FormMaster, filled: Tuple[Path, Dict],
                                                            tmp_path: Path) -> None:
    import openpyxl

    folder, _ = filled
    collect_forms(master, [folder], tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "集計表.xlsx")
    assert wb.sheetnames == ["一覧", "団体別"]
    pages = wb["団体別"]
    breaks = len(pages.row_breaks.brk)
    assert breaks == len(master.bodies) - 1  # one printed page (or more) per 団体
    texts = [(r[0], r[1]) for r in pages.iter_rows(values_only=True)]
    # 京極町 runs only 多機関協働事業: its section is numbered ３ (closed up), 地域力 is absent
    start = texts.index(("北海道 京極町", None))
    end = next(i for i in range(start + 1, len(texts)) if texts[i][0] and str(texts[i][0]).startswith("北海道 鷹栖町"))
    mine = [t for t in texts[start:end] if t[0] and str(t[0]).endswith("．") and "－" not in str(t[0])]
    assert mine == [("１．", "自治体の基本情報等"), ("２．", "事業を実施する上でのビジョンについて"),
                    ("３．", "多機関の協働による包括的支援体制構築事業について"), ("４．", "成果目標の達成状況")]
    listing = list(wb["一覧"].iter_rows(values_only=True))
    assert listing[0][:4] == ("団体コード", "都道府県", "団体名", "状況")
    assert listing[-2][0] == "合計" and listing[-1][0] == "平均"
    population = listing[0].index("人口（人）")
    assert listing[-2][population] == sum(r[population] for r in listing[1:-2])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_resave_keeps_every_value(master: FormMaster, filled: Tuple[Path, Dict], tmp_path: Path) -> None:
    folder, typed = filled
    resaved = tmp_path / "resaved"
    resaved.mkdir()
    files = sorted(str(p) for p in folder.glob("*.xlsx"))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless", "--convert-to",
                    "xlsx", "--outdir", str(resaved), *files], check=True, capture_output=True, timeout=300)
    assert len(list(resaved.glob("*.xlsx"))) == len(files)
    result = collect_forms(master, [resaved], tmp_path / "out")
    assert result.valid, [i.message for i in result.issues if i.severity == "error"]
    _check_answers(master, tmp_path / "out", typed, exact_raw=False)


def test_mark_lookalikes_and_units_are_normalised(master: FormMaster, tmp_path: Path) -> None:
    respondent = master.bodies["012068"]
    generate_forms(master, tmp_path / "forms")
    answers = plan_form_answers(master, respondent)
    answers.update({"population": "1,966,735人", "aging_rate": "26.7％", "area": "1362.90", "households": "９４，６５４",
                    "jigyo:1": "✓", "jigyo:2": "レ"})
    fill_form(master, respondent, tmp_path / "forms" / "012068_釧路市.xlsx", tmp_path / "r" / "x.xlsx", answers)
    result = collect_forms(master, [tmp_path / "r"], tmp_path / "out")
    assert result.valid
    rows = {(r["item_id"], r["field"]): r for r in read_csv(tmp_path / "out" / "answers.csv")}
    assert rows[("population", "value")]["value"] == "1966735"
    assert rows[("aging_rate", "value")]["value"] == "26.7"
    assert rows[("area", "value")]["value"] == "1362.9" and rows[("area", "value")]["raw"] == "1362.90"
    assert rows[("households", "value")]["value"] == "94654"
    assert rows[("jigyo", "地域力強化推進事業")]["value"] == MARK
    assert rows[("jigyo", "多機関の協働による包括的支援体制構築事業")]["value"] == MARK
    logged = {i.cell for i in result.issues if i.code == "normalized"}
    where = rows_by_key(master, respondent)
    assert {f"C{where[k].row}" for k in ("population", "aging_rate", "households", "jigyo:1", "jigyo:2")} <= logged


def test_answers_csv_lines_are_each_fields_csv_text(master: FormMaster, filled: Tuple[Path, Dict],
                                                    tmp_path: Path) -> None:
    """answers.csv, written a line at a time, holds what the field-by-field writer held:
    each field as csv_field makes it, for text a spreadsheet would run, quotes, commas,
    line breaks, a NUL and numbers of every kind too."""
    from welfare_workbook.answers import ANSWER_COLUMNS, csv_field
    from welfare_workbook.form_answers import answers_bytes

    folder, _ = filled
    result = collect_forms(master, [folder], tmp_path)
    odd = ["=1+1", "-5", "'=x", 'said "hi", twice', "a\nb", "x\x00y", -5, 2.5, 1e-05, float("-inf"), True, "@A",
           "\tq", " lead", "+81 49"]
    typed = [c for ret in result.returns for c in ret.cells if c.raw != ""]
    for cell, value in zip(typed, odd):
        cell.value = cell.raw = value
    lines = [",".join(ANSWER_COLUMNS)]
    for ret in result.returns:
        for cell in (c for c in ret.cells if c.raw != ""):
            item = master.spec.item(cell.row_key.partition(":")[0].partition(".")[0])
            block = cell.item_id.partition(".")[2]
            group = master.spec.repeat_of(item.id)
            label = f"{item.label}（{group.marker(int(block))}）" if group and block else item.label
            values = (ret.respondent_id, ret.respondent, cell.sheet, cell.item_id, cell.field, cell.value, ret.file,
                      cell.cell, str(ret.status), label, cell.raw)
            lines.append(",".join(csv_field(v) for v in values))
    assert answers_bytes(master, result.returns).decode("utf-8-sig") == "".join(f"{line}\r\n" for line in lines)
