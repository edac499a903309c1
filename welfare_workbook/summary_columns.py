"""The columns of 集計表's tables, laid out from the templates, and the text of their cells.

Each template column's ``summary:`` says where it goes (``order``), its heading, width,
alignment, whether it is merged over an item's respondents, and which columns share
its cell (``with``, ``prefix``, ``join``); a sheet's ``summary: respondent:`` places
the 回答課 / 担当課 column. One table is made of every sheet of one item kind:
取組状況 (indicators) for 一覧表 and the 基本施策 pages, 中間評価 and 今後の方向性
(actions) for the 中間評価 table, その他の取組 for the ★その他取組 list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple

from .answers import NEEDS_FIX, AnswerSet
from .contract import ItemRow
from .master import Master
from .spec import ColumnSpec, SheetSpec, SummarySpec, load_specs
from .states import State

NOT_SUBMITTED = "未提出"


@dataclass(frozen=True)
class _Part:
    """One template column's text in a 集計表 cell."""

    sheet: str
    column: ColumnSpec
    prefix: str


@dataclass(frozen=True)
class ReportColumn:
    """A column of a 集計表 table, as the templates' ``summary:`` declare it.

    ``parts`` are the template columns whose texts fill its cells (locked ones from
    the item's context, inputs from the answers); none for the 回答課 / 担当課 column.
    """

    label: str
    width: float
    center: bool = False
    merge: bool = False
    parts: Tuple[_Part, ...] = ()
    join: str = "\n"
    in_list: bool = True
    not_submitted: bool = False

    @property
    def respondent(self) -> bool:
        return not self.parts


def _report_column(summary: SummarySpec, years: Mapping[str, str], parts: Tuple[_Part, ...] = ()) -> ReportColumn:
    return ReportColumn(label=summary.label_for(years), width=summary.width, center=summary.align == "center",
                        merge=summary.merge, parts=parts, join=summary.join, in_list=summary.in_list,
                        not_submitted=summary.not_submitted)


def report_columns(kind: str, years: Mapping[str, str], specs: Optional[Mapping[str, SheetSpec]] = None
                   ) -> List[ReportColumn]:
    """The columns of the 集計表 table of one item kind (``indicators``, ``actions``,
    ``other_actions``), in ``order``, from every sheet spec of that kind.

    >>> from welfare_workbook.contract import year_labels
    >>> [c.label for c in report_columns("actions", year_labels(2024))][:6]
    ['No.', '取組名・内容', '担当課', '令和4年度の主な取組', '令和5年度の主な取組', '中間評価']
    """
    ordered: List[Tuple[int, ReportColumn]] = []
    for spec in (load_specs() if specs is None else specs).values():
        if spec.items != kind:
            continue
        if spec.respondent is not None and spec.respondent.order is not None:
            ordered.append((spec.respondent.order, _report_column(spec.respondent, years)))
        for col in spec.columns:
            if col.summary is None or col.summary.order is None:
                continue
            joined = [c for c in spec.columns if c.summary is not None and c.summary.with_ == col.id]
            parts = tuple(_Part(spec.name, c, c.summary.prefix if c.summary else "") for c in [col] + joined)
            ordered.append((col.summary.order, _report_column(col.summary, years, parts)))
    return [column for _, column in sorted(ordered, key=lambda entry: entry[0])]


def cell_text(column: ReportColumn, item: ItemRow, answers: AnswerSet, dept: str, submitted: bool) -> str:
    """The text of one cell: its parts' values after their prefixes, joined; a part that
    repeats an earlier one (a 取組 whose 内容 is its name) is shown once."""
    if column.not_submitted and not submitted:
        return NOT_SUBMITTED
    texts: List[str] = []
    for part in column.parts:
        if part.column.input:
            value = answers.get(dept, part.sheet, item.item_id, part.column.id) if submitted else ""
        else:
            value = item.context.get(part.column.source or "", "")
        text = part.prefix + value
        if value and text not in texts:
            texts.append(text)
    return column.join.join(texts)


def respondent_text(master: Master, dept: str, state: str, *, main: bool = False, not_submitted: bool = True) -> str:
    """回答課 / 担当課: the name (（主） for an action's main department) and, below it,
    要修正, and 未提出 when ``not_submitted`` (the 中間評価 table says 未提出 in its 評価
    column instead).

    >>> from welfare_workbook.master import load_master, sample_path
    >>> master, _ = load_master(sample_path())
    >>> respondent_text(master, "K01", "要修正", main=True)
    '福祉政策課（主）\\n（要修正）'
    """
    name = master.departments[dept].name + ("（主）" if main else "")
    shown = FLAGGED + NO_DATA if not_submitted else FLAGGED
    return f"{name}\n（{state}）" if state in shown else name


# states (a survey folder's, or collect's roster words) whose answers are not there, and
# those shown with the name: answers that still have errors
NO_DATA = (NOT_SUBMITTED, State.WRONG_FORMAT)
FLAGGED = (str(NEEDS_FIX), State.SENT_BACK)


def has_data(state: str) -> bool:
    """Whether a respondent in ``state`` has answers to show."""
    return state not in NO_DATA
