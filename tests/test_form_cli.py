"""The form survey from the command line: the commands dispatch on the master's kind; demo --sample form003
runs the whole cycle; report --answers A --answers B merges several prefectures' collections."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from helpers import run_cli


def test_demo_runs_the_whole_form_cycle(tmp_path: Path) -> None:
    result = run_cli("demo", "--sample", "form003", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "回収結果"
    for name in ("answers.csv", "回答一覧.csv", "集計表.xlsx", "確認結果.xlsx", "issues.json"):
        assert (out / name).is_file(), name
    verdict = json.loads((out / "issues.json").read_text(encoding="utf-8"))
    codes = {i["code"] for i in verdict["issues"]}
    assert {"form_not_applicable", "form_code_check_digit", "form_block_beyond_max", "form_rowtable_return",
            "wrong_year", "form_required_empty"} <= codes
    assert len(verdict["roster"]) == 8 and verdict["survey"]["form"] == "chiiki_kyosei"
    assert "団体分の調査票" in result.output and "提出状況:" in result.output
    # the 団体 with errors get a 差戻し copy, listed under the outputs
    copies = sorted(p.name for p in (out / "差戻し").iterdir())
    assert copies == ["差戻し_013994_京極町.xlsx", "差戻し_131075_墨田区.xlsx", "差戻し_142051_藤沢市.xlsx",
                      "差戻し_142069_小田原市.xlsx"]
    assert "差戻し（エラーのある団体）:" in result.output and all(name in result.output for name in copies)


def test_commands_dispatch_on_a_form_master(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    assert run_cli("init-master", master, "--sample", "form003").exit_code == 0
    checked = run_cli("check-master", "--master", master)
    assert checked.exit_code == 0 and "回答団体 8" in checked.output
    made = run_cli("generate", "--master", master, "--out", tmp_path / "forms", "--json")
    assert made.exit_code == 0
    workbooks = json.loads(made.output)["workbooks"]
    assert [Path(w["file"]).name for w in workbooks][:2] == ["012068_釧路市.xlsx", "013994_京極町.xlsx"]
    collected = run_cli("collect", tmp_path / "forms", "--master", master, "--out", tmp_path / "out", "--json")
    assert collected.exit_code == 1  # blank forms: required answers are missing
    data = json.loads(collected.output)
    assert set(data) >= {"valid", "returns", "missing", "issues", "outputs"}
    assert all(i["cell"] for i in data["issues"] if i["code"] == "form_required_empty")


def test_report_merges_several_prefectures(tmp_path: Path) -> None:
    assert run_cli("demo", "--sample", "form003", "--out", tmp_path / "demo").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "demo" / "回収結果" / "answers.csv").read_text(encoding="utf-8-sig"))))
    header = list(rows[0])
    parts = {"hokkaido": [r for r in rows if r["respondent_id"].startswith("01")],
             "others": [r for r in rows if not r["respondent_id"].startswith("01")]}
    paths = []
    for name, part in parts.items():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(part)
        path = tmp_path / f"{name}.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8-sig")
        paths += ["--answers", path]
    master = tmp_path / "master.xlsx"
    run_cli("init-master", master, "--sample", "form003")
    merged = run_cli("report", "--master", master, *paths, "--out", tmp_path / "merged")
    assert merged.exit_code == 0, merged.output
    assert "8 団体" in merged.output
    import openpyxl

    listing = list(openpyxl.load_workbook(tmp_path / "merged" / "集計表.xlsx")["一覧"].iter_rows(values_only=True))
    codes = [r[0] for r in listing[1:-2]]
    assert codes == sorted(codes) and len(codes) == 8
    wide = list(csv.DictReader(io.StringIO((tmp_path / "merged" / "回答一覧.csv").read_text(encoding="utf-8-sig"))))
    assert [r["団体コード"] for r in wide] == codes
    shutil.rmtree(tmp_path / "demo")
