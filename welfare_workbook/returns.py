"""The returns model: a returned file and the input cells read from it.

collect fills these; validate, merge, report, mail and the web page read them
without importing the reader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from . import issues as iss
from .issues import ERROR, Issue
from .master import column_letter


STATUS_OK = "提出済"
STATUS_FIX = "要修正"
STATUS_OLD = "重複(旧版)"
STATUS_OUT = "対象外"


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
    status: str = STATUS_OUT
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
                "status": self.status, "errors": self.errors, "warnings": self.warnings}
