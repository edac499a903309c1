"""``review``: the secretariat's decision on a respondent's return, recorded in 記録.csv.

``accept`` makes it 確認済 (a return that still has errors needs a reason),
``send_back`` makes it 差戻し中, ``reopen`` undoes the last of these. The decision is
taken from the states as 記録.csv holds them at that moment (under its lock), and the
row records the state before and after.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

from . import issues as iss
from . import journal
from .issues import Issue
from .merge import CollectResult
from .states import INBOX, State, StateRow, respondent_states, state_changes
from .status import load_verdict
from .workspace import FolderReport, Workspace


@dataclass
class ReviewReport(FolderReport):
    """``review``: the decision recorded (``recorded``) or why it was not."""

    respondent_id: str
    action: str = ""
    respondent: str = ""
    before: Optional[str] = None
    after: Optional[str] = None
    reason: str = ""
    file: Optional[str] = None
    recorded: bool = False
    issues: List[Issue] = field(default_factory=list)

    def report_data(self) -> Dict[str, Any]:
        return {"respondent_id": self.respondent_id, "respondent": self.respondent, "action": self.action,
                "before": self.before, "after": self.after, "reason": self.reason, "file": self.file,
                "recorded": self.recorded}


class ReviewAction(str, enum.Enum):
    """The secretariat's decisions on a return (``review --accept / --send-back / --reopen``)."""

    ACCEPT = "accept"
    SEND_BACK = "send_back"
    REOPEN = "reopen"

    def __str__(self) -> str:
        return str(self.value)


_ACTION_NAMES = {"accept": ReviewAction.ACCEPT, "send_back": ReviewAction.SEND_BACK, "send-back": ReviewAction.SEND_BACK,
                 "reopen": ReviewAction.REOPEN, "確認": ReviewAction.ACCEPT, "差戻し": ReviewAction.SEND_BACK,
                 "取消": ReviewAction.REOPEN}
_ACTION_OPERATION = {ReviewAction.ACCEPT: journal.Operation.ACCEPT, ReviewAction.SEND_BACK: journal.Operation.SEND_BACK,
                     ReviewAction.REOPEN: journal.Operation.REOPEN}
_ACTION_WORDS = {ReviewAction.ACCEPT: "確認済に", ReviewAction.SEND_BACK: "差戻し", ReviewAction.REOPEN: "取消し"}


def review_action(action: Union[str, ReviewAction, Sequence[str]]) -> Optional[ReviewAction]:
    """The one action asked for, or None: unknown, none or several (the CLI passes its flags).

    >>> review_action("accept"), review_action(["send_back"]), review_action(["accept", "reopen"])
    (<ReviewAction.ACCEPT: 'accept'>, <ReviewAction.SEND_BACK: 'send_back'>, None)
    """
    if isinstance(action, (str, ReviewAction)):
        return _ACTION_NAMES.get(str(action).strip().lower())
    chosen = list(action)
    return review_action(chosen[0]) if len(chosen) == 1 else None


def review(ws: Workspace, respondent_id: str, action: Union[str, ReviewAction, Sequence[str]],
           reason: str = "", *, result: Optional[CollectResult] = None) -> ReviewReport:
    """``review``: record the secretariat's decision on a respondent's current return.

    ``accept`` → 確認済 (a return that still has errors needs ``reason``), ``send_back`` →
    差戻し中, ``reopen`` → back to the state its files give. An unknown respondent, no
    or several actions, nothing received, or a missing reason: refused with an issue
    (``exit_code`` 2), the state unchanged. Deciding what is already so writes nothing.
    """
    chosen = review_action(action)
    report = ReviewReport(str(respondent_id), str(chosen or ""), reason=reason.strip())
    if chosen is None:
        shown = action if isinstance(action, str) else "、".join(map(str, action)) or "なし"
        report.issues.append(iss.make("review_action", value=shown))
        return report
    master, master_issues = ws.load_master()
    report.issues.extend(master_issues)
    if master is None:
        return report
    if not master.is_respondent(respondent_id):
        report.issues.append(iss.make("review_unknown_respondent", value=respondent_id, **master.wording()))
        return report
    verdict, notes = load_verdict(ws, master, result)
    report.issues.extend(n for n in notes if n.severity != iss.INFO)

    base = len(report.issues)

    def decide(entries: Sequence[journal.Entry]) -> List[journal.Row]:
        del report.issues[base:]  # decided again when the log could not be written: say it once
        rows, _ = respondent_states(verdict, entries, master)
        row = next(r for r in rows if r.respondent_id == respondent_id)
        return _decision_rows(report, row, chosen, entries)  # type: ignore[arg-type]

    written, issues = journal.update(ws.journal_path, decide)
    report.issues.extend(issues)
    report.recorded = any(r.operation == _ACTION_OPERATION[chosen] for r in written)
    if not report.recorded:
        report.after = None  # nothing changed
    return report


def _decision_rows(report: ReviewReport, row: StateRow, action: ReviewAction,
                   entries: Sequence[journal.Entry]) -> List[journal.Row]:
    """The rows a review appends (none when refused or nothing changes)."""
    report.respondent, report.before, report.file = row.respondent, row.state.value, row.file
    names = dict(respondent=row.respondent, respondent_id=row.respondent_id, state=row.state.value)
    if row.file is None and action != ReviewAction.REOPEN:
        report.issues.append(iss.make("review_nothing_received", action=_ACTION_WORDS[action], **names))
        return []
    if action == ReviewAction.REOPEN:
        if row.decision is None:
            report.issues.append(iss.make("review_nothing_to_reopen", **names))
            return []
        after = row.base
    else:
        after = State.ACCEPTED if action == ReviewAction.ACCEPT else State.SENT_BACK
        if row.state == after:
            report.issues.append(iss.make("review_no_change", **names))
            return []
        if action == ReviewAction.ACCEPT and row.errors and not report.reason:
            report.issues.append(iss.make("review_reason_required", file=row.file, errors=row.errors, **names))
            return []
    report.after = after.value
    rows = state_changes([row], entries)  # the state it reached since the last record, first
    rows.append(journal.Row(_ACTION_OPERATION[action], row.respondent_id, file=f"{INBOX}/{row.file}" if row.file else "",
                            before=row.state.value, after=after.value, reason=report.reason))
    return rows
