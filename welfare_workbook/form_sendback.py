"""差戻し copies of the form survey: a 団体's fresh form with its answers put back and its problems marked.

The row survey's copy code (:mod:`report`) does the work: answers into their cells,
comments on the cells (errors shaded), the 修正依頼 sheet first, copies written and
old ones removed. This module says where each answer of a form sits (the answer
column of its key's row, :func:`form_contract.form_layout`), which problems the fresh
form has already fixed, and how the files are named. The fresh form comes from the
writer, passed in as ``blank`` (``form_generate.build_form_workbook``), so that this
module reads the contract only.

A copy is still a valid form (its ``_meta`` is the fresh form's): a 団体 fixes the cells
named in 修正依頼 and sends the copy back, and collect reads it as that 団体's return.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import form_issues  # noqa: F401  (registers the form codes the requests are rebuilt from)
from .excel import safe_filename
from .form_contract import ANSWER_COL, answer_rows, form_layout
from .form_master import FormMaster, Respondent
from .issues import Issue
from .contract import master_fingerprint
from .report import LAYOUT_CODES, STRAY_CODES, CopyRules, fill_copy, write_copies
from .returns import InputCell, Return

FormBlank = Callable[[FormMaster, Respondent], Any]  # master, 団体 -> the fresh form, opened with openpyxl

# the copy is a fresh .xlsx of the current form with its _meta: a macro workbook, an old
# form or a form without _meta is fixed by using it, and there is nothing to ask
FORM_RULES = CopyRules(
    layout_codes=LAYOUT_CODES,
    stray_codes=STRAY_CODES | {"form_value_unread"},
    stray_where="回答欄ではないセル",
    stray_fix="この写しの該当する回答欄に入力し直してください。",
)


def form_sendback_filename(respondent: Respondent) -> str:
    """'差戻し_012068_釧路市.xlsx'; a prefecture answering for itself: '差戻し_090000_栃木県.xlsx'."""
    return safe_filename(f"差戻し_{respondent.code}_{respondent.short_name}") + ".xlsx"


def build_form_sendback(master: FormMaster, ret: Return, blank: FormBlank) -> Any:
    """The 団体's form made again by ``blank``, with its answers and 修正依頼 (an openpyxl workbook)."""
    respondent = master.bodies[ret.respondent_id or ""]
    wb = blank(master, respondent)
    rows = {r.key: r.row for r in answer_rows(form_layout(master.spec, master, respondent))}

    def place(cell: InputCell) -> Optional[Tuple[int, int]]:
        row = rows.get(cell.row_key)
        return None if row is None else (row, ANSWER_COL)

    fill_copy(wb, master.settings, respondent.display, ret, place, FORM_RULES)
    return wb


def write_form_sendbacks(master: FormMaster, result: Any, folder: Path, blank: FormBlank,
                         issues: List[Issue]) -> Dict[str, Path]:
    """One copy per 団体 whose current return has errors, into ``folder``; 団体コード -> path.

    Copies of 団体 that have since fixed their return are removed; a copy that cannot be
    written is an ``output_unwritable`` issue in ``issues`` and the others are still written.
    """
    return write_copies(result, folder, lambda ret: build_form_sendback(master, ret, blank),
                        lambda row: form_sendback_filename(master.bodies[row.department.id]), issues,
                        master_fingerprint(master))  # the form spec is part of the master


__all__ = ["FORM_RULES", "build_form_sendback", "form_sendback_filename", "write_form_sendbacks"]
