"""Find, open, identify and read returned workbooks — fast and read-only.

Returns are read with python-calamine (values only, never written back); the zip is
inspected directly for what calamine does not expose (saved time, validations, macros).
Every file, however broken, becomes a :class:`Return` with issues; nothing raises.

The pipeline: :func:`find_files` -> :func:`read_return` (identify by ``_meta``,
check structure, read and normalise input cells) -> :func:`pick_current` (one return
per respondent, the newest wins).
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import errno
import functools
import operator
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import issues as iss
from .generate import (
    FIRST_ROW, HEADER_ROW, META_MARKER, META_SHEET, ROWS_PREFIX, ItemRow, layout_for, row_hash, survey_id,
    unpack_meta_rows, year_labels,
)
from .issues import ERROR, Issue
from .master import Master, cell_text, column_letter
from .normalize import (
    NA_VALUE, cell_value, clean_chars, is_clean_text, is_na, normalize_choice, normalize_number, normalize_text,
    same_as_kind,
)
from .spec import SheetSpec, load_specs, template_version
from .wareki import fiscal_year_label

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MIB = 1024 * 1024
# Limits on one return (README「回収の保証と上限」; collect --max-mb / --max-cells). A
# return is refused (an error issue, the other files go on) before it can use more.
MAX_UNCOMPRESSED = 200 * MIB  # size on disk, and all parts once inflated (zip-bomb guard)
MAX_CELLS = 1_000_000  # cells of one sheet as read (A1 to the farthest value), and shared strings
DEFLATE_MAX_RATIO = 1032  # deflate cannot inflate more than this: small zips need no inflating to check
MAX_VALIDATION_RANGES = 10_000  # list-validation ranges kept per sheet


@dataclass(frozen=True)
class Limits:
    """The limits applied to each return; defaults are the module constants at call time."""

    max_bytes: int = field(default_factory=lambda: MAX_UNCOMPRESSED)
    max_cells: int = field(default_factory=lambda: MAX_CELLS)

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
            every = sorted(source.rglob("*"))
            candidates = [p for p in every if p.is_file()]
            base = source
            notes.extend(iss.make("file_is_folder", file=display_name(str(p.relative_to(base))))
                         for p in every if p.suffix.lower() in WORKBOOK_SUFFIXES and p.is_dir())
        else:
            candidates, base = [source], source.parent
        for path in candidates:
            shown = display_name(str(path.relative_to(base)) if path != source else path.name)
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


_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


def display_name(name: str) -> str:
    """A file name as shown in messages and outputs: always printable Unicode.

    A name whose bytes were not UTF-8 (a zip made on Japanese Windows, unpacked here)
    is decoded as Shift_JIS (cp932); control characters become ``?``.

    >>> display_name("回答.xlsx".encode("cp932").decode("utf-8", "surrogateescape"))
    '回答.xlsx'
    """
    if undecodable(name):
        raw = name.encode("utf-8", "surrogateescape")
        try:
            name = raw.decode("cp932")
        except UnicodeDecodeError:
            name = raw.decode("utf-8", errors="replace")
    return _CONTROL_RE.sub("?", name)


def undecodable(name: str) -> bool:
    """True when a path held bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in name)


# ---------------------------------------------------------------------------
# zip inspection (what calamine does not tell)


_MODIFIED_RE = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")
_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?name=\"([^\"]*)\"[^>]*?r:id=\"([^\"]+)\"")
_SHEET_RE2 = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?r:id=\"([^\"]+)\"[^>]*?name=\"([^\"]*)\"")
_REL_RE = re.compile(rb"<Relationship\b[^>]*?Id=\"([^\"]+)\"[^>]*?Target=\"([^\"]+)\"")
_REL_RE2 = re.compile(rb"<Relationship\b[^>]*?Target=\"([^\"]+)\"[^>]*?Id=\"([^\"]+)\"")
# the body stops at the next opening tag, so an unclosed element cannot make the search quadratic
_DV_RE = re.compile(rb"<(?:\w+:)?dataValidation\b([^>]*)>((?:(?!<(?:\w+:)?dataValidation\b).)*?)"
                    rb"</(?:\w+:)?dataValidation>", re.S)
_SQREF_ATTR_RE = re.compile(rb"sqref=\"([^\"]+)\"")
_SQREF_ELEM_RE = re.compile(rb"<xm:sqref>([^<]+)</xm:sqref>")
_FORMULA_CELL_RE = re.compile(
    rb"<(?:\w+:)?c r=\"([A-Z]+\d+)\"[^>]*><(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")
_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?ref=\"([A-Z]+\d+(?::[A-Z]+\d+)?)\"")
_REF_RE = re.compile(r"\$?([A-Za-z]*)\$?(\d*)$")
_UNPREFIXED_CELL_RE = re.compile(rb"<c[\s/>]")
_ANY_CELL_RE = re.compile(rb"<(?:[^\s<>/!?]*:)?c(?=[\s/>])")
_PLAIN_CELL = rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="[0-9]{1,5}")?(?: t="[a-zA-Z]{1,9}")? ?/?>'
_PLAIN_CELL_RE = re.compile(_PLAIN_CELL)
# the formula element after a cell tag, as _FORMULA_CELL_RE reads it (text in group 1)
_FORMULA_ELEMENT = rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)"
_FORMULA_ELEMENT_RE = re.compile(rb"<f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")  # unprefixed: a literal start
# a plain cell tag and the formula element right after it
_PLAIN_SCAN_RE = re.compile(_PLAIN_CELL + rb"(" + _FORMULA_ELEMENT + rb")?")
# a '<c' that does not start a plain cell tag of a small reference (A1 to Z9999)
_NOT_SMALL_CELL_RE = re.compile(rb'<c(?! r="[A-Z][1-9][0-9]{0,3}"(?: s="[0-9]{1,5}")?(?: t="[a-zA-Z]{1,9}")? ?/?>)')
_UTF8_DECLARATION_RE = re.compile(rb'<\?xml version="1\.[0-9]"(?: encoding="[Uu][Tt][Ff]-8")?(?: standalone="[a-z]+")? ?\?>')
_SST_ITEM_RE = re.compile(rb"<(?:\w+:)?si\b")


def _xml_unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


class Area:
    """Cells covered by ranges (col1, row1, col2, row2), without listing every cell.

    >>> area = Area([(8, 5, 8, 39)])
    >>> (8, 6) in area, (9, 6) in area
    (True, False)
    """

    def __init__(self, ranges: Iterable[Tuple[int, int, int, int]] = ()) -> None:
        self.ranges = list(ranges)

    def __contains__(self, cell: object) -> bool:
        """``(col, row) in area``."""
        if not isinstance(cell, tuple) or len(cell) != 2:
            return False
        col, row = cell
        return any(c1 <= col <= c2 and r1 <= row <= r2 for c1, r1, c2, r2 in self.ranges)


@dataclass
class ZipFacts:
    saved: Optional[dt.datetime]
    has_macros: bool
    list_cells: Dict[str, Area]  # sheet name -> cells covered by a list validation
    formula_cells: Dict[str, Dict[Tuple[int, int], str]] = field(default_factory=dict)  # (col, row) -> formula
    merged: Dict[str, List[Tuple[int, int, int, int]]] = field(default_factory=dict)  # merged ranges


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


def sheet_parts(zf: zipfile.ZipFile) -> Dict[str, str]:
    """Sheet name -> its part in the zip (``xl/worksheets/sheet1.xml``), for the parts present."""
    names = set(zf.namelist())
    workbook = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    targets = {rid: target for rid, target in _REL_RE.findall(rels)}
    targets.update({rid: target for target, rid in _REL_RE2.findall(rels)})
    sheets = {name: rid for name, rid in _SHEET_RE.findall(workbook)}
    sheets.update({name: rid for rid, name in _SHEET_RE2.findall(workbook)})
    parts = {}
    for name, rid in sheets.items():
        target = targets.get(rid)
        if not target:
            continue
        part = target.decode("utf-8", errors="replace")
        part = part.lstrip("/") if part.startswith("/") else "xl/" + part
        if part in names:
            parts[_xml_unescape(name.decode("utf-8", errors="replace"))] = part
    return parts


def inspect_zip(zf: zipfile.ZipFile, wanted_sheets: Iterable[str], parts: Optional[Dict[str, str]] = None,
                read: Optional[Any] = None, scan: Optional[Callable[[str], SheetScan]] = None) -> ZipFacts:
    """Saved time, macros, and per sheet of ``wanted_sheets``: the cells a list validation
    covers, the cells holding a formula, and the merged ranges.

    Validations may sit in the main element or, after an Excel re-save, in an x14
    extension element; both forms are read. ``scan`` (part -> :func:`scan_sheet` of it)
    saves a second pass over the cells of a plain part.
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
    parts = sheet_parts(zf) if parts is None else parts
    read = read or zf.read
    list_cells: Dict[str, Area] = {}
    formula_cells: Dict[str, Dict[Tuple[int, int], str]] = {}
    merged: Dict[str, List[Tuple[int, int, int, int]]] = {}
    for wanted in wanted_sheets:
        if wanted not in parts:
            continue
        xml = read(parts[wanted])
        # validations and merges follow the cell data in a worksheet part; formulas are in it
        end = xml.rfind(b"</sheetData>")
        cells_xml, after = (xml[:end], xml[end:]) if end >= 0 else (xml, xml)
        ranges: List[Tuple[int, int, int, int]] = []
        for attrs, body in _DV_RE.findall(after):
            if b'type="list"' not in attrs:
                continue
            sqref = _SQREF_ATTR_RE.search(attrs)
            refs = sqref.group(1) if sqref else b""
            elem = _SQREF_ELEM_RE.search(body)
            if elem:
                refs += b" " + elem.group(1)
            ranges.extend(_ranges(refs.decode("ascii", errors="replace")))
        list_cells[wanted] = Area(ranges[:MAX_VALIDATION_RANGES])
        scanned = scan(parts[wanted]).formulas if scan is not None else None
        if scanned is not None:
            formula_cells[wanted] = scanned
        else:
            formula_cells[wanted] = {_split_ref(ref.decode()): "=" + _xml_unescape(text.decode("utf-8", errors="replace"))
                                     if text else "" for ref, text in _FORMULA_CELL_RE.findall(cells_xml)}
        merged[wanted] = list(_ranges(" ".join(m.decode() for m in _MERGE_RE.findall(after))))
    return ZipFacts(saved, "xl/vbaProject.bin" in names, list_cells, formula_cells, merged)


def _count_cell_tags(xml: bytes) -> int:
    """Number of <c> tags in any form; C-level counting unless a prefixed tag could be present."""
    if b":c" in xml:  # x:c, or x14:cfRule and the like: let the exact pattern decide
        return len(_ANY_CELL_RE.findall(xml))
    return len(_UNPREFIXED_CELL_RE.findall(xml))  # a literal prefix: the regex engine skips fast


def plainly_within(xml: bytes, limit: int) -> bool:
    """True when a sheet written the way spreadsheet programs write it is within ``limit`` cells.

    A quick look for the common case: every cell tag must be exactly ``<c r="B2" s="1"
    t="s">`` in form (no other attributes, spacing or quoting), so that no cell can hide
    from it; empty cells count too. Anything else — or a sheet that seems too large —
    is left to :func:`sheet_size`, which parses the XML.
    """
    return scan_sheet(xml, limit).within


@dataclass
class SheetScan:
    """A look over a worksheet part's cell tags: what both the size guard and inspect_zip need."""

    within: bool  # plainly within the cell limit (see plainly_within); False: sheet_size decides
    formulas: Optional[Dict[Tuple[int, int], str]] = None  # (col, row) -> formula; None: not every tag plain


def scan_sheet(xml: bytes, limit: int) -> SheetScan:
    """Cell tags of a sheet part, with the formula that follows a cell tag.

    When every cell tag is plain this gives the same answers as :func:`plainly_within`
    and the formula search of :func:`inspect_zip` made separately, in fewer passes.
    """
    head = xml[:512]
    if b"\x00" in head:  # UTF-16 and the like
        return SheetScan(False)
    start = head.lstrip(b"\xef\xbb\xbf")
    if start.startswith(b"<?xml") and not _UTF8_DECLARATION_RE.match(start):
        return SheetScan(False)
    return _scan_small(xml, limit) or _scan_plain(xml, limit)


# farthest cell of a sheet whose cell tags all have one column letter and at most four row digits
_SMALL_SHEET_CELLS = 26 * 9999


def _scan_small(xml: bytes, limit: int) -> Optional[SheetScan]:
    """The usual survey sheet, looked at without capturing every cell reference; None when
    it is not one (then :func:`_scan_plain` looks).

    Inside <sheetData> without ':c' or ':f' (so no prefixed cell or formula tag), every
    '<c' must start a plain cell tag of a small reference; outside it, no cell tag at all.
    Then no cell lies beyond Z9999. A formula is the <f> element right after a cell
    tag, as :data:`_FORMULA_CELL_RE` finds it.
    """
    if limit < _SMALL_SHEET_CELLS:
        return None
    first, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
    if first < 0 or end < first:
        return None
    if xml.count(b":", first, end) and (xml.find(b":c", first, end) >= 0 or xml.find(b":f", first, end) >= 0):
        return None  # a prefixed cell or formula tag may be there (counting one byte is the fast test)
    if _count_cell_tags(xml[:first]) or _count_cell_tags(xml[end:]):
        return None
    if _NOT_SMALL_CELL_RE.search(xml, first, end):  # one search: no list of every tag is built
        return None
    formulas: Dict[Tuple[int, int], str] = {}
    for element in _FORMULA_ELEMENT_RE.finditer(xml, first, end):
        at = element.start()
        tag = _PLAIN_CELL_RE.fullmatch(xml, xml.rfind(b"<", first, at), at)
        if tag:
            text = element.group(1)
            formulas[(_column_number(tag.group(1)), int(tag.group(2)))] = \
                "=" + _xml_unescape(text.decode("utf-8", errors="replace")) if text else ""
    return SheetScan(True, formulas)


def _scan_plain(xml: bytes, limit: int) -> SheetScan:
    """Every cell tag in the plain form, read with its reference and formula in one pass."""
    # formulas count only before </sheetData> (as in inspect_zip); no match can span that tag
    end = xml.rfind(b"</sheetData>")
    if end < 0:
        cells, tail = _PLAIN_SCAN_RE.findall(xml), []
    else:
        cells, tail = _PLAIN_SCAN_RE.findall(xml, 0, end), _PLAIN_SCAN_RE.findall(xml, end)
    if len(cells) + len(tail) != _count_cell_tags(xml):  # a cell tag in another form
        return SheetScan(False)
    formulas = {(_column_number(letters), int(row)): "=" + _xml_unescape(text.decode("utf-8", errors="replace"))
                if text else "" for letters, row, element, text in cells if element}
    if tail:
        cells = cells + tail
    if not cells:
        return SheetScan(True, formulas)
    max_col = max(map(_column_number, {letters for letters, _, _, _ in cells}))
    max_row = max(map(int, {row for _, row, _, _ in cells}))
    return SheetScan(max_row * max_col <= limit, formulas)


@functools.lru_cache(maxsize=20_000)  # a sheet uses a handful of columns
def _column_number(letters: bytes) -> int:
    """b"AB" -> 28."""
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def sheet_size(xml: bytes) -> Tuple[int, str]:
    """(cells, farthest cell) of a sheet as calamine reads it: A1 to the farthest cell with a value.

    Read before calamine, which allocates that whole rectangle at once. The part is
    parsed as XML (expat), so quoting, spacing or a '>' in an attribute cannot hide a
    cell; rows and cells without an ``r`` follow the previous one, as in the reader.
    A DTD that declares entities is refused (ValueError): that is how an
    entity-expansion bomb starts, and no spreadsheet program writes one.

    >>> sheet_size(b'<sheetData><row r="2"><c r="B2"><v>1</v></c><c r="AA2" s="1"/></row>'
    ...            b"<row><c><v>2</v></c><c r = 'c3' x='>'><x/><v>3</v></c></row></sheetData>")
    (9, 'C3')
    """
    import xml.parsers.expat as expat

    row = col = max_row = max_col = 0
    pending = False  # a <c> whose value element has not been seen yet
    far = ""

    def start(name: str, attrs: Dict[str, str]) -> None:
        nonlocal row, col, max_row, max_col, pending, far
        local = name.rpartition(":")[2]
        if pending and (local == "v" or local == "is" or local == "f"):
            pending = False
            if row > max_row or col > max_col:
                max_row, max_col = max(max_row, row), max(max_col, col)
                far = f"{column_letter(col)}{row}"
        elif local == "c":
            match = _REF_RE.match(attrs.get("r", ""))
            if match and match.group(1):
                col = 0
                for ch in match.group(1).upper():
                    col = col * 26 + ord(ch) - 64
                if match.group(2):
                    row = int(match.group(2))
            else:
                col += 1
            pending = True
        elif local == "row":
            ref = attrs.get("r", "")
            row = int(ref) if ref.isdigit() else row + 1
            col = 0

    def end(name: str) -> None:
        nonlocal pending
        if pending and name.rpartition(":")[2] == "c":
            pending = False

    def no_entities(*_: Any) -> None:
        raise ValueError("実体（ENTITY）の宣言があります")

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.EntityDeclHandler = no_entities
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise ValueError(f"XML として読めません: {exc}") from None
    return max_row * max_col, far


# ---------------------------------------------------------------------------
# reading one return


def _meta(rows: List[List[Any]]) -> Tuple[Dict[str, Any], List[Tuple[str, int, str, str]]]:
    """(key/value pairs, row table) of a _meta sheet in either format (see generate.META_FORMAT)."""
    pairs: Dict[str, Any] = {}
    table: List[Tuple[str, int, str, str]] = []
    in_table = False
    for row in rows:
        cells = [v if v.__class__ is str else cell_value(v) for v in row] + ["", "", "", ""]
        if not in_table:
            if cells[0] == "sheet" and cells[2] == "row_key":  # format 1: a table of 4 cells a row
                in_table = True
            elif cells[0].__class__ is str and cells[0].startswith(ROWS_PREFIX):  # format 2: packed
                table.extend(unpack_meta_rows(cells[0][len(ROWS_PREFIX):], cells[1:]))
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
        return handle.read(512)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp932"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3:  # a character cut at the end of the sample
                return True
    return False


_ERRNO_TEXT = {errno.EACCES: "読み取りの権限がありません", errno.EPERM: "読み取りの権限がありません",
               errno.ENOENT: "ファイルがありません", errno.EISDIR: "フォルダです"}


def _mb(size: int) -> str:
    return f"{size / MIB:,.0f}" if size >= MIB else f"{size / MIB:.2f}"


def _classify(path: Path, ret: Return, limits: Limits) -> Optional[zipfile.ZipFile]:
    """Open the zip of a real .xlsx; for anything else record why not and return None."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a pipe or device would block or never end
            ret.add("file_not_workbook", detail="通常のファイルではありません")
            return None
        head = _first_bytes(path)
    except OSError as exc:
        ret.add("file_unreadable", detail=_ERRNO_TEXT.get(exc.errno or 0, exc.strerror or str(exc)))
        return None
    size = info.st_size
    if size == 0 or not head:
        ret.add("file_empty")
        return None
    if size > limits.max_bytes:
        ret.add("file_too_large", detail=f"ファイルの大きさが {_mb(size)} MB", limit=_mb(limits.max_bytes))
        return None
    if head[:8] == OLE_MAGIC:
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
        elif _looks_like_text(head):
            kind = "CSV などのテキスト"
        ret.add("file_not_workbook", detail=kind)
        return None
    try:
        zf = zipfile.ZipFile(path)
        names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        ret.add("file_corrupt", detail=f"zip として読めません: {exc}"[:100])
        return None
    problem = _check_zip(zf, names, limits)
    if problem is not None:
        code, fields = problem
        ret.add(code, **fields)
        zf.close()
        return None
    return zf


def _check_zip(zf: zipfile.ZipFile, names: set, limits: Limits) -> Optional[Tuple[str, Dict[str, Any]]]:
    """Why a zip cannot be read as a workbook (issue code and fields), or None.

    Sizes are checked before calamine inflates anything: the declared sizes first,
    then — since a zip can lie about them — what the parts really inflate to,
    stopping as soon as the limit is passed. A zip too small to reach the limit even
    at deflate's highest ratio needs no inflating.
    """
    try:
        if "mimetype" in names:
            with zf.open("mimetype") as part:
                if b"opendocument" in part.read(200):
                    return "file_ods", {}
        if "xl/workbook.bin" in names:
            return "file_xlsb", {}
        if "xl/workbook.xml" not in names:
            return "file_not_workbook", {"detail": "Excel ブックの構成がありません"}
        limit = limits.max_bytes
        infos = zf.infolist()
        total = sum(info.file_size for info in infos)
        if total > limit:
            return "file_too_large", {"detail": f"展開すると {_mb(total)} MB", "limit": _mb(limit)}
        plain = all(info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos)
        if not plain or sum(info.compress_size for info in infos) * DEFLATE_MAX_RATIO > limit:
            inflated = 0
            for info in infos:
                probe = copy.copy(info)
                probe.file_size = limit + 1  # read what the data holds, not what the header claims
                with zf.open(probe) as part:
                    while True:
                        chunk = part.read(MIB)
                        if not chunk:
                            break
                        inflated += len(chunk)
                        if inflated > limit:
                            return "file_too_large", {
                                "detail": f"展開すると {_mb(limit)} MB を超える大きさ（記録された大きさ {_mb(total)} MB と"
                                          "食い違っています）", "limit": _mb(limit)}
        strings = next((n for n in names if n.lower() == "xl/sharedstrings.xml"), None)
        if strings is not None:
            data = zf.read(strings)
            # every item starts with its own '<': counting those (fast) bounds the item count
            count = len(_SST_ITEM_RE.findall(data)) if data.count(b"<") > limits.max_cells else 0
            if count > limits.max_cells:
                return "strings_too_many", {"count": f"{count:,}", "limit": f"{limits.max_cells:,}"}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
        return "file_corrupt", {"detail": f"zip として読めません: {exc}"[:100]}
    return None


def read_return(path: Path, shown: str, master: Master, limits: Optional[Limits] = None) -> Return:
    """Read one returned file. Never raises: every problem is an issue on the Return."""
    ret = Return(path=path, file=shown)
    if undecodable(str(path)):
        ret.add("file_name_encoding")
    try:
        ret.mtime = path.stat().st_mtime
    except OSError:
        pass
    limits = limits or Limits()
    zf = _classify(path, ret, limits)
    if zf is None:
        return ret
    try:
        with zf:
            _read_workbook(path, zf, ret, master, limits)
    except Exception as exc:  # a malformed part must not stop the other files
        ret.add("file_corrupt", detail=f"{type(exc).__name__}: {exc}"[:120])
        ret.readable = False
        ret.cells.clear()
    return ret


def _read_workbook(path: Path, zf: zipfile.ZipFile, ret: Return, master: Master, limits: Limits) -> None:
    import python_calamine as calamine

    try:
        if undecodable(str(path)):  # calamine cannot open a path that is not valid UTF-8
            with open(path, "rb") as handle:
                book = calamine.CalamineWorkbook.from_filelike(handle)
        else:
            book = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken parts
        ret.add("file_corrupt", detail=f"{type(exc).__name__}: {exc}"[:120])
        return
    specs = load_specs()
    sheet_names = list(book.sheet_names)
    parts = sheet_parts(zf)
    read: Dict[str, Optional[List[List[Any]]]] = {}
    xml: Dict[str, bytes] = {}

    scans: Dict[str, SheetScan] = {}

    def xml_of(part: str) -> bytes:
        if part not in xml:
            xml[part] = zf.read(part)
        return xml[part]

    def scan_of(part: str) -> SheetScan:
        if part not in scans:
            scans[part] = scan_sheet(xml_of(part), limits.max_cells)
        return scans[part]

    def rows_of(sheet: str) -> Optional[List[List[Any]]]:
        """A sheet's values; None (with an issue) when it is too large to read or broken."""
        if sheet not in read:
            read[sheet] = _sheet_rows(book, xml_of, scan_of, parts.get(sheet), sheet, ret, limits)
        return read[sheet]

    meta: Dict[str, Any] = {}
    table: List[Tuple[str, int, str, str]] = []
    if META_SHEET in sheet_names:
        meta_rows = rows_of(META_SHEET)
        if meta_rows is not None:
            meta, table = _meta(meta_rows)
        if meta.get(META_MARKER) is None and not table:
            meta = {}
    if not meta:
        if not _identify_by_content(rows_of, sheet_names, ret, master):
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
    facts = inspect_zip(zf, survey_sheets, parts, xml_of, scan_of)
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
        rows = rows_of(sheet)
        if rows is None:
            continue
        expected = [(row, key, digest) for s, row, key, digest in table if s == sheet]
        _read_sheet(ret, specs[sheet], columns, rows, expected, expected_items, master,
                    facts.list_cells.get(sheet), years, facts.formula_cells.get(sheet), facts.merged.get(sheet))
    ret.readable = True


def _sheet_rows(book: Any, xml_of: Callable[[str], bytes], scan_of: Callable[[str], SheetScan], part: Optional[str],
                sheet: str, ret: Return, limits: Limits) -> Optional[List[List[Any]]]:
    """Read one sheet with calamine once its size is known to be within the limit."""
    try:
        if part is None:
            raise ValueError("シートの場所がブックの構成にありません")
        if not scan_of(part).within:
            cells, far = sheet_size(xml_of(part))
            if cells > limits.max_cells:
                ret.add("sheet_too_large", sheet=sheet, cell=far, cells=f"{cells:,}", limit=f"{limits.max_cells:,}")
                return None
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:  # one broken sheet: the others are still read
        ret.add("sheet_corrupt", sheet=sheet, detail=f"{type(exc).__name__}: {exc}"[:120])
        return None


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
    if not master.is_respondent(ret.respondent_id):
        ret.add("unknown_respondent", value=f"{ret.respondent_id} {ret.respondent or ''}".strip())
        ret.respondent_id = None
        return False
    if meta.get("template_version") != template_version():
        ret.add("old_template", found=meta.get("template_version"))
    return True


def _identify_by_content(rows_of: Any, sheet_names: List[str], ret: Return, master: Master) -> bool:
    """A return without _meta: the 回答課 line under each sheet title names the department."""
    names = {d.name: d for d in master.respondents()}
    for sheet in sheet_names:
        if sheet not in load_specs():
            continue
        rows = rows_of(sheet) or []
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
    named = master.department_names_in(stem)
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
            return item_id, indicator.value_type
    return item_id, "text"


def _cell_text(found: Any) -> str:
    """The canonical text of a cell as calamine gave it (``value`` then ``cell_text``)."""
    return cell_text(found if found.__class__ is str else cell_value(found))


def _row_hash(values: Sequence[Any]) -> str:
    """:func:`generate.row_hash`, remembered for rows of text: departments share most locked rows.

    Only all-text rows are remembered, since equal keys must mean equal hashes
    (``1 == True`` as a key, but the two hash differently).
    """
    key = tuple(values)
    for value in key:
        if value.__class__ is not str:
            return row_hash(values)
    return _text_row_hash(key)


@functools.lru_cache(maxsize=4096)  # bounded: the keys keep their texts alive
def _text_row_hash(values: Tuple[str, ...]) -> str:
    return row_hash(values)


def _read_sheet(ret: Return, spec: SheetSpec, columns: List[str], rows: List[List[Any]],
                expected: List[Tuple[int, str, str]], expected_items: _ExpectedItems, master: Master,
                list_cells: Optional[Area], years: Dict[str, str],
                formula_cells: Optional[Dict[Tuple[int, int], str]] = None,
                merged: Optional[List[Tuple[int, int, int, int]]] = None) -> None:
    position = {column_id: index for index, column_id in enumerate(columns, start=1)}
    check_col = next((position.get(c.id) for c in spec.columns if c.check), None)
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

    # the locked cells of a row at once, when every locked column is there
    present = [c for c in locked if c]
    locked_of = operator.itemgetter(*[c - 1 for c in present]) if len(present) == len(locked) > 1 else None
    locked_end = max(present, default=0)

    def locked_hash(row: int) -> str:
        if row < 1 or row > nrows:
            return ""
        line = rows[row - 1]
        width = len(line)
        if locked_of is not None and width >= locked_end:
            return _row_hash(locked_of(line))
        return _row_hash([line[c - 1] if c and c <= width else "" for c in locked])

    # header labels
    for col in spec.columns:
        index = position.get(col.id)
        found = cell_text(value(HEADER_ROW, index))
        label = col.label_for(years)
        if index and found != label:
            ret.add("header_changed", sheet=spec.name, cell=f"{column_letter(index)}{HEADER_ROW}",
                    value=found, expected=label)

    # what every row needs, worked out once per sheet
    sheet = spec.name
    cells = ret.cells
    context_at = [(c.id, position.get(c.id)) for c in _context_columns(spec)]
    inputs = [(col.id, index, column_letter(index), col.type == "indicator", col.type,
               bool(col.choices) and list_cells is not None)
              for col, index in ((col, position.get(col.id)) for col in spec.input_columns) if index]
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
        # a row past the sheet's end (only a tampered _meta points there) reads as empty
        line = rows[row - 1] if 1 <= row <= nrows else []
        line_width = len(line)
        ret.context[(sheet, key)] = {column_id: _cell_text(line[index - 1]) if index and index <= line_width else ""
                                     for column_id, index in context_at}
        for field_id, index, letter, typed_by_row, col_type, check_list in inputs:
            found = line[index - 1] if index <= line_width else ""
            typed = found if found.__class__ is str else cell_value(found)
            cells.append(InputCell(sheet, row, index, field_id, key, item_id, typed, "",
                                   value_type if typed_by_row else col_type))
            if check_list and (index, row) not in list_cells:  # type: ignore[operator]
                ret.add("validation_removed", sheet=sheet, cell=f"{letter}{row}")
            if formula_cells and (index, row) in formula_cells:  # a formula where a value was expected
                formula = (formula_cells[(index, row)] or "（共有の式）")[:60]
                code, shown = ("formula_no_value", None) if typed == "" else ("formula_in_input", str(typed)[:60])
                ret.add(code, sheet=sheet, cell=f"{letter}{row}", formula=formula, value=shown)
            elif typed.__class__ is str and isinstance(found, (dt.date, dt.time, dt.timedelta)):  # as ISO text
                ret.add("date_typed", sheet=sheet, cell=f"{letter}{row}", value=typed[:60])

    # anything typed into rows that belong to no item, or right of the table, is
    # reported, never dropped silently
    input_indexes = [position[c.id] for c in spec.input_columns if c.id in position]
    rows_read = sorted(claimed)
    for c1, r1, c2, r2 in merged or []:
        first = bisect.bisect_left(rows_read, r1)
        if any(c1 <= i <= c2 for i in input_indexes) and first < len(rows_read) and rows_read[first] <= r2:
            ret.add("merged_input", sheet=spec.name, cell=f"{column_letter(c1)}{r1}",
                    range=f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}")
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
    columns: Dict[Tuple[str, str], Any] = {}  # (sheet, field) -> its column spec
    no_context: Dict[str, str] = {}
    for cell in ret.cells:
        raw = cell.raw
        sheet_field = (cell.sheet, cell.field)
        if raw == "":
            cell.value = ""
            previous[sheet_field] = ""
            continue
        column = columns.get(sheet_field)
        if column is None:
            column = columns[sheet_field] = specs[cell.sheet].column(cell.field)
        context = ret.context.get((cell.sheet, cell.row_key), no_context)
        source_raw = raw
        kind = same_as_kind(raw) if raw.__class__ is str and len(raw) <= 12 else None  # longer: never 同左 etc.
        if kind:
            spec = specs[cell.sheet]
            where = dict(sheet=cell.sheet, cell=cell.cell)
            referent, source = None, ""
            if kind == "left" and column.same_as and context.get(column.same_as):
                referent = context[column.same_as]
                source = spec.column(column.same_as).label_for(year_labels(master.settings.fiscal_year))
            elif kind == "above" and previous.get(sheet_field) not in (None, ""):
                referent = previous[sheet_field]
                source = "上の行"
            if referent is None:
                ret.add("same_as_unresolved", raw=raw, **where)
                cell.value = str(raw)
                previous[sheet_field] = cell.value
                continue
            ret.add("same_as_resolved", raw=raw, value=str(referent)[:60], source=source, **where)
            source_raw = referent
        value, note = _normalize_cached(source_raw, cell.value_type, column.choices, context.get("unit", ""))
        cell.value = value
        previous[sheet_field] = value
        if note and not kind:
            ret.add("normalized", raw=str(raw)[:60], value=str(value)[:60], detail=note, sheet=cell.sheet,
                    cell=cell.cell)


def _normalize_cached(raw: Any, value_type: str, choices: Optional[str], unit: str) -> Tuple[Any, str]:
    """:func:`_normalize`, remembered per text: the same short answers recur across departments."""
    if raw.__class__ is not str:
        return _normalize(raw, value_type, choices, unit)
    if value_type == "text" and not choices and len(raw) > 20 and is_clean_text(raw):
        return raw, ""  # long clean free text, mostly unique: not worth remembering
    return _normalize_text(raw, value_type, choices, unit)


@functools.lru_cache(maxsize=50_000)
def _normalize_text(raw: str, value_type: str, choices: Optional[str], unit: str) -> Tuple[Any, str]:
    return _normalize(raw, value_type, choices, unit)


def _normalize(raw: Any, value_type: str, choices: Optional[str], unit: str) -> Tuple[Any, str]:
    # most of a return is plain free text that needs nothing: answer it without the checks
    if type(raw) is str and value_type == "text" and not choices and len(raw) > 20 and is_clean_text(raw):
        return raw, ""
    if isinstance(raw, str):
        raw, cleaned = clean_chars(raw)
        if cleaned:
            value, note = _normalize(raw, value_type, choices, unit)
            return value, "・".join(n for n in (cleaned, note) if n)
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
