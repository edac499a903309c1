"""Form master + form spec -> one protected, print-ready form workbook per 団体.

One visible sheet of labelled answers (rows from :func:`form_contract.form_layout`):
labels locked, answer cells unlocked and tinted, dropdowns for 選択 through defined
names on the hidden ``_lists`` sheet (never inline lists), ○ rows for 複数選択, units
beside the cells, items that do not apply greyed by conditional formatting while the
answer they depend on says so, an in-sheet check column, and a very hidden ``_meta``.
Written with the package's small SpreadsheetML writer (:mod:`xlsx`).

>>> from welfare_workbook.form_master import form_sample_path, load_form_master
>>> master, _ = load_form_master(form_sample_path())
>>> book, rows = form_book(master, master.ordered()[0])
>>> [s.name for s in book.sheets], form_filename(master.ordered()[0])
(['調査票', '_lists', '_meta'], '012068_釧路市.xlsx')
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import form_issues  # noqa: F401  (registers the form codes)
from ._version import __version__
from .excel import (BORDER_COLOR, FONT_NAME, HEADER_FILL, INPUT_FILL, LOCKED_FILL, MISSING_FILL, estimate_lines,
                    safe_filename)
from .excel_limits import VALIDATION_MESSAGE_LIMIT, VALIDATION_TITLE_LIMIT, clip
from .form_contract import (COLUMNS, FIRST_ROW, HEADER_ROW, LISTS_SHEET, META_SHEET, FormRow, form_layout, form_meta_entries)
from .form_master import FormMaster, Respondent
from .form_spec import MARK, NUMERIC, Condition, Item
from .generate import INPUT_NUMBER_LIMIT, GeneratedWorkbook, GenerateResult, password_hash, remove_stale, seal_book, write_books
from .issues import IssueList
from .master_model import column_letter
from .wareki import date_label
from .xlsx import Book, Font, Formula, Sheet, StyleSheet, Validation, header_footer_text

WIDTHS = {1: 8, 2: 34, 3: 54, 4: 7, 5: 12}  # 115 characters: one A4 portrait page wide at 8 pt or more
NOT_APPLICABLE_FILL = "BFBFBF"  # a darker grey than locked cells: this answer is not asked now
MARK_LIST = "list_mark"
TYPE_HINTS = {"integer": "半角の整数で入力してください（単位・カンマは不要）。", "decimal": "半角の数値で入力してください（単位は不要）。",
              "month": "例：令和3年3月、2021年3月", "year_range": "例：令和3年度～令和7年度",
              "code": "6 桁の全国地方公共団体コード", "choice": "一覧から選んでください。", "text": ""}


class _Styles:
    def __init__(self) -> None:
        self.sheet = StyleSheet()
        add = self.sheet.add
        font, bold = Font(FONT_NAME, 10), Font(FONT_NAME, 10, bold=True)
        self.title = add(font=Font(FONT_NAME, 14, bold=True))
        self.bold = add(font=bold)
        self.note = add(font=font, vertical="top", wrap=True)
        self.header = add(font=bold, fill=HEADER_FILL, border=BORDER_COLOR, horizontal="center", vertical="center")
        self.section = add(font=Font(FONT_NAME, 11, bold=True), fill=HEADER_FILL, border=BORDER_COLOR,
                           vertical="center", wrap=True)
        self.subsection = add(font=bold, fill="E9EEF7", border=BORDER_COLOR, vertical="center", wrap=True)
        self.locked = add(font=font, fill=LOCKED_FILL, border=BORDER_COLOR, vertical="top", wrap=True)
        self.locked_bold = add(font=bold, fill=LOCKED_FILL, border=BORDER_COLOR, vertical="top", wrap=True)
        self.center = add(font=font, fill=LOCKED_FILL, border=BORDER_COLOR, horizontal="center", vertical="top")
        self.input_text = add(font=font, fill=INPUT_FILL, border=BORDER_COLOR, number_format=49, vertical="top",
                              wrap=True, locked=False)
        self.input_number = add(font=font, fill=INPUT_FILL, border=BORDER_COLOR, vertical="top", locked=False)
        self.input_mark = add(font=font, fill=INPUT_FILL, border=BORDER_COLOR, number_format=49,
                              horizontal="center", vertical="top", locked=False)
        self.beyond = add(font=font, fill=NOT_APPLICABLE_FILL, border=BORDER_COLOR, number_format=49,
                          vertical="top", wrap=True, locked=False)
        self.check = add(font=Font(FONT_NAME, 10, bold=True, color="C00000"), border=BORDER_COLOR, vertical="top",
                         wrap=True)
        self.missing = self.sheet.add_dxf_fill(MISSING_FILL)
        self.greyed = self.sheet.add_dxf_fill(NOT_APPLICABLE_FILL)


@functools.lru_cache(maxsize=1)
def _styles() -> _Styles:
    return _Styles()


# ---------------------------------------------------------------------------
# Excel formulas of the conditions (the same rules form_validate checks)


class _Cells:
    """Where the answers the formulas look at are: (item, option) -> row."""

    def __init__(self, rows: Sequence[FormRow]) -> None:
        self.at: Dict[Tuple[str, int, int], int] = {}
        self.options: Dict[Tuple[str, int], List[int]] = {}
        for r in rows:
            if r.key and r.item is not None:
                self.at[(r.item.id, r.block, r.option)] = r.row
                if r.option:
                    self.options.setdefault((r.item.id, r.block), []).append(r.row)

    def chosen(self, condition: Condition, spec: Any) -> str:
        """True in Excel while ``condition``'s answer says so (any mark counts on a ○ row)."""
        item = spec.item(condition.item)
        if item.type == "multi":
            parts = [f'LEN(TRIM($C${self.at[(item.id, 0, item.option_values.index(v) + 1)]}))>0'
                     for v in condition.values]
        else:
            ref = f"$C${self.at[(item.id, 0, 0)]}"
            parts = [f'{ref}="{v}"' for v in condition.values]
        return parts[0] if len(parts) == 1 else f"OR({','.join(parts)})"

    def applies(self, conditions: Sequence[Condition], spec: Any) -> str:
        parts = [self.chosen(c, spec) for c in conditions]
        if not parts:
            return "TRUE"
        return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"

    def marked(self, item: Item, block: int) -> str:
        """How many options of a 複数選択 carry a mark."""
        rows = self.options[(item.id, block)]
        return f'SUMPRODUCT(--(LEN(TRIM($C${rows[0]}:$C${rows[-1]}))>0))'


def _empty(row: int) -> str:
    return f"LEN(TRIM($C${row}))=0"


def _block_used(rows: Sequence[FormRow], row: FormRow, spec: Any) -> str:
    """A block is in use once any of its answer cells is filled."""
    group = spec.repeat_of(row.item.id) if row.item is not None else None
    same = [r.row for r in rows if r.key and r.block == row.block and r.item is not None
            and spec.repeat_of(r.item.id) is group]
    return "OR(" + ",".join(f"LEN(TRIM($C${n}))>0" for n in same) + ")"


def _required_when(row: FormRow, applies: str, spec: Any, rows: Sequence[FormRow]) -> str:
    """When a required answer must be filled: while it applies, and a later block of a
    repeat group (beyond its min) only once that block is in use."""
    assert row.item is not None
    repeat = spec.repeat_of(row.item.id)
    if repeat is not None and row.block > repeat.min:
        return f"AND({applies},{_block_used(rows, row, spec)})"
    return applies


def _check_formula(row: FormRow, cells: _Cells, spec: Any, rows: Sequence[FormRow]) -> Optional[Formula]:
    """The in-sheet check: 未入力 / 未選択 / 対象外 / 上限超過 / その他を選択 / 併用不可."""
    item = row.item
    if item is None:
        return None
    applies = cells.applies(row.conditions, spec)
    if row.kind == "multi":
        count = cells.marked(item, row.block)
        tests = []
        if item.required:
            tests.append((f"AND({applies},{count}=0)", "未選択"))
        for index, option in enumerate(item.options, start=1):
            if option.exclusive:
                ref = cells.at[(item.id, row.block, index)]
                tests.append((f"AND(LEN(TRIM($C${ref}))>0,{count}>1)", f"{option.value}と併用不可"))
        tests.append((f"AND(NOT({applies}),{count}>0)", "対象外"))
        return _if_chain(tests)
    if not row.key or row.kind == "option":
        return _if_chain([(f"AND(NOT({applies}),LEN(TRIM($C${row.row}))>0)", "対象外")]) if row.conditions else None
    filled = f"LEN(TRIM($C${row.row}))>0"
    if not row.allowed:
        return _if_chain([(filled, "上限超過")])
    tests = []
    if item.specify:
        chosen = cells.chosen(item.specify, spec)
        tests += [(f"AND({applies},{chosen},{_empty(row.row)})", "未入力"),
                  (f"AND(NOT({chosen}),{filled})", "その他を選択")]
    elif item.required:
        tests.append((f"AND({_required_when(row, applies, spec, rows)},{_empty(row.row)})", "未入力"))
    if row.conditions:
        tests.append((f"AND(NOT({applies}),{filled})", "対象外"))
    return _if_chain(tests) if tests else None


def _if_chain(tests: Sequence[Tuple[str, str]]) -> Formula:
    formula = '""'
    for test, word in reversed(tests):
        formula = f'IF({test},"{word}",{formula})'
    return Formula(formula)


# ---------------------------------------------------------------------------
# the sheet


def _input_style(item: Item, row: FormRow) -> int:
    st = _styles()
    if not row.allowed:
        return st.beyond
    if row.kind == "option":
        return st.input_mark
    return st.input_number if item.type in NUMERIC else st.input_text


def _prefill(master: FormMaster, respondent: Respondent, row: FormRow) -> Any:
    item = row.item
    if item is None or not item.prefill or row.block:
        return None
    value = master.prefill(respondent, item)
    if item.type == "multi":
        return MARK if row.field in value else None
    return value or None


def _validation(row: FormRow, item: Item) -> Validation:
    ref = f"C{row.row}"
    hint = item.help or TYPE_HINTS.get(item.type, "")
    if row.kind == "option":
        hint = "当てはまる場合は○を選んでください（当てはまらない場合は空欄のまま）。"
    if not row.allowed:
        hint = "この団体は、このブロックまで記入する必要はありません。"
    text = {"prompt": clip(hint, VALIDATION_MESSAGE_LIMIT), "prompt_title": clip(item.label, VALIDATION_TITLE_LIMIT)}
    if row.kind == "option":
        return Validation(ref, "list", MARK_LIST, error_style="warning", error_title="○を選んでください",
                          error="当てはまる行には○を入力してください。", **text)
    if item.type == "choice":
        return Validation(ref, "list", f"list_{item.id}", error_title="一覧から選んでください",
                          error=clip(f"{item.label}は {' ／ '.join(item.option_values)} から選んでください。",
                                     VALIDATION_MESSAGE_LIMIT), **text)
    if item.type in NUMERIC:
        word = "整数" if item.type == "integer" else "数値"
        return Validation(ref, "whole" if item.type == "integer" else "decimal", str(-INPUT_NUMBER_LIMIT),
                          str(INPUT_NUMBER_LIMIT), "between", "warning", f"{word}を入力してください",
                          f"半角の{word}のみを入力してください（単位・カンマは不要です）。", **text)
    return Validation(ref, **text)


def _form_sheet(book: Book, master: FormMaster, respondent: Respondent, rows: List[FormRow]) -> None:
    st, spec, s = _styles(), master.spec, master.settings
    sheet = book.add_sheet(spec.sheet)
    sheet.widths = dict(WIDTHS)
    deadline = date_label(s.deadline) if s.deadline else ""
    sheet.append_row(1, [(1, f"{s.survey_name}（{spec.title}）", st.title)])
    sheet.append_row(2, [(1, f"回答団体：{respondent.display}（{respondent.code}）　　対象年度：{s.fiscal_year_label}　　"
                             f"提出期限：{deadline}　　提出先：{s.secretariat}", st.bold)])
    sheet.append_row(3, [(1, spec.note, st.note)], height=42)
    sheet.merged.append("A3:E3")
    sheet.append_row(HEADER_ROW, [(i, label, st.header) for i, label in enumerate(COLUMNS, start=1)], height=20)
    cells = _Cells(rows)
    for row in rows:
        _write_row(sheet, master, respondent, row, cells, rows)
    last = rows[-1].row if rows else FIRST_ROW
    sheet.freeze_row = FIRST_ROW
    first_input = next((r.row for r in rows if r.key), FIRST_ROW)
    sheet.active_cell = f"C{first_input}"
    sheet.text_numbers_ok = f"A{FIRST_ROW}:E{last}"
    sheet.print_setup = {"orientation": "portrait", "centered": True, "margins": (0.4, 0.4, 0.6, 0.6),
                         "header": "&R" + header_footer_text(respondent.display), "footer": "&C&P / &N"}
    sheet.print_titles = f"${HEADER_ROW}:${HEADER_ROW}"
    sheet.print_area = f"$A$1:$E${last}"
    sheet.protected = True
    sheet.protect_format_rows_columns = True
    sheet.password_hash = password_hash(s.password)
    sheet.selected = True


def _write_row(sheet: Sheet, master: FormMaster, respondent: Respondent, row: FormRow, cells: _Cells,
               rows: Sequence[FormRow]) -> None:
    spec = master.spec
    if row.kind == "section":
        _write_section(sheet, row)
        return
    if row.kind in ("heading", "group", "block"):
        _write_heading(sheet, row, spec, rows)
        return
    item = row.item
    assert item is not None
    check = _check_formula(row, cells, spec, rows)
    if row.kind == "multi":
        _write_multi(sheet, row, check)
        return
    _write_answer(sheet, master, respondent, row, item, check)
    _answer_formats(sheet, row, item, cells, spec, rows)


def _write_section(sheet: Sheet, row: FormRow) -> None:
    st, n = _styles(), row.row
    style = st.section if row.depth == 0 else st.subsection
    sheet.append_row(n, [(1, row.marker or None, style), (2, row.label, style)], height=20)
    sheet.merged.append(f"B{n}:E{n}")


def _write_heading(sheet: Sheet, row: FormRow, spec: Any, rows: Sequence[FormRow]) -> None:
    """A heading, a repeat group's name (with its help beside it) or a block's marker."""
    st, n = _styles(), row.row
    note = ""
    if row.kind == "group":
        repeat = spec.repeat_of(next(r.item.id for r in rows if r.item is not None and r.row > n))
        note = repeat.help if repeat else ""
    if note:  # a group's help beside its name
        lines = max(estimate_lines(row.label, WIDTHS[2]), estimate_lines(note, WIDTHS[3]))
    else:  # a heading reads across the row
        lines = estimate_lines(row.label, WIDTHS[2] + WIDTHS[3] + WIDTHS[4])
        sheet.merged.append(f"B{n}:D{n}")
    sheet.append_row(n, [(1, row.marker or None, st.locked_bold), (2, row.label, st.locked_bold),
                         (3, note or None, st.locked), (4, None, st.locked), (5, None, st.locked)],
                     height=min(409, 13.5 * lines + 4))


def _write_multi(sheet: Sheet, row: FormRow, check: Optional[Formula]) -> None:
    """A 複数選択's question row: its options follow as ○ rows."""
    st = _styles()
    sheet.append_row(row.row, [(1, row.marker or None, st.center), (2, row.label, st.locked),
                               (3, "当てはまる行の右の欄に○を付けてください。", st.locked), (4, None, st.locked),
                               (5, check, st.check)])


def _write_answer(sheet: Sheet, master: FormMaster, respondent: Respondent, row: FormRow, item: Item,
                  check: Optional[Formula]) -> None:
    """An answer row: label, the (prefilled) input cell with its validation, unit and check."""
    st = _styles()
    value = _prefill(master, respondent, row)
    lines = max(item.lines, estimate_lines(row.label, WIDTHS[2]))
    sheet.append_row(row.row, [(1, row.marker or None, st.center), (2, row.label, st.locked),
                               (3, value, _input_style(item, row)), (4, row.unit or None, st.center),
                               (5, check, st.check)], height=min(409, 13.5 * lines + 4))
    sheet.validations.append(_validation(row, item))


def _answer_formats(sheet: Sheet, row: FormRow, item: Item, cells: _Cells, spec: Any,
                    rows: Sequence[FormRow]) -> None:
    """The answer cell's conditional formats: greyed when it does not apply, marked when required and empty."""
    st, ref = _styles(), f"C{row.row}"
    if row.conditions:  # greyed while the answer it depends on says it does not apply
        sheet.conditional.append((ref, f"NOT({cells.applies(row.conditions, spec)})", st.greyed))
    if item.required and row.allowed and row.kind == "item" and not item.specify:
        needed = _required_when(row, cells.applies(row.conditions, spec), spec, rows)
        sheet.conditional.append((ref, f"AND({needed},{_empty(row.row)})", st.missing))


def _lists_sheet(book: Book, master: FormMaster) -> None:
    """Every choice list on one hidden sheet, one column each, named list_<item> (○ is list_mark)."""
    sheet = book.add_sheet(LISTS_SHEET, "veryHidden")
    lists: List[Tuple[str, str, Tuple[str, ...]]] = [(MARK_LIST, "○", (MARK,))]
    lists += [(f"list_{i.id}", i.label, i.option_values) for i in master.spec.items if i.type == "choice"]
    depth = max(len(values) for _, _, values in lists) + 1
    for row in range(1, depth + 1):
        sheet.append_row(row, [(col, label if row == 1 else values[row - 2], 0)
                               for col, (_, label, values) in enumerate(lists, start=1)
                               if row == 1 or row - 2 < len(values)])
    for col, (name, _, values) in enumerate(lists, start=1):
        letter = column_letter(col)
        book.defined_names.append((name, f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"))
    sheet.protected = True


def form_book(master: FormMaster, respondent: Respondent, *, generated_at: Optional[dt.datetime] = None
              ) -> Tuple[Book, List[FormRow]]:
    """The form workbook of one 団体 (pure: nothing written) and its rows."""
    generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
    rows = form_layout(master.spec, master, respondent)
    book = Book(_styles().sheet)
    _form_sheet(book, master, respondent, rows)
    _lists_sheet(book, master)
    meta = book.add_sheet(META_SHEET, "veryHidden")
    for number, values in enumerate(form_meta_entries(master, respondent, rows, generated_at.isoformat(timespec="seconds"),
                                                      __version__), start=1):
        meta.append_row(number, [(col, value, 0) for col, value in enumerate(values, start=1)])
    meta.protected = True
    seal_book(book, master.settings.password, f"{master.settings.survey_name}（{respondent.display}）",
              master.spec.title, generated_at)
    return book, rows


def build_form_workbook(master: FormMaster, respondent: Respondent, *,
                        generated_at: Optional[dt.datetime] = None) -> Any:
    """The form of one 団体, opened with openpyxl (pure: nothing is written to disk).

    For the 差戻し copies, which put answers and comments into it: openpyxl keeps the
    form's protection, dropdowns, grey-out formats, ``_lists`` names and very hidden
    ``_meta`` (only the "number stored as text" marks are dropped, as for the row survey).
    """
    import openpyxl

    buffer = io.BytesIO()
    form_book(master, respondent, generated_at=generated_at)[0].save(buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def form_filename(respondent: Respondent) -> str:
    """'012068_釧路市.xlsx'; a prefecture answering for itself: '090000_栃木県.xlsx'."""
    return safe_filename(f"{respondent.code}_{respondent.short_name}") + ".xlsx"


def generate_forms(master: FormMaster, out_dir: Path, *, generated_at: Optional[dt.datetime] = None,
                   progress: Optional[Callable[[int, int], None]] = None) -> GenerateResult:
    """Write one form workbook per 団体 into ``out_dir`` (atomically); stale ones are removed."""
    out_dir = Path(out_dir)
    issues = IssueList()
    planned = [(r, out_dir / form_filename(r)) for r in master.ordered()]
    remove_stale(out_dir, {p.name for _, p in planned}, issues)
    generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
    written = write_books([(r.code, path, r) for r, path in planned],
                          lambda r: form_book(master, r, generated_at=generated_at), issues, progress)
    workbooks = []
    for respondent, path, rows in written:
        count = sum(1 for r in rows if r.key)
        workbooks.append(GeneratedWorkbook(respondent.code, respondent.display, path, count, {master.spec.sheet: count}))
    return GenerateResult(workbooks, issues)
