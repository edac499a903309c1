"""Round trip: generate, fill every input cell, collect — every value arrives in
answers.csv exactly once, at its provenance, whichever program saved the file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import List

import openpyxl
import pytest
from click.testing import CliRunner

from collect_helpers import (
    Filled, assert_all_answers_present, fill, read_answers, roster_of, sha256_tree, soffice_convert_all,
)
from helpers import SAMPLE_MASTER_ARGS, read_meta, soffice_path
from welfare_workbook import batch
from welfare_workbook import answers
from welfare_workbook import pipeline
import answer_oracles
from welfare_workbook.cli import cli
from welfare_workbook.returns import ReturnStatus
from welfare_workbook.contract import META_MARKER, META_SHEET, layout_for
from welfare_workbook.generate import GenerateResult
from welfare_workbook.master import Master
from welfare_workbook.simulate import plan_answers
from welfare_workbook.spec import load_specs

NO_SOFFICE = "LibreOffice (soffice) is not installed; CI installs it"
RETURN_KEYS = {"file", "respondent_id", "respondent", "status", "errors", "warnings"}
ISSUE_KEYS = {"file", "respondent_id", "sheet", "cell", "code", "severity", "message"}
JSON_KEYS = {"valid", "counts", "returns", "missing", "issues", "outputs"}  # DESIGN §2, and the counts of every report


def _fill_all(master: Master, generated: GenerateResult, folder: Path) -> List[Filled]:
    returns = [fill(master, wb, folder) for wb in generated.workbooks]
    specs = load_specs()
    for ret in returns:  # every input cell of every row gets a value
        every = {(sheet, item.key, col.id) for sheet, rows in layout_for(master, ret.respondent_id).items()
                 for _, item, _ in rows for col in specs[sheet].input_columns}
        assert set(ret.cells) == every and None not in ret.answers.values()
    return returns


@pytest.fixture(scope="module")
def filled(sample_master, sample_master_2, generated, generated_2, tmp_path_factory):
    """sample name -> (master, returns folder, filled returns), every input cell typed."""
    out = {}
    for name, master, gen in (("dai3ji", sample_master, generated), ("dai2ji_chukan", sample_master_2, generated_2)):
        folder = tmp_path_factory.mktemp(f"returns_{name}")
        out[name] = (master, folder, _fill_all(master, gen, folder))
    return out


@pytest.fixture(scope="module")
def resaved(filled, tmp_path_factory):
    """The same returns re-saved by LibreOffice (every file of both samples in one soffice call)."""
    if soffice_path() is None:
        pytest.skip(NO_SOFFICE)
    converted = tmp_path_factory.mktemp("lo_all")
    every = [r.path for _, _, returns in filled.values() for r in returns]
    assert len({p.name for p in every}) == len(every)
    soffice_convert_all(every, converted, tmp_path_factory.mktemp("lo_profile"))
    out = {}
    for name, (master, folder, returns) in filled.items():
        target = tmp_path_factory.mktemp(f"lo_{name}")
        for ret in returns:
            (converted / ret.path.name).rename(target / ret.path.name)
        moved = [Filled(r.respondent_id, r.respondent, target / r.path.name, r.shown, r.answers, r.cells)
                 for r in returns]
        out[name] = (master, target, moved)
    return out


def _check_round_trip(master: Master, folder: Path, returns: List[Filled], out_dir: Path) -> None:
    result = pipeline.collect(master, [folder], out_dir)
    assert result.valid, [(i.file, i.sheet, i.cell, i.code, i.message) for i in result.issues]
    problems = [(i.file, i.sheet, i.cell, i.code) for i in result.issues if i.severity != "info"]
    assert problems == []
    roster = roster_of(result)
    assert set(roster) == {d.id for d in master.respondents()}
    assert {rid: row.status for rid, row in roster.items()} == {rid: "提出済" for rid in roster}
    assert result.missing == []
    for ret in returns:
        assert roster[ret.respondent_id].current.file == ret.shown
    assert {r.file: r.status for r in result.returns} == {r.shown: ReturnStatus.SUBMITTED for r in returns}
    rows = read_answers(out_dir / "answers.csv")
    assert_all_answers_present(rows, returns)
    assert result.outputs["answers"] == str(out_dir / "answers.csv")


@pytest.mark.parametrize("sample", ["dai3ji", "dai2ji_chukan"])
def test_every_value_arrives_once(filled, sample, tmp_path) -> None:
    master, folder, returns = filled[sample]
    assert sum(len(r.answers) for r in returns) > 200
    _check_round_trip(master, folder, returns, tmp_path / "out")


@pytest.mark.parametrize("sample", ["dai3ji", "dai2ji_chukan"])
def test_every_value_arrives_once_after_libreoffice_resave(resaved, sample, tmp_path) -> None:
    master, folder, returns = resaved[sample]
    _check_round_trip(master, folder, returns, tmp_path / "out")


def test_workbooks_with_a_format_1_meta_are_still_read(filled, tmp_path) -> None:
    """Workbooks generated before _meta packed its row table (format 1: four cells a row,
    under a "sheet, row, row_key, row_hash" heading) are identified and read the same."""
    master, folder, returns = filled["dai3ji"]
    old_folder = tmp_path / "old"
    old_folder.mkdir()
    for ret in returns:
        wb = openpyxl.load_workbook(ret.path)
        pairs, rows = read_meta(wb)
        assert pairs[META_MARKER] == "2" and rows
        ws = wb[META_SHEET]
        ws.delete_rows(1, ws.max_row)
        pairs[META_MARKER] = "1"
        for key, value in pairs.items():
            ws.append([key, value])
        ws.append([])
        ws.append(["sheet", "row", "row_key", "row_hash"])
        for row in rows:
            ws.append([row["sheet"], row["row"], row["row_key"], row["row_hash"]])
        wb.save(old_folder / ret.shown)
        assert read_meta(old_folder / ret.shown) == ({**pairs}, rows)
    _check_round_trip(master, old_folder, [replace(r, path=old_folder / r.shown) for r in returns],
                      tmp_path / "out")


def test_inputs_untouched_and_output_deterministic(filled, tmp_path) -> None:
    master, folder, _ = filled["dai3ji"]
    before = sha256_tree(folder)
    pipeline.collect(master, [folder], tmp_path / "first")
    pipeline.collect(master, [folder], tmp_path / "second")
    pipeline.collect(master, [folder], tmp_path / "first")  # again into the same folder
    assert sha256_tree(folder) == before
    first = (tmp_path / "first" / "answers.csv").read_bytes()
    assert first.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    assert first == (tmp_path / "second" / "answers.csv").read_bytes()


def test_answers_csv_columns(filled, tmp_path) -> None:
    master, folder, _ = filled["dai3ji"]
    pipeline.collect(master, [folder], tmp_path / "out")
    header = (tmp_path / "out" / "answers.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:8] == ["respondent_id", "respondent", "sheet", "item_id", "field", "value", "file", "cell"]



def test_answer_tuples_match_answer_rows(filled, tmp_path) -> None:
    """collect writes answers from tuples; the dict rows of the library API say the same."""
    from welfare_workbook.answers import AnswerSet

    master, folder, _ = filled["dai3ji"]
    result = batch.read_all(master, [folder])
    rows, values = answer_oracles.answer_rows(master, result), answer_oracles.answer_values(master, result)
    assert rows and rows == [dict(zip(answers.ANSWER_COLUMNS, v)) for v in values]
    answer_oracles.write_answers(rows, tmp_path / "rows.csv")
    answer_oracles.write_answer_values(values, tmp_path / "values.csv")
    assert (tmp_path / "rows.csv").read_bytes() == (tmp_path / "values.csv").read_bytes()
    by_rows, by_values = AnswerSet.from_rows(rows), answer_oracles.answer_set_from_values(values, answers.ANSWER_COLUMNS)
    assert (by_rows.values, by_rows.status) == (by_values.values, by_values.status)


# ---------------------------------------------------------------------------
# collect --json


def _invoke(*args) -> "object":
    return CliRunner().invoke(cli, ["collect", *SAMPLE_MASTER_ARGS, *[str(a) for a in args]], catch_exceptions=False)


def test_cli_json_valid(filled, tmp_path) -> None:
    master, folder, returns = filled["dai3ji"]  # the bundled sample, named by _invoke
    result = _invoke(folder, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS  # the documented keys, and the counts every report has
    assert data["valid"] is True and data["counts"]["errors"] == 0
    assert data["missing"] == []
    assert len(data["returns"]) == len(returns)
    for ret in data["returns"]:
        assert set(ret) == RETURN_KEYS
        assert ret["status"] == "提出済" and ret["errors"] == 0 and ret["warnings"] == 0
    assert {r["file"] for r in data["returns"]} == {r.shown for r in returns}
    assert {r["respondent_id"] for r in data["returns"]} == {d.id for d in master.respondents()}
    for issue in data["issues"]:
        assert set(issue) == ISSUE_KEYS
    assert Path(data["outputs"]["answers"]) == tmp_path / "out" / "answers.csv"
    assert Path(data["outputs"]["answers"]).exists()
    # issues.json is the same verdict, each issue with its context, plus the survey and the roster
    verdict = json.loads((tmp_path / "out" / "issues.json").read_text(encoding="utf-8"))
    assert Path(data["outputs"]["issues"]) == tmp_path / "out" / "issues.json"
    assert {k: verdict[k] for k in data} == {**data, "issues": verdict["issues"]}
    assert [{k: v for k, v in i.items() if k != "context"} for i in verdict["issues"]] == data["issues"]
    assert all(isinstance(i["context"], dict) for i in verdict["issues"])
    assert verdict["survey"]["name"] == master.settings.survey_name
    assert [r["respondent_id"] for r in verdict["roster"]] == [d.id for d in master.respondents()]


def test_cli_json_error_exit_1(sample_master, generated, tmp_path) -> None:
    folder = tmp_path / "returns"
    wb = next(w for w in generated.workbooks if w.respondent_id == "K03")
    answers = plan_answers(sample_master, "K03", 0)
    key = next(k for k in answers if k[0] == "取組状況" and k[2] == "value" and isinstance(answers[k], int))
    ret = fill(sample_master, wb, folder, answers={**answers, key: "約100"})
    result = _invoke(folder, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS
    assert data["valid"] is False and data["counts"]["errors"] == 1
    assert [set(r) for r in data["returns"]] == [RETURN_KEYS]
    assert data["returns"][0]["status"] == "要修正" and data["returns"][0]["errors"] == 1
    errors = [i for i in data["issues"] if i["severity"] == "error"]
    assert [(i["code"], i["file"], i["sheet"], i["cell"]) for i in errors] == [
        ("not_a_number", ret.shown, "取組状況", ret.cells[key])]
    verdict = json.loads((tmp_path / "out" / "issues.json").read_text(encoding="utf-8"))
    [error] = [i for i in verdict["issues"] if i["severity"] == "error"]
    assert error["context"]["value"] == "約100" and error["context"]["respondent"] == ret.respondent
    assert len(data["missing"]) == 10 and all(set(m) == {"respondent_id", "respondent"} for m in data["missing"])


def test_cli_missing_path_exit_2(tmp_path) -> None:
    result = _invoke(tmp_path / "does-not-exist", "--out", tmp_path / "out", "--json")
    assert result.exit_code == 2
    assert "does-not-exist" in result.stderr
    assert not (tmp_path / "out").exists()
