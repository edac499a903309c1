"""The ``collect`` command as one library call: find and read the returns, keep one per
respondent, validate them together, and write every output into the output folder.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .answers import ANSWERS_FILE, write_collected_answers
from .collect import Limits, find_files, normalize_return, pick_current, read_return
from .generate import build_workbook
from .master import Master
from .merge import CollectResult, return_status, roster, roster_status
from .report import write_check_workbook, write_sendbacks
from .returns import ReturnStatus
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


def read_all(master: Master, sources: Sequence[Path],
             progress: Optional[Callable[[int, int], None]] = None, limits: Optional[Limits] = None) -> CollectResult:
    """Find, read, normalise, de-duplicate and validate every return (no output written)."""
    with _LongLived() as phase:
        return _read_all(master, sources, progress, limits, phase)


def _read_all(master: Master, sources: Sequence[Path], progress: Optional[Callable[[int, int], None]],
              limits: Optional[Limits], phase: _LongLived) -> CollectResult:
    files, notes = find_files(sources)
    returns = []
    for number, (path, shown) in enumerate(files, start=1):
        ret = read_return(path, shown, master, limits)
        normalize_return(ret, master)
        returns.append(ret)
        if progress:
            progress(number, len(files))
    phase.read()
    pick_current(returns)
    current = [r for r in returns if r.status != ReturnStatus.SUPERSEDED and r.readable]
    validate_returns(current, master)
    for ret in returns:
        ret.status = return_status(ret)
    return CollectResult(returns, roster(master, returns), notes)


def collect(master: Master, sources: Sequence[Path], out_dir: Path,
            progress: Optional[Callable[[int, int], None]] = None, limits: Optional[Limits] = None) -> CollectResult:
    """The ``collect`` command: read every return and write all outputs into ``out_dir``.

    ``limits`` bounds what one return may use (size, cells); the default is the
    module constants of :mod:`welfare_workbook.collect`.
    """
    out_dir = Path(out_dir)
    with _LongLived() as phase:
        result = _read_all(master, sources, progress, limits, phase)
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
