"""A season in a survey folder, from the command line: init → generate → receive (good
returns, a CSV, an .xls, a duplicate, a renamed file) → collect → status → review →
a resubmission → mail 督促 / 差戻し → rollover, all with ``-w`` and real files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import openpyxl
import pytest
from click.testing import CliRunner

from collect_helpers import fill
from welfare_workbook import journal
from welfare_workbook.cli import cli
from welfare_workbook.generate import GeneratedWorkbook
from welfare_workbook.guard import OLE_MAGIC
from welfare_workbook.master import Master
from welfare_workbook.simulate import plan_answers


def run(*args: Any) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def as_json(*args: Any) -> Dict[str, Any]:
    result = run(*args, "--json")
    return json.loads(result.stdout)


def states(folder: Path) -> Dict[str, str]:
    return {r["respondent_id"]: r["state"] for r in as_json("status", "-w", folder)["respondents"]}


def log_rows(folder: Path) -> List[journal.Entry]:
    return journal.read(folder / journal.JOURNAL_FILE).entries


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "令和6年度 進捗状況調査"
    assert run("init", folder, "--sample", "dai3ji").exit_code == 0
    assert run("generate", "-w", folder).exit_code == 0
    return folder


def workbook(folder: Path, master: Master, respondent_id: str) -> GeneratedWorkbook:
    dept = master.departments[respondent_id]
    path = next(p for p in (folder / "調査票").glob("*.xlsx") if p.name.startswith(dept.name + "_"))
    return GeneratedWorkbook(respondent_id, dept.name, path, 0)


def answers_with_error(master: Master, respondent_id: str) -> Dict[Any, Any]:
    answers = dict(plan_answers(master, respondent_id, 1))
    answers[next(k for k in answers if k[2] == "grade")] = "良い"  # not one of ◎○△×
    return answers


def test_a_season_in_a_survey_folder(folder: Path, sample_master: Master, tmp_path: Path) -> None:
    master = sample_master
    mailbox = tmp_path / "メール受信"
    fill(master, workbook(folder, master, "K01"), mailbox)
    fill(master, workbook(folder, master, "K02"), mailbox, "社協から届いた.xlsx")  # renamed: matched by _meta
    fill(master, workbook(folder, master, "K03"), mailbox, answers=answers_with_error(master, "K03"))
    (mailbox / "障害者福祉課_回答.csv").write_text("No,値\n1,2\n", encoding="utf-8")  # a CSV: 形式違い
    (mailbox / "こども支援課_回答.xls").write_bytes(OLE_MAGIC + b"\0" * 600)  # an old .xls: 形式違い
    received = as_json("receive", mailbox, "-w", folder)
    assert len(received["received"]) == 5 and received["valid"]
    again = as_json("receive", mailbox / "社協から届いた.xlsx", "-w", folder)
    assert again["received"] == [] and len(again["duplicates"]) == 1  # the same bytes are recorded once
    original = sorted(p.name for p in mailbox.iterdir())

    collected = run("collect", "-w", folder, "--json")
    assert collected.exit_code == 1  # K03 has an error, K04 and K05 sent what cannot be read
    verdict = json.loads(collected.stdout)
    roster = {r["respondent_id"]: r for r in verdict["roster"]}
    assert {rid: roster[rid]["state"] for rid in ("K01", "K02", "K03", "K04", "K05", "K06")} == {
        "K01": "確認待ち", "K02": "確認待ち", "K03": "要修正", "K04": "形式違い", "K05": "形式違い", "K06": "未提出"}
    assert "CSV" in roster["K04"]["note"] or ".csv" in roster["K04"]["note"]
    assert (folder / "回収結果" / "issues.json").is_file() and (folder / "回収結果" / "確認結果.xlsx").is_file()
    shown = openpyxl.load_workbook(folder / "回収結果" / "確認結果.xlsx")["提出状況"]
    assert {row[0]: row[3] for row in shown.iter_rows(min_row=2, values_only=True) if row[0]}["K04"] == "形式違い"
    overview = [row for row in openpyxl.load_workbook(folder / "回収結果" / "集計表.xlsx")["概要"].iter_rows(
        values_only=True)]
    assert ("K05", master.departments["K05"].name, "形式違い") in [tuple(r[:3]) for r in overview]
    assert sorted(p.name for p in mailbox.iterdir()) == original  # originals never moved or changed

    # the secretariat's decisions
    refused = run("review", "K03", "--accept", "-w", folder)
    assert refused.exit_code == 2 and "理由" in refused.stderr
    assert states(folder)["K03"] == "要修正"  # unchanged
    assert run("review", "K01", "--accept", "-w", folder).exit_code == 0
    assert run("review", "K03", "--accept", "--reason", "電話で確認済み。次年度に修正", "-w", folder).exit_code == 0
    assert states(folder)["K03"] == "確認済"
    assert run("review", "K03", "--reopen", "-w", folder).exit_code == 0
    assert run("review", "K99", "--accept", "-w", folder).exit_code == 2
    assert run("review", "K01", "--accept", "--send-back", "-w", folder).exit_code == 2

    # mail follows the states
    reminded = as_json("mail", "督促", "-w", folder)
    assert sorted(d["respondent_id"] for d in reminded["drafts"]) == sorted(
        [d.id for d in master.respondents() if d.id not in ("K01", "K02", "K03")])
    remind_text = (folder / "メール" / "督促").glob("督促_K05_*.eml").__next__().read_bytes()
    assert remind_text  # a draft for the department whose .xls could not be read
    run("collect", "-w", folder)
    sent_back = as_json("mail", "差戻し", "-w", folder)
    assert [d["respondent_id"] for d in sent_back["drafts"]] == ["K03"]
    assert states(folder)["K03"] == "差戻し中"

    # the fixed return arrives: 差戻し中 → 確認待ち, and an accepted one goes back to review
    fixed = fill(master, workbook(folder, master, "K03"), tmp_path / "再提出", seed=2)
    newer_k01 = fill(master, workbook(folder, master, "K01"), tmp_path / "再提出", seed=3)
    time.sleep(1.1)  # a later receive time than the decisions above
    run("receive", fixed.path, newer_k01.path, "-w", folder)
    assert run("collect", "-w", folder).exit_code == 1  # K04 and K05 still sent what cannot be read
    now = states(folder)
    assert now["K03"] == "確認待ち" and now["K01"] == "確認待ち"

    operations = [e.operation for e in log_rows(folder)]
    for kind in ("作成", "受付", "状態変更", "確認", "取消", "督促メール", "差戻しメール"):
        assert kind in operations, kind

    # rollover refuses while a department is 形式違い, then makes next year's folder
    refused = run("rollover", "-w", folder, "--out", tmp_path / "令和7年度")
    assert refused.exit_code == 1 and "形式違い" in refused.stderr
    assert not (tmp_path / "令和7年度").exists()
    made = run("rollover", "-w", folder, "--out", tmp_path / "令和7年度", "--force")
    assert made.exit_code == 0, made.output
    assert (tmp_path / "令和7年度" / "マスタ.xlsx").is_file()
    assert "繰越し" in [e.operation for e in log_rows(folder)]
    assert run("generate", "-w", tmp_path / "令和7年度").exit_code == 0


def test_the_current_folder_is_the_survey_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder / "受付")  # anywhere inside it
    result = run("status", "--json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)["respondents"]) == 11


@pytest.mark.parametrize("args", [["generate"], ["collect"], ["report"], ["rollover", "--out", "next.xlsx"],
                                  ["mail", "督促"], ["status"], ["check-master"]])
def test_outside_a_folder_without_a_master_nothing_is_written(args: List[str], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "調査フォルダ" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_files_with_a_folder_are_refused(folder: Path, tmp_path: Path) -> None:
    result = run("collect", tmp_path, "-w", folder)
    assert result.exit_code == 2 and "receive" in result.stderr


def test_two_collects_at_once_do_not_interleave(folder: Path, sample_master: Master, tmp_path: Path) -> None:
    """Two real processes collect the same folder: both finish, the outputs are whole."""
    for rid in ("K01", "K02", "K03"):
        fill(sample_master, workbook(folder, sample_master, rid), tmp_path / "in")
    assert run("receive", tmp_path / "in", "-w", folder).exit_code == 0
    command = [sys.executable, "-m", "welfare_workbook", "collect", "-w", str(folder), "--json"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [o[1].decode("utf-8", "replace") for o in outputs]
    answers = (folder / "回収結果" / "answers.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len({line.split(",")[0] for line in answers[1:]}) == 3
    assert json.loads((folder / "回収結果" / "issues.json").read_text(encoding="utf-8"))["valid"] is True
    assert not (folder / ".collect.lock").exists()


def test_mail_follows_a_decision_made_after_collect(folder: Path, sample_master: Master, tmp_path: Path) -> None:
    """差戻し goes by the states now, not by those collect wrote into issues.json: a return accepted
    since is not sent back, and one sent back is not sent back twice."""
    fill(sample_master, workbook(folder, sample_master, "K03"), tmp_path / "届いた",
         answers=answers_with_error(sample_master, "K03"))
    run("receive", tmp_path / "届いた", "-w", folder)
    assert run("collect", "-w", folder).exit_code == 1
    assert run("review", "K03", "--accept", "--reason", "電話で確認済み", "-w", folder).exit_code == 0
    assert as_json("mail", "差戻し", "-w", folder)["drafts"] == []  # no new collect in between
    assert states(folder)["K03"] == "確認済"
    assert run("review", "K03", "--reopen", "-w", folder).exit_code == 0
    assert [d["respondent_id"] for d in as_json("mail", "差戻し", "-w", folder)["drafts"]] == ["K03"]
    assert states(folder)["K03"] == "差戻し中"
    assert as_json("mail", "差戻し", "-w", folder)["drafts"] == []  # already sent back
