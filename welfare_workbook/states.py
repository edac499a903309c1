"""Where each respondent of a survey folder stands (DESIGN §2a), as a pure function.

A state follows from two things: what collect found in the received files (a
:class:`Verdict`, built from a collect result or read from ``回収結果/issues.json``)
and the secretariat's decisions in 記録.csv (accept, send back, reopen, a 差戻し
mail draft). :func:`respondent_states` combines them with the master and nothing
else, so every transition can be tested from plain values.

- 未提出: nothing usable received.
- 形式違い: only files that cannot be read (.xls, .ods, .csv, encrypted, broken, not
  our form) arrived; matched to the respondent by the 課ID recorded at receive or by
  the 課名 / 課ID in the file name. When the respondent also has a readable return,
  such a file is an old version (旧版) and does not count.
- 要修正 / 確認待ち: its current return has errors / has none (warnings may remain).
- 確認済 / 差戻し中: the last decision on it, as long as no return was received after
  that decision (records are compared in the order of 記録.csv, which is the order of
  events); a newer return moves it back to 要修正 or 確認待ち, and reopen undoes it.

>>> State.WRONG_FORMAT == "形式違い", f"{State.SENT_BACK}"
(True, '差戻し中')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import issues as iss
from .issues import ERROR, Issue
from .journal import Entry, Operation, Row
from .master import Master
from .returns import Status

INBOX = "受付"  # the survey folder's place for received files; 記録.csv names them 受付/<name>


class State(Status):
    """A respondent's state in the survey folder: a ``str`` whose value is the word users see."""

    NOT_SUBMITTED = "未提出"
    WRONG_FORMAT = "形式違い"
    NEEDS_FIX = "要修正"
    AWAITING_REVIEW = "確認待ち"
    ACCEPTED = "確認済"
    SENT_BACK = "差戻し中"


# states in which the next move is the department's (the deadline matters to them)
AWAITING_DEPARTMENT = (State.NOT_SUBMITTED, State.WRONG_FORMAT, State.NEEDS_FIX, State.SENT_BACK)
DECISIONS = {Operation.ACCEPT.value: State.ACCEPTED, Operation.SEND_BACK.value: State.SENT_BACK,
             Operation.MAIL_SENDBACK.value: State.SENT_BACK, Operation.REOPEN.value: None}
STATE_ROWS = {Operation.STATE.value, Operation.ACCEPT.value, Operation.SEND_BACK.value, Operation.REOPEN.value}

# The words of returns.py / merge.py (compared as text, so this module reads a collect
# result and an issues.json alike, before and after those words became enums).
RETURN_SUPERSEDED = "重複(旧版)"
ROSTER_MISSING, ROSTER_FIX = "未提出", "要修正"

# Issues that mean a file could not be read as a return of this survey. A file with one
# of them is matched to a respondent by name (形式違い); unknown_respondent is not: its
# _meta names someone who is not in this survey.
UNREADABLE = ("file_empty", "file_xls", "file_ods", "file_xlsb", "file_encrypted", "file_corrupt",
              "file_not_workbook", "file_unreadable", "file_too_large", "strings_too_many", "meta_missing",
              "wrong_survey")
SKIPPED_NOTE = "file_ignored"  # collect skips a non-workbook file in a folder with this note


@dataclass(frozen=True)
class FileFact:
    """What collect found in one file of 受付/ (``file`` is its name there, "/"-separated)."""

    file: str
    respondent_id: Optional[str] = None
    status: str = ""  # the return's status word ("" for a file collect did not read)
    errors: int = 0
    warnings: int = 0
    unreadable: Optional[Issue] = None  # why it is not a readable return of this survey


@dataclass(frozen=True)
class RosterFact:
    """A respondent's current return as collect chose it (``file`` None: nothing usable)."""

    status: str
    file: Optional[str] = None
    errors: int = 0
    warnings: int = 0


@dataclass
class Verdict:
    """What collect found in 受付/, from either source; ``source`` says which."""

    files: Dict[str, FileFact]
    roster: Dict[str, RosterFact]
    source: str = "collect"

    @classmethod
    def from_result(cls, result: Any, source: str = "collect") -> "Verdict":
        """From a :class:`~.merge.CollectResult` (its returns, roster and notes)."""
        files: Dict[str, FileFact] = {}
        for note in result.notes:
            if note.code == SKIPPED_NOTE and note.file:
                files[_name(note.file)] = _skipped(note.file)
        for ret in result.returns:
            bad = next((i for i in ret.issues if i.code in UNREADABLE and i.severity == ERROR), None)
            files[_name(ret.file)] = FileFact(_name(ret.file), ret.respondent_id, str(ret.status), ret.errors,
                                              ret.warnings, bad)
        roster = {row.department.id: RosterFact(str(row.status), _name(row.current.file) if row.current else None,
                                                row.current.errors if row.current else 0,
                                                row.current.warnings if row.current else 0)
                  for row in result.roster}
        return cls(files, roster, source)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], master: Master, source: str = "issues.json") -> "Verdict":
        """From the ``collect --json`` object (as ``issues.json`` holds it). Uses its ``roster``
        when present; otherwise the roster is rebuilt from ``returns`` and ``missing``.
        Raises ValueError (KeyError, TypeError) when ``data`` is not such an object."""
        by_file: Dict[str, List[Mapping[str, Any]]] = {}
        for issue in data["issues"]:
            by_file.setdefault(_name(issue.get("file") or ""), []).append(issue)
        files = _files_from_json(data, by_file)
        if isinstance(data.get("roster"), list):
            roster = {str(r["respondent_id"]): RosterFact(str(r["status"]), _name(r["file"]) if r.get("file") else None,
                                                          int(r.get("errors") or 0), int(r.get("warnings") or 0))
                      for r in data["roster"]}
        else:
            roster = _rebuilt_roster(files, master, by_file)
        return cls(files, roster, source)


def _files_from_json(data: Mapping[str, Any], by_file: Mapping[str, List[Mapping[str, Any]]]) -> Dict[str, FileFact]:
    """Each file of an issues.json: those collect skipped, and every return with the reason
    it could not be read (if it could not)."""
    files: Dict[str, FileFact] = {}
    for issue in data["issues"]:
        if issue.get("code") == SKIPPED_NOTE and issue.get("file") and not issue.get("respondent_id"):
            files[_name(issue["file"])] = _skipped(issue["file"])
    for ret in data["returns"]:
        name = _name(str(ret["file"]))
        bad = next((i for i in by_file.get(name, ()) if i.get("code") in UNREADABLE
                    and i.get("severity") == ERROR), None)
        files[name] = FileFact(name, ret.get("respondent_id") or None, str(ret.get("status") or ""),
                               int(ret.get("errors") or 0), int(ret.get("warnings") or 0),
                               _issue(bad) if bad else None)
    return files


def _name(file: str) -> str:
    return str(file).replace("\\", "/")


def _skipped(file: str) -> FileFact:
    """A file collect did not read (not a workbook by its suffix): an error for the department."""
    suffix = Path(file).suffix or "なし"
    return FileFact(_name(file), errors=1,
                    unreadable=iss.make("file_not_workbook", file=file, detail=f"拡張子 {suffix}"))


def _issue(data: Mapping[str, Any]) -> Issue:
    return Issue(code=str(data.get("code")), severity=str(data.get("severity")), message=str(data.get("message")),
                 file=data.get("file"), respondent_id=data.get("respondent_id"))


def _rebuilt_roster(files: Dict[str, FileFact], master: Master,
                    by_file: Dict[str, List[Mapping[str, Any]]]) -> Dict[str, RosterFact]:
    """The roster as merge.roster makes it, from an issues.json without one: per respondent
    the current (not superseded) return, one whose values were read first."""
    unread = {"wrong_year", "file_corrupt", "sheet_corrupt"}
    roster: Dict[str, RosterFact] = {}
    for dept in master.respondents():
        mine = [f for f in files.values() if f.respondent_id == dept.id and f.status != RETURN_SUPERSEDED]
        mine.sort(key=lambda f: any(i.get("code") in unread for i in by_file.get(f.file, ())))
        if not mine:
            roster[dept.id] = RosterFact(ROSTER_MISSING)
        else:
            first = mine[0]
            roster[dept.id] = RosterFact(ROSTER_FIX if first.errors else "提出済", first.file, first.errors,
                                         first.warnings)
    return roster


# ---------------------------------------------------------------------------
# the states


@dataclass(frozen=True)
class Decision:
    """The secretariat's last decision on a respondent (a row of 記録.csv)."""

    operation: str
    time: str
    user: str
    reason: str
    line: int


@dataclass
class StateRow:
    """One respondent's state, and what it was derived from."""

    respondent_id: str
    respondent: str
    state: State
    base: State  # the state from the files alone (before the secretariat's decisions)
    file: Optional[str] = None  # the current return (for 形式違い: the newest unreadable file)
    received: Optional[str] = None  # when ``file`` was received (None: no 受付 record)
    errors: int = 0
    warnings: int = 0
    decision: Optional[Decision] = None  # in force (確認済 / 差戻し中), else None
    old_files: List[str] = field(default_factory=list)  # unreadable files that no longer count (旧版)
    message: str = ""  # 形式違い: what is wrong with the file and how to re-save it
    why: str = ""  # a short reason for the last change, as 記録.csv's 理由

    def to_dict(self) -> Dict[str, Any]:
        return {"respondent_id": self.respondent_id, "respondent": self.respondent, "state": str(self.state),
                "file": self.file, "received": self.received, "errors": self.errors, "warnings": self.warnings,
                "decision": None if self.decision is None else {
                    "operation": self.decision.operation, "time": self.decision.time, "user": self.decision.user,
                    "reason": self.decision.reason},
                "old_files": list(self.old_files), "message": self.message}


@dataclass(frozen=True)
class _Receipt:
    order: int  # position in 記録.csv
    entry: Entry


def receipts(entries: Sequence[Entry]) -> Dict[str, _Receipt]:
    """受付 rows by the received file's name in 受付/ (the latest row for a name)."""
    found: Dict[str, _Receipt] = {}
    prefix = INBOX + "/"
    for order, entry in enumerate(entries):
        if entry.operation == Operation.RECEIVE.value:
            name = _name(entry.file)
            found[name[len(prefix):] if name.startswith(prefix) else name] = _Receipt(order, entry)
    return found


def respondent_states(verdict: Verdict, entries: Sequence[Entry], master: Master) -> Tuple[List[StateRow], List[Issue]]:
    """Every respondent's state (in 担当課 order), and issues about files no state could use.

    Pure: reads nothing but its arguments. ``entries`` are 記録.csv's rows in file order.
    """
    received = receipts(entries)
    respondents = {d.id: d for d in master.respondents()}
    issues: List[Issue] = []
    unreadable: Dict[str, List[FileFact]] = {}
    for fact in verdict.files.values():
        if fact.respondent_id is None and fact.unreadable is not None:
            owner = _owner(fact, received.get(fact.file), master, respondents)
            if owner is None:
                issues.append(iss.make("state_unmatched_file", file=fact.file, reason=_reason(fact.unreadable),
                                       **master.wording()))
            else:
                unreadable.setdefault(owner, []).append(fact)
    decisions = _decisions(entries)
    order = _ReceiveOrder(received, len(entries))
    rows = []
    for rid, dept in respondents.items():
        mine = sorted(unreadable.get(rid, []), key=lambda f: order(f.file))
        row = StateRow(rid, dept.name, State.NOT_SUBMITTED, State.NOT_SUBMITTED)
        issues.extend(_from_files(row, verdict.roster.get(rid) or RosterFact(ROSTER_MISSING), mine, order))
        row.state = row.base
        if row.file is not None:
            row.received = _time_of(received.get(row.file)) or None
            decision = decisions.get(rid)
            if decision is not None and decision[0] > order(row.file):  # decided after the current file came
                _decide(row, decision[1])
        row.why = _why(row)
        rows.append(row)
    return rows, issues


class _ReceiveOrder:
    """A received file's position in 記録.csv; a file with no 受付 row counts as received
    after everything recorded (copied in by hand: it must not hide behind a decision)."""

    def __init__(self, received: Dict[str, _Receipt], end: int) -> None:
        self.received, self.end = received, end

    def __call__(self, file: str) -> int:
        receipt = self.received.get(file)
        return receipt.order if receipt is not None else self.end


def _from_files(row: StateRow, fact: RosterFact, unreadable: List[FileFact], order: _ReceiveOrder) -> List[Issue]:
    """Set the state the files give (``row.base``) and the current file; issues on the way."""
    if fact.file is None:
        if unreadable:  # nothing readable: the newest unreadable file is what it sent
            newest = unreadable[-1]
            row.base, row.file = State.WRONG_FORMAT, newest.file
            row.errors, row.warnings = max(newest.errors, 1), newest.warnings
            row.message = newest.unreadable.message if newest.unreadable else ""
            row.old_files = [f.file for f in unreadable[:-1]]
        return []
    row.base = State.NEEDS_FIX if fact.errors or fact.status == ROSTER_FIX else State.AWAITING_REVIEW
    row.file, row.errors, row.warnings = fact.file, fact.errors, fact.warnings
    row.old_files = [f.file for f in unreadable]
    received = order.received
    return [iss.make("state_unreadable_after_good", file=later.file, respondent_id=row.respondent_id,
                     respondent=row.respondent, time=_time_of(received.get(later.file)), current=fact.file,
                     reason=_reason(later.unreadable))
            for later in unreadable if order(later.file) > order(fact.file)]


def _decide(row: StateRow, entry: Entry) -> None:
    """Apply the secretariat's decision in force (reopen leaves the files' state)."""
    after = DECISIONS[entry.operation]
    if after is not None:
        row.state = after
        when = entry.time.strftime("%Y-%m-%d %H:%M:%S") if entry.time else ""
        row.decision = Decision(entry.operation, when, entry.user, entry.reason, entry.line)


def _decisions(entries: Sequence[Entry]) -> Dict[str, Tuple[int, Entry]]:
    """The last decision row per respondent, with its position in 記録.csv."""
    last: Dict[str, Tuple[int, Entry]] = {}
    for order, entry in enumerate(entries):
        if entry.operation in DECISIONS and entry.respondent_id:
            last[entry.respondent_id] = (order, entry)
    return last


def _owner(fact: FileFact, receipt: Optional[_Receipt], master: Master, respondents: Mapping[str, Any]) -> Optional[str]:
    """The respondent an unreadable file came from: the 課ID recorded at receive, else the
    one respondent its names (in 受付/, and as it was called when received) point to."""
    if receipt is not None and receipt.entry.respondent_id in respondents:
        return receipt.entry.respondent_id
    names = [fact.file] + ([original_name(receipt.entry.before)] if receipt is not None else [])
    return match_respondent(names, master)


_STAMP = re.compile(r"^\d{8}-\d{6}(?:-\d+)?_")  # the time prefix receive puts on a name
_ID_EDGE = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"


def match_respondent(names: Sequence[str], master: Master) -> Optional[str]:
    """The one respondent that file ``names`` point to by 課名 or 課ID, or None (none, or several).

    A 課名 inside a longer one found too (福祉課 in 障害者福祉課) does not count; a 課ID
    counts when it stands apart from other letters and digits and has two characters at least.

    >>> from welfare_workbook.master import load_master, sample_path
    >>> master, _ = load_master(sample_path())
    >>> match_respondent(["20261130-141502_健康長寿課_令和6年度 進捗状況調査.xls"], master)
    'K03'
    >>> match_respondent(["回答(K05).ods"], master), match_respondent(["回答.xls"], master)
    ('K05', None)
    """
    respondents = {d.id for d in master.respondents()}
    by_name: Dict[str, set] = {}
    for dept in master.departments.values():
        by_name.setdefault(dept.name, set()).add(dept.id)
    found: set = set()
    for name in names:
        stem = _STAMP.sub("", Path(original_name(name)).stem)
        named = master.department_names_in(stem)
        for text in named:
            if not any(text != other and text in other for other in named):
                found |= by_name.get(text, set())
        found |= {rid for rid in respondents if len(rid) >= 2 and re.search(
            f"(?<![{_ID_EDGE}]){re.escape(rid)}(?![{_ID_EDGE}])", stem)}
    found &= respondents
    return found.pop() if len(found) == 1 else None


def original_name(path: str) -> str:
    """The last part of a path written on any system (C:\\…\\a.xls or /…/a.xls)."""
    return re.split(r"[\\/]", path)[-1]


def _reason(issue: Optional[Issue]) -> str:
    reasons = {"file_xls": "古い Excel 形式（.xls）", "file_ods": "OpenDocument 形式（.ods）",
               "file_xlsb": "バイナリ形式（.xlsb）", "file_encrypted": "パスワード付き", "file_corrupt": "壊れている",
               "file_empty": "空のファイル", "file_not_workbook": "Excel ブックではない",
               "meta_missing": "配布した調査票ではない", "wrong_survey": "別の調査の調査票",
               "file_too_large": "大きすぎる", "strings_too_many": "文字列が多すぎる", "file_unreadable": "読み込めない"}
    return reasons.get(issue.code, issue.code) if issue is not None else ""


def _time_of(receipt: Optional[_Receipt]) -> str:
    if receipt is None or receipt.entry.time is None:
        return ""
    return receipt.entry.time.strftime("%Y-%m-%d %H:%M:%S")


def _why(row: StateRow) -> str:
    """Why a respondent is where it is, in a few words (記録.csv's 理由 of a state change)."""
    if row.decision is not None:
        return f"{row.decision.operation}（{row.decision.time}）"
    if row.state == State.WRONG_FORMAT:
        return f"読み取れないファイル「{row.file}」"
    if row.state == State.NOT_SUBMITTED:
        return ""
    return f"「{row.file}」エラー {row.errors} 件・注意 {row.warnings} 件"


# ---------------------------------------------------------------------------
# state changes, as rows of 記録.csv


def recorded_states(entries: Sequence[Entry]) -> Dict[str, str]:
    """The last state 記録.csv records per respondent (変更後 of state and review rows)."""
    words = {s.value for s in State}
    last: Dict[str, str] = {}
    for entry in entries:
        if entry.operation in STATE_ROWS and entry.respondent_id and entry.after in words:
            last[entry.respondent_id] = entry.after
    return last


def state_changes(rows: Sequence[StateRow], entries: Sequence[Entry]) -> List[Row]:
    """状態変更 rows for every respondent whose state differs from the last one recorded
    (a respondent with none recorded was 未提出)."""
    recorded = recorded_states(entries)
    changes = []
    for row in rows:
        before = recorded.get(row.respondent_id, State.NOT_SUBMITTED.value)
        if row.state.value != before:
            changes.append(Row(Operation.STATE, row.respondent_id, file=_inbox_path(row.file), before=before,
                               after=row.state.value, reason=row.why))
    return changes


def _inbox_path(file: Optional[str]) -> str:
    return f"{INBOX}/{file}" if file else ""

