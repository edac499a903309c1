"""The survey folder's commands as library calls: generate, collect, report, mail and
rollover working in the folder's own places (DESIGN of the survey folder).

Each call takes a :class:`~.workspace.Workspace` and returns the same report object
as the command outside a folder, so the command line and the web page are a few
lines over these. What happens is recorded in 記録.csv (mail drafts, rollover,
state changes after a collect).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Optional, Tuple

from . import issues as iss
from . import journal
from .batch import Progress, default_workers
from .generate import GenerateResult, generate
from .guard import Limits
from .issues import IssueList
from .journal import JournalBusy, JournalLock
from .kinds import is_form
from .mail import KIND_DISTRIBUTE, MailResult, normalize_kind, run_mail
from .master import Master
from .merge import CollectResult
from .pipeline import SummaryReport, collect, write_report
from .returns import ReturnStatus
from .rollover import RolloverResult, rollover
from .states import State, StateRow
from .status import status
from .workspace import MASTER_FILE, InitReport, Workspace, init, locate

COLLECT_LOCK = ".collect"  # one collect at a time in a folder (the file .collect.lock): the second waits
COLLECT_WAIT = 60.0  # seconds a second collect waits for the first to finish


def open_folder(folder: Optional[Path] = None, cwd: Optional[Path] = None
                ) -> Tuple[Optional[Workspace], Optional[Master], IssueList]:
    """The survey folder (``folder``, else the one the current folder is in) and its
    master, with what is wrong with either (a missing folder is a usage error)."""
    found = IssueList()
    ws, issues = locate(folder, cwd)
    found.extend(issues)
    if ws is None:
        return None, None, found
    master, master_issues = ws.load_master()
    found.extend(master_issues)
    return ws, master, found


def generate_in(ws: Workspace, master: Master, progress: Progress = None) -> GenerateResult:
    """The workbooks of every respondent into 調査票/ (a form survey: one form per 団体)."""
    if is_form(master):
        from .form_generate import generate_forms

        return generate_forms(master, ws.forms, progress=progress)  # type: ignore[arg-type]
    return generate(master, ws.forms, progress=progress)


def collect_in(ws: Workspace, master: Master, *, progress: Progress = None, limits: Optional[Limits] = None,
               workers: Optional[int] = None, use_cache: bool = True) -> CollectResult:
    """Collect 受付/ into 回収結果/, with every respondent's state.

    Incremental: a file read before with the same master and tool version comes from
    the folder's cache (``use_cache=False`` reads everything). Reading uses ``workers``
    processes (default: all cores). One collect at a time: a second one waits for the
    first and, if it does not finish, stops with an issue. The states (and why) are in
    the roster, 確認結果.xlsx, 集計表 and issues.json; a change of state is recorded in
    記録.csv.
    """
    try:
        with JournalLock(ws.root / COLLECT_LOCK, timeout=COLLECT_WAIT):
            return _collect_locked(ws, master, progress, limits, workers, use_cache)
    except JournalBusy:
        return CollectResult([], [], [iss.make("folder_collect_busy", file=ws.root.name)])
    except OSError as exc:  # the lock cannot even be made: a folder we may not write
        return CollectResult([], [], [iss.make("folder_unwritable", file=str(ws.root), detail=exc.strerror or str(exc))])


def _collect_locked(ws: Workspace, master: Master, progress: Progress, limits: Optional[Limits],
                    workers: Optional[int], use_cache: bool) -> CollectResult:
    def with_states(result: CollectResult) -> None:
        report = status(ws, result=result, master=master)  # the master collect read, not read again
        attach_states(result, report.respondents)
        result.notes.extend(i for i in report.issues if i.code.startswith(("inbox_", "journal_", "state_")))

    sources = [ws.inbox] if ws.inbox.is_dir() else []
    cache = ws.collect_cache if use_cache else None
    if is_form(master):
        from .form_pipeline import collect_forms

        return collect_forms(master, sources, ws.results, limits, workers or default_workers(), progress,  # type: ignore[arg-type]
                             cache, annotate=with_states)
    return collect(master, sources, ws.results, progress, limits, workers or default_workers(), cache,
                   annotate=with_states)


def attach_states(result: CollectResult, rows: List[StateRow]) -> None:
    """Each roster row gets its respondent's state and, for a decision, why; an unreadable
    file of a respondent who has a good return is its 旧版 (it no longer fails the run)."""
    by_id = {row.respondent_id: row for row in rows}
    old = {name: row for row in rows for name in row.old_files}
    for ret in result.returns:
        owner = old.get(ret.file)
        if owner is not None and not ret.readable:
            ret.respondent_id, ret.respondent, ret.status = owner.respondent_id, owner.respondent, ReturnStatus.SUPERSEDED
    for roster_row in result.roster:
        found = by_id.get(roster_row.department.id)
        if found is not None:
            roster_row.state, roster_row.note = str(found.state), state_note(found)


def state_note(row: StateRow) -> str:
    """Why a respondent is where it is: an acceptance with what it kept and its reason, the
    file that could not be read and how to re-save it, or the decision's reason."""
    decision = row.decision
    if row.state == State.ACCEPTED and decision is not None:
        kept = f"エラー {row.errors}" if row.errors else (f"注意 {row.warnings}" if row.warnings else "")
        return "・".join(t for t in (f"{kept} を承知で確認" if kept else "", decision.reason) if t)
    if row.state == State.WRONG_FORMAT:
        # the message names the file that came and says how to re-save it
        if row.file and row.file not in row.message:
            return f"「{row.file}」：{row.message}"
        return row.message
    return decision.reason if decision is not None else ""


def report_in(ws: Workspace, master: Master) -> SummaryReport:
    """集計表.xlsx and indicators.csv again from 回収結果/answers.csv (after a hand edit);
    a form survey: its compilation and 回答一覧.csv."""
    if is_form(master):
        from .form_pipeline import write_form_report

        return write_form_report(master, [ws.results / "answers.csv"], ws.results)  # type: ignore[arg-type,return-value]
    return write_report(master, [ws.results / "answers.csv"], ws.results)


def mail_in(ws: Workspace, master: Master, kind: str, **options: Any) -> MailResult:
    """Mail drafts of ``kind`` into メール/KIND, from 調査票/ (配布) or 回収結果/ (督促, 差戻し);
    each draft written is recorded in 記録.csv (a 差戻し draft puts its respondent into 差戻し中)."""
    kind = normalize_kind(kind)
    source = ws.forms if kind == KIND_DISTRIBUTE else ws.results
    options.setdefault("from_dir", source)
    options.setdefault("out", ws.mail_dir / kind)
    if kind != KIND_DISTRIBUTE:  # by the states now: a decision since collect counts (確認済 gets no 差戻し)
        options.setdefault("states", {row.respondent_id: (str(row.state), state_note(row))
                                      for row in status(ws, record=False, master=master).respondents})
    result = run_mail(master, kind, **options)
    rows = [journal.Row(journal.mail_operation(kind), respondent_id=draft.respondent_id,
                        file=_relative(ws, draft.file) if draft.file else "")
            for draft in result.drafts]
    if rows:
        result.issues.extend(journal.append_rows(ws.journal_path, rows))
    return result


def rollover_in(ws: Workspace, master: Master, next_folder: Path, *, force: bool = False
                ) -> Tuple[RolloverResult, Optional[InitReport]]:
    """Next year's survey folder in ``next_folder``, its master this year's rolled over.

    Refuses (nothing written) while a respondent is 要修正, 差戻し中 or 形式違い, unless
    ``force``; a return accepted by the secretariat (確認済) counts as settled, errors and all.
    """
    rows = status(ws, record=False).respondents
    open_rows = [r for r in rows if r.state in (State.NEEDS_FIX, State.SENT_BACK, State.WRONG_FORMAT)]
    if open_rows and not force:
        names = "、".join(f"{r.respondent}（{r.state}）" for r in open_rows)
        return RolloverResult(master.settings.fiscal_year + 1, 0, 0,
                              [iss.make("rollover_open_states", file=ws.root.name, departments=names,
                                        **master.wording())]), None
    next_folder = Path(next_folder)
    if next_folder.exists() and any(next_folder.iterdir()):
        return RolloverResult(master.settings.fiscal_year + 1, 0, 0,
                              [iss.make("folder_next_exists", file=str(next_folder))]), None
    ws.cache_dir.mkdir(parents=True, exist_ok=True)
    staging = ws.cache_dir / f"繰越し-{os.getpid()}.xlsx"
    try:
        result = rollover(ws.master_path, ws.results / "answers.csv", staging, force=True)
        if result.output is None:
            return result, None
        made = init(next_folder, master=staging)
    finally:
        if staging.exists():
            staging.unlink()
    result.output = next_folder / MASTER_FILE if made.valid else None
    result.issues.extend(made.issues)
    if made.valid:
        result.issues.extend(journal.append_rows(ws.journal_path, [journal.Row(
            journal.Operation.ROLLOVER, file=str(next_folder), after=f"{result.next_year}年度")]))
    return result, made


def _relative(ws: Workspace, path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(ws.root.resolve()).as_posix()
    except ValueError:
        return str(path)


__all__ = ["open_folder", "generate_in", "collect_in", "report_in", "mail_in", "rollover_in", "attach_states"]
