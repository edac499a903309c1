"""A large survey collected in chunks: `report` takes several answers.csv files and
builds the same 集計表 as one collect over every return."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner

from helpers import SAMPLE_MASTER_ARGS
from welfare_workbook import pipeline
from welfare_workbook.cli import cli
from welfare_workbook.simulate import fill_workbook, plan_answers


def _values(path: Path, sheet: str) -> list:
    wb = openpyxl.load_workbook(path)
    try:
        return [tuple(row) for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def test_report_from_chunks_equals_one_collect(sample_master, generated, tmp_path):
    everything = tmp_path / "all"
    chunks = [tmp_path / "chunk1", tmp_path / "chunk2"]
    for number, wb in enumerate(generated.workbooks):
        answers = plan_answers(sample_master, wb.respondent_id, seed=11)
        for folder in (everything, chunks[number % 2]):
            fill_workbook(sample_master, wb.respondent_id, wb.file, folder / wb.file.name, answers)

    whole = pipeline.collect(sample_master, [everything], tmp_path / "out_all")
    assert whole.valid
    parts = [pipeline.collect(sample_master, [chunk], tmp_path / f"out_{chunk.name}") for chunk in chunks]
    assert all(part.missing for part in parts)  # each chunk alone misses the other half

    result = CliRunner().invoke(cli, ["report", *SAMPLE_MASTER_ARGS, "--answers", parts[0].outputs["answers"],
                                      "--answers", parts[1].outputs["answers"], "--out", str(tmp_path / "merged")])
    assert result.exit_code == 0, result.output
    merged = tmp_path / "merged" / "集計表.xlsx"
    for sheet in ("一覧表", "Ⅰ-1", "中間評価"):
        assert _values(merged, sheet) == _values(Path(whole.outputs["summary"]), sheet), sheet
    overview = [row for row in _values(merged, "概要") if row[2] in ("提出済", "未提出", "要修正")]
    assert overview and all(row[2] == "提出済" for row in overview)


def test_report_refuses_one_unreadable_chunk(sample_master, tmp_path):
    good = tmp_path / "answers.csv"
    good.write_text("respondent_id,sheet,item_id,field,value\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", *SAMPLE_MASTER_ARGS, "--answers", str(good), "--answers", str(bad),
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "Traceback" not in result.output
