"""A messy folder of returns, collected once: every kind of broken, odd or
mistyped return is reported with its code at its file, sheet and cell, and the
good returns in the same folder are still received and their values kept.

The corpus is built in code from the default sample (nothing binary is committed).
Departments of the sample and what their file in the folder does:

=====  ===================  ==========================================================
K01    福祉政策課            structure: locked 指標名 edited, row inserted above the data
                             of 中間評価, last row of 今後の方向性 deleted, value typed
                             below the table of その他の取組                       (要修正)
K02    社会福祉協議会        values that are normalised (full-width, 1,234, 12人, 〇 ◯,
                             継続実施, なし ― 該当なし, 同左, 〃, spaces) and last-year
                             warnings (value jump, 取組内容 copied)                 (提出済)
K03    健康長寿課            rule errors: 約100, 1.5, 良い, empty 取組内容, △ without
                             課題, 見直し without 理由                             (要修正)
K04    障害者福祉課          sends nothing                                        (未提出)
K05    こども支援課          a grade dropdown pasted over (validation removed)     (提出済)
K06    保健センター          correct; also sends last year's form by mistake       (提出済)
K07    地域活動推進課        sheet 取組状況 renamed                                (要修正)
K08    学校教育課            _meta sheet deleted, content intact                   (提出済)
K09    生涯学習スポーツ課    two versions: the older (by saved time) is superseded (再提出)
K10    秘書広報課            saved as .xlsm with a macro                           (要修正)
K11    危機管理課            saved under 健康長寿課's name                          (提出済)
=====  ===================  ==========================================================

The sample has 11 departments, so readable cases of one kind share a department's
file (each at its own cells); unreadable files each have a file of their own.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import openpyxl
import pytest

from collect_helpers import (
    CorpusBase, Filled, answers_at, assert_csv_value, corpus_folders, drop_from_validation, fill, issues_of, item_of,
    keys_of, read_answers, set_answer,
    return_of, roster_of, row_of, shift_validations, soffice_convert_all, the_issue,
)
from helpers import master_rows, set_value, soffice_path, write_master
from welfare_workbook import batch
from welfare_workbook import pipeline
from welfare_workbook.guard import OLE_MAGIC
from welfare_workbook.excel import ERROR_FILL
from welfare_workbook.generate import generate
from welfare_workbook.master import Master, cell_text, load_master
from welfare_workbook.simulate import plan_answers
from welfare_workbook.spec import load_specs

NO_SOFFICE = "LibreOffice (soffice) is not installed; CI installs it"
SPECS = load_specs()
ST, CH, HO, OT = "取組状況", "中間評価", "今後の方向性", "その他の取組"


def col(sheet: str, field_id: str) -> str:
    return openpyxl.utils.get_column_letter(SPECS[sheet].index(field_id))


@dataclass
class Corpus(CorpusBase):
    has_ods: bool = False


def _load(path: Path) -> Master:
    master, issues = load_master(path)
    assert master is not None and not issues.has_errors, [i.message for i in issues]
    return master


def _zip_copy(source: Path, target: Path, extra: Optional[Dict[str, bytes]] = None) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)


def _set_mtime(path: Path, when: dt.datetime) -> None:
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


@pytest.fixture(scope="module")
def corpus(sample_master: Master, generated, generated_2, sample_master_2, tmp_path_factory) -> Corpus:
    master = sample_master
    base, folder, work = corpus_folders(tmp_path_factory, "messy")
    wb_of = {w.respondent_id: w for w in generated.workbooks}
    filled: Dict[str, Filled] = {}

    # --- K01: structure ---------------------------------------------------------
    def k01_edit(wb: Any) -> None:
        ws = wb[ST]
        ws["C5"] = str(ws["C5"].value) + "（令和6年度から見直し）"
        ws = wb[CH]
        ws.insert_rows(5)  # a row inserted above the data: every item row moves down one
        shift_validations(ws, 5, 1)
        wb[HO].delete_rows(row_of(master, "K01", HO, keys_of(master, "K01", HO)[-1]))
        last_other = row_of(master, "K01", OT, keys_of(master, "K01", OT)[-1])
        wb[OT][f"{col(OT, 'project')}{last_other + 1}"] = "表の下に書き足した事業"

    filled["structure"] = fill(master, wb_of["K01"], folder, edit=k01_edit)

    # --- K02: values normalised, last-year warnings -----------------------------------
    a = dict(plan_answers(master, "K02", 0))
    set_answer(a, ST, "IND:4:K02", "value", "１２３")
    set_answer(a, ST, "IND:5:K02", "content", "同左")
    set_answer(a, ST, "IND:12:K02", "value", "1,234")
    set_answer(a, ST, "IND:13:K02", "value", "―")
    set_answer(a, ST, "IND:17:K02", "value", "12人")
    set_answer(a, ST, "IND:2:K02", "outcome", "\u00a0 地域の関係づくりが進んだ。\u3000")
    set_answer(a, ST, "IND:9:K02", "value", 1000)  # last year 405: more than twice, unexplained
    set_answer(a, ST, "IND:9:K02", "outcome", None)
    set_answer(a, ST, "IND:9:K02", "challenge", None)
    set_answer(a, ST, "IND:7:K02", "content", item_of(master, "K02", ST, "IND:7:K02").context["prev1_content"])
    ch = keys_of(master, "K02", CH)
    set_answer(a, CH, ch[0], "grade", "〇")
    set_answer(a, CH, ch[1], "grade", "◯")
    set_answer(a, CH, ch[2], "good", "なし")
    set_answer(a, CH, ch[3], "grade", "◎")
    set_answer(a, CH, ch[4], "grade", "〃")
    set_answer(a, CH, ch[5], "good", "―")
    set_answer(a, CH, ch[6], "good", "該当なし")
    set_answer(a, HO, keys_of(master, "K02", HO)[0], "direction", "継続実施")
    filled["normalised"] = fill(master, wb_of["K02"], folder, answers=a)

    # --- K03: rule errors -----------------------------------------------------------
    a = dict(plan_answers(master, "K03", 0))
    set_answer(a, ST, "IND:3:K03", "value", "約100")
    set_answer(a, ST, "IND:13:K03", "value", 1.5)
    set_answer(a, ST, "IND:18:K03", "content", None)
    ch = keys_of(master, "K03", CH)
    set_answer(a, CH, ch[0], "grade", "良い")
    set_answer(a, CH, ch[1], "grade", "△")
    set_answer(a, CH, ch[1], "issue", None)
    ho = keys_of(master, "K03", HO)
    set_answer(a, HO, ho[0], "direction", "見直し")
    set_answer(a, HO, ho[0], "reason", None)
    filled["rules"] = fill(master, wb_of["K03"], folder, answers=a)

    # --- K05: a pasted-over dropdown ---------------------------------------------------
    def k05_edit(wb: Any) -> None:
        drop_from_validation(wb[CH], f"{col(CH, 'grade')}7")

    filled["pasted"] = fill(master, wb_of["K05"], folder, edit=k05_edit)

    # --- K06: correct, plus last year's form ------------------------------------------
    filled["clean"] = fill(master, wb_of["K06"], folder)
    rows = master_rows()
    set_value(rows, "調査設定", "項目", "対象年度", "値", "令和5年度")
    last_year = _load(write_master(rows, work / "master_r5.xlsx"))
    gen_r5 = generate(last_year, work / "gen_r5")
    r5 = next(w for w in gen_r5.workbooks if w.respondent_id == "K06")
    filled["wrong_year"] = fill(last_year, r5, folder, "保健センター_令和5年度.xlsx")

    # --- K07: sheet renamed ------------------------------------------------------------
    def k07_edit(wb: Any) -> None:
        wb.security = None
        wb[ST].title = "取組状況（地域活動推進課）"

    filled["renamed"] = fill(master, wb_of["K07"], folder, edit=k07_edit)

    # --- K08: _meta deleted ------------------------------------------------------------
    def k08_edit(wb: Any) -> None:
        wb.security = None
        del wb["_meta"]

    filled["no_meta"] = fill(master, wb_of["K08"], folder, edit=k08_edit)

    # --- K09: two versions; the older is written last (newer mtime), saved time decides -
    new = fill(master, wb_of["K09"], folder / "再提出", "生涯学習スポーツ課_修正版.xlsx")
    new = Filled(new.respondent_id, new.respondent, new.path, str(Path("再提出") / new.path.name),
                 new.answers, new.cells)
    first_key = (CH, keys_of(master, "K09", CH)[0], "grade")
    older_answers = dict(new.answers)
    older_answers[first_key] = next(g for g in ("◎", "○") if g != new.answers[first_key])

    def k09_older(wb: Any) -> None:
        wb.properties.modified = dt.datetime(2025, 5, 20, 9, 0)

    old = fill(master, wb_of["K09"], folder, "生涯学習スポーツ課_提出.xlsx", answers=older_answers, edit=k09_older)
    _set_mtime(new.path, dt.datetime(2025, 5, 28, 9, 0))
    _set_mtime(old.path, dt.datetime(2025, 5, 29, 9, 0))
    filled["newer"], filled["older"] = new, old

    # --- K10: .xlsm with a macro ----------------------------------------------------------
    plain = fill(master, wb_of["K10"], work, "k10.xlsx")
    xlsm = folder / "秘書広報課_令和6年度 進捗状況調査.xlsm"
    _zip_copy(plain.path, xlsm, {"xl/vbaProject.bin": OLE_MAGIC + b"\0" * 1528})
    filled["macro"] = Filled(plain.respondent_id, plain.respondent, xlsm, xlsm.name, plain.answers, plain.cells)

    # --- K11: saved under another department's name --------------------------------------
    filled["misnamed"] = fill(master, wb_of["K11"], folder, "健康長寿課_回答.xlsx")

    # --- outside the roster -------------------------------------------------------------
    k01_2 = next(w for w in generated_2.workbooks if w.respondent_id == "K01")
    filled["other_survey"] = fill(sample_master_2, k01_2, folder, "第2次計画_中間評価.xlsx")
    rows = master_rows()
    rows["担当課"].append(["K12", "地域共生推進室", "庁内", "k12@example.jp", ""])
    set_value(rows, "取組", "取組No", "2", "関係課ID", "K12")
    bigger = _load(write_master(rows, work / "master_k12.xlsx"))
    gen_k12 = generate(bigger, work / "gen_k12")
    k12 = next(w for w in gen_k12.workbooks if w.respondent_id == "K12")
    filled["unknown"] = fill(bigger, k12, folder, "地域共生推進室_令和6年度 進捗状況調査.xlsx")

    # --- files that are not (readable) workbooks ------------------------------------------
    source = filled["clean"].path.read_bytes()
    names = {
        "lock": "~$lock.xlsx", "xls": "旧形式.xls", "encrypted": "暗号化.xlsx", "truncated": "途中まで.xlsx",
        "empty": "空.xlsx", "csv": "一覧.xlsx", "pdf": "報告書.xlsx", "txt": "メモ.txt",
    }
    (folder / names["lock"]).write_bytes(b"\x08ABC" + b"\0" * 161)  # what Excel leaves while a book is open
    (folder / names["xls"]).write_bytes(OLE_MAGIC + b"\0" * 4088)
    try:
        import msoffcrypto.format.ooxml as ooxml

        with open(filled["clean"].path, "rb") as plain_file, open(folder / names["encrypted"], "wb") as out:
            ooxml.OOXMLFile(plain_file).encrypt("himitsu", out)
    except ImportError:  # an OLE container holding the EncryptedPackage stream, as Office writes
        (folder / names["encrypted"]).write_bytes(OLE_MAGIC + b"\0" * 504 + "EncryptedPackage".encode("utf-16-le"))
    (folder / names["truncated"]).write_bytes(source[: len(source) // 2])
    (folder / names["empty"]).write_bytes(b"")
    (folder / names["csv"]).write_bytes("課名,値\n保健センター,12\n".encode("cp932"))
    (folder / names["pdf"]).write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    (folder / names["txt"]).write_text("提出しました。保健センター", encoding="utf-8")
    has_ods = soffice_path() is not None
    if has_ods:
        ods = soffice_convert_all([filled["clean"].path], work / "ods", work / "lo_profile", fmt="ods")[0]
        names["ods"] = "保健センター_LibreOffice.ods"
        shutil.copy2(ods, folder / names["ods"])

    out = base / "out"
    result = pipeline.collect(master, [folder], out)
    corpus = Corpus(master, folder, out, result, read_answers(out / "answers.csv"), filled, names, has_ods)
    for case, ret in filled.items():
        corpus.names[case] = ret.shown
    return corpus


def _codes(corpus: Corpus, file: str) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for issue in corpus.result.issues:
        if issue.file == file:
            counts[issue.code] = counts.get(issue.code, 0) + 1
    return counts


# ---------------------------------------------------------------------------
# 0. the folder as a whole


def test_roster(corpus: Corpus) -> None:
    roster = roster_of(corpus.result)
    assert {rid: row.status for rid, row in roster.items()} == {
        "K01": "要修正", "K02": "提出済", "K03": "要修正", "K04": "未提出", "K05": "提出済", "K06": "提出済",
        "K07": "要修正", "K08": "提出済", "K09": "再提出", "K10": "要修正", "K11": "提出済",
    }
    n = corpus.names
    assert {rid: row.current.file for rid, row in roster.items() if row.current} == {
        "K01": n["structure"], "K02": n["normalised"], "K03": n["rules"], "K05": n["pasted"], "K06": n["clean"],
        "K07": n["renamed"], "K08": n["no_meta"], "K09": n["newer"], "K10": n["macro"], "K11": n["misnamed"],
    }
    assert [d.id for d in corpus.result.missing] == ["K04"]
    assert corpus.result.valid is False


def test_every_file_is_accounted_for(corpus: Corpus) -> None:
    """Each file is a return or a note; none is dropped silently, none raises."""
    on_disk = {str(p.relative_to(corpus.folder)) for p in corpus.folder.rglob("*") if p.is_file()}
    returns = {r.file for r in corpus.result.returns}
    notes = {i.file for i in corpus.result.notes}
    assert returns | notes == on_disk
    assert not returns & notes
    assert notes == {corpus.names["lock"], corpus.names["txt"]}


@pytest.mark.parametrize("case", ["clean", "pasted", "no_meta", "misnamed", "newer", "normalised_untouched"])
def test_good_returns_are_received_with_every_value(corpus: Corpus, case: str) -> None:
    ret = corpus.filled["normalised" if case == "normalised_untouched" else case]
    if case == "normalised_untouched":  # the K02 values that needed no normalising
        odd = {k for k, v in ret.answers.items() if v is None or isinstance(v, str) and (
            v != v.strip() or v in ("１２３", "同左", "1,234", "―", "12人", "〇", "◯", "なし", "〃", "継続実施"))}
        expected = {k: v for k, v in ret.answers.items() if k not in odd}
    else:
        expected = {k: v for k, v in ret.answers.items() if v is not None}
    assert return_of(corpus.result, ret.shown).status == "提出済"
    assert roster_of(corpus.result)[ret.respondent_id].status in ("提出済", "再提出")
    for (sheet, row_key, field_id), typed in expected.items():
        cell = ret.cells[(sheet, row_key, field_id)]
        found = answers_at(corpus.rows, respondent_id=ret.respondent_id, sheet=sheet, cell=cell, file=ret.shown)
        assert len(found) == 1, (ret.shown, sheet, cell)
        assert found[0]["field"] == field_id
        assert_csv_value(found[0]["value"], typed, f"{ret.shown} {sheet}!{cell}")
    mine = corpus.answers(ret.respondent_id)
    assert {r["file"] for r in mine} == {ret.shown}
    assert len(mine) == len({k for k, v in ret.answers.items() if v is not None})


def test_clean_return_has_no_issue(corpus: Corpus) -> None:
    assert _codes(corpus, corpus.names["clean"]) == {}


# ---------------------------------------------------------------------------
# 1. files


@pytest.mark.parametrize("case,code", [
    ("xls", "file_xls"), ("encrypted", "file_encrypted"), ("truncated", "file_corrupt"), ("empty", "file_empty"),
    ("csv", "file_not_workbook"), ("pdf", "file_not_workbook"), ("ods", "file_ods"),
])
def test_unreadable_file(corpus: Corpus, case: str, code: str) -> None:
    if case == "ods" and not corpus.has_ods:
        pytest.skip(NO_SOFFICE)
    name = corpus.names[case]
    issue = the_issue(corpus.result, code, name)
    assert issue.severity == "error" and issue.file == name
    assert name in issue.message  # the wording, on purpose: a file's message names the file
    assert _codes(corpus, name) == {code: 1}
    ret = return_of(corpus.result, name)
    assert ret.respondent_id is None and ret.readable is False and ret.cells == []
    assert not [r for r in corpus.rows if r["file"] == name]


def test_not_workbook_says_what_it_is(corpus: Corpus) -> None:
    assert the_issue(corpus.result, "file_not_workbook", corpus.names["pdf"]).context["detail"] == "PDF"


@pytest.mark.parametrize("case,code", [("lock", "file_lock_skipped"), ("txt", "file_ignored")])
def test_skipped_file_is_a_note(corpus: Corpus, case: str, code: str) -> None:
    name = corpus.names[case]
    issue = the_issue(corpus.result, code, name)
    assert issue.severity == "info"
    assert name not in {r.file for r in corpus.result.returns}


def test_macro_workbook(corpus: Corpus) -> None:
    ret = corpus.filled["macro"]
    issue = the_issue(corpus.result, "file_macro", ret.shown)
    assert issue.severity == "error" and issue.respondent_id == "K10"
    got = return_of(corpus.result, ret.shown)
    assert got.respondent_id == "K10" and got.respondent == "秘書広報課" and got.status == "要修正"
    assert _codes(corpus, ret.shown) == {"file_macro": 1}
    # values of a return with errors are kept as typed
    for (sheet, row_key, field_id), typed in ret.answers.items():
        row = corpus.answer("K10", sheet, ret.cells[(sheet, row_key, field_id)])
        assert row["file"] == ret.shown and row["field"] == field_id
        assert_csv_value(row["value"], typed)


# ---------------------------------------------------------------------------
# 2. identification


def test_wrong_survey(corpus: Corpus) -> None:
    name = corpus.names["other_survey"]
    issue = the_issue(corpus.result, "wrong_survey", name)
    assert issue.severity == "error" and "中間評価" in issue.context["found"]
    assert issue.context["expected"] == corpus.master.settings.survey_name
    ret = return_of(corpus.result, name)
    assert ret.status == "対象外" and ret.respondent_id is None
    assert _codes(corpus, name) == {"wrong_survey": 1}
    assert roster_of(corpus.result)["K01"].returns == 1  # not counted as this survey's K01


def test_wrong_year(corpus: Corpus) -> None:
    name = corpus.names["wrong_year"]
    issue = the_issue(corpus.result, "wrong_year", name)
    assert issue.severity == "error"
    assert (issue.context["found"], issue.context["expected"]) == ("令和5年度", "令和6年度")
    # the wording, on purpose: the department reads which year it used and which it should use
    assert "令和5年度" in issue.message and "令和6年度" in issue.message
    assert _codes(corpus, name) == {"wrong_year": 1}
    assert not [r for r in corpus.rows if r["file"] == name]
    # the department's correct return in the same folder is the one that counts
    row = roster_of(corpus.result)["K06"]
    assert row.status == "提出済" and row.current.file == corpus.names["clean"]


def test_unknown_respondent(corpus: Corpus) -> None:
    name = corpus.names["unknown"]
    issue = the_issue(corpus.result, "unknown_respondent", name)
    assert issue.severity == "error" and issue.respondent_id == "K12"
    assert str(issue.context["value"]).startswith("K12")
    ret = return_of(corpus.result, name)
    assert ret.status == "対象外" and ret.respondent_id is None
    assert not [r for r in corpus.rows if r["file"] == name]


def test_name_mismatch(corpus: Corpus) -> None:
    ret = corpus.filled["misnamed"]
    issue = the_issue(corpus.result, "name_mismatch", ret.shown)
    assert issue.severity == "warning" and issue.respondent_id == "K11"
    assert (issue.context["named"], issue.context["respondent"]) == ("健康長寿課", "危機管理課")
    got = return_of(corpus.result, ret.shown)
    assert got.respondent_id == "K11" and got.status == "提出済"
    assert _codes(corpus, ret.shown) == {"name_mismatch": 1}
    assert {r["respondent_id"] for r in corpus.rows if r["file"] == ret.shown} == {"K11"}


def test_superseded(corpus: Corpus) -> None:
    old, new = corpus.filled["older"], corpus.filled["newer"]
    got_old, got_new = return_of(corpus.result, old.shown), return_of(corpus.result, new.shown)
    assert got_old.status == "重複(旧版)" and got_new.status == "提出済"
    assert got_old.saved < got_new.saved and got_old.mtime > got_new.mtime  # saved time decides
    issue = the_issue(corpus.result, "superseded", old.shown)
    assert issue.severity == "info" and issue.context["newer"] == new.shown
    key = (CH, keys_of(corpus.master, "K09", CH)[0], "grade")
    diff = the_issue(corpus.result, "superseded_diff", old.shown, CH, new.cells[key])
    assert diff.severity == "info"
    assert (diff.context["old"], diff.context["value"]) == (old.answers[key], new.answers[key])
    assert _codes(corpus, old.shown) == {"superseded": 1, "superseded_diff": 1}
    assert _codes(corpus, new.shown) == {}
    # only the current return's values are kept
    assert {r["file"] for r in corpus.answers("K09")} == {new.shown}
    assert corpus.answer("K09", CH, new.cells[key])["value"] == new.answers[key]
    assert roster_of(corpus.result)["K09"].returns == 2


def test_meta_deleted_matched_by_content(corpus: Corpus) -> None:
    ret = corpus.filled["no_meta"]
    issue = the_issue(corpus.result, "meta_matched_by_content", ret.shown)
    assert issue.severity == "warning" and issue.context["respondent"] == "学校教育課"
    got = return_of(corpus.result, ret.shown)
    assert got.respondent_id == "K08" and got.status == "提出済"
    assert _codes(corpus, ret.shown) == {"meta_matched_by_content": 1}


# ---------------------------------------------------------------------------
# 3. normalisation


def _cell(master: Master, dept_id: str, sheet: str, field_id: str, index: int = 0, row_key: str = "") -> str:
    """Where an input of a row sits in the generated workbook (filled or left empty)."""
    row_key = row_key or keys_of(master, dept_id, sheet)[index]
    return f"{col(sheet, field_id)}{row_of(master, dept_id, sheet, row_key)}"


def _k02_cell(corpus: Corpus, sheet: str, field_id: str, index: int = 0, row_key: str = "") -> str:
    return _cell(corpus.master, "K02", sheet, field_id, index, row_key)


NORMALISED = [
    # (sheet, field, row key or index, raw, value in answers.csv)
    (ST, "value", "IND:4:K02", "１２３", "123"),
    (ST, "value", "IND:12:K02", "1,234", "1234"),
    (ST, "value", "IND:17:K02", "12人", "12"),
    (ST, "value", "IND:13:K02", "―", "該当なし"),
    (ST, "outcome", "IND:2:K02", "\u00a0 地域の関係づくりが進んだ。\u3000", "地域の関係づくりが進んだ。"),
    (CH, "grade", 0, "〇", "○"),
    (CH, "grade", 1, "◯", "○"),
    (CH, "good", 2, "なし", "該当なし"),
    (CH, "good", 5, "―", "該当なし"),
    (HO, "direction", 0, "継続実施", "継続"),
]


@pytest.mark.parametrize("sheet,field_id,where,raw,value", NORMALISED, ids=[f"{r[0]}-{r[3].strip()}" for r in NORMALISED])
def test_normalised(corpus: Corpus, sheet: str, field_id: str, where: Any, raw: str, value: str) -> None:
    file = corpus.names["normalised"]
    cell = _k02_cell(corpus, sheet, field_id, *((where, "") if isinstance(where, int) else (0, where)))
    issue = the_issue(corpus.result, "normalized", file, sheet, cell)
    assert issue.severity == "info" and issue.respondent_id == "K02"
    row = corpus.answer("K02", sheet, cell)
    assert row["value"] == value and row["field"] == field_id and row["file"] == file
    assert row["raw"] == raw


def test_na_word_already_canonical_is_kept_without_note(corpus: Corpus) -> None:
    cell = _k02_cell(corpus, CH, "good", 6)
    assert [i for i in corpus.result.issues if i.file == corpus.names["normalised"] and i.cell == cell
            and i.sheet == CH] == []
    assert corpus.answer("K02", CH, cell)["value"] == "該当なし"


def test_same_as_left_resolved_to_last_year(corpus: Corpus) -> None:
    file = corpus.names["normalised"]
    cell = _k02_cell(corpus, ST, "content", row_key="IND:5:K02")
    issue = the_issue(corpus.result, "same_as_resolved", file, ST, cell)
    assert issue.severity == "info" and issue.context["raw"] == "同左" and "令和5年度" in issue.context["source"]
    previous = cell_text(item_of(corpus.master, "K02", ST, "IND:5:K02").context["prev1_content"])
    row = corpus.answer("K02", ST, cell)
    assert row["value"] == previous and row["raw"] == "同左"
    # resolved text equals last year's, which is then worth a look
    assert the_issue(corpus.result, "same_as_last_year", file, ST, cell).severity == "warning"


def test_same_as_above_in_grade(corpus: Corpus) -> None:
    file = corpus.names["normalised"]
    above, cell = _k02_cell(corpus, CH, "grade", 3), _k02_cell(corpus, CH, "grade", 4)
    issue = the_issue(corpus.result, "same_as_resolved", file, CH, cell)
    assert issue.severity == "info" and (issue.context["raw"], issue.context["source"]) == ("〃", "上の行")
    assert issue.context["value"] == "◎"
    assert corpus.answer("K02", CH, above)["value"] == "◎"
    assert corpus.answer("K02", CH, cell)["value"] == "◎"


def test_normalised_return_is_received(corpus: Corpus) -> None:
    file = corpus.names["normalised"]
    assert return_of(corpus.result, file).status == "提出済"
    assert {k: v for k, v in _codes(corpus, file).items() if k not in ("normalized", "same_as_resolved")} == {
        "same_as_last_year": 2, "value_jump": 1}
    assert _codes(corpus, file)["normalized"] == len(NORMALISED)
    assert _codes(corpus, file)["same_as_resolved"] == 2


# ---------------------------------------------------------------------------
# 4. structure


def test_sheet_renamed(corpus: Corpus) -> None:
    ret = corpus.filled["renamed"]
    issue = the_issue(corpus.result, "sheet_missing", ret.shown, ST)
    assert issue.severity == "error" and issue.sheet == ST
    assert _codes(corpus, ret.shown) == {"sheet_missing": 1}
    # the other sheets are still read
    mine = corpus.answers("K07")
    assert {r["sheet"] for r in mine} == {CH, HO, OT}
    assert len(mine) == len([k for k in ret.answers if k[0] != ST])


def test_locked_text_changed(corpus: Corpus) -> None:
    file = corpus.names["structure"]
    issue = the_issue(corpus.result, "locked_changed", file, ST, "C5")
    assert issue.severity == "error"
    name = item_of(corpus.master, "K01", ST, keys_of(corpus.master, "K01", ST)[0]).context["name"]
    assert issue.context["expected"] == name[:60] and issue.context["value"] == name + "（令和6年度から見直し）"
    assert len(issues_of(corpus.result, "locked_changed", file)) == 1
    # the row is still read where it is
    ret = corpus.filled["structure"]
    key = (ST, keys_of(corpus.master, "K01", ST)[0], "value")
    assert_csv_value(corpus.answer("K01", ST, ret.cells[key])["value"], ret.answers[key])


def test_row_inserted_above_the_data(corpus: Corpus) -> None:
    file, ret, master = corpus.names["structure"], corpus.filled["structure"], corpus.master
    keys = keys_of(master, "K01", CH)
    # one insertion is one problem, not one per row below it
    assert issues_of(corpus.result, "row_moved", file) == []
    inserted = the_issue(corpus.result, "row_inserted", file, CH, "A5")
    assert inserted.severity == "warning" and (inserted.context["row"], inserted.context["count"]) == (5, 1)
    # the wording, on purpose: it says where rows were inserted
    assert "5 行目に行が 1 行挿入" in inserted.message
    # values are read from where the rows are now
    for key in keys:
        for field_id in ("grade", "good", "issue"):
            typed = ret.answers[(CH, key, field_id)]
            cell = f"{col(CH, field_id)}{row_of(master, 'K01', CH, key) + 1}"
            row = corpus.answer("K01", CH, cell)
            assert row["field"] == field_id and row["item_id"] == key.split(":")[1]
            assert_csv_value(row["value"], typed)
    assert len([r for r in corpus.answers("K01") if r["sheet"] == CH]) == 3 * len(keys)


@pytest.mark.parametrize("edit, codes", [
    ("insert", {"row_inserted": 1, "row_extra": 1}),  # two rows inserted mid-table, one of them typed in
    ("delete", {"row_missing": 1}),  # a row deleted mid-table: the rows below move up, one problem
    ("swap", {"row_moved": 2}),  # two rows swapped: no insertion explains it, each row is named
])
def test_row_shifts_are_reported_once(sample_master: Master, workbook_of, tmp_path: Path, edit: str,
                                      codes: Dict[str, int]) -> None:
    from welfare_workbook.collect import normalize_return, read_return

    master = sample_master
    keys = keys_of(master, "K02", CH)
    third = row_of(master, "K02", CH, keys[2])

    def change(wb: Any) -> None:
        ws = wb[CH]
        if edit == "insert":
            ws.insert_rows(third, 2)
            shift_validations(ws, third, 2)
            ws[f"{col(CH, 'good')}{third + 1}"] = "挿入した行に書いた良かった点"
        elif edit == "delete":
            ws.delete_rows(third)
            shift_validations(ws, third + 1, -1)
        else:
            for column in range(1, ws.max_column + 1):
                upper, lower = ws.cell(third, column), ws.cell(third + 1, column)
                upper.value, lower.value = lower.value, upper.value

    made = fill(master, workbook_of["K02"], tmp_path, edit=change)
    ret = read_return(made.path, made.shown, master)
    normalize_return(ret, master)
    structural = {"row_inserted", "row_moved", "row_missing", "row_extra"}
    found: Dict[str, int] = {}
    for issue in ret.issues:
        if issue.code in structural:
            found[issue.code] = found.get(issue.code, 0) + 1
    assert found == codes
    if edit == "insert":
        inserted = next(i for i in ret.issues if i.code == "row_inserted")
        assert inserted.cell == f"A{third}" and "2 行挿入" in inserted.message
        # the value typed in the inserted row is kept whole with the issue, for the send-back copy
        extra = next(i for i in ret.issues if i.code == "row_extra")
        assert extra.cell == f"{col(CH, 'good')}{third + 1}"
        # the send-back copy is laid out as generated: it asks for the stray value only, in full
        from welfare_workbook.generate import build_workbook
        from welfare_workbook.report import REQUEST_SHEET, build_sendback

        requests = [row for row in build_sendback(master, ret, build_workbook)[REQUEST_SHEET].iter_rows(
            min_row=5, values_only=True)]
        assert [r[4] for r in requests if "行が" in str(r[4]) and "挿入" in str(r[4])] == []
        assert [r[4] for r in requests if "調査票にない行に入力された値" in str(r[4])] == [
            f"調査票にない行に入力された値：『挿入した行に書いた良かった点』（提出されたファイルの {extra.cell}）。"
            "この写しの該当する No. の行に入力し直してください。"]


def test_row_deleted(corpus: Corpus) -> None:
    file, master = corpus.names["structure"], corpus.master
    last = keys_of(master, "K01", HO)[-1]
    issue = the_issue(corpus.result, "row_missing", file, HO)
    assert issue.severity == "error"
    assert issue.context["item"] == last.split(":")[1]
    assert issue.context["expected_row"] == row_of(master, "K01", HO, last)
    ho_rows = [r for r in corpus.answers("K01") if r["sheet"] == HO]
    assert len(ho_rows) == 2 * (len(keys_of(master, "K01", HO)) - 1)
    assert last.split(":")[1] not in {r["item_id"] for r in ho_rows}


def test_value_below_the_table(corpus: Corpus) -> None:
    file, master = corpus.names["structure"], corpus.master
    cell = f"{col(OT, 'project')}{row_of(master, 'K01', OT, keys_of(master, 'K01', OT)[-1]) + 1}"
    issue = the_issue(corpus.result, "row_extra", file, OT, cell)
    assert issue.severity == "error" and issue.context["value"] == "表の下に書き足した事業"
    assert not answers_at(corpus.rows, respondent_id="K01", sheet=OT, cell=cell)


def test_structure_file_has_only_those_issues(corpus: Corpus) -> None:
    assert _codes(corpus, corpus.names["structure"]) == {
        "locked_changed": 1, "row_inserted": 1, "row_missing": 1, "row_extra": 1}


def test_pasted_over_dropdown(corpus: Corpus) -> None:
    ret = corpus.filled["pasted"]
    cell = f"{col(CH, 'grade')}7"
    issue = the_issue(corpus.result, "validation_removed", ret.shown, CH, cell)
    assert issue.severity == "warning" and issue.respondent_id == "K05"
    assert _codes(corpus, ret.shown) == {"validation_removed": 1}


# ---------------------------------------------------------------------------
# 5. rules


def _k03_cell(corpus: Corpus, sheet: str, field_id: str, index: int = 0, row_key: str = "") -> str:
    return _cell(corpus.master, "K03", sheet, field_id, index, row_key)


RULES = [
    # (code, sheet, field, row key or index, what the context says)
    ("not_a_number", ST, "value", "IND:3:K03", {"value": "約100"}),
    ("not_an_integer", ST, "value", "IND:13:K03", {"value": "1.5"}),
    ("required_empty", ST, "content", "IND:18:K03", {"label": "令和6年度の具体的な取組内容"}),
    ("bad_choice", CH, "grade", 0, {"value": "良い", "choices": "◎・○・△・×"}),
    ("required_when_empty", CH, "issue", 1, {"other_value": "△"}),
    ("required_when_empty", HO, "reason", 0, {"other_value": "見直し"}),
]


@pytest.mark.parametrize("code,sheet,field_id,where,context", RULES, ids=[f"{r[0]}-{r[1]}" for r in RULES])
def test_rule_error(corpus: Corpus, code: str, sheet: str, field_id: str, where: Any,
                    context: Dict[str, Any]) -> None:
    file = corpus.names["rules"]
    cell = _k03_cell(corpus, sheet, field_id, *((where, "") if isinstance(where, int) else (0, where)))
    issue = the_issue(corpus.result, code, file, sheet, cell)
    assert issue.severity == "error" and issue.respondent_id == "K03"
    assert {key: issue.context.get(key) for key in context} == context


def test_rule_message_reads_well(corpus: Corpus) -> None:
    """The wording, on purpose: the cell, what was typed and how to type it instead."""
    cell = _k03_cell(corpus, ST, "value", row_key="IND:3:K03")
    message = the_issue(corpus.result, "not_a_number", corpus.names["rules"], ST, cell).message
    assert message.startswith(f"{cell}：『約100』は数値ではありません。") and "半角数字" in message


def test_rule_errors_are_all_and_only(corpus: Corpus) -> None:
    file = corpus.names["rules"]
    errors = sorted((i.code, i.sheet, i.cell) for i in corpus.result.issues if i.file == file and i.severity == "error")
    expected = sorted((code, sheet, _k03_cell(corpus, sheet, field_id, *((w, "") if isinstance(w, int) else (0, w))))
                      for code, sheet, field_id, w, _ in RULES)
    assert errors == expected
    assert return_of(corpus.result, file).status == "要修正"
    # values of a return with errors are kept as typed
    cell = _k03_cell(corpus, ST, "value", row_key="IND:3:K03")
    assert corpus.answer("K03", ST, cell)["value"] == "約100"
    assert corpus.answer("K03", ST, _k03_cell(corpus, ST, "value", row_key="IND:13:K03"))["value"] == "1.5"


def test_value_jump_warning(corpus: Corpus) -> None:
    file = corpus.names["normalised"]
    cell = _k02_cell(corpus, ST, "value", row_key="IND:9:K02")
    issue = the_issue(corpus.result, "value_jump", file, ST, cell)
    assert issue.severity == "warning" and (issue.context["value"], issue.context["previous"]) == ("1000", "405")


def test_same_as_last_year_warning(corpus: Corpus) -> None:
    file = corpus.names["normalised"]
    cell = _k02_cell(corpus, ST, "content", row_key="IND:7:K02")
    issue = the_issue(corpus.result, "same_as_last_year", file, ST, cell)
    assert issue.severity == "warning"


# ---------------------------------------------------------------------------
# 確認結果.xlsx and 差戻し


def _table(ws: Any) -> List[Dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r)) for r in rows[1:]]


def test_check_workbook(corpus: Corpus) -> None:
    wb = openpyxl.load_workbook(corpus.result.outputs["checks"])
    assert wb.sheetnames == ["提出状況", "確認結果", "情報", "受付ファイル"]
    roster = {r["課ID"]: r for r in _table(wb["提出状況"])}
    assert {k: r["状況"] for k, r in roster.items()} == {
        row.department.id: row.status for row in corpus.result.roster}
    assert {r["状況"] for r in roster.values()} == {"未提出", "提出済", "要修正", "再提出"}
    assert roster["K04"]["提出ファイル"] in (None, "")
    assert roster["K03"]["提出ファイル"] == corpus.names["rules"]
    assert roster["K03"]["エラー"] == len(RULES)
    assert all(r["提出期限"] == roster["K01"]["提出期限"] and r["提出期限"] for r in roster.values())

    issues = _table(wb["確認結果"])
    info = _table(wb["情報"])
    # errors and warnings in one list, by 課ID then severity; info lines apart
    assert len(issues) + len(info) == len(corpus.result.issues)
    assert {r["重要度"] for r in issues} == {"エラー", "注意"} and {r["重要度"] for r in info} == {"情報"}
    order = {"エラー": 0, "注意": 1}
    keys = [(r["課ID"] or "", order[r["重要度"]]) for r in issues]
    assert keys == sorted(keys)
    ws = wb["確認結果"]
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert all(ws.row_dimensions[r].height for r in range(2, ws.max_row + 1))  # rows as tall as their text
    file = corpus.names["rules"]
    cell = _k03_cell(corpus, ST, "value", row_key="IND:3:K03")
    found = [r for r in issues if r["コード"] == "not_a_number" and r["ファイル"] == file]
    assert len(found) == 1
    assert (found[0]["シート"], found[0]["セル"], found[0]["重要度"]) == (ST, cell, "エラー")
    assert found[0]["内容"] == the_issue(corpus.result, "not_a_number", file, ST, cell).message
    xls = [r for r in issues if r["ファイル"] == corpus.names["xls"]]
    assert [(r["コード"], r["シート"], r["セル"]) for r in xls] == [("file_xls", None, None)]

    received = {r["ファイル"]: r for r in _table(wb["受付ファイル"])}
    assert set(received) == {r.file for r in corpus.result.returns}
    assert received[corpus.names["older"]]["状態"] == "重複(旧版)"
    assert received[corpus.names["other_survey"]]["状態"] == "対象外"


def test_sendbacks_written_for_returns_with_errors(corpus: Corpus) -> None:
    outputs = corpus.result.outputs
    written = {k.split(":", 1)[1] for k in outputs if k.startswith("sendback:")}
    assert written == {"K01", "K03", "K07", "K10"}
    assert {p.name for p in Path(outputs["sendback"]).glob("*.xlsx")} == {
        Path(outputs[f"sendback:{rid}"]).name for rid in written}


def test_sendback_workbook(corpus: Corpus) -> None:
    path = Path(corpus.result.outputs["sendback:K03"])
    ret = corpus.filled["rules"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "修正依頼"
    request = wb["修正依頼"]
    listed = [r for r in request.iter_rows(min_row=5, values_only=True) if r[0] is not None]
    problems = [i for i in corpus.result.issues if i.file == ret.shown and i.severity in ("error", "warning")]
    assert [(r[2], r[3]) for r in listed] == [(i.sheet, i.cell) for i in problems]
    assert [r[4] for r in listed] == [i.message for i in problems]
    for _, _, _, cell, message in listed:  # the セル column and the message name the same cell
        assert re.match(r"[A-Z]+[0-9]+：", message or "") is None if not cell else message.startswith(f"{cell}：")
    for code, sheet, field_id, where, _ in RULES:
        cell = _k03_cell(corpus, sheet, field_id, *((where, "") if isinstance(where, int) else (0, where)))
        target = wb[sheet][cell]
        message = the_issue(corpus.result, code, ret.shown, sheet, cell).message
        assert target.comment is not None and message in target.comment.text, (sheet, cell)
        assert target.fill.fill_type == "solid" and target.fill.fgColor.rgb[-6:] == ERROR_FILL, (sheet, cell)
    for (sheet, row_key, field_id), typed in ret.answers.items():
        value = wb[sheet][f"{col(sheet, field_id)}{row_of(corpus.master, 'K03', sheet, row_key)}"].value
        assert value == typed, (sheet, row_key, field_id, value, typed)


def test_sendback_collected_again_is_that_department(corpus: Corpus, tmp_path: Path) -> None:
    path = Path(corpus.result.outputs["sendback:K03"])
    again = batch.read_all(corpus.master, [path])
    assert [(r.file, r.respondent_id, r.respondent) for r in again.returns] == [(path.name, "K03", "健康長寿課")]
    structural = {"meta_missing", "meta_matched_by_content", "sheet_missing", "row_moved", "row_missing",
                  "locked_changed", "header_changed", "row_extra", "input_outside", "validation_removed",
                  "old_template", "name_mismatch", "wrong_survey", "wrong_year", "unknown_respondent"}
    assert not [i.code for i in again.returns[0].issues if i.code in structural]
    # the department's typed values are read back from it: the same rule errors, at the same cells
    errors = sorted((i.code, i.sheet, i.cell) for i in again.returns[0].issues if i.severity == "error")
    assert errors == sorted((i.code, i.sheet, i.cell) for i in corpus.result.issues
                            if i.file == corpus.names["rules"] and i.severity == "error")


def test_sendback_copies_ask_for_no_layout_fix(corpus: Corpus) -> None:
    """A copy is a fresh .xlsx of the current template with its _meta: its 修正依頼 lists every error
    and warning of the return except the layout's and the file kind's (a moved row, an old
    template, a lost _meta, macros), which the copy itself has put right."""
    put_right = {"row_inserted", "row_moved", "locked_changed", "header_changed", "formula_overwritten",
                 "validation_removed", "merged_input", "old_template", "meta_matched_by_content", "file_macro"}
    seen = set()
    for key, path in corpus.result.outputs.items():
        if not key.startswith("sendback:"):
            continue
        ret = next(r for r in corpus.result.returns if r.respondent_id == key.split(":", 1)[1] and r.status == "要修正")
        problems = [i for i in ret.issues if i.severity in ("error", "warning")]
        listed = [r for r in openpyxl.load_workbook(path)["修正依頼"].iter_rows(min_row=5, values_only=True)
                  if r[0] is not None]
        assert len(listed) == len([i for i in problems if i.code not in put_right]), key
        seen |= {i.code for i in problems if i.code in put_right}
    assert seen >= {"file_macro", "row_inserted"}, seen  # the corpus has copies of such returns
