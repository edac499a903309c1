"""The survey folder on real files: init, receive, status, review (DESIGN §2a).

Returns are generated workbooks filled as departments fill them (simulate), received
into 受付/ and read by collect's reader; every state transition and every kind of
記録.csv row is checked on them. Nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from collect_helpers import fill
from test_architecture import WRITER, import_graph, reachable
from welfare_workbook import journal
from welfare_workbook.guard import OLE_MAGIC
from welfare_workbook.journal import Operation
from welfare_workbook.master import Master, load_master, sample_path
from welfare_workbook.pipeline import collect
from welfare_workbook.receive import receive
from welfare_workbook.review import review
from welfare_workbook.simulate import plan_answers
from welfare_workbook.states import State
from welfare_workbook.status import SOURCE_GIVEN, SOURCE_INBOX, SOURCE_VERDICT, current_states, status
from welfare_workbook.workspace import MARKER_FILE, MASTER_FILE, Workspace, init, locate

TODAY = dt.date(2025, 5, 20)  # ten days before the sample's deadline (2025-05-30)


# ---------------------------------------------------------------------------
# returns, made once per module


def _with_error(answers: Dict[Any, Any]) -> Dict[Any, Any]:
    """The answers with one value that is an error (a number field typed as 約100)."""
    answers = dict(answers)
    key = next((k for k, v in answers.items() if isinstance(v, int) and not isinstance(v, bool)), None)
    if key is None:
        key = next(k for k in answers if k[2] in ("grade", "direction"))
    answers[key] = "約100"
    return answers


def _saved(when: dt.datetime) -> Any:
    def edit(wb: Any) -> None:
        wb.properties.modified = when
    return edit


@pytest.fixture(scope="module")
def returns(sample_master: Master, workbook_of: Dict[str, Any], tmp_path_factory: pytest.TempPathFactory
            ) -> Dict[str, Path]:
    """Returned files as departments send them, by role."""
    folder = tmp_path_factory.mktemp("届いたファイル")
    made: Dict[str, Path] = {}

    def make(role: str, rid: str, name: str, day: int, error: bool = False) -> None:
        answers = plan_answers(sample_master, rid)
        filled = fill(sample_master, workbook_of[rid], folder, name, answers=_with_error(answers) if error else answers,
                      edit=_saved(dt.datetime(2025, 5, day, 10, 0)))
        made[role] = filled.path

    make("K01", "K01", "福祉政策課_回答.xlsx", 10)
    make("K01_v2", "K01", "福祉政策課_回答_修正版.xlsx", 20)
    make("K01_v3_bad", "K01", "福祉政策課_回答_再修正.xlsx", 25, error=True)
    make("K02_bad", "K02", "社会福祉協議会_回答.xlsx", 10, error=True)
    make("K02_fixed", "K02", "社会福祉協議会_回答_修正.xlsx", 20)
    make("K03", "K03", "健康長寿課_回答.xlsx", 20)
    made["K03_xls"] = folder / "健康長寿課_回答.xls"
    made["K03_xls"].write_bytes(OLE_MAGIC + b"\0" * 4088)
    made["nobody_xls"] = folder / "回答.xls"
    made["nobody_xls"].write_bytes(OLE_MAGIC + b"\1" * 4088)
    made["K05_csv"] = folder / "こども支援課_回答.csv"
    made["K05_csv"].write_text("指標,値\n1,20\n", encoding="cp932")
    return made


@pytest.fixture(scope="module")
def blank_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A survey folder made once by init (copied for each test: init has tests of its own)."""
    folder = tmp_path_factory.mktemp("init") / "令和6年度 進捗状況調査"
    report = init(folder, sample="dai3ji")
    assert report.valid, report.to_dict()
    return folder


@pytest.fixture()
def ws(blank_folder: Path, tmp_path: Path) -> Workspace:
    target = tmp_path / blank_folder.name
    shutil.copytree(blank_folder, target)
    return Workspace(target)


def entries(ws: Workspace) -> List[journal.Entry]:
    read = journal.read(ws.journal_path)
    assert read.issues == [], [i.message for i in read.issues]
    return read.entries


def states(ws: Workspace, **kw: Any) -> Dict[str, str]:
    report = status(ws, today=TODAY, **kw)
    return {r.respondent_id: r.state.value for r in report.respondents}


def got(ws: Workspace, *files: Path, **kw: Any) -> Any:
    report = receive(ws, list(files), **kw)
    assert report.valid, report.to_dict()
    return report


# ---------------------------------------------------------------------------
# init and the folder


def test_init_makes_the_layout(tmp_path: Path) -> None:
    folder = tmp_path / "令和6年度 進捗状況調査"
    report = init(folder, sample="dai3ji")
    assert (report.valid, report.exit_code) == (True, 0)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["マスタ.xlsx", "調査票", "受付", "回収結果", "メール", "記録.csv", "調査フォルダ.json"])
    master, issues = load_master(folder / MASTER_FILE)
    assert master is not None and not issues.has_errors
    marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["format"] == "welfare_workbook/調査フォルダ" and marker["tool_version"]
    (row,) = entries(Workspace(folder))
    assert (row.operation, row.file, row.reason) == ("作成", "マスタ.xlsx", "同梱サンプル dai3ji")
    assert row.after.startswith("sha256:")
    data = report.to_dict()
    assert set(data) == {"valid", "counts", "folder", "master", "created", "issues"}
    json.dumps(data, ensure_ascii=False)


def test_the_folder_is_found_from_inside_it(ws: Workspace, tmp_path: Path) -> None:
    assert Workspace.find(ws.inbox) == Workspace(ws.root.resolve())
    assert Workspace.find(tmp_path) is None
    found, issues = locate(cwd=ws.results)
    assert found is not None and found.root == ws.root.resolve() and issues == []
    missing, issues = locate(tmp_path / "どこか")
    assert missing is None and [i.code for i in issues] == ["folder_not_found"]
    # the marker lost: マスタ.xlsx and 記録.csv still make it a survey folder
    ws.marker_path.unlink()
    again, issues = locate(ws.root)
    assert again == ws and [i.code for i in issues] == ["folder_marker_missing"]


def test_init_from_a_master_file_copies_it_as_it_is(blank_folder: Path, tmp_path: Path) -> None:
    source = blank_folder / MASTER_FILE
    report = init(tmp_path / "new", master=source)
    assert report.valid and (tmp_path / "new" / MASTER_FILE).read_bytes() == source.read_bytes()


def test_init_from_csv_exports_writes_an_xlsx(tmp_path: Path) -> None:
    report = init(tmp_path / "new", master=sample_path("dai2ji_chukan"))
    master, issues = load_master(tmp_path / "new" / MASTER_FILE)
    assert report.valid and master is not None and not issues.has_errors
    assert master.settings.sheets == load_master(sample_path("dai2ji_chukan"))[0].settings.sheets


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    folder = tmp_path / "使用中"
    folder.mkdir()
    (folder / "メモ.txt").write_text("大事なメモ", encoding="utf-8")
    report = init(folder, sample="dai3ji")
    assert (report.exit_code, [i.code for i in report.issues]) == (2, ["folder_not_empty"])
    assert [p.name for p in folder.iterdir()] == ["メモ.txt"]
    forced = init(folder, sample="dai3ji", force=True)
    assert forced.valid and (folder / "メモ.txt").read_text(encoding="utf-8") == "大事なメモ"
    assert Workspace.is_survey_folder(folder)


def test_init_with_force_keeps_the_log_and_the_received_files(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    before = ws.journal_path.read_bytes()
    report = init(ws.root, sample="dai3ji", force=True)
    assert report.valid and ws.journal_path.read_bytes().startswith(before)
    rows = entries(ws)
    assert [r.operation for r in rows] == ["作成", "受付", "作成"] and rows[-1].before.startswith("sha256:")
    assert len(ws.inbox_names()) == 1


def test_init_checks_the_master_first(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    report = init(tmp_path / "new", master=bad)
    assert report.exit_code == 1 and not (tmp_path / "new").exists()
    assert [i.code for i in report.issues] == ["master_unreadable", "folder_master_invalid"]
    missing = init(tmp_path / "new", master=tmp_path / "none.xlsx")
    assert missing.exit_code == 2 and not (tmp_path / "new").exists()


@pytest.mark.parametrize("kw, code", [({}, "folder_init_source"),
                                      ({"master": Path("m.xlsx"), "sample": "dai3ji"}, "folder_init_source"),
                                      ({"sample": "dai9ji"}, "folder_unknown_sample")])
def test_init_needs_one_master(tmp_path: Path, kw: Dict[str, Any], code: str) -> None:
    report = init(tmp_path / "new", **kw)
    assert (report.exit_code, [i.code for i in report.issues]) == (2, [code]) and not (tmp_path / "new").exists()


# ---------------------------------------------------------------------------
# receive


def test_receive_copies_and_records(ws: Workspace, returns: Dict[str, Path]) -> None:
    original = returns["K01"]
    before = (original.read_bytes(), original.stat().st_mtime_ns)
    report = got(ws, original)
    (item,) = report.received
    stored = ws.root / item.file
    assert stored.parent == ws.inbox and stored.name.endswith("_福祉政策課_回答.xlsx")
    assert len(stored.name.split("_")[0]) == len("20261130-141502")
    assert stored.read_bytes() == before[0] and (original.read_bytes(), original.stat().st_mtime_ns) == before
    assert stored.stat().st_mtime_ns == before[1]  # collect orders returns by saved time, then mtime
    (row,) = [e for e in entries(ws) if e.operation == "受付"]
    assert (row.respondent_id, row.file, row.sha256, row.user) == ("K01", item.file, item.sha256,
                                                                   journal.current_user())
    assert row.before == str(original.resolve()) and row.time is not None
    data = report.to_dict()
    assert set(data) == {"valid", "counts", "received", "duplicates", "skipped", "issues"}


def test_the_same_bytes_are_received_once(ws: Workspace, returns: Dict[str, Path], tmp_path: Path) -> None:
    got(ws, returns["K01"])
    renamed = tmp_path / "転送" / "Fw_福祉政策課.xlsx"
    renamed.parent.mkdir()
    shutil.copy(returns["K01"], renamed)
    report = got(ws, returns["K01"], renamed.parent)
    assert report.received == [] and len(report.duplicates) == 2
    assert [i.code for i in report.issues] == ["receive_duplicate", "receive_duplicate"]
    assert len(ws.inbox_names()) == 1 and [e.operation for e in entries(ws)].count("受付") == 1


def test_unreadable_formats_are_received_too(ws: Workspace, returns: Dict[str, Path]) -> None:
    report = got(ws, returns["K03_xls"].parent)  # a folder: searched recursively
    names = sorted(Path(r.source).name for r in report.received)
    assert "健康長寿課_回答.xls" in names and "こども支援課_回答.csv" in names
    guessed = {Path(r.source).name: r.respondent_id for r in report.received}
    assert guessed["健康長寿課_回答.xls"] == "K03" and guessed["回答.xls"] == ""
    assert guessed["福祉政策課_回答_修正版.xlsx"] == "K01"  # from its _meta


def test_windows_valid_names(ws: Workspace, returns: Dict[str, Path], tmp_path: Path) -> None:
    odd = tmp_path / "回答:福祉政策課?.xlsx"
    shutil.copy(returns["K01_v2"], odd)
    (item,) = got(ws, odd).received
    name = Path(item.file).name
    assert not set(name) & set('\\/:*?"<>|') and name.endswith("_回答：福祉政策課？.xlsx")


def test_a_folder_of_thousands_of_other_files(ws: Workspace, returns: Dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "受信フォルダ"
    for sub in range(10):
        (folder / f"sub{sub}").mkdir(parents=True)
        for n in range(250):
            (folder / f"sub{sub}" / f"添付{n}.pdf").write_bytes(b"%PDF")
    (folder / "~$福祉政策課_回答.xlsx").write_bytes(b"lock")
    (folder / ".hidden.xlsx").write_bytes(b"x")
    shutil.copy(returns["K01"], folder / "sub3" / "福祉政策課_回答.xlsx")
    report = receive(ws, [folder, folder / "sub0"])  # the second source is inside the first: named once
    assert report.valid and len(report.received) == 1
    assert len(report.skipped) == 2500 == len(set(report.skipped))
    codes = [i.code for i in report.issues]
    assert codes.count("receive_skipped") == 2500 and codes.count("file_lock_skipped") == 1
    assert len(ws.inbox_names()) == 1


def test_the_folders_own_files_are_not_received(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    shutil.copy(returns["K02_bad"], ws.root / "届いた_社会福祉協議会.xlsx")  # a file put into the folder itself
    report = got(ws, ws.root)
    assert [Path(r.source).name for r in report.received] == ["届いた_社会福祉協議会.xlsx"]
    own = sorted(i.value or i.file for i in report.issues if i.code == "receive_own_folder")
    assert any(MASTER_FILE in f for f in own) and any("受付" in f for f in own)
    assert len(ws.inbox_names()) == 2


def test_receive_of_what_is_not_there_is_a_usage_error(ws: Workspace, tmp_path: Path,
                                                       returns: Dict[str, Path]) -> None:
    report = receive(ws, [tmp_path / "ない.xlsx"])
    assert (report.exit_code, [i.code for i in report.issues]) == (2, ["receive_not_found"])
    report = receive(ws, [returns["K01"]], respondent_id="K99")
    assert (report.exit_code, [i.code for i in report.issues]) == (2, ["receive_unknown_respondent"])
    assert ws.inbox_names() == []


RECEIVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from welfare_workbook.receive import receive
    from welfare_workbook.workspace import Workspace
    ws, go = Workspace(Path(sys.argv[1])), Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    report = receive(ws, [Path(p) for p in sys.argv[3:]])
    assert report.valid, report.to_dict()
    print(len(report.received), len(report.duplicates))
""")


def test_two_receives_at_once(ws: Workspace, returns: Dict[str, Path], tmp_path: Path) -> None:
    """Two processes receive into one folder at the same moment: every file lands, the file
    both received is recorded once, and 記録.csv holds whole lines only."""
    batches = []
    for who in ("a", "b"):
        folder = tmp_path / who
        folder.mkdir()
        for n in range(15):
            (folder / f"{who}{n}.csv").write_text(f"{who},{n}\n", encoding="utf-8")
        batches.append([str(folder), str(returns["K01"])])
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RECEIVER, str(ws.root), str(go), *batch],
                              stdout=subprocess.PIPE, text=True) for batch in batches]
    time.sleep(0.5)
    go.touch()
    outputs = [p.communicate(timeout=180)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted(outputs) == sorted([["16", "0"], ["15", "1"]])
    assert len(ws.inbox_names()) == 31 and not [p for p in ws.inbox.iterdir() if p.name.startswith(".")]
    rows = [e for e in entries(ws) if e.operation == "受付"]
    assert len(rows) == 31 and len({r.sha256 for r in rows}) == 31
    assert {r.file for r in rows} == {f"受付/{n}" for n in ws.inbox_names()}


# ---------------------------------------------------------------------------
# states on real files


def test_states_from_received_files(ws: Workspace, returns: Dict[str, Path]) -> None:
    assert set(states(ws).values()) == {"未提出"}
    got(ws, returns["K01"], returns["K02_bad"], returns["K03_xls"], returns["K05_csv"])
    report = status(ws, today=TODAY)
    by_id = {r.respondent_id: r for r in report.respondents}
    assert {k: r.state.value for k, r in by_id.items() if r.state != State.NOT_SUBMITTED} == {
        "K01": "確認待ち", "K02": "要修正", "K03": "形式違い", "K05": "形式違い"}
    assert by_id["K02"].errors >= 1 and by_id["K01"].errors == 0
    assert ".xls" in by_id["K03"].message and "保存し直して" in by_id["K03"].message
    assert (report.source, report.valid, report.exit_code) == (SOURCE_INBOX, False, 1)
    data = report.to_dict()
    assert data["days_left"] == 10 and data["deadline"] == "2025-05-30"
    rows = {r["respondent_id"]: r for r in data["respondents"]}
    assert rows["K01"]["days_left"] is None and rows["K02"]["days_left"] == 10 == rows["K04"]["days_left"]
    assert set(data) == {"valid", "counts", "folder", "survey", "deadline", "days_left", "source", "states",
                         "respondents", "recorded", "issues"}
    assert data["states"] == {"未提出": 7, "形式違い": 2, "要修正": 1, "確認待ち": 1, "確認済": 0, "差戻し中": 0}
    json.dumps(data, ensure_ascii=False)
    changes = [(e.respondent_id, e.before, e.after) for e in entries(ws) if e.operation == "状態変更"]
    assert sorted(changes) == [("K01", "未提出", "確認待ち"), ("K02", "未提出", "要修正"),
                               ("K03", "未提出", "形式違い"), ("K05", "未提出", "形式違い")]
    assert status(ws, today=TODAY).recorded == 0  # nothing changed since: nothing more recorded
    rows, _ = current_states(ws)
    assert [(r.respondent_id, r.state) for r in rows] == [(r.respondent_id, r.state) for r in report.respondents]


def test_a_good_return_makes_the_wrong_format_file_old(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K03_xls"])
    assert states(ws)["K03"] == "形式違い"
    got(ws, returns["K03"])
    report = status(ws, today=TODAY)
    row = next(r for r in report.respondents if r.respondent_id == "K03")
    assert row.state == State.AWAITING_REVIEW and [Path(f).suffix for f in row.old_files] == [".xls"]
    assert [(e.before, e.after) for e in entries(ws) if e.operation == "状態変更"] == [
        ("未提出", "形式違い"), ("形式違い", "確認待ち")]


def test_an_unreadable_file_of_nobody_is_reported(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["nobody_xls"])
    report = status(ws, today=TODAY)
    assert {r.state for r in report.respondents} == {State.NOT_SUBMITTED}
    assert [i.code for i in report.issues] == ["state_unmatched_file"]
    got(ws, returns["nobody_xls"].with_name("回答.xls"), respondent_id="K04")  # same bytes: already received
    rows = [e for e in entries(ws) if e.operation == "受付"]
    assert len(rows) == 1


def test_accept_then_a_newer_return(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    report = review(ws, "K01", "accept")
    assert (report.valid, report.before, report.after, report.recorded) == (True, "確認待ち", "確認済", True)
    assert states(ws)["K01"] == "確認済"
    got(ws, returns["K01_v2"])  # a corrected version after the decision
    assert states(ws)["K01"] == "確認待ち"
    review(ws, "K01", "accept")
    got(ws, returns["K01_v3_bad"])
    assert states(ws)["K01"] == "要修正"
    ops = [(e.operation, e.before, e.after) for e in entries(ws) if e.respondent_id == "K01" and e.operation != "受付"]
    assert ops == [("状態変更", "未提出", "確認待ち"), ("確認", "確認待ち", "確認済"), ("状態変更", "確認済", "確認待ち"),
                   ("確認", "確認待ち", "確認済"), ("状態変更", "確認済", "要修正")]


def test_send_back_then_the_fixed_return(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K02_bad"])
    report = review(ws, "K02", ["send_back"], "数値欄に文字があります")
    assert (report.before, report.after, report.recorded) == ("要修正", "差戻し中", True)
    assert states(ws)["K02"] == "差戻し中"
    got(ws, returns["K02_fixed"])
    assert states(ws)["K02"] == "確認待ち"
    sent = [e for e in entries(ws) if e.operation == "差戻し"]
    assert [(e.respondent_id, e.reason, e.before, e.after) for e in sent] == [
        ("K02", "数値欄に文字があります", "要修正", "差戻し中")]


def test_a_sendback_mail_draft_is_a_send_back(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K02_bad"])
    assert journal.append(ws, journal.mail_operation("差戻し"), respondent_id="K02",
                          file="メール/差戻し/社会福祉協議会.eml") == []
    assert states(ws)["K02"] == "差戻し中"
    got(ws, returns["K02_fixed"])
    assert states(ws)["K02"] == "確認待ち"


def test_reopen(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    review(ws, "K01", "send_back")
    report = review(ws, "K01", "reopen", "差戻しは誤り")
    assert (report.before, report.after, report.recorded) == ("差戻し中", "確認待ち", True)
    assert states(ws)["K01"] == "確認待ち"
    again = review(ws, "K01", "reopen")
    assert (again.recorded, [i.code for i in again.issues], again.exit_code) == (
        False, ["review_nothing_to_reopen"], 0)


def test_accepting_errors_needs_a_reason(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K02_bad"])
    before = ws.journal_path.read_bytes()
    refused = review(ws, "K02", "accept")
    assert (refused.exit_code, refused.recorded, [i.code for i in refused.issues]) == (
        2, False, ["review_reason_required"])
    assert "--reason" in refused.issues[0].message and refused.after is None
    assert states(ws, record=False)["K02"] == "要修正"
    assert ws.journal_path.read_bytes() == before  # nothing written
    accepted = review(ws, "K02", "accept", "担当課に電話で確認済み。数値は 100 で確定")
    assert (accepted.valid, accepted.after) == (True, "確認済")
    report = status(ws, today=TODAY)
    assert next(r for r in report.respondents if r.respondent_id == "K02").state == State.ACCEPTED
    assert report.valid  # accepted with a reason: nothing left to fix


def test_review_usage_errors(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    before = ws.journal_path.read_bytes()
    for args, code in [(("K99", "accept"), "review_unknown_respondent"),
                       (("K01", ["accept", "send_back"]), "review_action"),
                       (("K01", []), "review_action"), (("K01", "approve"), "review_action"),
                       (("K04", "accept"), "review_nothing_received")]:
        report = review(ws, *args)
        assert (report.exit_code, [i.code for i in report.issues], report.recorded) == (2, [code], False), args
    assert ws.journal_path.read_bytes() == before
    data = review(ws, "K01", "accept").to_dict()
    assert set(data) == {"valid", "counts", "respondent_id", "respondent", "action", "before", "after", "reason",
                         "file", "recorded", "issues"}
    assert review(ws, "K01", "accept").issues[0].code == "review_no_change"


# ---------------------------------------------------------------------------
# where the verdict comes from


def _write_issues_json(ws: Workspace, master: Master, roster: bool) -> Dict[str, Any]:
    result = collect(master, [ws.inbox], ws.results)
    data = result.to_dict()
    if roster:  # as the errors work writes it: the collect object plus survey and roster
        data["roster"] = [{"respondent_id": r.department.id, "respondent": r.department.name,
                           "status": str(r.status), "file": r.current.file if r.current else None,
                           "errors": r.current.errors if r.current else 0,
                           "warnings": r.current.warnings if r.current else 0} for r in result.roster]
    (ws.results / "issues.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data


@pytest.mark.parametrize("roster", [False, True])
def test_status_reads_issues_json_when_it_covers_the_inbox(ws: Workspace, returns: Dict[str, Path],
                                                          roster: bool) -> None:
    got(ws, returns["K01"], returns["K02_bad"], returns["K03_xls"], returns["K02_fixed"])
    master, _ = ws.load_master()
    fresh = states(ws, record=False)
    _write_issues_json(ws, master, roster)
    report = status(ws, today=TODAY, record=False)
    assert report.source == SOURCE_VERDICT and report.issues == []
    assert {r.respondent_id: r.state.value for r in report.respondents} == fresh
    assert fresh["K02"] == "確認待ち" and fresh["K03"] == "形式違い"
    got(ws, returns["K03"])  # a new arrival: the verdict no longer covers 受付/
    report = status(ws, today=TODAY, record=False)
    assert report.source == SOURCE_INBOX and [i.code for i in report.issues] == ["status_verdict_stale"]
    assert next(r for r in report.respondents if r.respondent_id == "K03").state == State.AWAITING_REVIEW


def test_status_with_a_collect_result_given(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K02_bad"])
    master, _ = ws.load_master()
    result = collect(master, [ws.inbox], ws.results)
    report = status(ws, today=TODAY, result=result)
    assert report.source == SOURCE_GIVEN and {r.state for r in report.respondents} >= {State.NEEDS_FIX}


def test_a_broken_issues_json_is_reported(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    (ws.results / "issues.json").write_text("{", encoding="utf-8")
    report = status(ws, today=TODAY)
    assert report.source == SOURCE_INBOX and [i.code for i in report.issues] == ["status_verdict_unreadable"]
    assert states(ws)["K01"] == "確認待ち"


# ---------------------------------------------------------------------------
# bad input: a folder changed by hand


def test_inbox_files_deleted_edited_or_copied_by_hand(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"], returns["K02_bad"], returns["K03"])
    k01 = next(ws.inbox / n for n in ws.inbox_names() if "福祉政策課" in n)
    k02 = next(ws.inbox / n for n in ws.inbox_names() if "社会福祉協議会" in n)
    k03 = next(ws.inbox / n for n in ws.inbox_names() if "健康長寿課" in n)
    k01.unlink()
    k02.write_bytes(k02.read_bytes() + b"\0")
    shutil.copy(returns["K01_v2"], ws.inbox / "手でコピー_福祉政策課.xlsx")
    report = status(ws, today=TODAY)
    codes = {i.code: i for i in report.issues}
    assert {"inbox_missing", "inbox_changed", "inbox_unrecorded"} <= set(codes)
    assert codes["inbox_missing"].file == f"受付/{k01.name}" and codes["inbox_changed"].severity == "error"
    assert codes["inbox_unrecorded"].file == "受付/手でコピー_福祉政策課.xlsx"
    by_id = {r.respondent_id: r for r in report.respondents}
    assert by_id["K01"].file == "手でコピー_福祉政策課.xlsx" and by_id["K01"].received is None
    assert by_id["K03"].file == k03.name and report.exit_code == 1
    # receiving the deleted file again restores it (its bytes are no longer in 受付/) and ends the warning;
    # copying the original back over the edited file ends the error
    again = got(ws, returns["K01"])
    assert len(again.received) == 1 and again.duplicates == []
    shutil.copy(returns["K02_bad"], k02)
    (ws.inbox / "手でコピー_福祉政策課.xlsx").unlink()
    assert status(ws, today=TODAY).issues == []


def test_a_corrupt_or_foreign_log_line_is_reported(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    with open(ws.journal_path, "ab") as handle:
        handle.write("これは手で書いた行\r\n2026-01-01 00:00:00,山田,確認,K01,受付/x".encode("cp932"))
    report = status(ws, today=TODAY)
    codes = [i.code for i in report.issues]
    assert "journal_bad_line" in codes and "journal_truncated" in codes and "journal_encoding" in codes
    assert next(r for r in report.respondents if r.respondent_id == "K01").state == State.AWAITING_REVIEW
    assert journal.read(ws.journal_path).entries[-1].operation == "状態変更"  # appended on a line of its own


def test_a_foreign_log_stops_recording_but_not_status(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"])
    ws.journal_path.write_bytes("氏名,内線\r\n山田,1234\r\n".encode("utf-8"))
    report = status(ws, today=TODAY)
    assert "journal_foreign" in [i.code for i in report.issues] and report.recorded == 0
    assert ws.journal_path.read_bytes() == "氏名,内線\r\n山田,1234\r\n".encode("utf-8")
    assert next(r for r in report.respondents if r.respondent_id == "K01").state == State.AWAITING_REVIEW
    refused = review(ws, "K01", "accept")
    assert not refused.recorded and "journal_foreign" in [i.code for i in refused.issues]


# ---------------------------------------------------------------------------
# 記録.csv: every kind of row, and the folder on a shared drive


def test_every_kind_of_row(ws: Workspace, returns: Dict[str, Path]) -> None:
    got(ws, returns["K01"], returns["K02_bad"])
    status(ws, today=TODAY)
    review(ws, "K01", "accept")
    review(ws, "K02", "send_back", "数値の誤り")
    review(ws, "K02", "reopen")
    for kind in ("配布", "督促", "差戻し"):
        assert journal.append(ws, journal.mail_operation(kind), respondent_id="K02", file=f"メール/{kind}/K02.eml") == []
    assert journal.append(ws, Operation.ROLLOVER, file="../令和7年度 進捗状況調査", reason="令和7年度へ") == []
    rows = entries(ws)
    assert {e.operation for e in rows} == {op.value for op in Operation}
    raw = ws.journal_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + ",".join(journal.COLUMNS).encode("utf-8") + b"\r\n")
    assert all(e.time is not None and e.user for e in rows)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_files_are_made_with_the_umask(tmp_path: Path, returns: Dict[str, Path]) -> None:
    old = os.umask(0o002)  # a group-shared folder
    try:
        report = init(tmp_path / "共有", sample="dai3ji")
        ws = Workspace(tmp_path / "共有")
        got(ws, returns["K01"])
        status(ws, today=TODAY)
    finally:
        os.umask(old)
    assert report.valid
    made = [ws.master_path, ws.journal_path, ws.marker_path, *(ws.inbox / n for n in ws.inbox_names())]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in made} == {oct(0o664)}
    assert not Path(str(ws.journal_path) + ".lock").exists()


def test_the_survey_folder_modules_never_reach_the_writer() -> None:
    graph = import_graph()
    for module in ("workspace", "journal", "states", "receive", "status", "review"):
        reached = reachable(graph, module)
        assert not (reached & WRITER), f"{module} reaches {sorted(reached & WRITER)}"
        assert "cli" not in reached and "pipeline" not in reached
