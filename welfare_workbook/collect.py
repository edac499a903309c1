"""Find, open, identify and read returned workbooks — fast and read-only.

Returns are read with python-calamine (values only, never written back); the zip is
inspected directly for what calamine does not expose (saved time, validations, macros).
Every file, however broken, becomes a :class:`Return` with issues; nothing raises.

The pipeline: :func:`find_files` -> :func:`read_return` (identify by ``_meta``,
check structure, read and normalise input cells) -> :func:`pick_current` (one return
per respondent, the newest wins).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from . import issues as iss
from .generate import (
    FIRST_ROW, HEADER_ROW, META_MARKER, META_SHEET, ItemRow, layout_for, row_hash, survey_id, year_labels,
)
from .issues import ERROR, Issue
from .master import Master, cell_text, column_letter
from .normalize import (
    NA_VALUE, cell_value, is_na, normalize_choice, normalize_number, normalize_text, same_as_kind,
)
from .spec import SheetSpec, load_specs, template_version
from .wareki import fiscal_year_label

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # zip-bomb guard, checked before inflating

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


# ---------------------------------------------------------------------------
# finding files


def find_files(sources: Sequence[Path]) -> Tuple[List[Tuple[Path, str]], List[Issue]]:
    """Files to read, with the name shown to users, and notes on what was skipped.

    Folders are searched recursively for workbook-like files; a file named on the
    command line is always examined, whatever its suffix.
    """
    found: List[Tuple[Path, str]] = []
    notes: List[Issue] = []
    seen = set()
    for source in sources:
        source = Path(source)
        if source.is_dir():
            candidates = sorted(p for p in source.rglob("*") if p.is_file())
            base = source
        else:
            candidates, base = [source], source.parent
        for path in candidates:
            shown = str(path.relative_to(base)) if path != source else path.name
            key = os.path.normcase(str(path.resolve()))
            if key in seen:
                continue
            seen.add(key)
            if path.name.startswith("~$"):
                notes.append(iss.make("file_lock_skipped", file=shown))
            elif source.is_dir() and path.suffix.lower() not in WORKBOOK_SUFFIXES:
                if not path.name.startswith("."):
                    notes.append(iss.make("file_ignored", file=shown))
            else:
                found.append((path, shown))
    return found, notes


# ---------------------------------------------------------------------------
# zip inspection (what calamine does not tell)


_MODIFIED_RE = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")
_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?name=\"([^\"]*)\"[^>]*?r:id=\"([^\"]+)\"")
_SHEET_RE2 = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?r:id=\"([^\"]+)\"[^>]*?name=\"([^\"]*)\"")
_REL_RE = re.compile(rb"<Relationship\b[^>]*?Id=\"([^\"]+)\"[^>]*?Target=\"([^\"]+)\"")
_REL_RE2 = re.compile(rb"<Relationship\b[^>]*?Target=\"([^\"]+)\"[^>]*?Id=\"([^\"]+)\"")
_DV_RE = re.compile(rb"<(?:\w+:)?dataValidation\b([^>]*)>(.*?)</(?:\w+:)?dataValidation>", re.S)
_SQREF_ATTR_RE = re.compile(rb"sqref=\"([^\"]+)\"")
_SQREF_ELEM_RE = re.compile(rb"<xm:sqref>([^<]+)</xm:sqref>")
_FORMULA_CELL_RE = re.compile(rb"<(?:\w+:)?c r=\"([A-Z]+\d+)\"[^>]*><(?:\w+:)?f\b")


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


@dataclass
class ZipFacts:
    saved: Optional[dt.datetime]
    has_macros: bool
    list_cells: Dict[str, set]  # sheet name -> {(col, row)} covered by a list validation
    formula_cells: Dict[str, set] = field(default_factory=dict)  # sheet name -> {(col, row)} holding a formula


def _ranges(sqref: str) -> Iterable[Tuple[int, int, int, int]]:
    for part in sqref.split():
        a, _, b = part.partition(":")
        c1, r1 = _split_ref(a)
        c2, r2 = _split_ref(b or a)
        yield c1, r1, c2, r2


def _split_ref(ref: str) -> Tuple[int, int]:
    match = re.match(r"\$?([A-Z]+)\$?(\d+)", ref)
    if not match:
        return 0, 0
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return col, int(match.group(2))


def inspect_zip(zf: zipfile.ZipFile, wanted_sheets: Iterable[str]) -> ZipFacts:
    """Saved time, macros, and which cells of ``wanted_sheets`` carry a list validation.

    Validations may sit in the main element or, after an Excel re-save, in an x14
    extension element; both forms are read.
    """
    names = set(zf.namelist())
    saved = None
    if "docProps/core.xml" in names:
        match = _MODIFIED_RE.search(zf.read("docProps/core.xml"))
        if match:
            try:
                saved = dt.datetime.fromisoformat(match.group(1).decode().strip().replace("Z", "+00:00"))
            except ValueError:
                saved = None
    workbook = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    targets = {rid: target for rid, target in _REL_RE.findall(rels)}
    targets.update({rid: target for target, rid in _REL_RE2.findall(rels)})
    sheets = {name: rid for name, rid in _SHEET_RE.findall(workbook)}
    sheets.update({name: rid for rid, name in _SHEET_RE2.findall(workbook)})
    list_cells: Dict[str, set] = {}
    formula_cells: Dict[str, set] = {}
    for wanted in wanted_sheets:
        rid = sheets.get(_xml_escape(wanted).encode("utf-8"))
        target = targets.get(rid or b"")
        if not target:
            continue
        part = target.decode()
        part = part.lstrip("/") if part.startswith("/") else "xl/" + part
        if part not in names:
            continue
        xml = zf.read(part)
        cells: set = set()
        for attrs, body in _DV_RE.findall(xml):
            if b'type="list"' not in attrs:
                continue
            sqref = _SQREF_ATTR_RE.search(attrs)
            refs = sqref.group(1) if sqref else b""
            elem = _SQREF_ELEM_RE.search(body)
            if elem:
                refs += b" " + elem.group(1)
            for c1, r1, c2, r2 in _ranges(refs.decode()):
                for col in range(c1, c2 + 1):
                    for row in range(r1, min(r2, r1 + 5000) + 1):
                        cells.add((col, row))
        list_cells[wanted] = cells
        formula_cells[wanted] = {_split_ref(ref.decode()) for ref in _FORMULA_CELL_RE.findall(xml)}
    return ZipFacts(saved, "xl/vbaProject.bin" in names, list_cells, formula_cells)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# ---------------------------------------------------------------------------
# reading one return


def _meta(rows: List[List[Any]]) -> Tuple[Dict[str, Any], List[Tuple[str, int, str, str]]]:
    pairs: Dict[str, Any] = {}
    table: List[Tuple[str, int, str, str]] = []
    in_table = False
    for row in rows:
        cells = [cell_value(v) for v in row] + ["", "", "", ""]
        if not in_table:
            if cells[0] == "sheet" and cells[2] == "row_key":
                in_table = True
            elif cells[0] != "":
                pairs[str(cells[0])] = cells[1]
        elif cells[0] != "":
            try:
                table.append((str(cells[0]), int(cells[1]), str(cells[2]), str(cells[3])))
            except (TypeError, ValueError):
                continue
    return pairs, table


def _first_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(8)


def _classify(path: Path, ret: Return) -> Optional[zipfile.ZipFile]:
    """Open the zip of a real .xlsx; for anything else record why not and return None."""
    try:
        size = path.stat().st_size
        head = _first_bytes(path) if size else b""
    except OSError as exc:
        ret.add("file_unreadable", detail=exc.strerror or str(exc))
        return None
    if size == 0:
        ret.add("file_empty")
        return None
    if head == OLE_MAGIC:
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            ret.add("file_encrypted")
        else:
            ret.add("file_xls")
        return None
    if not head.startswith(b"PK"):
        kind = {".csv": "CSV などのテキスト", ".pdf": "PDF"}.get(path.suffix.lower(), "別の形式のファイル")
        if head.startswith(b"%PDF"):
            kind = "PDF"
        ret.add("file_not_workbook", detail=kind)
        return None
    try:
        zf = zipfile.ZipFile(path)
        names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        ret.add("file_corrupt", detail=f"zip として読めません: {exc}"[:100])
        return None
    if "mimetype" in names and b"opendocument" in zf.read("mimetype"):
        ret.add("file_ods")
        zf.close()
        return None
    if "xl/workbook.bin" in names:
        ret.add("file_xlsb")
        zf.close()
        return None
    if "xl/workbook.xml" not in names:
        ret.add("file_not_workbook", detail="Excel ブックの構成がありません")
        zf.close()
        return None
    total = sum(info.file_size for info in zf.infolist())
    if total > MAX_UNCOMPRESSED:
        ret.add("file_too_large", size=total // (1024 * 1024), limit=MAX_UNCOMPRESSED // (1024 * 1024))
        zf.close()
        return None
    return zf


def read_return(path: Path, shown: str, master: Master) -> Return:
    """Read one returned file. Never raises: every problem is an issue on the Return."""
    ret = Return(path=path, file=shown)
    try:
        ret.mtime = path.stat().st_mtime
    except OSError:
        pass
    zf = _classify(path, ret)
    if zf is None:
        return ret
    try:
        with zf:
            _read_workbook(path, zf, ret, master)
    except Exception as exc:  # a malformed part must not stop the other files
        ret.add("file_corrupt", detail=f"{type(exc).__name__}: {exc}"[:120])
        ret.readable = False
        ret.cells.clear()
    return ret


def _read_workbook(path: Path, zf: zipfile.ZipFile, ret: Return, master: Master) -> None:
    import python_calamine as calamine

    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken parts
        ret.add("file_corrupt", detail=f"{type(exc).__name__}: {exc}"[:120])
        return
    specs = load_specs()
    sheet_names = list(book.sheet_names)
    if META_SHEET in sheet_names:
        meta, table = _meta(book.get_sheet_by_name(META_SHEET).to_python(skip_empty_area=False))
        if meta.get(META_MARKER) is None and not table:
            meta = {}
    else:
        meta, table = {}, []
    if not meta:
        if not _identify_by_content(book, sheet_names, ret, master):
            ret.add("meta_missing")
            return
        layout = layout_for(master, ret.respondent_id or "")
        table = [(sheet, row, item.key, digest) for sheet, rows in layout.items() for row, item, digest in rows]
        meta = {"sheets": ",".join(layout), "fiscal_year": master.settings.fiscal_year,
                "respondent_id": ret.respondent_id}
        meta.update({f"columns:{name}": ",".join(c.id for c in specs[name].columns) for name in layout})
    elif not _identify_by_meta(meta, ret, master):
        return
    _check_file_name(ret, master)
    survey_sheets = [s for s in str(meta.get("sheets", "")).split(",") if s]
    facts = inspect_zip(zf, survey_sheets)
    ret.saved = facts.saved
    if facts.has_macros:
        ret.add("file_macro")
    years = year_labels(master.settings.fiscal_year)
    expected_items = _ExpectedItems(master, ret.respondent_id or "")
    for sheet in survey_sheets:
        if sheet not in specs:
            continue
        if sheet not in sheet_names:
            ret.add("sheet_missing", sheet=sheet)
            continue
        columns = str(meta.get(f"columns:{sheet}", "")).split(",")
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        expected = [(row, key, digest) for s, row, key, digest in table if s == sheet]
        _read_sheet(ret, specs[sheet], columns, rows, expected, expected_items, master,
                    facts.list_cells.get(sheet), years, facts.formula_cells.get(sheet))
    ret.readable = True


def _identify_by_meta(meta: Dict[str, Any], ret: Return, master: Master) -> bool:
    ret.respondent_id = str(meta.get("respondent_id") or "") or None
    dept = master.departments.get(ret.respondent_id or "")
    ret.respondent = dept.name if dept else str(meta.get("respondent") or "") or None
    year = cell_value(meta.get("fiscal_year"))
    settings = master.settings
    # the same plan's survey of another year (e.g. last year's form reused): the
    # survey name usually carries the year, so the plan identifies the lineage
    same_plan = meta.get("municipality") == settings.municipality and meta.get("plan_name") == settings.plan_name
    if year != settings.fiscal_year and isinstance(year, int) and (same_plan or meta.get("survey_id") == survey_id(
            replace(master, settings=replace(settings, fiscal_year=year)))):
        found = fiscal_year_label(year) if 1989 <= year <= 2200 else str(year)
        ret.add("wrong_year", found=found, expected=master.settings.fiscal_year_label)
        return False
    if meta.get("survey_id") != survey_id(master):  # another survey (whatever its year)
        ret.add("wrong_survey", found=meta.get("survey_name") or meta.get("survey_id"),
                expected=master.settings.survey_name)
        ret.respondent_id = None
        return False
    if ret.respondent_id not in {d.id for d in master.respondents()}:
        ret.add("unknown_respondent", value=f"{ret.respondent_id} {ret.respondent or ''}".strip())
        ret.respondent_id = None
        return False
    if meta.get("template_version") != template_version():
        ret.add("old_template", found=meta.get("template_version"))
    return True


def _identify_by_content(book: Any, sheet_names: List[str], ret: Return, master: Master) -> bool:
    """A return without _meta: the 回答課 line under each sheet title names the department."""
    names = {d.name: d for d in master.respondents()}
    for sheet in sheet_names:
        if sheet not in load_specs():
            continue
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        line = str(rows[1][0]) if len(rows) > 1 and rows[1] else ""
        match = re.search(r"回答課[：:]\s*(\S+)", line)
        if match and match.group(1) in names:
            dept = names[match.group(1)]
            ret.respondent_id, ret.respondent = dept.id, dept.name
            ret.add("meta_matched_by_content")
            return True
    return False


def _check_file_name(ret: Return, master: Master) -> None:
    """Warn when the file name names another department (identification never uses it)."""
    stem = Path(ret.file).stem
    if ret.respondent and ret.respondent in stem:
        return
    named = [d.name for d in master.departments.values() if d.name and d.name in stem]
    if named:
        ret.add("name_mismatch", named=max(named, key=len))


class _ExpectedItems:
    """What the generator wrote for a respondent, built only when a row needs it."""

    def __init__(self, master: Master, dept_id: str) -> None:
        self.master, self.dept_id = master, dept_id
        self._items: Optional[Dict[Tuple[str, str], ItemRow]] = None

    def get(self, sheet: str, key: str) -> Optional[ItemRow]:
        if self._items is None:
            self._items = {(name, item.key): item for name, rows in layout_for(self.master, self.dept_id).items()
                           for _, item, _ in rows}
        return self._items.get((sheet, key))


CONTEXT_FIELDS = ("unit", "prev1_value", "prev1_content")  # locked values the checks look at


def _context_columns(spec: SheetSpec) -> List[Any]:
    """Locked columns kept per row: those 同左 refers to and those the rules compare with."""
    wanted = set(CONTEXT_FIELDS) | {c.same_as for c in spec.input_columns if c.same_as}
    return [c for c in spec.locked_columns if c.id in wanted]


def _item_info(master: Master, key: str) -> Tuple[str, str]:
    """(item id, input type of an indicator value) from a row key such as 'IND:3:K01'."""
    kind, _, rest = key.partition(":")
    item_id = rest.partition(":")[0]
    if kind == "IND" and item_id.isdigit():
        indicator = master.indicators.get(int(item_id))
        if indicator is not None:
            return item_id, {"整数": "integer", "小数": "decimal"}.get(indicator.type, "text")
    return item_id, "text"


def _read_sheet(ret: Return, spec: SheetSpec, columns: List[str], rows: List[List[Any]],
                expected: List[Tuple[int, str, str]], expected_items: _ExpectedItems, master: Master,
                list_cells: Optional[set], years: Dict[str, str], formula_cells: Optional[set] = None) -> None:
    position = {column_id: index for index, column_id in enumerate(columns, start=1)}
    check_col = next((position.get(c.id) for c in spec.columns if c.check), None)
    context_columns = _context_columns(spec)
    locked = [position.get(c.id) for c in spec.locked_columns]
    nrows = len(rows)

    def value(row: int, col: Optional[int]) -> Any:
        if not col or row < 1 or row > nrows:
            return ""
        line = rows[row - 1]
        if col > len(line):
            return ""
        found = line[col - 1]
        return found if type(found) is str else cell_value(found)

    def locked_hash(row: int) -> str:
        if row < 1 or row > nrows:
            return ""
        line = rows[row - 1]
        width = len(line)
        return row_hash([line[c - 1] if c and c <= width else "" for c in locked])

    # header labels
    for col in spec.columns:
        index = position.get(col.id)
        found = cell_text(value(HEADER_ROW, index))
        label = col.label_for(years)
        if index and found != label:
            ret.add("header_changed", sheet=spec.name, cell=f"{column_letter(index)}{HEADER_ROW}",
                    value=found, expected=label)

    hashes: Optional[Dict[str, List[int]]] = None  # built only when a row is out of place
    claimed = set()
    no_col = position.get("no", 1)
    for expected_row, key, digest in expected:
        item_id, value_type = _item_info(master, key)
        if locked_hash(expected_row) == digest:
            row = expected_row
        else:
            if hashes is None:
                hashes = {}
                for number in range(FIRST_ROW, nrows + 1):
                    hashes.setdefault(locked_hash(number), []).append(number)
            free = [r for r in hashes.get(digest, []) if r not in claimed]
            if free:
                row = free[0]
                ret.add("row_moved", sheet=spec.name, cell=f"A{row}", item=item_id, expected_row=expected_row,
                        row=row)
            elif cell_text(value(expected_row, no_col)) == item_id:
                row = expected_row
                item = expected_items.get(spec.name, key)
                for col, index in zip(spec.locked_columns, locked):
                    want = item.context.get(col.source or "", "") if item else None
                    if index and want is not None and cell_text(value(row, index)) != cell_text(want):
                        ret.add("locked_changed", sheet=spec.name, cell=f"{column_letter(index)}{row}",
                                value=cell_text(value(row, index)), expected=want[:60])
            else:
                ret.add("row_missing", sheet=spec.name, item=item_id, expected_row=expected_row)
                continue
        claimed.add(row)
        if check_col and formula_cells is not None and (check_col, row) not in formula_cells:
            ret.add("formula_overwritten", sheet=spec.name, cell=f"{column_letter(check_col)}{row}",
                    value=str(value(row, check_col))[:60])
        ret.context[(spec.name, key)] = {c.id: cell_text(value(row, position.get(c.id))) for c in context_columns}
        for col in spec.input_columns:
            index = position.get(col.id)
            if not index:
                continue
            kind = value_type if col.type == "indicator" else col.type
            ret.cells.append(InputCell(spec.name, row, index, col.id, key, item_id, value(row, index), value_type=kind))
            if col.choices and list_cells is not None and (index, row) not in list_cells:
                ret.add("validation_removed", sheet=spec.name, cell=f"{column_letter(index)}{row}")

    # anything typed into rows that belong to no item, or right of the table, is
    # reported, never dropped silently
    input_indexes = [position[c.id] for c in spec.input_columns if c.id in position]
    width = len(columns)
    for row in range(FIRST_ROW, nrows + 1):
        line = rows[row - 1]
        if row not in claimed:
            for index in input_indexes:
                found = value(row, index)
                if found != "":
                    ret.add("row_extra", sheet=spec.name, cell=f"{column_letter(index)}{row}", value=str(found)[:60])
        for index in range(width + 1, len(line) + 1):
            found = value(row, index)
            if found != "":
                ret.add("input_outside", sheet=spec.name, cell=f"{column_letter(index)}{row}", value=str(found)[:60])


# ---------------------------------------------------------------------------
# normalising the values read


def normalize_return(ret: Return, master: Master) -> None:
    """Clean every input value in place and log each change as an info issue."""
    specs = load_specs()
    previous: Dict[Tuple[str, str], Any] = {}  # (sheet, field) -> value of the row above
    for cell in ret.cells:
        raw = cell.raw
        spec = specs[cell.sheet]
        column = spec.column(cell.field)
        context = ret.context.get((cell.sheet, cell.row_key), {})
        where = dict(sheet=cell.sheet, cell=cell.cell)
        if raw == "":
            cell.value = ""
            previous[(cell.sheet, cell.field)] = ""
            continue
        source_raw = raw
        kind = same_as_kind(raw)
        if kind:
            referent, source = None, ""
            if kind == "left" and column.same_as and context.get(column.same_as):
                referent = context[column.same_as]
                source = spec.column(column.same_as).label_for(year_labels(master.settings.fiscal_year))
            elif kind == "above" and previous.get((cell.sheet, cell.field)) not in (None, ""):
                referent = previous[(cell.sheet, cell.field)]
                source = "上の行"
            if referent is None:
                ret.add("same_as_unresolved", raw=raw, **where)
                cell.value = str(raw)
                previous[(cell.sheet, cell.field)] = cell.value
                continue
            ret.add("same_as_resolved", raw=raw, value=str(referent)[:60], source=source, **where)
            source_raw = referent
        value, note = _normalize(source_raw, cell.value_type, column.choices, context.get("unit", ""))
        cell.value = value
        previous[(cell.sheet, cell.field)] = value
        if note and not kind:
            ret.add("normalized", raw=str(raw)[:60], value=str(value)[:60], detail=note, **where)


def _normalize(raw: Any, value_type: str, choices: Optional[str], unit: str) -> Tuple[Any, str]:
    if is_na(raw):
        return NA_VALUE, "" if raw == NA_VALUE else "「該当なし」を表す言葉として読み取りました"
    if choices:
        return normalize_choice(raw, choices)
    if value_type in ("integer", "decimal"):
        return normalize_number(raw, unit=unit, integer=value_type == "integer")
    return normalize_text(raw)


# ---------------------------------------------------------------------------
# one return per respondent


def pick_current(returns: List[Return]) -> None:
    """Mark older returns of the same respondent as superseded, with a value diff."""
    by_respondent: Dict[str, List[Return]] = {}
    for ret in returns:
        if ret.readable and ret.respondent_id:
            by_respondent.setdefault(ret.respondent_id, []).append(ret)
    for group in by_respondent.values():
        if len(group) < 2:
            continue
        group.sort(key=_recency, reverse=True)
        newest = group[0]
        current = {(c.sheet, c.row_key, c.field): c for c in newest.cells}
        for old in group[1:]:
            old.status = STATUS_OLD
            old.issues = [i for i in old.issues if i.severity != ERROR or i.code.startswith("file_")]
            old.add("superseded", newer=newest.file)
            for cell in old.cells:
                new = current.get((cell.sheet, cell.row_key, cell.field))
                if new is not None and cell_text(new.value) != cell_text(cell.value):
                    old.add("superseded_diff", sheet=cell.sheet, cell=new.cell, old=str(cell.value)[:60],
                            value=str(new.value)[:60])


def _recency(ret: Return) -> Tuple[float, float]:
    saved = ret.saved.timestamp() if ret.saved else 0.0
    return saved, ret.mtime
