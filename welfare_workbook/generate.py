"""Master + sheet specs -> one protected, print-ready workbook per respondent.

:func:`build_workbook` is pure (master in, openpyxl workbook out);
:func:`generate` writes every respondent's workbook into a folder, atomically.

>>> from welfare_workbook.master import load_master, sample_path
>>> master, _ = load_master(sample_path())
>>> dept = master.respondents()[0]
>>> wb = build_workbook(master, dept)
>>> wb.sheetnames[:2]
['記入方法', '取組状況']
>>> wb["_meta"].sheet_state
'veryHidden'
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ._version import __version__
from . import issues as iss
from .excel import (
    BORDER_COLOR, FONT_NAME, HEADER_FILL, INPUT_FILL, LOCKED_FILL, MISSING_FILL, OutputGuard, PagePlan, atomic_write,
    estimate_lines, os_error_text, plan_pages, row_height, safe_filename,
)
from .contract import (
    FIRST_ROW, GUIDE_SHEET, HEADER_ROW, LISTS_SHEET, META_SHEET, ItemRow, is_generated_workbook, meta_entries, row_hash,
    sheet_items, year_labels,
)
from .issues import IssueList, Report
from .master import Department, Master, column_letter
from .spec import SheetSpec, load_lists, template_version
from .wareki import date_label
from .excel_limits import VALIDATION_MESSAGE_LIMIT, VALIDATION_TITLE_LIMIT, clip
from .xlsx import Book, Font, Formula, Sheet, StyleSheet, Validation, XlsxLimitError, header_footer_text

MISSING_TEXT = "未入力"
INPUT_NUMBER_LIMIT = 999_999_999_999

__all__ = ["GeneratedWorkbook", "GenerateResult", "build_workbook", "generate"]


@dataclass
class GeneratedWorkbook:
    respondent_id: str
    respondent: str
    file: Path
    items: int
    sheets: Dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"respondent_id": self.respondent_id, "respondent": self.respondent,
                "file": str(self.file), "items": self.items}


@dataclass
class GenerateResult(Report):
    """The ``generate`` report: the workbooks written; valid when no issue is an error."""

    workbooks: List[GeneratedWorkbook]
    issues: IssueList

    def report_data(self) -> Dict[str, Any]:
        return {"workbooks": [w.to_dict() for w in self.workbooks]}


# ---------------------------------------------------------------------------
# items: which rows a respondent gets


# ---------------------------------------------------------------------------
# styles (one fixed table, built once per process)


class _Styles:
    """The style ids of the survey workbooks, in the table of :attr:`sheet`."""

    def __init__(self) -> None:
        self.sheet = StyleSheet()
        add = self.sheet.add
        font = Font(FONT_NAME, 10)
        bold = Font(FONT_NAME, 10, bold=True)
        self.title = add(font=Font(FONT_NAME, 14, bold=True), vertical="top", wrap=True)
        self.bold = add(font=bold)
        self.bold_note = add(font=bold, vertical="top", wrap=True)
        self.text = add(font=font)
        self.note = add(font=font, vertical="top", wrap=True)
        self.step = add(font=font, horizontal="center", vertical="top", wrap=True)
        self.header = add(font=bold, fill=HEADER_FILL, border=BORDER_COLOR, horizontal="center", vertical="center",
                          wrap=True)
        self.swatch = {fill: add(font=font, fill=fill, border=BORDER_COLOR)
                       for fill in (INPUT_FILL, LOCKED_FILL, MISSING_FILL)}
        self.cells: Dict[tuple, int] = {}
        for align in ("left", "center"):
            horizontal = "center" if align == "center" else None
            for number_format in (0, 49):  # General for numbers, @ (text) otherwise
                self.cells[("input", align, number_format)] = add(
                    font=font, fill=INPUT_FILL, border=BORDER_COLOR, number_format=number_format,
                    horizontal=horizontal, vertical="top", wrap=True, locked=False)
            self.cells[("check", align)] = add(font=Font(FONT_NAME, 10, bold=True, color="C00000"),
                                               border=BORDER_COLOR, horizontal=horizontal, vertical="top", wrap=True)
            self.cells[("locked", align)] = add(font=font, fill=LOCKED_FILL, border=BORDER_COLOR,
                                                horizontal=horizontal, vertical="top", wrap=True)
        self.missing = self.sheet.add_dxf_fill(MISSING_FILL)


@functools.lru_cache(maxsize=1)
def _styles() -> _Styles:
    return _Styles()


# ---------------------------------------------------------------------------
# sheet writers


def password_hash(password: str) -> str:
    if not password:
        return ""
    from openpyxl.utils.protection import hash_password

    return str(hash_password(password))


MARGINS = (0.4, 0.4, 0.6, 0.6)  # inches: left, right, top, bottom
TITLE_SIZE = 14 / 10  # the title's characters against the 10 pt body text


def _print_setup(sheet: Sheet, plan: PagePlan, last_col: int, last_row: int, header_rows: str, dept: str) -> None:
    """A4 as ``plan`` lays it (pages wide, key columns repeated); the department's name
    top right, page numbers below."""
    sheet.print_setup = {"orientation": plan.orientation, "centered": True, "margins": MARGINS,
                         "header": "&R" + header_footer_text(dept), "footer": "&C&P / &N",
                         "pages_wide": plan.pages_wide}
    if plan.pages_wide > 1:
        # each band of rows prints left half then right half, so a row's two halves are neighbours
        sheet.print_setup["page_order"] = "overThenDown"
        sheet.column_breaks = list(plan.column_breaks)
        sheet.print_title_columns = f"$A:${column_letter(plan.title_columns)}" if plan.title_columns else ""
    sheet.print_titles = header_rows
    sheet.print_area = f"$A$1:${column_letter(last_col)}${last_row}"


def sheet_plan(spec: SheetSpec) -> PagePlan:
    """How a survey sheet prints: one A4 landscape page wide when its text stays 8 pt or
    more, else two, cut before the first input column (last years' facts on the left
    page, this year's answers on the right) with No. to the name column repeated.

    >>> from welfare_workbook.spec import load_specs
    >>> plan = sheet_plan(load_specs()["取組状況"])
    >>> plan.pages_wide, plan.title_columns, plan.scale >= 0.82
    (2, 3, True)
    """
    widths = [col.width for col in spec.columns]
    names = [index for index, col in enumerate(spec.columns, start=1) if col.id == "name"]
    first_input = spec.index(spec.input_columns[0].id) if spec.input_columns else len(widths)
    return plan_pages(widths, margins=MARGINS[0] + MARGINS[1], title_columns=names[0] if names else 1,
                      breaks=[first_input - 1])


def _protect(sheet: Sheet, password: str) -> None:
    sheet.protected = True
    # departments may resize rows and columns to read long text; nothing else
    sheet.protect_format_rows_columns = True
    sheet.password_hash = password_hash(password)


def _required_conditions(spec: SheetSpec, row: Union[int, str]) -> Dict[str, str]:
    """Excel condition per input column that is true when a required value is missing."""
    conditions = {}
    for col in spec.input_columns:
        ref = f"{column_letter(spec.index(col.id))}{row}"
        if col.required:
            conditions[col.id] = f'LEN(TRIM({ref}))=0'
        elif col.required_with:
            other = f"{column_letter(spec.index(col.required_with))}{row}"
            conditions[col.id] = f'AND(LEN(TRIM({other}))>0,LEN(TRIM({ref}))=0)'
        elif col.required_when:
            other = f"{column_letter(spec.index(col.required_when['field']))}{row}"
            ors = ",".join(f'{other}="{v}"' for v in col.required_when["values"])
            conditions[col.id] = f'AND(OR({ors}),LEN(TRIM({ref}))=0)'
    return conditions


def _validations(sheet: Sheet, spec: SheetSpec, items: Sequence[ItemRow], years: Dict[str, str]) -> None:
    lists = load_lists()
    last = FIRST_ROW + len(items) - 1
    for col in spec.input_columns:
        letter = column_letter(spec.index(col.id))
        help_text = {"prompt": clip(col.help_for(years), VALIDATION_MESSAGE_LIMIT),  # Excel's limits
                     "prompt_title": clip(col.label_for(years), VALIDATION_TITLE_LIMIT)}
        if col.choices:
            choice_list = lists[col.choices]
            sheet.validations.append(Validation(
                f"{letter}{FIRST_ROW}:{letter}{last}", "list", choice_list.name, error_title="一覧から選んでください",
                error=clip(f"{choice_list.label}は {' ／ '.join(choice_list.values)} から選んでください。",
                           VALIDATION_MESSAGE_LIMIT),
                **help_text))
        elif col.type in ("integer", "decimal", "indicator"):
            by_type: Dict[str, List[str]] = {}
            for offset, item in enumerate(items):
                kind = item.value_type if col.type == "indicator" else col.type
                by_type.setdefault(kind, []).append(f"{letter}{FIRST_ROW + offset}")
            for kind, cells in by_type.items():
                sqref = " ".join(cells)
                if kind == "text":
                    sheet.validations.append(Validation(sqref, **help_text))
                    continue
                word = "整数" if kind == "integer" else "数値"
                sheet.validations.append(Validation(
                    sqref, "whole" if kind == "integer" else "decimal", str(-INPUT_NUMBER_LIMIT),
                    str(INPUT_NUMBER_LIMIT), "between", "warning", f"{word}を入力してください",
                    f"半角の{word}のみを入力してください（単位・カンマは不要です）。"
                    "該当がない場合だけ「―」を入力し、この確認で「はい」を選んでください。", **help_text))
        else:
            sheet.validations.append(Validation(f"{letter}{FIRST_ROW}:{letter}{last}", **help_text))


def _survey_sheet(book: Book, spec: SheetSpec, items: Sequence[ItemRow], master: Master, dept: Department,
                  years: Dict[str, str]) -> List[List[Any]]:
    """Write one survey sheet; returns its _meta rows (sheet, row, key, hash)."""
    sheet = book.add_sheet(spec.name)
    ncols = len(spec.columns)
    last_row = FIRST_ROW + len(items) - 1
    _sheet_heading(sheet, spec, master, dept, years)
    meta_rows = _item_rows(sheet, spec, items)
    st = _styles()
    # required inputs still empty are shaded, so a department sees its own gaps
    for col_id, condition in _required_conditions(spec, FIRST_ROW).items():
        letter = column_letter(spec.index(col_id))
        sheet.conditional.append((f"{letter}{FIRST_ROW}:{letter}{last_row}", condition, st.missing))
    _validations(sheet, spec, items, years)
    sheet.freeze_row = FIRST_ROW
    # No. and text answers that look like numbers would otherwise carry Excel's green warning mark
    sheet.text_numbers_ok = f"A{FIRST_ROW}:{column_letter(ncols)}{last_row}"
    first_input = spec.index(spec.input_columns[0].id) if spec.input_columns else 1
    sheet.active_cell = f"{column_letter(first_input)}{FIRST_ROW}"
    _print_setup(sheet, sheet_plan(spec), ncols, last_row, f"${HEADER_ROW}:${HEADER_ROW}", dept.name)
    _protect(sheet, master.settings.password)
    return meta_rows


def _sheet_heading(sheet: Sheet, spec: SheetSpec, master: Master, dept: Department, years: Dict[str, str]) -> None:
    """Rows 1 to HEADER_ROW: title, who and when, the sheet's note, the column labels.

    Title and who-and-when sit in a block as wide as the columns every printed page
    repeats, so a sheet two pages wide shows them whole on both halves; the note fills
    the rest of the first page (one page wide: the note is a row of its own).
    """
    st = _styles()
    settings = master.settings
    plan = sheet_plan(spec)
    widths = [col.width for col in spec.columns]
    ncols = len(widths)
    fmt = {"survey": settings.survey_name, "department": dept.name, **years}
    deadline = date_label(settings.deadline) if settings.deadline else ""
    title = spec.title.format(**fmt)
    # identify.identify_by_content reads the department from the start of A2 (up to a space)
    who = f"回答課：{dept.name}\n対象年度：{years['year']}\n提出期限：{deadline}\n提出先：{settings.secretariat}"
    note = spec.note.format(**fmt)
    block = plan.title_columns if plan.pages_wide > 1 else ncols
    block_width = sum(widths[:block])
    title_height = row_height(estimate_lines(title, block_width / TITLE_SIZE), 19)
    who_height = row_height(estimate_lines(who, block_width))
    sheet.merged += [f"A1:{column_letter(block)}1", f"A2:{column_letter(block)}2"]
    if plan.pages_wide > 1:
        # the note ends a column before the first page does: text that fills a merged cell to
        # the page edge would be cut there when the page is full at its scale
        first_page_end = max(block + 1, plan.column_breaks[0] - 1)
        note_lines = estimate_lines(note, sum(widths[block:first_page_end]))
        sheet.append_row(1, [(1, title, st.title), (block + 1, note, st.note)], height=title_height)
        sheet.append_row(2, [(1, who, st.bold_note)], height=who_height)
        sheet.append_row(3, [], height=max(row_height(1), row_height(note_lines) - title_height - who_height))
        sheet.merged.append(f"{column_letter(block + 1)}1:{column_letter(first_page_end)}3")
    else:
        sheet.append_row(1, [(1, title, st.title)], height=title_height)
        sheet.append_row(2, [(1, who, st.bold_note)], height=who_height)
        sheet.append_row(3, [(1, note, st.note)], height=row_height(estimate_lines(note, block_width)))
        sheet.merged.append(f"A3:{column_letter(ncols)}3")
    labels = [col.label_for(years) for col in spec.columns]
    label_lines = max(estimate_lines(label, width) for label, width in zip(labels, widths))
    sheet.append_row(HEADER_ROW, [(index, label, st.header) for index, label in enumerate(labels, start=1)],
                     height=max(40.0, row_height(label_lines)))
    sheet.widths = dict(enumerate(widths, start=1))


def _column_plan(spec: SheetSpec) -> List[Tuple[int, str, Any, Any]]:
    """Per column, what its cells are, decided once, not per row: (column, kind, spec, style
    id or, for input columns, style id per value type)."""
    st = _styles()
    columns: List[Tuple[int, str, Any, Any]] = []
    for index, col in enumerate(spec.columns, start=1):
        align = "center" if col.align == "center" else "left"
        if col.input:
            styles = {kind: st.cells[("input", align, 0 if kind in ("integer", "decimal") else 49)]
                      for kind in ("integer", "decimal", "text", col.type)}
            columns.append((index, "input", col, styles))
        elif col.check:
            columns.append((index, "check", col, st.cells[("check", align)]))
        else:
            columns.append((index, "locked", col, st.cells[("locked", align)]))
    return columns


def _item_rows(sheet: Sheet, spec: SheetSpec, items: Sequence[ItemRow]) -> List[List[Any]]:
    """One row per item: locked context, empty input cells, the check formula; row heights
    fit the locked text. Returns the _meta rows (sheet, row, key, hash of the locked texts)."""
    columns = _column_plan(spec)
    check_formula = _check_formula(spec)
    meta_rows = []
    for offset, item in enumerate(items):
        row = FIRST_ROW + offset
        cells: List[Any] = []
        locked = []
        lines = 3  # room to type in the input cells
        for index, kind, col, style in columns:
            if kind == "input":
                cells.append((index, None, style[item.value_type if col.type == "indicator" else col.type]))
            elif kind == "check":
                cells.append((index, check_formula(row) if check_formula else None, style))
            else:
                value = item.context.get(col.source or "", "")
                cells.append((index, value or None, style))
                locked.append(value)
                if value:
                    lines = max(lines, estimate_lines(value, col.width))
        sheet.append_row(row, cells, height=row_height(lines))
        meta_rows.append([spec.name, row, item.key, row_hash(locked)])
    return meta_rows


def _check_formula(spec: SheetSpec) -> Optional[Callable[[int], Formula]]:
    """Row -> the check column's formula (未入力 while a required input is empty), or None."""
    conditions = _required_conditions(spec, _ROW_TOKEN)
    if not conditions:
        return None
    template = f'IF(OR({",".join(conditions.values())}),"{MISSING_TEXT}","")'
    return lambda row: Formula(template.replace(_ROW_TOKEN, str(row)))


_ROW_TOKEN = "\ue000"  # stands for the row number in a formula written once per column


def _guide_sheet(book: Book, master: Master, dept: Department, counts: Dict[str, int],
                 years: Dict[str, str]) -> None:
    st = _styles()
    s = master.settings
    sheet = book.add_sheet(GUIDE_SHEET)
    widths = {1: 20, 2: 74}  # one A4 portrait page wide at 100 %
    sheet.widths = widths
    title = f"{s.survey_name}　記入方法"
    sheet.append_row(1, [(1, title, st.title)],
                     height=row_height(estimate_lines(title, (widths[1] + widths[2]) / TITLE_SIZE), 19))
    sheet.merged.append("A1:B1")

    def fits(text: str) -> float:  # a row as tall as its wrapped text
        return row_height(estimate_lines(text, widths[2]))
    facts = [
        ("自治体名", s.municipality), ("計画名", s.plan_name), ("調査名", s.survey_name),
        ("対象年度", years["year"]), ("回答課", dept.name),
        ("提出期限", date_label(s.deadline) if s.deadline else ""), ("提出先（事務局）", s.secretariat),
        ("連絡先", s.contact),
    ]
    row = 3
    for label, value in facts:
        sheet.append_row(row, [(1, label, st.bold), (2, value, st.note)], height=fits(value))
        row += 1
    row += 1
    sheet.append_row(row, [(1, "記入のしかた", st.bold)])
    steps = [
        "黄色のセルだけに入力してください。灰色のセルは変更できません（シートは保護されています）。",
        "行や列の挿入・削除、シート名の変更はしないでください。回収時に自動で照合します（行の高さ・列の幅は変更できます）。",
        "「中間評価」「今後の方向性」は、セルを選ぶと表示される一覧から選んでください。",
        "数値の欄は半角数字のみを入力してください（単位・カンマは不要です）。該当がない場合は「―」を入力してください。",
        "前年度と同じ内容でも、「同左」「同上」とせず内容を記入してください。",
        "各シートの「入力チェック」列に「未入力」が出ていないことを確認してから提出してください。",
        "Excel ブック（.xlsx）のまま、事務局へメールで提出してください。ファイル名は変えても構いません。",
    ]
    for number, text in enumerate(steps, start=1):
        row += 1
        sheet.append_row(row, [(1, f"{number}.", st.step), (2, text, st.note)], height=fits(text))
    row += 2
    sheet.append_row(row, [(1, "セルの色", st.bold)])
    for fill, text in ((INPUT_FILL, "入力するセル"), (LOCKED_FILL, "変更できないセル（記入済みの情報）"),
                       (MISSING_FILL, "まだ入力されていない必須項目")):
        row += 1
        sheet.append_row(row, [(1, None, st.swatch[fill]), (2, text, st.text)])
    row += 2
    sheet.append_row(row, [(1, "回答するシート", st.bold)])
    for name, count in counts.items():
        row += 1
        sheet.append_row(row, [(1, name, st.text), (2, f"{count} 件", st.text)])
    plan = plan_pages(list(widths.values()), orientation="portrait", margins=MARGINS[0] + MARGINS[1])
    _print_setup(sheet, plan, 2, row, "", dept.name)
    _protect(sheet, s.password)


def _lists_sheet(book: Book) -> None:
    sheet = book.add_sheet(LISTS_SHEET, "veryHidden")
    lists = list(load_lists().values())
    depth = max(len(choice_list.values) for choice_list in lists) + 1
    for row in range(1, depth + 1):
        sheet.append_row(row, [(index, (choice_list.label if row == 1 else choice_list.values[row - 2]), 0)
                               for index, choice_list in enumerate(lists, start=1)
                               if row == 1 or row - 2 < len(choice_list.values)])
    for index, choice_list in enumerate(lists, start=1):
        letter = column_letter(index)
        book.defined_names.append(
            (choice_list.name, f"{LISTS_SHEET}!${letter}$2:${letter}${len(choice_list.values) + 1}"))
    sheet.protected = True


def _meta_sheet(book: Book, master: Master, dept: Department, specs: Sequence[SheetSpec],
                rows: List[List[Any]], generated_at: dt.datetime, years: Dict[str, str]) -> None:
    sheet = book.add_sheet(META_SHEET, "veryHidden")
    pairs = meta_entries(master, dept.id, dept.name, specs, rows, generated_at.isoformat(timespec="seconds"), years,
                         template_version(), __version__)
    for number, values in enumerate(pairs, start=1):
        sheet.append_row(number, [(col, value, 0) for col, value in enumerate(values, start=1)])
    sheet.protected = True


def workbook_book(master: Master, dept: Department, *, generated_at: Optional[dt.datetime] = None) -> Tuple[Book, Dict[str, int]]:
    """The workbook of one respondent as a :class:`~welfare_workbook.xlsx.Book`, and its rows per sheet."""
    generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
    years = year_labels(master.settings.fiscal_year)
    book = Book(_styles().sheet)
    by_sheet = sheet_items(master, dept.id)
    specs = [spec for spec, _ in by_sheet]
    items = {spec.name: rows for spec, rows in by_sheet}
    counts = {name: len(rows) for name, rows in items.items()}
    _guide_sheet(book, master, dept, counts, years)
    meta_rows: List[List[Any]] = []
    for spec in specs:
        meta_rows.extend(_survey_sheet(book, spec, items[spec.name], master, dept, years))
    _lists_sheet(book)
    _meta_sheet(book, master, dept, specs, meta_rows, generated_at, years)
    book.sheets[1 if len(book.sheets) > 2 else 0].selected = True
    seal_book(book, master.settings.password, f"{master.settings.survey_name}（{dept.name}）",
              master.settings.plan_name, generated_at)
    return book, counts


def seal_book(book: Book, password: str, title: str, subject: str, created: dt.datetime) -> None:
    """Lock the workbook's structure (no sheet renamed, deleted or unhidden) and set its properties."""
    book.lock_structure = True
    book.workbook_password_hash = password_hash(password)
    book.creator = "welfare_workbook"
    book.title, book.subject, book.created = title, subject, created


def build_workbook(master: Master, dept: Department, *, generated_at: Optional[dt.datetime] = None) -> Any:
    """The workbook of one respondent, opened with openpyxl (pure: nothing is written to disk).

    For callers that edit it further (差戻し copies, tests); :func:`generate` saves
    the :class:`~welfare_workbook.xlsx.Book` directly, which is several times faster.
    """
    import openpyxl

    buffer = io.BytesIO()
    workbook_book(master, dept, generated_at=generated_at)[0].save(buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def workbook_filename(master: Master, dept: Department, taken: set) -> str:
    """'福祉政策課_令和6年度 進捗状況調査.xlsx'; the 課ID is added only to break a tie."""
    stem = safe_filename(f"{dept.name}_{master.settings.survey_name}")
    if stem.lower() in taken:
        stem = safe_filename(f"{dept.name}({dept.id})_{master.settings.survey_name}")
    taken.add(stem.lower())
    return stem + ".xlsx"


def remove_stale(out_dir: Path, keep: set, issues: IssueList) -> None:
    """Workbooks this tool wrote into ``out_dir`` earlier that are not in ``keep`` are
    removed (so the folder holds exactly this survey's); other .xlsx files are reported
    and left alone."""
    if not out_dir.exists():
        return
    for path in sorted(out_dir.glob("*.xlsx")):
        if path.name in keep or path.name.startswith("~$"):
            continue
        if is_generated_workbook(path):
            with OutputGuard(issues.items, path.name, code="output_not_removed") as guard:
                path.unlink()
            if guard.ok:
                issues.add(iss.make("generate_removed_stale", file=path.name))
        else:
            issues.add(iss.make("generate_foreign_file", file=path.name))


def write_books(planned: Sequence[Tuple[str, Path, Any]], build: Callable[[Any], Tuple[Book, Any]],
                issues: IssueList, progress: Optional[Callable[[int, int], None]] = None) -> List[Tuple[Any, Path, Any]]:
    """Build and write each planned workbook ((respondent id, path, what ``build`` takes));
    (what was built for, path, what ``build`` returned beside the book) of those written.

    A text too long for Excel or a file that cannot be written (open in Excel, a read-only
    folder) is an issue naming the file; the other workbooks are still written.
    """
    written = []
    for number, (respondent_id, path, who) in enumerate(planned, start=1):
        try:
            book, info = build(who)
            atomic_write(path, book.save)
        except XlsxLimitError as exc:  # a master text too long for Excel: an issue, not a broken file
            printed = {"header": "印刷ヘッダー", "footer": "印刷フッター"}.get(exc.cell or "")
            issues.add(iss.make("generate_value_too_long", file=path.name, sheet=exc.sheet,
                                cell=None if printed else exc.cell, respondent_id=respondent_id,
                                part=printed or "セルの値", length=f"{exc.length:,}", limit=f"{exc.limit:,}"))
        except OSError as exc:
            issues.add(iss.make("generate_unwritable", file=path.name, detail=os_error_text(exc), errno=exc.errno))
        else:
            written.append((who, path, info))
        if progress:
            progress(number, len(planned))
    return written


def generate(master: Master, out_dir: Path, *, generated_at: Optional[dt.datetime] = None,
             progress: Optional[Callable[[int, int], None]] = None) -> GenerateResult:
    """Write one workbook per respondent into ``out_dir``.

    Workbooks left there by an earlier run for respondents no longer in the master are
    removed, so the folder holds exactly this survey's workbooks; other .xlsx files are
    reported and left alone.
    """
    out_dir = Path(out_dir)
    issues = IssueList()
    taken: set = set()
    respondents = master.respondents()
    planned = [(dept, out_dir / workbook_filename(master, dept, taken)) for dept in respondents]
    remove_stale(out_dir, {path.name for _, path in planned}, issues)
    generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
    written = write_books([(dept.id, path, dept) for dept, path in planned],
                          lambda dept: workbook_book(master, dept, generated_at=generated_at), issues, progress)
    workbooks = [GeneratedWorkbook(dept.id, dept.name, path, sum(counts.values()), counts)
                 for dept, path, counts in written]
    return GenerateResult(workbooks, issues)

