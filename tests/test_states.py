"""The survey folder's states as a pure function: verdict facts + 記録.csv rows + master.

Every transition of DESIGN §2a from plain values (the same transitions on real files
are in test_workspace.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional, Sequence

import pytest

from welfare_workbook import issues as iss
from welfare_workbook.journal import Entry, Operation
from welfare_workbook.master import Master
from welfare_workbook.states import (
    FileFact, RosterFact, State, Verdict, match_respondent, recorded_states, respondent_states, state_changes,
)

T0 = dt.datetime(2025, 5, 1, 9, 0)
XLS = iss.make("file_xls", file="x.xls")


class Log:
    """記録.csv rows built in order (the order is what states compare)."""

    def __init__(self) -> None:
        self.entries: List[Entry] = []

    def add(self, operation: Operation, rid: str = "", file: str = "", before: str = "", after: str = "",
            reason: str = "") -> "Log":
        when = T0 + dt.timedelta(seconds=len(self.entries) // 3)  # several rows share a second: order decides
        self.entries.append(Entry(when, "山田", operation.value, rid, file, before, after, reason,
                                  len(self.entries) + 2))
        return self

    def receive(self, name: str, rid: str = "", original: str = "") -> "Log":
        return self.add(Operation.RECEIVE, rid, f"受付/{name}", original or f"C:\\受信\\{name}", "sha256:00")


def verdict(files: Sequence[FileFact] = (), roster: Optional[Dict[str, RosterFact]] = None) -> Verdict:
    return Verdict({f.file: f for f in files}, dict(roster or {}))


def good(name: str, rid: str, errors: int = 0, warnings: int = 0) -> FileFact:
    return FileFact(name, rid, "要修正" if errors else "提出済", errors, warnings)


def current(name: str, errors: int = 0, warnings: int = 0) -> RosterFact:
    return RosterFact("要修正" if errors else "提出済", name, errors, warnings)


def unreadable(name: str, issue: iss.Issue = XLS) -> FileFact:
    return FileFact(name, None, "対象外", 1, 0, issue)


def state_of(master: Master, v: Verdict, log: Log, rid: str):
    rows, _ = respondent_states(v, log.entries, master)
    return next(r for r in rows if r.respondent_id == rid)


def test_nothing_received_is_not_submitted(sample_master: Master) -> None:
    rows, issues = respondent_states(verdict(), [], sample_master)
    assert [r.respondent_id for r in rows] == [d.id for d in sample_master.respondents()]
    assert {r.state for r in rows} == {State.NOT_SUBMITTED} and issues == []


@pytest.mark.parametrize("errors, expected", [(0, State.AWAITING_REVIEW), (2, State.NEEDS_FIX)])
def test_a_return_is_awaiting_review_or_needs_fixing(sample_master: Master, errors: int, expected: State) -> None:
    v = verdict([good("a.xlsx", "K01", errors, 1)], {"K01": current("a.xlsx", errors, 1)})
    row = state_of(sample_master, v, Log().receive("a.xlsx", "K01"), "K01")
    assert (row.state, row.base, row.file, row.errors, row.warnings) == (expected, expected, "a.xlsx", errors, 1)
    assert row.received == "2025-05-01 09:00:00"


def test_unreadable_file_matched_by_name_is_wrong_format(sample_master: Master) -> None:
    v = verdict([unreadable("20250501-090000_健康長寿課_回答.xls")], {"K03": RosterFact("未提出")})
    rows, issues = respondent_states(v, Log().receive("20250501-090000_健康長寿課_回答.xls").entries, sample_master)
    row = next(r for r in rows if r.respondent_id == "K03")
    assert row.state == State.WRONG_FORMAT and row.file.endswith(".xls") and "保存し直して" in row.message
    assert issues == []


def test_unreadable_file_matched_by_the_id_recorded_at_receive(sample_master: Master) -> None:
    v = verdict([unreadable("20250501-090000_回答.ods")])
    row = state_of(sample_master, v, Log().receive("20250501-090000_回答.ods", "K05"), "K05")
    assert row.state == State.WRONG_FORMAT


def test_unreadable_file_matched_by_its_original_name(sample_master: Master) -> None:
    v = verdict([unreadable("20250501-090000_x.xls")])
    log = Log().receive("20250501-090000_x.xls", original="C:\\Users\\山田\\保健センター(K06).xls")
    assert state_of(sample_master, v, log, "K06").state == State.WRONG_FORMAT


def test_unreadable_file_of_nobody_is_reported(sample_master: Master) -> None:
    v = verdict([unreadable("20250501-090000_回答.xls")])
    rows, issues = respondent_states(v, Log().receive("20250501-090000_回答.xls").entries, sample_master)
    assert {r.state for r in rows} == {State.NOT_SUBMITTED}
    assert [i.code for i in issues] == ["state_unmatched_file"] and issues[0].file == "20250501-090000_回答.xls"


def test_good_return_makes_an_unreadable_file_old(sample_master: Master) -> None:
    v = verdict([unreadable("1_健康長寿課.xls"), good("2_健康長寿課.xlsx", "K03")], {"K03": current("2_健康長寿課.xlsx")})
    log = Log().receive("1_健康長寿課.xls").receive("2_健康長寿課.xlsx", "K03")
    rows, issues = respondent_states(v, log.entries, sample_master)
    row = next(r for r in rows if r.respondent_id == "K03")
    assert (row.state, row.file, row.old_files) == (State.AWAITING_REVIEW, "2_健康長寿課.xlsx", ["1_健康長寿課.xls"])
    assert issues == []


def test_unreadable_file_after_a_good_return_is_old_but_said(sample_master: Master) -> None:
    v = verdict([good("1_健康長寿課.xlsx", "K03"), unreadable("2_健康長寿課.xls")], {"K03": current("1_健康長寿課.xlsx")})
    log = Log().receive("1_健康長寿課.xlsx", "K03").receive("2_健康長寿課.xls")
    rows, issues = respondent_states(v, log.entries, sample_master)
    assert next(r for r in rows if r.respondent_id == "K03").state == State.AWAITING_REVIEW
    assert [(i.code, i.file, i.respondent_id) for i in issues] == [("state_unreadable_after_good", "2_健康長寿課.xls",
                                                                     "K03")]


@pytest.mark.parametrize("operation, decided", [
    (Operation.ACCEPT, State.ACCEPTED), (Operation.SEND_BACK, State.SENT_BACK),
    (Operation.MAIL_SENDBACK, State.SENT_BACK),
])
def test_decision_holds_until_a_newer_return(sample_master: Master, operation: Operation, decided: State) -> None:
    log = Log().receive("a.xlsx", "K01").add(operation, "K01", "受付/a.xlsx", reason="電話で確認")
    v = verdict([good("a.xlsx", "K01", errors=1)], {"K01": current("a.xlsx", errors=1)})
    row = state_of(sample_master, v, log, "K01")
    assert (row.state, row.base) == (decided, State.NEEDS_FIX)
    assert row.decision is not None and row.decision.operation == operation.value
    # a newer return (received after the decision, in the same second) moves it back
    log.receive("b.xlsx", "K01")
    v2 = verdict([good("a.xlsx", "K01"), good("b.xlsx", "K01")], {"K01": current("b.xlsx")})
    row = state_of(sample_master, v2, log, "K01")
    assert (row.state, row.decision) == (State.AWAITING_REVIEW, None)
    # a newer return with errors: 要修正
    v3 = verdict([good("b.xlsx", "K01", errors=3)], {"K01": current("b.xlsx", errors=3)})
    assert state_of(sample_master, v3, log, "K01").state == State.NEEDS_FIX


def test_an_older_file_received_after_the_decision_does_not_undo_it(sample_master: Master) -> None:
    """collect keeps the newest by saved time: a late copy of an old version changes nothing."""
    log = Log().receive("new.xlsx", "K01").add(Operation.ACCEPT, "K01").receive("old.xlsx", "K01")
    v = verdict([good("new.xlsx", "K01"), FileFact("old.xlsx", "K01", "重複(旧版)")], {"K01": current("new.xlsx")})
    assert state_of(sample_master, v, log, "K01").state == State.ACCEPTED


def test_reopen_undoes_the_last_decision(sample_master: Master) -> None:
    log = Log().receive("a.xlsx", "K01").add(Operation.SEND_BACK, "K01").add(Operation.REOPEN, "K01")
    v = verdict([good("a.xlsx", "K01")], {"K01": current("a.xlsx")})
    assert state_of(sample_master, v, log, "K01").state == State.AWAITING_REVIEW
    log.add(Operation.ACCEPT, "K01")
    assert state_of(sample_master, v, log, "K01").state == State.ACCEPTED


def test_a_file_with_no_receive_row_counts_as_newest(sample_master: Master) -> None:
    log = Log().receive("a.xlsx", "K01").add(Operation.ACCEPT, "K01")
    v = verdict([good("hand-copied.xlsx", "K01")], {"K01": current("hand-copied.xlsx")})
    row = state_of(sample_master, v, log, "K01")
    assert (row.state, row.received) == (State.AWAITING_REVIEW, None)


def test_wrong_format_can_be_sent_back_and_a_new_file_reopens(sample_master: Master) -> None:
    log = Log().receive("1_健康長寿課.xls").add(Operation.SEND_BACK, "K03")
    v = verdict([unreadable("1_健康長寿課.xls")])
    assert state_of(sample_master, v, log, "K03").state == State.SENT_BACK
    log.receive("2_健康長寿課.ods")
    v2 = verdict([unreadable("1_健康長寿課.xls"), unreadable("2_健康長寿課.ods", iss.make("file_ods", file="x"))])
    row = state_of(sample_master, v2, log, "K03")
    assert (row.state, row.file, row.old_files) == (State.WRONG_FORMAT, "2_健康長寿課.ods", ["1_健康長寿課.xls"])


def test_state_changes_are_rows_against_the_last_recorded(sample_master: Master) -> None:
    log = Log().receive("a.xlsx", "K01")
    v = verdict([good("a.xlsx", "K01")], {"K01": current("a.xlsx")})
    rows, _ = respondent_states(v, log.entries, sample_master)
    changes = state_changes(rows, log.entries)
    assert [(c.operation, c.respondent_id, c.before, c.after, c.file) for c in changes] == [
        (Operation.STATE, "K01", "未提出", "確認待ち", "受付/a.xlsx")]
    log.add(Operation.STATE, "K01", "受付/a.xlsx", "未提出", "確認待ち")
    assert state_changes(rows, log.entries) == []
    assert recorded_states(log.entries) == {"K01": "確認待ち"}


def test_name_matching_needs_one_respondent(sample_master: Master) -> None:
    assert match_respondent(["福祉政策課と健康長寿課.xls"], sample_master) is None
    assert match_respondent(["20250101-000000_K0310.xls"], sample_master) is None  # not an id on its own
    assert match_respondent(["回答_k03.xls"], sample_master) is None  # ids are matched as written
    assert match_respondent(["障害者福祉課.xls"], sample_master) == "K04"
