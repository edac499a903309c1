"""The form survey's collect run and report, as library calls (the CLI's ``collect``/``report`` on a form master).

:func:`collect_forms` finds and reads the returns, keeps one per 団体 (the newest), runs
the one validation pass and writes answers.csv, 回答一覧.csv (wide), 集計表.xlsx (the
compilation), 確認結果.xlsx, a 差戻し copy per 団体 whose return has errors and
issues.json; an output that cannot be written is an issue, the others are still
written. It writes outputs, so it may use the writer (the fresh forms of the copies),
as the row survey's :mod:`pipeline` does. :func:`write_form_report` rebuilds the
compilation and the wide CSV from one or more answers.csv files — several
prefectures' collections merged into one.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .excel import OutputGuard, atomic_write
from .form_answers import ANSWERS_FILE, WIDE_FILE, records_from_answers, records_from_returns, write_answers, \
    write_wide
from .form_collect import read_form_return
from .form_contract import form_survey_id
from .form_generate import build_form_workbook
from .form_master import FormMaster
from .form_report import CHECKS_FILE, SUMMARY_FILE, write_compilation, write_form_checks
from .form_sendback import write_form_sendbacks
from .form_validate import validate_forms
from .guard import Limits
from .issues import IssueList, Report, make
from .master_model import Department
from .merge import ISSUES_FILE, CollectResult, RosterRow, roster_of
from .collect import pick_current
from .report import SENDBACK_DIR
from .returns import Return, ReturnStatus, RosterStatus
from .sources import find_files

OUT_OF_SCOPE = {"wrong_survey", "unknown_respondent", "meta_missing", "form_rowtable_return"}
Progress = Optional[Callable[[int, int], None]]


@dataclass
class FormCollectResult(CollectResult):
    """A form collect run: the row-table result's shape (``collect --json``), its survey the form's."""

    survey: Dict[str, Any] = field(default_factory=dict)

    def verdict(self, master: Any) -> Dict[str, Any]:
        data = self.to_dict(context=True)
        data["survey"] = dict(self.survey)
        data["roster"] = [row.to_dict() for row in self.roster]
        return data


def _status(ret: Return) -> ReturnStatus:
    if ret.status == ReturnStatus.SUPERSEDED:
        return ReturnStatus.SUPERSEDED
    if any(i.code in OUT_OF_SCOPE for i in ret.issues) or not ret.respondent_id:
        return ReturnStatus.OUT_OF_SCOPE
    return ReturnStatus.NEEDS_FIX if ret.errors else ReturnStatus.SUBMITTED


def form_roster(master: FormMaster, returns: List[Return]) -> List[RosterRow]:
    """Every 団体 of the master (団体コード order) with its current return and status."""
    return roster_of([Department(r.code, r.display, email=r.email) for r in master.ordered()], returns)


_WORKER: Dict[str, Any] = {}


def _init(master: FormMaster, limits: Limits) -> None:
    _WORKER.update(master=master, limits=limits)


def _read_one(item: Tuple[str, str]) -> Return:
    return read_form_return(Path(item[0]), item[1], _WORKER["master"], _WORKER["limits"])


def read_forms(master: FormMaster, sources: Sequence[Path], limits: Optional[Limits] = None, workers: int = 1,
               progress: Progress = None) -> FormCollectResult:
    """Find, read, normalise, de-duplicate and validate every return (nothing written)."""
    files, notes = find_files(sources)
    limits = limits or Limits()
    returns: List[Return] = []
    if workers > 1 and len(files) > 8:  # returns are independent until the one validation pass
        with ProcessPoolExecutor(workers, initializer=_init, initargs=(master, limits)) as pool:
            for number, ret in enumerate(pool.map(_read_one, [(str(p), s) for p, s in files], chunksize=16), 1):
                returns.append(ret)
                if progress:
                    progress(number, len(files))
    else:
        for number, (path, shown) in enumerate(files, start=1):
            returns.append(read_form_return(path, shown, master, limits))
            if progress:
                progress(number, len(files))
    pick_current(returns)
    current = [r for r in returns if r.status != ReturnStatus.SUPERSEDED and r.readable]
    validate_forms(current, master)
    for ret in returns:
        ret.status = _status(ret)
    s = master.settings
    survey = {"id": form_survey_id(s), "name": s.survey_name, "fiscal_year": s.fiscal_year, "form": s.form}
    return FormCollectResult(returns, form_roster(master, returns), notes, survey=survey)


def _roster_words(result: CollectResult) -> Dict[str, str]:
    shown = {RosterStatus.RESUBMITTED: RosterStatus.SUBMITTED}
    return {row.department.id: str(shown.get(row.status, row.status)) for row in result.roster}


def collect_forms(master: FormMaster, sources: Sequence[Path], out_dir: Path, limits: Optional[Limits] = None,
                  workers: int = 1, progress: Progress = None) -> FormCollectResult:
    """The ``collect`` command on a form master: read every return and write every output into ``out_dir``."""
    out_dir = Path(out_dir)
    result = read_forms(master, sources, limits, workers, progress)
    failures = result.output_issues
    records = records_from_returns(master, result.returns, _roster_words(result))
    planned = {"answers": out_dir / ANSWERS_FILE, "wide": out_dir / WIDE_FILE, "summary": out_dir / SUMMARY_FILE,
               "checks": out_dir / CHECKS_FILE, "issues": out_dir / ISSUES_FILE}
    writers: List[Tuple[str, Callable[[Path], None]]] = [
        ("answers", lambda p: write_answers(master, result.returns, p)),
        ("wide", lambda p: write_wide(master, records, p)),
        ("summary", lambda p: write_compilation(master, records, p)),
        ("checks", lambda p: write_form_checks(master, result, p)),
    ]
    for key, write in writers:
        with OutputGuard(failures, planned[key].name) as guard:
            write(planned[key])
        if guard.ok:
            result.outputs[key] = str(planned[key])
    before = len(failures)
    sendbacks = write_form_sendbacks(master, result, out_dir / SENDBACK_DIR, build_form_workbook, failures)
    if not any(i.code == "output_unwritable" for i in failures[before:]):
        result.outputs["sendback"] = str(out_dir / SENDBACK_DIR)
    result.outputs.update({f"sendback:{code}": str(path) for code, path in sendbacks.items()})
    result.outputs["issues"] = str(planned["issues"])  # issues.json lists itself; written last
    with OutputGuard(failures, ISSUES_FILE) as guard:
        text = json.dumps(result.verdict(master), ensure_ascii=False, indent=1)
        atomic_write(planned["issues"], lambda tmp: tmp.write_bytes(text.encode("utf-8")))
    if not guard.ok:
        del result.outputs["issues"]
    return result


@dataclass
class FormReport(Report):
    """The ``report`` command on a form master: the compilation rebuilt from answers.csv files."""

    answers: List[str]
    outputs: Dict[str, str] = field(default_factory=dict)
    respondents: int = 0
    issues: IssueList = field(default_factory=IssueList)


def write_form_report(master: FormMaster, answers_paths: Sequence[Path], out_dir: Path) -> FormReport:
    """集計表.xlsx and 回答一覧.csv from one or more answers.csv (e.g. one per prefecture)."""
    report = FormReport([str(p) for p in answers_paths])
    records = {}
    for path in answers_paths:
        try:
            records.update(records_from_answers([Path(path)]))
        except (ValueError, OSError) as exc:
            report.issues.add(make("answers_unreadable", file=Path(path).name, detail=str(exc)))
    if report.issues.has_errors:
        return report
    report.respondents = len(records)
    out_dir = Path(out_dir)
    for key, name, write in (("summary", SUMMARY_FILE, write_compilation), ("wide", WIDE_FILE, write_wide)):
        with OutputGuard(report.issues.items, name) as guard:
            write(master, records, out_dir / name)
        if guard.ok:
            report.outputs[key] = str(out_dir / name)
    return report
