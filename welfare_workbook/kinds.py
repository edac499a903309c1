"""The two kinds of survey, as the reading code sees them.

A row-table survey (取組状況, 中間評価, 今後の方向性: one workbook per 担当課) and a form
survey (one form per 団体, seed 003) are read, validated, given a status and placed on
the roster by different functions, and everything around them — the batch reader with
its processes and cache, the survey folder, the states, mail and the web page — is the
same. :func:`kind_of` gives a master's kind; code around the readers asks it instead of
testing which master it holds.

>>> from welfare_workbook.master import load_master, sample_path
>>> from welfare_workbook.form_master import form_sample_path, load_form_master
>>> kind_of(load_master(sample_path())[0]).name, kind_of(load_form_master(form_sample_path())[0]).name
('row', 'form')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from .guard import Limits
from .issues import IssueList
from .merge import RosterRow, return_status, roster, roster_of
from .returns import Return, ReturnStatus

# a form return is not of this survey for these reasons (the row survey's and its own)
FORM_OUT_OF_SCOPE = frozenset({"wrong_survey", "unknown_respondent", "meta_missing", "form_rowtable_return"})


@dataclass(frozen=True)
class SurveyKind:
    """How returns of one kind of survey are read and judged."""

    name: str  # "row" or "form"
    read: Callable[[Path, str, Any, Optional[Limits]], Return]  # one file, read and normalised; never raises
    validate: Callable[[List[Return], Any], None]  # the one validation pass over the current returns
    status: Callable[[Return], ReturnStatus]
    roster: Callable[[Any, List[Return]], List[RosterRow]]
    version: Callable[[], str]  # what, besides the master and the tool, decides how a file is read


def _read_row(path: Path, shown: str, master: Any, limits: Optional[Limits]) -> Return:
    from .collect import normalize_return, read_return

    ret = read_return(path, shown, master, limits)
    normalize_return(ret, master)
    return ret


def _validate_row(returns: List[Return], master: Any) -> None:
    from .validate import validate_returns

    validate_returns(returns, master)


def _row_version() -> str:
    from .spec import template_version

    return template_version()


def _read_form(path: Path, shown: str, master: Any, limits: Optional[Limits]) -> Return:
    from .form_collect import read_form_return

    return read_form_return(path, shown, master, limits)


def _validate_form(returns: List[Return], master: Any) -> None:
    from .form_validate import validate_forms

    validate_forms(returns, master)


def form_return_status(ret: Return) -> ReturnStatus:
    if ret.status == ReturnStatus.SUPERSEDED:
        return ReturnStatus.SUPERSEDED
    if any(i.code in FORM_OUT_OF_SCOPE for i in ret.issues) or not ret.respondent_id:
        return ReturnStatus.OUT_OF_SCOPE
    return ReturnStatus.NEEDS_FIX if ret.errors else ReturnStatus.SUBMITTED


def form_roster(master: Any, returns: List[Return]) -> List[RosterRow]:
    """Every 団体 of the master (団体コード order) with its current return and status."""
    return roster_of(master.respondents(), returns)


ROW = SurveyKind("row", _read_row, _validate_row, return_status, roster, _row_version)
FORM = SurveyKind("form", _read_form, _validate_form, form_return_status, form_roster, lambda: "form")


def kind_of(master: Any) -> SurveyKind:
    """The kind of survey ``master`` runs: a form survey's master has its form spec."""
    return FORM if hasattr(master, "spec") and hasattr(master, "bodies") else ROW


def is_form(master: Any) -> bool:
    return kind_of(master) is FORM


def kind_of_file(source: Any) -> SurveyKind:
    """The kind of survey a master file (or folder of CSV exports) runs, from its sheets
    alone (a 回答団体 sheet: a form survey): cheap, and said even of a master with errors."""
    from .form_master import is_form_master

    return FORM if is_form_master(source) else ROW


# ---------------------------------------------------------------------------
# masters of either kind (a survey folder holds one or the other)


def load_any_master(source: Any) -> Tuple[Optional[Any], IssueList]:
    """A row-table master or a form survey's master (it has a 回答団体 sheet), checked."""
    from .form_master import is_form_master, load_form_master
    from .master import load_master

    return load_form_master(source) if is_form_master(source) else load_master(source)


def all_samples() -> Tuple[str, ...]:
    """The bundled samples: the row-table ones, then the form ones."""
    from .form_master import FORM_SAMPLES
    from .master import SAMPLES

    return tuple(SAMPLES) + tuple(FORM_SAMPLES)


def sample_source(name: str) -> Path:
    """The folder of a bundled sample's master (CSV files), of either kind."""
    from .form_master import FORM_SAMPLES, form_sample_path
    from .master import sample_path

    return form_sample_path(name) if name in FORM_SAMPLES else sample_path(name)


def sample_sheets(name: str) -> Dict[str, List[List[str]]]:
    """A bundled sample's master as rows of text per sheet (header first), to write as .xlsx."""
    from .form_master import FORM_SAMPLES, form_sample_rows
    from .master import sample_rows

    return form_sample_rows(name) if name in FORM_SAMPLES else sample_rows(name)


__all__ = ["SurveyKind", "ROW", "FORM", "kind_of", "is_form", "kind_of_file", "form_return_status", "form_roster",
           "load_any_master", "all_samples", "sample_source", "sample_sheets"]
