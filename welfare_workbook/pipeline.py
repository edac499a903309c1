"""The ``collect`` command as one library call: find and read the returns, keep one per
respondent, validate them together, and write every output into the output folder.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, Optional, Sequence

from .answers import ANSWERS_FILE, write_collected_answers
from .batch import Batch, Progress
from .collect import Limits, find_files, pick_current
from .generate import build_workbook
from .master import Master
from .merge import CollectResult, return_status, roster, roster_status
from .report import write_check_workbook, write_sendbacks
from .returns import STATUS_OLD
from .summary import write_summary
from .validate import validate_returns

CHECKS_FILE = "確認結果.xlsx"
SENDBACK_DIR = "差戻し"


class _LongLived:
    """Keeps the cyclic garbage collector off the returns from reading to the last output.

    Reading builds hundreds of thousands of small objects (cells, issues) that form
    no reference cycles and live until the outputs are written; the collector would
    scan all of them at every full collection (a tenth of collect's time). They are
    read with the collector paused, then frozen (``gc.freeze``) until the end, while
    the collector runs as usual for what the writers build. A process that froze
    objects itself is left as it was.
    """

    def __enter__(self) -> "_LongLived":
        self.enabled = gc.isenabled()
        self.freeze = gc.get_freeze_count() == 0
        gc.disable()
        return self

    def read(self) -> None:
        """The returns are read: freeze them and let the collector run again."""
        if self.freeze:
            gc.freeze()
        if self.enabled:
            gc.enable()

    def __exit__(self, *exc: Any) -> None:
        if self.freeze:
            gc.unfreeze()
        if self.enabled:
            gc.enable()


def read_all(master: Master, sources: Sequence[Path], progress: Progress = None, limits: Optional[Limits] = None,
             workers: int = 1, cache_dir: Optional[Path] = None, batch: Optional[Batch] = None) -> CollectResult:
    """Find, read, normalise, de-duplicate and validate every return (no output written).

    ``workers`` processes read the files (returns are independent until validation);
    with ``cache_dir``, what was learned from each file is kept there and a file
    already read with the same bytes, master and tool version is not read again. A
    ``batch`` given instead tells afterwards how many files were read.
    """
    with _LongLived() as phase:
        return _read_all(master, sources, progress, batch or Batch(master, limits, workers, cache_dir), phase)


def _read_all(master: Master, sources: Sequence[Path], progress: Progress, batch: Batch,
              phase: _LongLived) -> CollectResult:
    files, notes = find_files(sources)
    returns = batch.read(files, progress)
    phase.read()
    pick_current(returns)
    current = [r for r in returns if r.status != STATUS_OLD and r.readable]
    todo = batch.needs_validation(current)
    before = {id(r): len(r.issues) for r in todo}
    validate_returns(todo, master)
    batch.remember_validation(todo, before)
    for ret in returns:
        ret.status = return_status(ret)
    notes.extend(batch.finish())
    return CollectResult(returns, roster(master, returns), notes)


def collect(master: Master, sources: Sequence[Path], out_dir: Path, progress: Progress = None,
            limits: Optional[Limits] = None, workers: int = 1, cache_dir: Optional[Path] = None) -> CollectResult:
    """The ``collect`` command: read every return and write all outputs into ``out_dir``.

    ``limits`` bounds what one return may use (size, cells); the default is the
    module constants of :mod:`welfare_workbook.guard`. ``workers`` and ``cache_dir``
    as for :func:`read_all`.
    """
    out_dir = Path(out_dir)
    with _LongLived() as phase:
        result = _read_all(master, sources, progress, Batch(master, limits, workers, cache_dir), phase)
        answers = out_dir / ANSWERS_FILE
        answer_set = write_collected_answers(master, result, answers)
        checks = out_dir / CHECKS_FILE
        write_check_workbook(master, result, checks)
        sendback = out_dir / SENDBACK_DIR
        written = write_sendbacks(master, result, sendback, build_workbook)
        summary = write_summary(master, answer_set, out_dir, roster_status(result))
    result.outputs = {"answers": str(answers), "checks": str(checks), "sendback": str(sendback),
                      "summary": str(summary["summary"]), "indicators": str(summary["indicators"])}
    result.outputs.update({f"sendback:{rid}": str(p) for rid, p in written.items()})
    return result
