"""The zip and XML safety guard, run on a return before python-calamine reads it.

calamine trusts sizes and allocates A1 to the farthest cell at once, so a zip
bomb, a sheet claiming XFD1048576 or an entity-expansion attack must be caught
first, cheaply, from the bytes. Limits are per return (README「回収の保証と上限」).
"""

from __future__ import annotations

import copy
import datetime as dt
import errno
import functools
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .master import column_letter
from .returns import Return


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


_MODIFIED_RE = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")


_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?name=\"([^\"]*)\"[^>]*?r:id=\"([^\"]+)\"")


_REL_RE = re.compile(rb"<Relationship\b[^>]*?Id=\"([^\"]+)\"[^>]*?Target=\"([^\"]+)\"")


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


def open_return_zip(path: Path, ret: Return, limits: Limits) -> Optional[zipfile.ZipFile]:
    """Open the zip of a real .xlsx; for anything else record why not and return None."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a pipe or device would block or never end
            ret.add("file_not_workbook", detail="通常のファイルではありません")
            return None
        head = _first_bytes(path)
    except OSError as exc:
        ret.add("file_unreadable", detail=_ERRNO_TEXT.get(exc.errno or 0, exc.strerror or str(exc)), errno=exc.errno)
        return None
    size = info.st_size
    if size == 0 or not head:
        ret.add("file_empty")
        return None
    if size > limits.max_bytes:
        ret.add("file_too_large", detail=f"ファイルの大きさが {_mb(size)} MB", limit=_mb(limits.max_bytes), size=size,
                limit_bytes=limits.max_bytes)
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
    problem = check_zip(zf, names, limits)
    if problem is not None:
        code, fields = problem
        ret.add(code, **fields)
        zf.close()
        return None
    return zf


Problem = Optional[Tuple[str, Dict[str, Any]]]  # (issue code, its fields), or None


def check_zip(zf: zipfile.ZipFile, names: set, limits: Limits) -> Problem:
    """Why a zip cannot be read as a workbook (issue code and fields), or None.

    Sizes are checked before calamine inflates anything: the declared sizes first,
    then — since a zip can lie about them — what the parts really inflate to,
    stopping as soon as the limit is passed. A zip too small to reach the limit even
    at deflate's highest ratio needs no inflating.
    """
    try:
        return _kind_problem(zf, names) or _size_problem(zf, limits.max_bytes) or _strings_problem(zf, names, limits)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
        return "file_corrupt", {"detail": f"zip として読めません: {exc}"[:100]}


def _kind_problem(zf: zipfile.ZipFile, names: set) -> Problem:
    """A zip that is another kind of document (.ods, .xlsb, not a workbook at all)."""
    if "mimetype" in names:
        with zf.open("mimetype") as part:
            if b"opendocument" in part.read(200):
                return "file_ods", {}
    if "xl/workbook.bin" in names:
        return "file_xlsb", {}
    if "xl/workbook.xml" not in names:
        return "file_not_workbook", {"detail": "Excel ブックの構成がありません"}
    return None


def _size_problem(zf: zipfile.ZipFile, limit: int) -> Problem:
    infos = zf.infolist()
    total = sum(info.file_size for info in infos)
    if total > limit:
        return "file_too_large", {"detail": f"展開すると {_mb(total)} MB", "limit": _mb(limit), "size": total,
                                  "limit_bytes": limit}
    plain = all(info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos)
    if plain and sum(info.compress_size for info in infos) * DEFLATE_MAX_RATIO <= limit:
        return None
    inflated = 0
    for info in infos:
        inflated += _inflated_size(zf, info, limit - inflated, limit)
        if inflated > limit:
            return "file_too_large", {
                "detail": f"展開すると {_mb(limit)} MB を超える大きさ（記録された大きさ {_mb(total)} MB と"
                          "食い違っています）", "limit": _mb(limit), "declared_size": total, "limit_bytes": limit}
    return None


def _inflated_size(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limit: int) -> int:
    """What a part really inflates to, read in chunks and given up once past ``budget``."""
    probe = copy.copy(info)
    # read what the data holds, not what the header claims; past the limit, so that the
    # reader never reaches its end (and its CRC check) before the budget is spent
    probe.file_size = limit + 1
    size = 0
    with zf.open(probe) as part:
        while size <= budget:
            chunk = part.read(MIB)
            if not chunk:
                break
            size += len(chunk)
    return size


def _strings_problem(zf: zipfile.ZipFile, names: set, limits: Limits) -> Problem:
    strings = next((n for n in names if n.lower() == "xl/sharedstrings.xml"), None)
    if strings is None:
        return None
    data = zf.read(strings)
    # every item starts with its own '<': counting those (fast) bounds the item count
    count = len(_SST_ITEM_RE.findall(data)) if data.count(b"<") > limits.max_cells else 0
    if count > limits.max_cells:
        return "strings_too_many", {"count": count, "limit": limits.max_cells}
    return None


_SHEET_RE2 = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?r:id=\"([^\"]+)\"[^>]*?name=\"([^\"]*)\"")


_REL_RE2 = re.compile(rb"<Relationship\b[^>]*?Target=\"([^\"]+)\"[^>]*?Id=\"([^\"]+)\"")


_UTF8_DECLARATION_RE = re.compile(rb'<\?xml version="1\.[0-9]"(?: encoding="[Uu][Tt][Ff]-8")?(?: standalone="[a-z]+")? ?\?>')
