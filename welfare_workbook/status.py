"""``status``: where every respondent of a survey folder stands, and the days to the deadline.

The states (:mod:`states`) need what collect found in 受付/ (a :class:`~.states.Verdict`):
collect's ``回収結果/issues.json`` when it covers exactly the files now in 受付/ and is
newer than the master, else 受付/ read afresh with collect's reader (nothing written;
the note ``status_verdict_stale`` says the outputs are out of date). 確認結果.xlsx is
never read. A change of state since the last one recorded is appended to 記録.csv.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import issues as iss
from . import journal
from .batch import read_all
from .contract import survey_id
from .issues import Issue
from .master import Master
from .merge import CollectResult, roster
from .states import AWAITING_DEPARTMENT, State, StateRow, Verdict, respondent_states, state_changes
from .workspace import ISSUES_FILE, RESULTS_DIR, FolderReport, Workspace, check_inbox

SOURCE_VERDICT, SOURCE_GIVEN, SOURCE_INBOX = "issues.json", "collect", "受付"


@dataclass
class StatusReport(FolderReport):
    """``status``: every respondent's state. Not valid when a respondent is 要修正 or 形式違い
    (as collect is not valid when a return has errors) or the folder has an error."""

    folder: str
    survey: str = ""
    deadline: Optional[dt.date] = None
    today: Optional[dt.date] = None
    source: str = ""  # SOURCE_VERDICT (回収結果/issues.json), SOURCE_INBOX (受付/ read now) or SOURCE_GIVEN
    respondents: List[StateRow] = field(default_factory=list)
    recorded: int = 0  # state changes written to 記録.csv by this call
    issues: List[Issue] = field(default_factory=list)

    @property
    def days_left(self) -> Optional[int]:
        """Days to the deadline (0 on the day, negative when past), or None without one."""
        if self.deadline is None or self.today is None:
            return None
        return (self.deadline - self.today).days

    @property
    def valid(self) -> bool:
        return super().valid and not any(r.state in (State.NEEDS_FIX, State.WRONG_FORMAT) for r in self.respondents)

    def states(self) -> Dict[str, int]:
        """How many respondents are in each state (every state, in order)."""
        return {s.value: sum(r.state == s for r in self.respondents) for s in State}

    def report_data(self) -> Dict[str, Any]:
        rows = []
        for row in self.respondents:
            data = row.to_dict()
            # the deadline matters while the next move is the department's
            data["days_left"] = self.days_left if row.state in AWAITING_DEPARTMENT else None
            rows.append(data)
        return {"folder": self.folder, "survey": self.survey,
                "deadline": self.deadline.isoformat() if self.deadline else None, "days_left": self.days_left,
                "source": self.source, "states": self.states(), "respondents": rows, "recorded": self.recorded}


# ---------------------------------------------------------------------------
# the verdict: collect's issues.json when it covers 受付/, else 受付/ read afresh


def read_inbox(ws: Workspace, master: Master) -> CollectResult:
    """Read every file of 受付/ as collect does (with the folder's cache), writing nothing."""
    if not ws.inbox.is_dir():
        return CollectResult([], roster(master, []), [])
    return read_all(master, [ws.inbox], cache_dir=ws.collect_cache)


def load_verdict(ws: Workspace, master: Master, result: Optional[CollectResult] = None) -> Tuple[Verdict, List[Issue]]:
    """What collect found in 受付/: ``result`` when given (the caller just ran collect), else
    ``回収結果/issues.json`` when it covers exactly the files now in 受付/ and is newer than
    the master, else 受付/ read afresh (with a note saying the outputs are out of date)."""
    if result is not None:
        return Verdict.from_result(result, SOURCE_GIVEN), []
    path = ws.results / ISSUES_FILE
    notes: List[Issue] = []
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            verdict = Verdict.from_json(data, master, SOURCE_VERDICT)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            notes.append(iss.make("status_verdict_unreadable", file=f"{RESULTS_DIR}/{ISSUES_FILE}",
                                  detail=type(exc).__name__ if not str(exc) else str(exc)[:80]))
        else:
            if _covers(ws, master, data, verdict, path):
                return verdict, []
            notes.append(iss.make("status_verdict_stale", file=f"{RESULTS_DIR}/{ISSUES_FILE}"))
    return Verdict.from_result(read_inbox(ws, master), SOURCE_INBOX), notes


def _covers(ws: Workspace, master: Master, data: Dict[str, Any], verdict: Verdict, path: Path) -> bool:
    survey = data.get("survey")
    if isinstance(survey, dict) and survey.get("id") not in (None, survey_id(master)):
        return False
    try:
        if ws.master_path.stat().st_mtime > path.stat().st_mtime:
            return False  # the master was edited after collect
    except OSError:
        return False
    return set(ws.inbox_names()) == set(verdict.files)


# ---------------------------------------------------------------------------
# status


def current_states(ws: Workspace, result: Optional[CollectResult] = None) -> Tuple[List[StateRow], List[Issue]]:
    """Every respondent's state now, read from the folder (``result``: a collect result to use
    instead of issues.json / 受付/). Reads only; :func:`status` is this plus the deadline,
    the folder's own checks and the state changes recorded."""
    master, master_issues = ws.load_master()
    if master is None:
        return [], list(master_issues)
    read = journal.read(ws.journal_path)
    verdict, notes = load_verdict(ws, master, result)
    rows, issues = respondent_states(verdict, read.entries, master)
    return rows, list(master_issues) + read.issues + notes + issues


def status(ws: Workspace, *, today: Optional[dt.date] = None, result: Optional[CollectResult] = None,
           record: bool = True, master: Optional[Master] = None) -> StatusReport:
    """``status``: every respondent with its state, current file, error/warning counts and
    the days to the deadline. State changes since the last record are appended to
    記録.csv (``record=False``: only reported). Problems of the folder itself — a 受付/
    file deleted or edited by hand, a bad 記録.csv line — are issues of the report.
    ``master``: the folder's master already loaded (a collect that just ran), else read here.
    """
    report = StatusReport(str(ws.root), today=today or dt.date.today())
    if master is None:
        master, master_issues = ws.load_master()
        report.issues.extend(master_issues)
    if master is None:
        return report
    report.survey, report.deadline = master.settings.survey_name, master.settings.deadline
    first = journal.read(ws.journal_path)
    report.issues.extend(check_inbox(ws, first.entries))
    verdict, notes = load_verdict(ws, master, result)
    report.source = verdict.source
    report.issues.extend(notes)

    def decide(entries: Sequence[journal.Entry]) -> List[journal.Row]:
        rows, issues = respondent_states(verdict, entries, master)
        report.respondents, state_issues[:] = rows, issues
        return state_changes(rows, entries) if record else []

    state_issues: List[Issue] = []
    written, issues = journal.update(ws.journal_path, decide, first if not record else None)
    report.recorded = len(written)
    report.issues.extend(issues + state_issues)
    return report
