"""Reconcile returns against the roster: one current return per respondent, its status,
and who is missing. :class:`CollectResult` is the ``collect`` report object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .contract import survey_id
from .issues import ERROR, Issue, Report
from .master import Department, Master
from .returns import Return, ReturnStatus, RosterStatus


OUT_OF_SCOPE = {"wrong_survey", "unknown_respondent", "meta_missing"}
ISSUES_FILE = "issues.json"  # the machine-readable verdict collect writes (see CollectResult.verdict)
CHECKS_FILE = "確認結果.xlsx"  # the same verdict for people
VERDICT_KEYS = ("valid", "returns", "missing", "issues", "outputs", "survey", "roster")


@dataclass
class RosterRow:
    department: Department
    status: RosterStatus
    current: Optional[Return] = None
    returns: int = 0
    # in a survey folder: the respondent's state (未提出 … 差戻し中) and why, e.g. the
    # reason an answer with errors was accepted
    state: Optional[str] = None
    note: str = ""

    @property
    def shown(self) -> str:
        """The word people see: the state in a survey folder, else the status."""
        return str(self.state or self.status)

    def to_dict(self) -> Dict[str, Any]:
        ret = self.current
        data = {"respondent_id": self.department.id, "respondent": self.department.name, "status": str(self.status),
                "file": ret.file if ret else None, "errors": ret.errors if ret else 0,
                "warnings": ret.warnings if ret else 0, "returns": self.returns}
        if self.state is not None:
            data.update(state=str(self.state), note=self.note)
        return data


@dataclass
class CollectResult(Report):
    """The verdict of a collect run: every return, the roster, and what was written.

    ``valid`` when no current return has an error and every output was written
    (errors of a superseded return are listed, and counted, but no longer matter).
    """

    returns: List[Return]
    roster: List[RosterRow]
    notes: List[Issue] = field(default_factory=list)  # about files skipped while searching
    outputs: Dict[str, str] = field(default_factory=dict)
    output_issues: List[Issue] = field(default_factory=list)  # outputs that could not be written

    @property
    def current(self) -> List[Return]:
        return [r for r in self.returns if r.status != ReturnStatus.SUPERSEDED]

    @property
    def valid(self) -> bool:
        return not any(r.errors for r in self.current) and \
            not any(i.severity == ERROR for i in self.notes + self.output_issues)

    @property
    def missing(self) -> List[Department]:
        return [row.department for row in self.roster if row.status == RosterStatus.NOT_SUBMITTED]

    @property
    def issues(self) -> List[Issue]:
        return self.notes + [i for r in self.returns for i in r.issues] + self.output_issues

    def to_dict(self, *, context: bool = False) -> Dict[str, Any]:
        """The ``collect --json`` object (DESIGN §2): valid, counts, returns, missing, issues, outputs.

        ``context=True`` adds each issue's context, as ``issues.json`` holds it.
        """
        return {
            "valid": self.valid,
            "counts": self.counts,
            "returns": [r.to_dict() for r in self.returns],
            "missing": [{"respondent_id": d.id, "respondent": d.name} for d in self.missing],
            **({"roster": [{"respondent_id": row.department.id, "respondent": row.department.name,
                            "state": row.state, "note": row.note} for row in self.roster]}
               if any(row.state for row in self.roster) else {}),
            "issues": [_issue_dict(i, context) for i in self.issues],
            "outputs": dict(self.outputs),
        }

    def verdict(self, master: Master) -> Dict[str, Any]:
        """What ``issues.json`` holds: the ``collect --json`` object with each issue's context,
        plus the survey it belongs to and the roster (mail reads these, never 確認結果.xlsx)."""
        data = self.to_dict(context=True)
        data["survey"] = {"id": survey_id(master), "name": master.settings.survey_name,
                          "fiscal_year": master.settings.fiscal_year}
        if getattr(master.settings, "form", None):  # a form survey: which form
            data["survey"]["form"] = master.settings.form
        data["roster"] = [row.to_dict() for row in self.roster]
        return data


def _issue_dict(issue: Issue, context: bool) -> Dict[str, Any]:
    data: Dict[str, Any] = {"file": issue.file, "respondent_id": issue.respondent_id, "sheet": issue.sheet,
                            "cell": issue.cell, "code": issue.code, "severity": issue.severity,
                            "message": issue.message}
    if context:
        data["context"] = issue.context.to_dict()
    return data


def return_status(ret: Return) -> ReturnStatus:
    if ret.status == ReturnStatus.SUPERSEDED:
        return ReturnStatus.SUPERSEDED
    if any(i.code in OUT_OF_SCOPE for i in ret.issues):
        return ReturnStatus.OUT_OF_SCOPE
    return ReturnStatus.NEEDS_FIX if ret.errors else ReturnStatus.SUBMITTED


def roster(master: Master, returns: List[Return]) -> List[RosterRow]:
    """Every respondent of the master with its current return and status."""
    return roster_of(master.respondents(), returns)


def roster_of(respondents: Sequence[Department], returns: List[Return]) -> List[RosterRow]:
    """Each of ``respondents`` (a 担当課, or a form survey's 団体) with its current return and status."""
    by_respondent: Dict[str, List[Return]] = {}  # one pass: a scan per department is quadratic at scale
    for ret in returns:
        if ret.respondent_id:
            by_respondent.setdefault(ret.respondent_id, []).append(ret)
    rows = []
    for dept in respondents:
        mine = by_respondent.get(dept.id, [])
        # a return whose values were read counts before one that could not be (e.g. last year's form)
        current = sorted((r for r in mine if r.status != ReturnStatus.SUPERSEDED), key=lambda r: not r.readable)
        if not current:
            rows.append(RosterRow(dept, RosterStatus.NOT_SUBMITTED, None, len(mine)))
            continue
        ret = current[0]
        if ret.errors:
            status = RosterStatus.NEEDS_FIX
        elif any(r.status == ReturnStatus.SUPERSEDED for r in mine):
            status = RosterStatus.RESUBMITTED
        else:
            status = RosterStatus.SUBMITTED
        rows.append(RosterRow(dept, status, ret, len(mine)))
    return rows


def roster_status(result: CollectResult) -> Dict[str, str]:
    """The roster as the 集計表 shows it: 提出済 (incl. 再提出), 要修正 or 未提出 — or, in a
    survey folder, each respondent's state (未提出, 形式違い, 要修正, 確認待ち, 確認済, 差戻し中)."""
    shown = {RosterStatus.RESUBMITTED: RosterStatus.SUBMITTED}
    return {row.department.id: row.state or shown.get(row.status, row.status) for row in result.roster}


def read_verdict(path: Path) -> Dict[str, Any]:
    """The object of an ``issues.json`` written by collect.

    Raises OSError when it cannot be read and ValueError when it is not such a file
    (not JSON, or a key of :data:`VERDICT_KEYS` missing).
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("JSON のオブジェクトではありません")
    missing = [key for key in VERDICT_KEYS if key not in data]
    if missing:
        raise ValueError(f"項目「{missing[0]}」がありません")
    return data
