"""The ``collect`` command as one library call: find and read the returns, keep one per
respondent, validate them together, and write every output into the output folder;
and the ``report`` command (:func:`write_report`), which rebuilds 集計表 from answers.csv.

Each output is written on its own: one that cannot be written (open in Excel, a
read-only folder…) is an ``output_unwritable`` issue in the result, the others are
still written, and the result is not valid. ``issues.json`` is written last, so it
holds the whole verdict, failures to write the other outputs included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from .answers import ANSWERS_FILE, collected_answers
from .batch import Batch, LongLived, Progress, read_batch
from .collect import Limits
from .excel import OutputGuard, atomic_write
from .generate import build_workbook
from .issues import Issue, IssueList, Report, make
from .master import Master
from .merge import CHECKS_FILE, ISSUES_FILE, CollectResult, roster_status
from .report import SENDBACK_DIR, write_check_workbook, write_sendbacks
from .summary import INDICATORS_FILE, SUMMARY_FILE, write_summary


def collect(master: Master, sources: Sequence[Path], out_dir: Path, progress: Progress = None,
            limits: Optional[Limits] = None, workers: int = 1, cache_dir: Optional[Path] = None,
            annotate: Optional[Callable[[CollectResult], None]] = None) -> CollectResult:
    """The ``collect`` command: read every return and write all outputs into ``out_dir``.

    ``limits`` bounds what one return may use (size, cells); the default is the
    module constants of :mod:`welfare_workbook.guard`. ``workers`` and ``cache_dir``
    as for :func:`read_all`. ``annotate`` adds to the result before the outputs are
    written (a survey folder: each respondent's state). An output that cannot be
    written is an issue of the result (see the module's docstring), never an exception.
    """
    return read_and_write(master, sources, Path(out_dir), write_outputs, progress, limits, workers, cache_dir, annotate)


def read_and_write(master: Any, sources: Sequence[Path], out_dir: Path,
                   write: Callable[[Any, CollectResult, Path], None], progress: Progress = None,
                   limits: Optional[Limits] = None, workers: int = 1, cache_dir: Optional[Path] = None,
                   annotate: Optional[Callable[[CollectResult], None]] = None) -> CollectResult:
    """A collect run of either kind of survey: read the returns (the batch reader), let
    ``annotate`` add to the result, and ``write(master, result, out_dir)`` the outputs."""
    with LongLived() as phase:
        result = read_batch(master, sources, progress, Batch(master, limits, workers, cache_dir), phase)
        if annotate is not None:
            annotate(result)
        write(master, result, out_dir)
    return result


def write_outputs(master: Master, result: CollectResult, out_dir: Path) -> None:
    """Write answers.csv, 差戻し/, 集計表.xlsx + indicators.csv, 確認結果.xlsx and issues.json.

    Fills ``result.outputs`` with what was written and ``result.output_issues`` with what
    could not be.
    """
    failures: List[Issue] = result.output_issues
    planned = {"answers": out_dir / ANSWERS_FILE, "issues": out_dir / ISSUES_FILE, "checks": out_dir / CHECKS_FILE,
               "sendback": out_dir / SENDBACK_DIR, "summary": out_dir / SUMMARY_FILE,
               "indicators": out_dir / INDICATORS_FILE}
    done: Dict[str, Path] = {}

    # the answer set is made even when answers.csv cannot be written: 集計表 needs it
    data, answer_set = collected_answers(master, result)
    with OutputGuard(failures, ANSWERS_FILE) as guard:
        atomic_write(planned["answers"], _bytes(data))
    if guard.ok:
        done["answers"] = planned["answers"]

    before = len(failures)
    sendbacks = write_sendbacks(master, result, planned["sendback"], build_workbook, failures)
    if not any(i.code == "output_unwritable" for i in failures[before:]):
        done["sendback"] = planned["sendback"]

    with OutputGuard(failures, SUMMARY_FILE, INDICATORS_FILE) as guard:
        write_summary(master, answer_set, out_dir, roster_status(result))
    if guard.ok:
        done.update(summary=planned["summary"], indicators=planned["indicators"])

    with OutputGuard(failures, CHECKS_FILE) as guard:
        write_check_workbook(master, result, planned["checks"])
    if guard.ok:
        done["checks"] = planned["checks"]

    def outputs() -> Dict[str, str]:  # in the documented order, then each 差戻し copy
        shown = {key: str(path) for key, path in planned.items() if key in done}
        shown.update({f"sendback:{rid}": str(path) for rid, path in sendbacks.items()})
        return shown

    done["issues"] = planned["issues"]  # issues.json lists itself among the outputs
    result.outputs = outputs()
    with OutputGuard(failures, ISSUES_FILE) as guard:
        write_verdict(master, result, planned["issues"])
    if not guard.ok:
        del done["issues"]
        result.outputs = outputs()


def write_verdict(master: Master, result: CollectResult, path: Path) -> None:
    """issues.json: the machine-readable verdict (:meth:`CollectResult.verdict`), atomically.

    Raises OSError when it cannot be written.
    """
    text = json.dumps(result.verdict(master), ensure_ascii=False, indent=1)
    atomic_write(path, _bytes(text.encode("utf-8")))


def _bytes(data: bytes) -> Callable[[Path], Any]:
    return lambda tmp: tmp.write_bytes(data)


@dataclass
class SummaryReport(Report):
    """The ``report`` command's result: 集計表.xlsx and indicators.csv rebuilt from answers.csv files."""

    answers: List[str]
    outputs: Dict[str, str] = field(default_factory=dict)
    issues: IssueList = field(default_factory=IssueList)


def write_report(master: Master, answers_paths: Sequence[Path], out_dir: Path) -> SummaryReport:
    """The ``report`` command: read every answers.csv (later ones add to earlier ones) and write
    集計表.xlsx and indicators.csv into ``out_dir``.

    An answers.csv that cannot be read is an ``answers_unreadable`` issue and nothing is
    written; outputs that cannot be written are ``output_unwritable`` issues.
    """
    from .answers import AnswerSet

    report = SummaryReport([str(p) for p in answers_paths])
    answers = AnswerSet()
    for path in answers_paths:
        try:
            answers.update(AnswerSet.from_csv(Path(path)))
        except (ValueError, OSError) as exc:
            report.issues.add(make("answers_unreadable", file=Path(path).name, detail=str(exc)))
    if report.issues.has_errors:
        return report
    with OutputGuard(report.issues.items, SUMMARY_FILE, INDICATORS_FILE) as guard:
        written = write_summary(master, answers, Path(out_dir))
    if guard.ok:
        report.outputs = {key: str(path) for key, path in written.items()}
    return report
