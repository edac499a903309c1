"""The ``check-master`` command as a report: :func:`check_master` -> :class:`MasterReport`.

:func:`~welfare_workbook.master.load_master` stays as it is (``(master, issues)``, for
the commands that go on to use the master); this wraps it in the report shape every
command shares (``valid``, ``counts``, ``issues``, ``to_dict()``).

>>> from welfare_workbook.master import sample_path
>>> report = check_master(sample_path())
>>> report.valid, report.counts["errors"], report.to_dict()["sizes"]["departments"]
(True, 0, 11)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional, Union

from .issues import IssueList, Report
from .kinds import is_form, load_any_master
from .master import Master, load_master


@dataclass
class MasterReport(Report):
    """A checked master: the model (None when it has an error) and every problem found."""

    source: str
    master: Optional[Master] = None  # or a form survey's FormMaster (check_any_master)
    issues: IssueList = field(default_factory=IssueList)

    @property
    def valid(self) -> bool:
        return self.master is not None

    @property
    def not_found(self) -> bool:
        """The path does not exist: a usage error (exit 2) rather than a wrong master (exit 1)."""
        return {i.code for i in self.issues} <= {"master_not_found"} and self.master is None

    @property
    def sizes(self) -> Dict[str, int]:
        """How much the master holds (the console's one-line summary); a form survey's
        master: its 団体, and the sections and items of its form."""
        m: Any = self.master
        if m is None:
            return {}
        if is_form(m):
            return {"respondents": len(m.bodies), "sections": len(m.spec.sections), "items": len(m.spec.items)}
        return {"departments": len(m.departments), "measures": len(m.measures), "actions": len(m.actions),
                "indicators": len(m.indicators), "results": len(m.results), "respondents": len(m.respondents())}

    def report_data(self) -> Dict[str, Any]:
        return {"source": self.source, "sizes": self.sizes}


def check_master(source: Union[str, Path]) -> MasterReport:
    """Read and check a master (.xlsx or a folder of sheet CSVs); never raises for a bad file."""
    master, issues = load_master(Path(source))
    return MasterReport(str(source), master, issues)


def check_any_master(source: Union[str, Path]) -> MasterReport:
    """:func:`check_master` for a master of either kind (a form survey's has a 回答団体 sheet)."""
    master, issues = load_any_master(Path(source))
    return MasterReport(str(source), master, issues)
