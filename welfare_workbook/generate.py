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
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from . import __version__
from . import issues as iss
from .excel import (
    ERROR_FILL, HEADER_FILL, INPUT_FILL, LOCKED_FILL, MISSING_FILL,
    StyleCache, atomic_write, estimate_lines, fit_a4_landscape, safe_filename,
)
from .issues import IssueList
from .master import Action, Department, Indicator, Master, cell_text, circled, column_letter
from .spec import SheetSpec, load_lists, load_specs, sheet_order, template_version
from .wareki import date_label, fiscal_year_label, short_label

META_SHEET = "_meta"
LISTS_SHEET = "_lists"
GUIDE_SHEET = "記入方法"
OTHER_SHEET = "その他の取組"
META_MARKER = "welfare_workbook_meta"
META_FORMAT = "1"
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
MISSING_TEXT = "未入力"
INPUT_NUMBER_LIMIT = 999_999_999_999

__all__ = ["ItemRow", "GeneratedWorkbook", "GenerateResult", "build_workbook", "generate", "survey_id"]


@dataclass(frozen=True)
class ItemRow:
    """One row of a survey sheet: what it asks about, and the locked context shown."""

    key: str  # stable row key stored in _meta, e.g. "IND:3:K01"
    item_id: str  # 指標No or 取組No as text
    context: Dict[str, str]
    value_type: str = "text"  # input type of an "indicator" column: integer/decimal/text


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
class GenerateResult:
    workbooks: List[GeneratedWorkbook]
    issues: IssueList

    def to_dict(self) -> Dict[str, Any]:
        return {"workbooks": [w.to_dict() for w in self.workbooks], "issues": self.issues.to_list()}


def survey_id(master: Master) -> str:
    """Stable id of a survey: the same master always gives the same id."""
    s = master.settings
    text = "|".join((s.municipality, s.plan_name, s.survey_name, str(s.fiscal_year)))
    return "S" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def year_labels(fiscal_year: int) -> Dict[str, str]:
    return {
        "year": fiscal_year_label(fiscal_year),
        "prev1": fiscal_year_label(fiscal_year - 1),
        "prev2": fiscal_year_label(fiscal_year - 2),
        "year_short": short_label(fiscal_year),
    }


# ---------------------------------------------------------------------------
# items: which rows a respondent gets


def _with_year(value: str, year: str) -> str:
    return f"{value}\n（{year}）" if value and year else value


def _indicator_row(master: Master, ind: Indicator, dept: str) -> ItemRow:
    year = master.settings.fiscal_year
    prev1 = master.result(year - 1, dept, indicator=ind.no)
    prev2 = master.result(year - 2, dept, indicator=ind.no)
    refs = "".join(circled(n) for n in ind.actions)
    context = {
        "no": str(ind.no),
        "measure": master.measures[ind.measure_id].label,
        "name": ind.name + (f"\n{refs}" if refs else ""),
        "unit": ind.unit,
        "baseline": _with_year(ind.baseline, ind.baseline_year),
        "target": _with_year(ind.target, ind.target_year),
        "prev2_value": prev2.value if prev2 else "",
        "prev2_content": prev2.content if prev2 else "",
        "prev1_value": prev1.value if prev1 else "",
        "prev1_content": prev1.content if prev1 else "",
    }
    value_type = {"整数": "integer", "小数": "decimal"}.get(ind.type, "text")
    return ItemRow(f"IND:{ind.no}:{dept}", str(ind.no), context, value_type)


def _departments_text(master: Master, action: Action) -> str:
    names = [master.departments[d].name for d in action.departments]
    return "、".join([f"{names[0]}（主）"] + names[1:])


def _action_row(master: Master, action: Action, dept: str) -> ItemRow:
    year = master.settings.fiscal_year
    prev1 = master.result(year - 1, dept, action=action.no)
    prev2 = master.result(year - 2, dept, action=action.no)
    context = {
        "no": str(action.no),
        "measure": master.measures[action.measure_id].label,
        "name": action.name,
        "content": action.content,
        "departments": _departments_text(master, action),
        "page": action.page,
        "prev2_content": prev2.content if prev2 else "",
        "prev1_content": prev1.content if prev1 else "",
    }
    return ItemRow(f"ACT:{action.no}:{dept}", str(action.no), context)


def items_for(master: Master, spec: SheetSpec, dept_id: str) -> List[ItemRow]:
    """The rows of ``spec`` for one respondent, in plan order."""
    if spec.items == "indicators":
        return [_indicator_row(master, i, dept_id) for i in master.indicators_for(dept_id)]
    if spec.items == "actions":
        return [_action_row(master, a, dept_id) for a in master.actions_for(dept_id)]
    return [_action_row(master, a, dept_id) for a in master.other_actions_for(dept_id)]


def sheets_for(master: Master, dept_id: str) -> List[SheetSpec]:
    """Survey sheets this respondent gets (enabled and non-empty), in workbook order."""
    specs = load_specs()
    names = sheet_order(list(master.settings.sheets))
    if "取組状況" in master.settings.sheets:  # その他の取組 accompanies the 取組状況 report
        names.append(OTHER_SHEET)
    return [specs[n] for n in names if items_for(master, specs[n], dept_id)]


def locked_values(spec: SheetSpec, item: ItemRow) -> List[str]:
    """The locked texts of an item's row, in column order (what the row hash covers)."""
    return [item.context.get(col.source or "", "") for col in spec.locked_columns]


def layout_for(master: Master, dept_id: str) -> Dict[str, List[tuple]]:
    """Where each item of a respondent sits: sheet -> [(row, ItemRow, row hash)].

    The same rows the writer produces; used to identify returns that lost their
    _meta and to say which locked cell was edited.
    """
    layout = {}
    for spec in sheets_for(master, dept_id):
        rows = items_for(master, spec, dept_id)
        layout[spec.name] = [(FIRST_ROW + i, item, row_hash(locked_values(spec, item))) for i, item in enumerate(rows)]
    return layout


# ---------------------------------------------------------------------------
# styles (created once; openpyxl shares identical styles)


class _Styles(StyleCache):
    def __init__(self) -> None:
        from openpyxl.styles import Alignment, PatternFill, Protection

        StyleCache.__init__(self)
        self.header_align = Alignment(wrap_text=True, vertical="center", horizontal="center")
        self.input_fill = PatternFill("solid", fgColor=INPUT_FILL)
        self.locked_fill = PatternFill("solid", fgColor=LOCKED_FILL)
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.missing_fill = PatternFill("solid", fgColor=MISSING_FILL)
        self.error_fill = PatternFill("solid", fgColor=ERROR_FILL)
        self.unlocked = Protection(locked=False)
        self.locked = Protection(locked=True)


# ---------------------------------------------------------------------------
# sheet writers


def _print_setup(ws: Any, last_col: int, last_row: int, header: Optional[str], dept: str) -> None:
    fit_a4_landscape(ws)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if header:
        ws.print_title_rows = header
    ws.print_area = f"A1:{column_letter(last_col)}{last_row}"
    ws.oddHeader.right.text = dept
    ws.oddFooter.center.text = "&P / &N"


def _protect(ws: Any, password: str) -> None:
    ws.protection.sheet = True
    # departments may resize rows and columns to read long text; nothing else
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    if password:
        ws.protection.password = password


def _required_conditions(spec: SheetSpec, row: int) -> Dict[str, str]:
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


def _validations(ws: Any, spec: SheetSpec, items: Sequence[ItemRow], years: Dict[str, str]) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = load_lists()
    last = FIRST_ROW + len(items) - 1
    for col in spec.input_columns:
        letter = column_letter(spec.index(col.id))
        prompt = col.help_for(years)[:255]  # Excel's limit for input messages
        title = col.label_for(years)[:32]
        if col.choices:
            choice_list = lists[col.choices]
            dv = DataValidation(
                type="list", formula1=choice_list.name, allow_blank=True,
                errorTitle="一覧から選んでください",
                error=f"{choice_list.label}は {' ／ '.join(choice_list.values)} から選んでください。"[:255],
            )
            dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
            groups = [dv]
        elif col.type in ("integer", "decimal", "indicator"):
            groups = []
            by_type: Dict[str, List[int]] = {}
            for offset, item in enumerate(items):
                kind = item.value_type if col.type == "indicator" else col.type
                by_type.setdefault(kind, []).append(FIRST_ROW + offset)
            for kind, rows in by_type.items():
                if kind == "text":
                    dv = DataValidation(allow_blank=True)
                else:
                    word = "整数" if kind == "integer" else "数値"
                    dv = DataValidation(
                        type="whole" if kind == "integer" else "decimal", operator="between",
                        formula1=str(-INPUT_NUMBER_LIMIT), formula2=str(INPUT_NUMBER_LIMIT), allow_blank=True,
                        errorStyle="warning", errorTitle=f"{word}を入力してください",
                        error=f"半角の{word}のみを入力してください（単位・カンマは不要です）。"
                              "該当がない場合だけ「―」を入力し、この確認で「はい」を選んでください。",
                    )
                for row in rows:
                    dv.add(f"{letter}{row}")
                groups.append(dv)
        else:
            dv = DataValidation(allow_blank=True)
            dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
            groups = [dv]
        for dv in groups:
            dv.showInputMessage = True
            dv.showErrorMessage = True
            dv.promptTitle = title
            dv.prompt = prompt
            ws.add_data_validation(dv)


def row_hash(values: Sequence[Any]) -> str:
    """Hash of a row's locked texts; identical whichever program saved the file."""
    text = "\x1f".join(cell_text(v) for v in values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _survey_sheet(wb: Any, spec: SheetSpec, items: Sequence[ItemRow], master: Master, dept: Department,
                  st: _Styles, years: Dict[str, str]) -> List[List[Any]]:
    """Write one survey sheet; returns its _meta rows (sheet, row, key, hash)."""
    from openpyxl.formatting.rule import FormulaRule

    ws = wb.create_sheet(spec.name)
    settings = master.settings
    ncols = len(spec.columns)
    last_row = FIRST_ROW + len(items) - 1
    fmt = {"survey": settings.survey_name, "department": dept.name, **years}

    ws["A1"] = spec.title.format(**fmt)
    ws["A1"].font = st.title
    deadline = date_label(settings.deadline) if settings.deadline else ""
    ws["A2"] = f"回答課：{dept.name}　　対象年度：{years['year']}　　提出期限：{deadline}　　提出先：{settings.secretariat}"
    ws["A2"].font = st.bold
    ws["A3"] = spec.note.format(**fmt)
    ws["A3"].font = st.font
    ws["A3"].alignment = st.wrap
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncols)
    ws.row_dimensions[3].height = 30

    for index, col in enumerate(spec.columns, start=1):
        cell = ws.cell(HEADER_ROW, index, col.label_for(years))
        cell.font, cell.fill, cell.border, cell.alignment = st.bold, st.header_fill, st.border, st.header_align
        ws.column_dimensions[column_letter(index)].width = col.width
    ws.row_dimensions[HEADER_ROW].height = 40

    meta_rows = []
    for offset, item in enumerate(items):
        row = FIRST_ROW + offset
        conditions = _required_conditions(spec, row)
        locked_values = []
        lines = 3  # room to type in the input cells
        for index, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row, index)
            align = st.wrap_center if col.align == "center" else st.wrap
            if col.input:
                kind = item.value_type if col.type == "indicator" else col.type
                number_format = "General" if kind in ("integer", "decimal") else "@"
                st.apply(cell, ("input", col.align, number_format), border=st.border, font=st.font, alignment=align,
                         fill=st.input_fill, protection=st.unlocked, number_format=number_format)
            elif col.check:
                if conditions:
                    cell.value = f'=IF(OR({",".join(conditions.values())}),"{MISSING_TEXT}","")'
                st.apply(cell, ("check", col.align), border=st.border, font=st.red, alignment=align)
            else:
                value = item.context.get(col.source or "", "")
                cell.value = value if value != "" else None
                st.apply(cell, ("locked", col.align), border=st.border, font=st.font, alignment=align,
                         fill=st.locked_fill, protection=st.locked)
                locked_values.append(value)
                lines = max(lines, estimate_lines(value, col.width))
        ws.row_dimensions[row].height = min(409, 13.5 * lines + 4)
        meta_rows.append([spec.name, row, item.key, row_hash(locked_values)])

    # required inputs still empty are shaded, so a department sees its own gaps
    for col_id in _required_conditions(spec, FIRST_ROW):
        letter = column_letter(spec.index(col_id))
        condition = _required_conditions(spec, FIRST_ROW)[col_id]
        ws.conditional_formatting.add(
            f"{letter}{FIRST_ROW}:{letter}{last_row}", FormulaRule(formula=[condition], fill=st.missing_fill)
        )
    _validations(ws, spec, items, years)
    ws.freeze_panes = f"A{FIRST_ROW}"
    _print_setup(ws, ncols, last_row, f"{HEADER_ROW}:{HEADER_ROW}", dept.name)
    _protect(ws, settings.password)
    return meta_rows


def _guide_sheet(wb: Any, master: Master, dept: Department, counts: Dict[str, int], st: _Styles,
                 years: Dict[str, str]) -> None:
    s = master.settings
    ws = wb.active
    ws.title = GUIDE_SHEET
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 90
    ws["A1"] = f"{s.survey_name}　記入方法"
    ws["A1"].font = st.title
    facts = [
        ("自治体名", s.municipality), ("計画名", s.plan_name), ("調査名", s.survey_name),
        ("対象年度", years["year"]), ("回答課", dept.name),
        ("提出期限", date_label(s.deadline) if s.deadline else ""), ("提出先（事務局）", s.secretariat),
        ("連絡先", s.contact),
    ]
    row = 3
    for label, value in facts:
        ws.cell(row, 1, label).font = st.bold
        ws.cell(row, 2, value).font = st.font
        row += 1
    row += 1
    ws.cell(row, 1, "記入のしかた").font = st.bold
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
        ws.cell(row, 1, f"{number}.").alignment = st.wrap_center
        cell = ws.cell(row, 2, text)
        cell.font, cell.alignment = st.font, st.wrap
    row += 2
    ws.cell(row, 1, "セルの色").font = st.bold
    for fill, text in ((st.input_fill, "入力するセル"), (st.locked_fill, "変更できないセル（記入済みの情報）"),
                       (st.missing_fill, "まだ入力されていない必須項目")):
        row += 1
        ws.cell(row, 1).fill = fill
        ws.cell(row, 1).border = st.border
        ws.cell(row, 2, text).font = st.font
    row += 2
    ws.cell(row, 1, "回答するシート").font = st.bold
    for name, count in counts.items():
        row += 1
        ws.cell(row, 1, name).font = st.font
        ws.cell(row, 2, f"{count} 件").font = st.font
    _print_setup(ws, 2, row, None, dept.name)
    ws.page_setup.orientation = "portrait"
    _protect(ws, s.password)


def _lists_sheet(wb: Any) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    ws = wb.create_sheet(LISTS_SHEET)
    for index, choice_list in enumerate(load_lists().values(), start=1):
        letter = column_letter(index)
        ws.cell(1, index, choice_list.label)
        for offset, value in enumerate(choice_list.values, start=2):
            ws.cell(offset, index, value)
        ref = f"{LISTS_SHEET}!${letter}$2:${letter}${len(choice_list.values) + 1}"
        wb.defined_names[choice_list.name] = DefinedName(choice_list.name, attr_text=ref)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def _meta_sheet(wb: Any, master: Master, dept: Department, specs: Sequence[SheetSpec],
                rows: List[List[Any]], generated_at: dt.datetime, years: Dict[str, str]) -> None:
    ws = wb.create_sheet(META_SHEET)
    s = master.settings
    pairs: List[List[Any]] = [
        [META_MARKER, META_FORMAT],
        ["survey_id", survey_id(master)],
        ["survey_name", s.survey_name],
        ["municipality", s.municipality],
        ["plan_name", s.plan_name],
        ["fiscal_year", s.fiscal_year],
        ["respondent_id", dept.id],
        ["respondent", dept.name],
        ["template_version", template_version()],
        ["tool_version", __version__],
        ["generated_at", generated_at.isoformat(timespec="seconds")],
        ["sheets", ",".join(spec.name for spec in specs)],
        ["header_row", HEADER_ROW],
        ["first_row", FIRST_ROW],
    ]
    for spec in specs:
        pairs.append([f"columns:{spec.name}", ",".join(c.id for c in spec.columns)])
        header = [c.label_for(years) for c in spec.columns]
        sheet_rows = [r for r in rows if r[0] == spec.name]
        pairs.append([f"hash:{spec.name}", row_hash(header + [r[3] for r in sheet_rows])])
    for pair in pairs:
        ws.append(pair)
    ws.append([])
    ws.append(["sheet", "row", "row_key", "row_hash"])
    for row in rows:
        ws.append(row)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def build_workbook(master: Master, dept: Department, *, generated_at: Optional[dt.datetime] = None) -> Any:
    """The workbook of one respondent (pure: nothing is written to disk)."""
    from openpyxl import Workbook
    from openpyxl.workbook.protection import WorkbookProtection

    generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
    years = year_labels(master.settings.fiscal_year)
    st = _Styles()
    wb = Workbook()
    specs = sheets_for(master, dept.id)
    items = {spec.name: items_for(master, spec, dept.id) for spec in specs}
    _guide_sheet(wb, master, dept, {name: len(rows) for name, rows in items.items()}, st, years)
    meta_rows: List[List[Any]] = []
    for spec in specs:
        meta_rows.extend(_survey_sheet(wb, spec, items[spec.name], master, dept, st, years))
    _lists_sheet(wb)
    _meta_sheet(wb, master, dept, specs, meta_rows, generated_at, years)
    wb.active = 1 if len(wb.sheetnames) > 2 else 0
    # a structure lock stops sheets being renamed, deleted or unhidden
    wb.security = WorkbookProtection(lockStructure=True)
    if master.settings.password:
        wb.security.workbookPassword = master.settings.password
    wb.properties.creator = "welfare_workbook"
    wb.properties.title = f"{master.settings.survey_name}（{dept.name}）"
    wb.properties.subject = master.settings.plan_name
    return wb


def workbook_filename(master: Master, dept: Department, taken: set) -> str:
    """'福祉政策課_令和6年度 進捗状況調査.xlsx'; the 課ID is added only to break a tie."""
    stem = safe_filename(f"{dept.name}_{master.settings.survey_name}")
    if stem.lower() in taken:
        stem = safe_filename(f"{dept.name}({dept.id})_{master.settings.survey_name}")
    taken.add(stem.lower())
    return stem + ".xlsx"


def is_generated_workbook(path: Path) -> bool:
    """True when ``path`` is a workbook written by this tool (it has a _meta sheet)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return f'name="{META_SHEET}"'.encode() in zf.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


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
    if out_dir.exists():
        names = {path.name for _, path in planned}
        for path in sorted(out_dir.glob("*.xlsx")):
            if path.name in names or path.name.startswith("~$"):
                continue
            if is_generated_workbook(path):
                path.unlink()
                issues.add(iss.make("generate_removed_stale", file=path.name))
            else:
                issues.add(iss.make("generate_foreign_file", file=path.name))
    workbooks = []
    generated_at = generated_at or dt.datetime.now().replace(microsecond=0)
    for number, (dept, path) in enumerate(planned, start=1):
        wb = build_workbook(master, dept, generated_at=generated_at)
        try:
            atomic_write(path, wb.save)
        except OSError as exc:
            issues.add(iss.make("generate_unwritable", file=path.name, detail=exc.strerror or str(exc)))
            continue
        counts = {name: _count_items(wb, name) for name in wb.sheetnames if name not in (GUIDE_SHEET, LISTS_SHEET, META_SHEET)}
        workbooks.append(GeneratedWorkbook(dept.id, dept.name, path, sum(counts.values()), counts))
        if progress:
            progress(number, len(planned))
    return GenerateResult(workbooks, issues)


def _count_items(wb: Any, sheet: str) -> int:
    return max(0, wb[sheet].max_row - HEADER_ROW)
