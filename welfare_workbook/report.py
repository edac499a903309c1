"""Writers of the secretariat's outputs: 確認結果.xlsx and the 差戻し copies.

Text that begins with = + - @ (or a tab or CR) is always written as text, never as a
formula, so a value typed by a department cannot run in the secretariat's Excel; no
hyperlink is ever written. Characters an .xlsx cannot hold are dropped (the value
was already noted as cleaned when it was read).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from . import issues as iss
from ._version import __version__
from .contract import is_generated_workbook, layout_for, master_fingerprint
from .excel import (
    BORDER_COLOR, ERROR_FILL, FONT_NAME, HEADER_FILL, OutputGuard, StyleCache, apply_page_plan, atomic_write,
    estimate_lines, fit_a4_landscape, plan_pages, put, row_height, safe_filename,
)
from .issues import ERROR, INFO, SEVERITY_LABEL, WARNING, Issue
from .master import Department, Master, column_letter
from .returns import InputCell, Return, ReturnStatus
from .spec import load_specs, template_version
from .wareki import date_label

BlankWorkbook = Callable[[Master, Department], Any]  # master, department -> openpyxl workbook
REQUEST_SHEET = "修正依頼"
SENDBACK_DIR = "差戻し"  # 回収結果/差戻し/: the copies, for either layout
INFO_SHEET = "情報"  # 確認結果.xlsx: info lines, apart from the errors and warnings


SIDE_MARGIN = 0.4  # inches


def _table(ws: Any, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> None:
    """A table for reading on paper: header in row 1 (repeated on every page), wrapped
    cells in thin borders, rows as tall as their text, A4 landscape fitted to the pages
    wide its widths need (one for the widths used here) at 8 pt or more."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    bold = Font(name=FONT_NAME, size=10, bold=True)
    body = Font(name=FONT_NAME, size=10)
    wrap = Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color=BORDER_COLOR)
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for index, (label, width) in enumerate(zip(header, widths), start=1):
        cell = put(ws, 1, index, label)
        cell.font, cell.fill, cell.border = bold, fill, border
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[column_letter(index)].width = width
    ws.row_dimensions[1].height = row_height(max(estimate_lines(str(h), w) for h, w in zip(header, widths)))
    styles = StyleCache()  # body cells copy one finished style instead of openpyxl hashing it per cell
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            styles.apply(put(ws, r, c, value), "body", font=body, alignment=wrap, border=border)
        # LibreOffice and Excel keep a written height: rows grow with their longest text
        ws.row_dimensions[r].height = row_height(max(
            (estimate_lines(str(v), w) for v, w in zip(values, widths) if v not in (None, "")), default=1))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{column_letter(len(header))}{max(1, len(rows) + 1)}"
    apply_page_plan(ws, plan_pages(widths, margins=2 * SIDE_MARGIN, title_columns=1), title_rows="1:1")
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
    ws.print_options.horizontalCentered = True
    ws.print_area = f"A1:{column_letter(len(header))}{max(1, len(rows) + 1)}"
    ws.oddFooter.center.text = "&P / &N"


ISSUE_HEADER = ["課ID", "課名", "ファイル", "シート", "セル", "重要度", "コード", "内容", "値"]
ISSUE_WIDTHS = [7, 14, 24, 10, 6, 7, 18, 62, 16]
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


def issue_order(issue: Issue) -> Any:
    """確認結果's order: by 課ID (file-level problems with no department first), errors
    before warnings, then file and where in it, as found."""
    return (issue.respondent_id or "", _SEVERITY_ORDER.get(issue.severity, 3), issue.file or "")


def write_check_workbook(master: Master, result: Any, path: Path) -> None:
    """確認結果.xlsx: 提出状況 (roster), 確認結果 (errors and warnings), 情報 (what was
    read differently or noted, for the record), 受付ファイル (every file)."""
    from openpyxl import Workbook

    deadline = date_label(master.settings.deadline) if master.settings.deadline else ""
    wb = Workbook()
    ws = wb.active
    ws.title = "提出状況"
    rows = []
    for row in result.roster:
        ret = row.current
        rows.append([
            row.department.id, row.department.name, row.department.kind, row.shown,
            ret.file if ret else "", ret.saved.strftime("%Y-%m-%d %H:%M") if ret and ret.saved else "",
            ret.errors if ret else "", ret.warnings if ret else "", deadline, row.returns,
        ])
    _table(ws, ["課ID", "課名", "区分", "状況", "提出ファイル", "保存日時", "エラー", "注意", "提出期限", "受付件数"],
           rows, [8, 20, 10, 10, 44, 17, 8, 8, 22, 9])

    names = {d.id: d.name for d in master.departments.values()}

    def issue_rows(issues: Sequence[Issue]) -> List[List[Any]]:
        return [[issue.respondent_id or "", names.get(issue.respondent_id or "", ""), issue.file or "",
                 issue.sheet or "", issue.cell or "", SEVERITY_LABEL.get(issue.severity, issue.severity), issue.code,
                 issue.message, issue.value or ""] for issue in sorted(issues, key=issue_order)]

    # info lines (a value read as another, a duplicate noted) are kept apart so the errors
    # and warnings a department must act on read as one list
    _table(wb.create_sheet("確認結果"), ISSUE_HEADER,
           issue_rows([i for i in result.issues if i.severity != INFO]), ISSUE_WIDTHS)
    _table(wb.create_sheet(INFO_SHEET), ISSUE_HEADER,
           issue_rows([i for i in result.issues if i.severity == INFO]), ISSUE_WIDTHS)

    ws = wb.create_sheet("受付ファイル")
    _table(ws, ["ファイル", "課ID", "課名", "状態", "エラー", "注意"],
           [[r.file, r.respondent_id or "", r.respondent or "", r.status, r.errors, r.warnings]
            for r in result.returns], [50, 8, 20, 12, 8, 8])
    wb.properties.title = f"{master.settings.survey_name} 確認結果"
    atomic_write(path, wb.save)


# ---------------------------------------------------------------------------
# 差戻し


def sendback_filename(master: Master, dept_name: str) -> str:
    return safe_filename(f"差戻し_{dept_name}_{master.settings.survey_name}") + ".xlsx"


Place = Callable[[InputCell], Optional[Tuple[int, int]]]  # an answer of the return -> (row, column) in the copy


@dataclass(frozen=True)
class CopyRules:
    """What a layout's send-back copy does not ask to fix, and how it asks for stray values."""

    layout_codes: FrozenSet[str]  # problems of the returned file's layout: the copy is laid out fresh
    stray_codes: FrozenSet[str]  # values typed where no answer cell is
    stray_where: str  # where those values were, as the request says it
    stray_fix: str  # what to do with them


# problems of the returned file's layout or kind: the send-back copy is laid out as generated,
# a fresh .xlsx of the current template with its _meta, so there is nothing to fix there
# (its values were read from where they were)
LAYOUT_CODES = frozenset({"row_inserted", "row_moved", "locked_changed", "header_changed", "formula_overwritten",
                          "validation_removed", "merged_input", "old_template", "meta_matched_by_content",
                          "file_macro"})
STRAY_CODES = frozenset({"row_extra", "input_outside"})  # values typed where no item is
ROW_RULES = CopyRules(LAYOUT_CODES, STRAY_CODES, "調査票にない行", "この写しの該当する No. の行に入力し直してください。")


def build_sendback(master: Master, ret: Return, blank: BlankWorkbook) -> Any:
    """The respondent's workbook regenerated with their answers, problems marked.

    ``blank(master, department)`` gives the fresh workbook (the writer's ``build_workbook``,
    passed in so that report depends on the contract only).
    """
    dept = master.departments[ret.respondent_id or ""]
    wb = blank(master, dept)
    # where each (sheet, row key) sits in the fresh workbook
    position = {(sheet, item.key): row for sheet, rows in layout_for(master, dept.id).items() for row, item, _ in rows}
    specs = load_specs()

    def place(cell: InputCell) -> Optional[Tuple[int, int]]:
        row = position.get((cell.sheet, cell.row_key))
        return None if row is None else (row, specs[cell.sheet].index(cell.field))

    fill_copy(wb, master.settings, dept.name, ret, place, ROW_RULES)
    return wb


def fill_copy(wb: Any, settings: Any, name: str, ret: Return, place: Place, rules: CopyRules) -> None:
    """Make the fresh workbook ``wb`` the send-back copy of ``ret`` (either layout): each
    answer put back where ``place`` says, problems marked, and 修正依頼 first."""
    at = _put_answers(wb, ret, place)
    _request_sheet(wb, settings, name, ret.file, _mark_problems(wb, ret, at, rules))


def _put_answers(wb: Any, ret: Return, place: Place) -> Dict[tuple, Tuple[str, int, int]]:
    """Write each typed value into its cell of the fresh workbook; (sheet, old cell) -> (sheet, row, col) there."""
    at: Dict[tuple, Tuple[str, int, int]] = {}
    for cell in ret.cells:
        spot = place(cell)
        if spot is None or cell.sheet not in wb.sheetnames:
            continue
        at[(cell.sheet, cell.cell)] = (cell.sheet, *spot)
        if cell.raw != "":
            put(wb[cell.sheet], *spot, cell.raw)
        elif wb[cell.sheet].cell(*spot).value is not None:
            wb[cell.sheet].cell(*spot).value = None  # a prefilled answer the respondent emptied
    return at


def _mark_problems(wb: Any, ret: Return, at: Dict[tuple, Tuple[str, int, int]],
                   rules: CopyRules) -> List[List[Any]]:
    """Errors and warnings as comments on their cells (errors shaded), and as request lines
    (No., severity, sheet, cell in the copy, message naming that same cell)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    fill = PatternFill("solid", fgColor=ERROR_FILL)
    requests: List[List[Any]] = []
    shaded: Dict[str, List[str]] = {}  # sheet -> the cells shaded as errors
    for issue in ret.issues:
        if issue.severity not in (ERROR, WARNING) or issue.code in rules.layout_codes:
            continue
        new_cell, message = "", issue.message
        found = at.get((issue.sheet, issue.cell)) if issue.sheet and issue.cell else None
        if issue.code in rules.stray_codes:
            message = stray_request(issue, rules)
        elif found is not None:
            sheet, new_row, col = found
            new_cell = f"{column_letter(col)}{new_row}"
            message = message_at(issue, new_cell)
            target = wb[sheet].cell(new_row, col)
            if issue.severity == ERROR:
                target.fill = fill
                shaded.setdefault(sheet, []).append(new_cell)
            note = f"{SEVERITY_LABEL[issue.severity]}：{message}"
            if target.comment is not None:
                note = target.comment.text + "\n" + note
            target.comment = Comment(note, "事務局", width=320, height=140)
        elif issue.cell:
            message = message_at(issue, "")
        requests.append([len(requests) + 1, SEVERITY_LABEL[issue.severity], issue.sheet or "", new_cell, message])
    for sheet, cells in shaded.items():
        _shade_over_conditions(wb[sheet], cells)
    return requests


def _shade_over_conditions(ws: Any, cells: List[str]) -> None:
    """The error shading kept visible where the form's own conditional formats would paint
    over it (an empty required cell is tinted by one): a rule for those cells, first of all."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import PatternFill

    if not ws.conditional_formatting:
        return
    for formats in ws.conditional_formatting:
        for rule in formats.rules:
            rule.priority += 1
    first = FormulaRule(formula=["TRUE"], fill=PatternFill(bgColor=ERROR_FILL), stopIfTrue=True)
    ws.conditional_formatting.add(" ".join(dict.fromkeys(cells)), first)
    first.priority = 1


def stray_request(issue: Any, rules: CopyRules = ROW_RULES) -> str:
    """The request for a value typed where the form has no item: the whole text, where it was."""
    text = dict(getattr(issue, "context", None) or {}).get("text") or issue.value or ""
    return f"{rules.stray_where}に入力された値：『{text}』（提出されたファイルの {issue.cell}）。{rules.stray_fix}"


def message_at(issue: Issue, cell: str) -> str:
    """The issue's message built again from its context for the copy's ``cell`` (no cell:
    the copy has none), so that a message and the セル column name the same place."""
    text = iss.make(issue.code, file=issue.file, sheet=issue.sheet, cell=cell or None,
                    respondent_id=issue.respondent_id, severity=issue.severity, **dict(issue.context)).message
    return text[1:] if not cell and text.startswith("：") else text


def _request_sheet(wb: Any, settings: Any, name: str, file: str, requests: List[List[Any]]) -> None:
    """The 修正依頼 sheet, first and selected: what to fix, where, by when (``settings``:
    the row or the form master's, both name the survey, its deadline and secretariat)."""
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(REQUEST_SHEET, 0)
    bold = Font(name=FONT_NAME, bold=True, size=14)
    body = Font(name=FONT_NAME)
    wrap = Alignment(wrap_text=True, vertical="top")
    deadline = date_label(settings.deadline) if settings.deadline else ""
    ws["A1"] = f"{settings.survey_name}　修正のお願い（{name}）"
    ws["A1"].font = bold
    ws["A2"] = (f"ご提出いただいた「{file}」に、直していただきたい箇所があります。下の一覧の箇所を直し、"
                f"このファイルを{deadline}までに{settings.secretariat}へ提出してください。"
                "赤く色をつけたセルにはコメントで内容を記しています。")
    ws["A2"].alignment = wrap
    ws.merge_cells("A2:E2")
    ws.row_dimensions[2].height = 45
    header = ["No.", "重要度", "シート", "セル", "直していただきたいこと"]
    for index, (label, width) in enumerate(zip(header, [5, 8, 14, 8, 90]), start=1):
        put(ws, 4, index, label).font = Font(name=FONT_NAME, bold=True)
        ws.column_dimensions[column_letter(index)].width = width
    for r, values in enumerate(requests, start=5):
        for c, value in enumerate(values, start=1):
            cell = put(ws, r, c, value)
            cell.font, cell.alignment = body, wrap
        # rows grow with the message: LibreOffice and Excel keep a written height as it is
        ws.row_dimensions[r].height = 15 * estimate_lines(str(values[4]), 90) + 3
    fit_a4_landscape(ws)  # 125 characters wide: one A4 landscape page at 100 %
    ws.print_title_rows = "4:4"
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    ws.protection.sheet = True
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == REQUEST_SHEET


def write_sendbacks(master: Master, result: Any, folder: Path, blank: BlankWorkbook,
                    issues: List[Issue]) -> Dict[str, Path]:
    """One 差戻し workbook per department whose current return needs fixing (see :func:`write_copies`)."""
    return write_copies(result, folder, lambda ret: build_sendback(master, ret, blank),
                        lambda row: sendback_filename(master, row.department.name), issues,
                        f"{master_fingerprint(master)}|{template_version()}")  # the templates lay the copy out


def write_copies(result: Any, folder: Path, build: Callable[[Return], Any], filename: Callable[[Any], str],
                 issues: List[Issue], made_from: str) -> Dict[str, Path]:
    """One copy per respondent whose current return needs fixing, built by ``build(return)``
    and named ``filename(roster row)``; respondent id -> path. Old copies of respondents
    that have since fixed their return are removed (either layout: both have ``_meta``).

    A copy this tool wrote from the same return, issues, tool version and ``made_from`` (what
    else a copy is made from: the master's :func:`~.contract.master_fingerprint`, and the
    templates where they lay the copy out) is kept as it is: a survey folder collects after
    every arrival, and a copy takes tens of milliseconds to build.

    A copy that cannot be written (``output_unwritable``) or an old one that cannot be
    removed (``output_not_removed``) is added to ``issues``; the other copies are still written.
    """
    written: Dict[str, Path] = {}
    failed: Set[str] = set()
    for row in result.roster:
        ret: Optional[Return] = row.current
        if ret is None or ret.status != ReturnStatus.NEEDS_FIX or not ret.respondent_id:
            continue
        path = folder / filename(row)
        digest = copy_digest(ret, made_from)
        if copy_made_from(path) == digest:
            written[ret.respondent_id] = path
            continue
        workbook = build(ret)
        workbook.properties.identifier, workbook.properties.lastModifiedBy = COPY_MARK + digest, COPY_AUTHOR
        with OutputGuard(issues, f"{folder.name}/{path.name}") as guard:
            atomic_write(path, workbook.save)
        if guard.ok:
            written[ret.respondent_id] = path
        else:
            failed.add(path.name)  # already reported; removing it would fail the same way
    if folder.is_dir():
        keep = {p.name for p in written.values()} | failed
        for path in folder.glob("*.xlsx"):
            if path.name not in keep and is_generated_workbook(path):
                # a respondent that has since fixed its return: its old copy must not be mailed
                with OutputGuard(issues, f"{folder.name}/{path.name}", code="output_not_removed"):
                    path.unlink()
    return written


COPY_MARK = "welfare_workbook:差戻し:"  # the copy's identifier (document properties): what it was made from
COPY_AUTHOR = "welfare_workbook"  # last saved by: Excel puts the person's name here


def copy_digest(ret: Return, made_from: str) -> str:
    """What a copy is made from: the return's typed cells and name, its issues (their
    messages name the cells), the tool's version and ``made_from`` (master, templates)."""
    import hashlib
    import pickle

    cells = [(c.sheet, c.row, c.col, c.row_key, c.field, c.raw) for c in ret.cells]
    found = [(i.code, i.severity, i.sheet, i.cell, i.message) for i in ret.issues]
    data = pickle.dumps((__version__, made_from, ret.file, cells, found), protocol=4)
    return hashlib.sha256(data).hexdigest()


def copy_made_from(path: Path) -> Optional[str]:
    """The digest an existing copy was made from, when this tool saved it last; None otherwise.
    Excel records the person who saved a file, so a copy edited in Excel is made again
    (LibreOffice without a user name keeps the mark: such an edit is kept until the return changes)."""
    import re
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read("docProps/core.xml").decode("utf-8")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError, UnicodeDecodeError):
        return None
    author = re.search(r"<cp:lastModifiedBy>([^<]*)</cp:lastModifiedBy>", core)
    mark = re.search(r"<dc:identifier>" + re.escape(COPY_MARK) + r"([0-9a-f]{64})</dc:identifier>", core)
    return mark.group(1) if mark and author and author.group(1) == COPY_AUTHOR else None
