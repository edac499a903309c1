"""A survey folder holding a form survey (seed 003): init, generate, receive, collect (with its
cache and states), status, review, report and rollover work as they do for the row survey,
and speak of 団体 and 団体コード.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import openpyxl
import pytest

from helpers import run_cli
from welfare_workbook import folder, journal
from welfare_workbook.batch import Batch, read_all
from welfare_workbook.form_master import FormMaster, load_form_master
from welfare_workbook.form_simulate import fill_form, plan_form_answers, rows_by_key
from welfare_workbook.kinds import FORM, kind_of
from welfare_workbook.receive import receive
from welfare_workbook.report import copy_made_from
from welfare_workbook.review import review
from welfare_workbook.states import State
from welfare_workbook.status import status
from welfare_workbook.workspace import Workspace, init

FIX = "131075"  # 東京都 墨田区: its 団体コード mistyped (an error)
LATE = "142069"  # 神奈川県 小田原市: does not answer at first


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    made = init(tmp_path / "調査", sample="form003")
    assert made.valid, [i.message for i in made.issues]
    return Workspace(tmp_path / "調査")


def _master(ws: Workspace) -> FormMaster:
    master, issues = ws.load_master()
    assert isinstance(master, FormMaster) and not issues.has_errors
    return master


def _fill_all(ws: Workspace, master: FormMaster, out: Path) -> Dict[str, Path]:
    """Every 団体's generated form filled with valid answers, 墨田区's 団体コード mistyped, 小田原市 left out."""
    generated = folder.generate_in(ws, master)
    assert generated.valid and len(generated.workbooks) == len(master.bodies)
    filled = {}
    for wb in generated.workbooks:
        if wb.respondent_id == LATE:
            continue
        respondent = master.bodies[wb.respondent_id]
        answers = plan_form_answers(master, respondent)
        if wb.respondent_id == FIX:
            answers["dantai_code"] = "131076"
        filled[wb.respondent_id] = out / wb.file.name
        fill_form(master, respondent, wb.file, filled[wb.respondent_id], answers)
    return filled


def test_a_form_folder_runs_a_season(ws: Workspace, tmp_path: Path) -> None:
    master = _master(ws)
    assert kind_of(master) is FORM and json.loads(ws.marker_path.read_text(encoding="utf-8"))["survey"]
    filled = _fill_all(ws, master, tmp_path / "届いた")
    got = receive(ws, list(filled.values()))
    assert got.valid and len(got.received) == len(filled)
    assert {r.respondent_id for r in got.received} == set(filled)  # known by their _meta at once

    result = folder.collect_in(ws, master, workers=1)
    states = {row.department.id: row.state for row in result.roster}
    assert states[FIX] == State.NEEDS_FIX and states[LATE] == State.NOT_SUBMITTED
    assert {code for code, state in states.items() if state == State.AWAITING_REVIEW} == set(filled) - {FIX}
    verdict = json.loads((ws.results / "issues.json").read_text(encoding="utf-8"))
    assert verdict["survey"]["form"] == master.settings.form
    assert {r["respondent_id"]: r["state"] for r in verdict["roster"]}[FIX] == "要修正"
    for name in ("answers.csv", "回答一覧.csv", "集計表.xlsx", "確認結果.xlsx"):
        assert (ws.results / name).is_file(), name
    shown = openpyxl.load_workbook(ws.results / "確認結果.xlsx")["提出状況"]
    assert {r[0]: r[2] for r in shown.iter_rows(min_row=2, values_only=True)} == {k: str(v) for k, v in states.items()}

    report = status(ws)  # status reads issues.json (it covers 受付/), the same states
    assert {r.respondent_id: r.state for r in report.respondents} == states
    decided = review(ws, FIX, "accept", "団体コードの誤記は事務局で確認済み")
    assert decided.valid
    assert {r.respondent_id: r.state for r in status(ws).respondents}[FIX] == State.ACCEPTED

    assert folder.report_in(ws, master).valid
    rolled, made = folder.rollover_in(ws, master, tmp_path / "翌年度", force=True)
    assert rolled.output is not None and made is not None and made.valid and not rolled.carries_results
    following, issues = load_form_master(rolled.output)
    assert following is not None and not issues.has_errors
    assert following.settings.fiscal_year == master.settings.fiscal_year + 1
    assert set(following.bodies) == set(master.bodies)
    operations = [e.operation for e in journal.read(ws.journal_path).entries]
    assert journal.Operation.ROLLOVER in operations and journal.Operation.ACCEPT in operations


def test_a_new_arrival_is_the_only_file_read_again(ws: Workspace, tmp_path: Path) -> None:
    master = _master(ws)
    filled = _fill_all(ws, master, tmp_path / "届いた")
    assert receive(ws, list(filled.values())).valid
    first = Batch(master, workers=1, cache_dir=ws.collect_cache)
    read_all(master, [ws.inbox], batch=first)
    assert first.read_count == len(filled)

    late = master.bodies[LATE]
    form = next(p for p in ws.forms.glob("*.xlsx") if p.name.startswith(LATE))
    fill_form(master, late, form, tmp_path / "遅れて" / form.name, plan_form_answers(master, late))
    assert receive(ws, [tmp_path / "遅れて" / form.name]).valid
    second = Batch(master, workers=1, cache_dir=ws.collect_cache)
    again = read_all(master, [ws.inbox], batch=second)
    assert second.read_count == 1
    cached = {row.department.id: (row.status, row.current.errors if row.current else None) for row in again.roster}
    fresh = read_all(master, [ws.inbox])  # the cache gives what reading everything gives
    assert cached == {row.department.id: (row.status, row.current.errors if row.current else None)
                      for row in fresh.roster}
    assert [i.message for i in again.issues] == [i.message for i in fresh.issues]


def test_a_form_folder_speaks_of_dantai(ws: Workspace, tmp_path: Path) -> None:
    wrong = review(ws, "999999", "accept", "")
    assert wrong.exit_code == 2 and "団体コード「999999」は今回の回答団体にありません" in wrong.issues[0].message
    refused = receive(ws, [tmp_path], respondent_id="K01")
    assert "団体コード" in refused.issues[-1].message and "回答団体" in refused.issues[-1].message
    master = _master(ws)
    filled = _fill_all(ws, master, tmp_path / "届いた")
    assert receive(ws, list(filled.values())).valid
    folder.collect_in(ws, master, workers=1)
    rolled, _ = folder.rollover_in(ws, master, tmp_path / "翌年度")
    assert rolled.output is None and "済んでいない団体があります" in rolled.issues[0].message


def test_the_commands_run_on_a_form_folder(ws: Workspace, tmp_path: Path) -> None:
    master = _master(ws)
    filled = _fill_all(ws, master, tmp_path / "届いた")
    assert run_cli("receive", "-w", str(ws.root), str(tmp_path / "届いた")).exit_code == 0
    collected = run_cli("collect", "-w", str(ws.root))
    assert "未提出 1" in collected.output and "要修正 1" in collected.output, collected.output
    assert "回答一覧（1 団体 1 行）" in collected.output
    shown = run_cli("status", "-w", str(ws.root), "--json")
    rows = {r["respondent_id"]: r["state"] for r in json.loads(shown.output)["respondents"]}
    assert rows[FIX] == "要修正" and rows[LATE] == "未提出" and len(rows) == len(master.bodies)
    assert run_cli("report", "-w", str(ws.root)).exit_code == 0
    book = openpyxl.load_workbook(ws.results / "集計表.xlsx", read_only=True)
    assert "一覧" in book.sheetnames
    rolled = run_cli("rollover", "-w", str(ws.root), "--out", str(tmp_path / "翌年度"), "--force")
    assert rolled.exit_code == 0 and "回答団体はそのまま" in rolled.output, rolled.output
    assert len(filled) == len(master.bodies) - 1
    assert rows_by_key(master, master.bodies[FIX])["dantai_code"].row > 0


def test_an_unchanged_send_back_copy_is_not_made_again(ws: Workspace, tmp_path: Path) -> None:
    """A folder collects after every arrival: a copy made from the same return, issues, master
    and version is kept as it is; a changed return, a deleted copy or one saved by a person
    (Excel records who) is made again."""
    master = _master(ws)
    filled = _fill_all(ws, master, tmp_path / "届いた")
    assert receive(ws, list(filled.values())).valid
    first = folder.collect_in(ws, master, workers=1)
    copy = Path(first.outputs[f"sendback:{FIX}"])
    made = copy.stat().st_mtime_ns, copy.read_bytes()
    again = folder.collect_in(ws, master, workers=1)
    assert Path(again.outputs[f"sendback:{FIX}"]) == copy and (copy.stat().st_mtime_ns, copy.read_bytes()) == made

    book = openpyxl.load_workbook(copy)
    book.properties.lastModifiedBy = "福祉政策課 職員"  # opened and saved by a person
    book.save(copy)
    assert copy_made_from(copy) is None  # a person's save: not this tool's copy any more
    folder.collect_in(ws, master, workers=1)
    assert copy_made_from(copy) is not None  # made again
    assert openpyxl.load_workbook(copy).properties.lastModifiedBy == "welfare_workbook"

    copy.unlink()
    folder.collect_in(ws, master, workers=1)
    assert copy.is_file()
    kept = copy_made_from(copy)
    assert kept is not None
    respondent = master.bodies[FIX]
    answers = plan_form_answers(master, respondent, seed=5)  # sent again, with other answers, still wrong
    answers["dantai_code"] = "131076"
    form = next(p for p in ws.forms.glob("*.xlsx") if p.name.startswith(FIX))
    fill_form(master, respondent, form, tmp_path / "再提出" / form.name, answers)
    assert receive(ws, [tmp_path / "再提出" / form.name]).valid
    folder.collect_in(ws, master, workers=1)
    assert copy_made_from(copy) not in (None, kept)  # made from the newer return
