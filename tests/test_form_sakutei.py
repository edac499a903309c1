"""A second form spec (templates/form_sakutei.yaml: 策定状況) works with no code of its own:
the same writer, reader, checks and outputs, driven by its declaration."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from welfare_workbook.form_generate import generate_forms
from welfare_workbook.form_master import load_form_master
from welfare_workbook.form_pipeline import collect_forms
from welfare_workbook.form_simulate import fill_form, plan_form_answers, rows_by_key

OPTIONS = ["アンケート調査", "住民懇談会・ワークショップ", "パブリックコメント", "策定委員会への住民委員の参加", "その他", "特になし"]


def write_master(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "調査設定.csv").write_text(
        "項目,値\n自治体名,埼玉県\n調査名,地域福祉計画の策定状況調査\n対象年度,令和6年度\n提出期限,令和7年1月31日\n"
        "事務局,埼玉県 福祉部 福祉政策課\n様式,sakutei\n", encoding="utf-8")
    (folder / "回答団体.csv").write_text(
        "団体コード,都道府県,団体名,担当部署,メール\n112011,埼玉県,さいたま市,福祉局,a@example.jp\n"
        "112143,埼玉県,川口市,福祉部,b@example.jp\n112232,埼玉県,蕨市,健康福祉部,c@example.jp\n", encoding="utf-8")
    return folder


@pytest.fixture()
def setup(tmp_path: Path) -> Any:
    master, issues = load_form_master(write_master(tmp_path / "master"))
    assert master is not None, [i.message for i in issues]
    generated = generate_forms(master, tmp_path / "forms")
    assert generated.valid and len(generated.workbooks) == 3
    return master, {w.respondent_id: w.file for w in generated.workbooks}


def fill(master: Any, forms: Dict[str, Path], tmp_path: Path, code: str, answers: Dict[str, Optional[Any]]) -> None:
    respondent = master.bodies[code]
    typed = {k: v for k, v in answers.items() if v is not None}
    fill_form(master, respondent, forms[code], tmp_path / "returns" / forms[code].name, typed)


def test_second_spec_round_trip_and_wide_flags(setup: Any, tmp_path: Path) -> None:
    master, forms = setup
    plans = {}
    for code in forms:
        plans[code] = plan_form_answers(master, master.bodies[code], seed=3)
        fill(master, forms, tmp_path, code, plans[code])
    # one 団体 with a fixed answer, in the words people use
    fixed = {"dantai_code": "112143", "municipality": "川口市", "department": "福祉部", "status": "策定済",
             "adopted": "令和3年3月", "period": "R3～R7", "participation:1": "〇", "participation:5": "1",
             "participation_other": "地区別の意見交換会", "population": "６０５，０００"}
    fill(master, forms, tmp_path, "112143", fixed)
    result = collect_forms(master, [tmp_path / "returns"], tmp_path / "out")
    assert result.valid, [i.message for i in result.issues if i.severity != "info"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "回答一覧.csv").read_text(encoding="utf-8-sig"))))
    assert [r["団体コード"] for r in rows] == ["112011", "112143", "112232"]
    kawaguchi = rows[1]
    assert kawaguchi["status"] == "策定済み" and kawaguchi["adopted"] == "2021-03" and kawaguchi["period"] == "2021-2025"
    assert [kawaguchi[f"participation:{o}"] for o in OPTIONS] == ["1", "0", "0", "0", "1", "0"]
    assert kawaguchi["participation"] == "アンケート調査、その他" and kawaguchi["population"] == "605000"
    answers = list(csv.DictReader(io.StringIO((tmp_path / "out" / "answers.csv").read_text(encoding="utf-8-sig"))))
    assert {(r["file"], r["cell"]) for r in answers if r["respondent_id"] == "112143"} == {
        (forms["112143"].name, f"C{rows_by_key(master, master.bodies['112143'])[k].row}") for k in fixed}


def test_specify_exclusive_and_conditions(setup: Any, tmp_path: Path) -> None:
    master, forms = setup
    base = {"dantai_code": "112011", "municipality": "さいたま市", "department": "福祉局", "status": "策定済み",
            "adopted": "令和2年4月", "period": "令和2年度～令和6年度"}
    fill(master, forms, tmp_path, "112011", {**base, "participation:6": "○", "participation:1": "○",
                                            "participation_other": "説明会"})  # 特になし + other; specify w/o その他
    fill(master, forms, tmp_path, "112143", {**base, "dantai_code": "112143", "municipality": "川口市",
                                            "participation:5": "○"})  # その他 without its text
    fill(master, forms, tmp_path, "112232", {**base, "dantai_code": "112232", "municipality": "蕨市", "status": "策定未定",
                                            "participation:1": None})  # 策定未定: 策定年月 and 計画期間 do not apply
    result = collect_forms(master, [tmp_path / "returns"], tmp_path / "out")
    found = {(i.respondent_id, i.code): i for i in result.issues if i.severity != "info"}
    where = {code: rows_by_key(master, master.bodies[code]) for code in forms}
    assert found[("112011", "form_exclusive")].cell == f"C{where['112011']['participation:6'].row}"
    assert found[("112011", "form_specify_unexpected")].cell == f"C{where['112011']['participation_other'].row}"
    assert found[("112143", "form_specify_missing")].cell == f"C{where['112143']['participation_other'].row}"
    warned = {i.cell for i in result.issues if i.respondent_id == "112232" and i.code == "form_not_applicable"}
    assert warned == {f"C{where['112232'][k].row}" for k in ("adopted", "period")}
    assert not any(i.respondent_id == "112232" and i.severity == "error" for i in result.issues)
