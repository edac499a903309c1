"""The returns model: a returned file, the input cells read from it, and the status words.

collect fills these; validate, merge, report, mail and the web page read them
without importing the reader.

The status words are defined here once, as ``str`` enums: a member *is* its Japanese
word (``ReturnStatus.NEEDS_FIX == "要修正"``, and it prints, formats and serialises
as the word), so answers.csv, issues.json and the workbooks show the same text as
before, and text read back from them compares equal to the members.

>>> ReturnStatus.NEEDS_FIX == "要修正", f"{RosterStatus.NOT_SUBMITTED}", RosterStatus("再提出").name
(True, '未提出', 'RESUBMITTED')
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from . import issues as iss
from .issues import ERROR, Issue
from .master import column_letter


class Status(str, enum.Enum):
    """A status word: a ``str`` enum that prints and formats as its Japanese value.

    The base of every status vocabulary. A new one (e.g. the survey folder's states of a
    respondent: 未提出, 形式違い, 要修正, 確認待ち, 確認済, 差戻し中) is another subclass,
    its members named in English and valued by the word users see.
    """

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:  # f"{status:<4}" pads the word, not "ReturnStatus.…"
        return format(str(self.value), spec)


class ReturnStatus(Status):
    """What became of one returned file (``collect --json`` returns[].status, 受付ファイル)."""

    SUBMITTED = "提出済"  # read, no errors
    NEEDS_FIX = "要修正"  # read, with errors
    SUPERSEDED = "重複(旧版)"  # the same respondent sent a newer one
    OUT_OF_SCOPE = "対象外"  # not a return of this survey (or not readable at all)


class RosterStatus(Status):
    """Where a respondent stands (提出状況 of 確認結果.xlsx, issues.json roster, 集計表, answers.csv status)."""

    NOT_SUBMITTED = "未提出"
    SUBMITTED = "提出済"
    NEEDS_FIX = "要修正"
    RESUBMITTED = "再提出"  # the current return replaced an earlier one and has no errors


@dataclass
class InputCell:
    """One input cell of a return: where it is, what was typed, what it means."""

    sheet: str
    row: int
    col: int
    field: str
    row_key: str
    item_id: str
    raw: Any
    value: Any = ""
    value_type: str = "text"

    @property
    def cell(self) -> str:
        return f"{column_letter(self.col)}{self.row}"

    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]:
        # as a tuple of its fields: half the time of a dataclass's default when returns
        # cross a process boundary or come back from the cache
        return InputCell, (self.sheet, self.row, self.col, self.field, self.row_key, self.item_id, self.raw,
                           self.value, self.value_type)


@dataclass
class Return:
    """One returned file and everything learnt from it."""

    path: Path
    file: str  # as shown to users: relative to the folder it was found in
    respondent_id: Optional[str] = None
    respondent: Optional[str] = None
    saved: Optional[dt.datetime] = None
    mtime: float = 0.0
    status: ReturnStatus = ReturnStatus.OUT_OF_SCOPE
    cells: List[InputCell] = field(default_factory=list)
    context: Dict[Tuple[str, str], Dict[str, str]] = field(default_factory=dict)
    issues: List[Issue] = field(default_factory=list)
    readable: bool = False  # values were read

    def add(self, code: str, **kw: Any) -> None:
        kw.setdefault("file", self.file)
        kw.setdefault("respondent_id", self.respondent_id)
        kw.setdefault("respondent", self.respondent or "")
        self.issues.append(iss.make(code, **kw))

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.issues if i.severity == iss.WARNING)

    def to_dict(self) -> Dict[str, Any]:
        return {"file": self.file, "respondent_id": self.respondent_id, "respondent": self.respondent,
                "status": str(self.status), "errors": self.errors, "warnings": self.warnings}
