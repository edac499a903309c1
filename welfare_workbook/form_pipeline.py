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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .excel import OutputGuard, atomic_write
from .form_answers import ANSWERS_FILE, WIDE_FILE, records_from_answers, records_from_returns, write_answers, \
    write_wide
from .form_compilation import write_compilation
from .form_generate import build_form_workbook
from .form_master import FormMaster
from .form_report import CHECKS_FILE, SUMMARY_FILE, write_form_checks
from .form_sendback import write_form_sendbacks
from .guard import Limits
from .issues import IssueList, Report, make
from .merge import ISSUES_FILE, CollectResult
from .pipeline import read_and_write
from .report import SENDBACK_DIR
from .returns import RosterStatus

Progress = Optional[Callable[[int, int], None]]


def _roster_words(result: CollectResult) -> Dict[str, str]:
    shown = {RosterStatus.RESUBMITTED: RosterStatus.SUBMITTED}
    return {row.department.id: str(shown.get(row.status, row.status)) for row in result.roster}


def collect_forms(master: FormMaster, sources: Sequence[Path], out_dir: Path, limits: Optional[Limits] = None,
                  workers: int = 1, progress: Progress = None, cache_dir: Optional[Path] = None,
                  annotate: Optional[Callable[[CollectResult], None]] = None) -> CollectResult:
    """The ``collect`` command on a form master: read every return and write every output into ``out_dir``.

    ``cache_dir`` and ``annotate`` as for the row survey's :func:`~.pipeline.collect` (a
    survey folder keeps what it read there, and adds each 団体's state before writing).
    """
    return read_and_write(master, sources, Path(out_dir), _write_outputs, progress, limits, workers, cache_dir, annotate)


def _write_outputs(master: FormMaster, result: CollectResult, out_dir: Path) -> None:
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
