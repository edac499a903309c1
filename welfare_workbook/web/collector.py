"""Collect after uploads, in a process of its own, one at a time.

``collect -w`` (:func:`~welfare_workbook.folder.collect_in`) rewrites every output of
the folder — answers.csv, 集計表.xlsx, 確認結果.xlsx — which for 1,000 respondents
takes seconds. The page does not wait for it: an upload is received and read (the
roster shows the new returns at once, read from 受付/ with the folder's cache), and
the outputs are brought up to date here, in a child process running the command line,
so the page keeps answering meanwhile (reading returns pauses the garbage collector of
the process that reads: two readings at once must not share one). Collects never
overlap: a request while one runs asks for one more run after it (uploads in a burst
cost one or two collects, not one each); the folder's own lock keeps the command line
and other PCs in order too. What the last run said (issues of the folder or of the
outputs, such as 集計表.xlsx open in Excel) is kept for the pages to show.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..guard import MIB, Limits

# the command line at a lower priority, so that the page's own requests (the roster after an
# upload) are not slowed by the outputs being written: `nice` on POSIX, a priority class on Windows
NICE_MAIN = ("import os, sys\nif hasattr(os, 'nice'):\n    os.nice(10)\n"
             "from welfare_workbook.cli import main\nmain(sys.argv[1:])")
PRIORITY = getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)

# issues of a collect that concern the folder and its outputs, not a return (those show on the roster)
SHOWN_CODES = ("folder_", "output_", "journal_", "inbox_")


class Collector:
    """Runs ``welfare-workbook collect -w ROOT`` in a child process when asked; one at a time."""

    def __init__(self, root: Path, limits: Optional[Limits] = None, workers: Optional[int] = None) -> None:
        self.root = Path(root)
        self.limits = limits
        self.workers = workers
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._again = False
        self._thread: Optional[threading.Thread] = None
        self.last: Dict[str, Any] = {}  # what the last finished run said: code, notes, when
        self.runs = 0

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    def request(self) -> None:
        """Bring 回収結果/ up to date: start a run, or ask for one more after the running one."""
        with self._lock:
            if self.busy:
                self._again = True
                return
            self._idle.clear()
            self._thread = threading.Thread(target=self._loop, name="welfare-collect", daemon=True)
            self._thread.start()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until no run is going or asked for; True when idle."""
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        while True:
            try:
                self.last = self._run()
            except Exception as exc:  # noqa: BLE001 — a run that cannot start is reported, never raised into the page
                self.last = {"code": None, "notes": [{"severity": "error", "message": f"回収を始められませんでした：{exc}"}],
                             "time": time.strftime("%H:%M:%S")}
            self.runs += 1
            with self._lock:
                if not self._again:
                    self._idle.set()
                    return
                self._again = False

    def command(self) -> List[str]:
        args = [sys.executable, "-c", NICE_MAIN, "collect", "-w", str(self.root), "--json"]
        if self.limits is not None:
            args += ["--max-mb", repr(self.limits.max_bytes / MIB), "--max-cells", str(self.limits.max_cells)]
        if self.workers:
            args += ["--workers", str(self.workers)]
        return args

    def _run(self) -> Dict[str, Any]:
        done = subprocess.run(self.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              cwd=str(self.root), timeout=3600, creationflags=PRIORITY)
        notes: List[Dict[str, Any]] = []
        try:
            data = json.loads(done.stdout.decode("utf-8", "replace"))
            notes = [i for i in data.get("issues", []) if str(i.get("code", "")).startswith(SHOWN_CODES)
                     and i.get("severity") != "info"]
        except ValueError:  # no JSON: the command stopped early (its message is on stderr)
            text = done.stderr.decode("utf-8", "replace").strip().splitlines()
            notes = [{"severity": "error", "message": f"回収できませんでした：{text[-1] if text else done.returncode}"}]
        return {"code": done.returncode, "notes": notes, "time": time.strftime("%H:%M:%S")}

    def close(self, timeout: float = 60.0) -> None:
        """Let a running collect finish (its outputs are written whole) before the page stops."""
        self.wait(timeout)
