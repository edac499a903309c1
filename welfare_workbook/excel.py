"""Low-level helpers shared by every writer: styles, file names, atomic saves.

>>> safe_filename('福祉政策課_令和6年度 進捗状況調査?.')
'福祉政策課_令和6年度 進捗状況調査？'
"""

from __future__ import annotations

import copy
import errno
import functools
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import issues as iss
from .issues import Issue

FONT_NAME = "ＭＳ Ｐゴシック"  # present on every Japanese Windows; LibreOffice substitutes
INPUT_FILL = "FFF2CC"  # light yellow: cells a department types into
LOCKED_FILL = "F2F2F2"  # light grey: context that cannot be changed
HEADER_FILL = "D9E1F2"
MISSING_FILL = "F8CBAD"  # conditional format: required input still empty
ERROR_FILL = "FF9999"  # 差戻し: a cell with a problem
BORDER_COLOR = "808080"  # thin grey lines around table cells

# Characters Windows refuses in file names, replaced by their full-width forms so
# the name still reads naturally to a Japanese user.
_WINDOWS_FORBIDDEN = str.maketrans({
    "\\": "￥", "/": "／", ":": "：", "*": "＊", "?": "？", '"': "”", "<": "＜", ">": "＞", "|": "｜",
})
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}


def safe_filename(stem: str, max_length: int = 120) -> str:
    """A file name stem valid on Windows: no \\/:*?"<>|, no control chars, no trailing dot or space."""
    text = unicodedata.normalize("NFC", stem).translate(_WINDOWS_FORBIDDEN)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip()
    text = text[:max_length].rstrip(". ")
    if not text or text.upper().split(".")[0] in _RESERVED:
        text = f"_{text}"
    return text


# characters an .xlsx (XML 1.0) cannot hold: control characters other than tab and
# line ends, the two non-characters, and lone surrogates (not even UTF-8)
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def xlsx_text(text: str) -> str:
    """Text an .xlsx can hold: illegal characters dropped, a lone surrogate as U+FFFD.

    >>> xlsx_text("課題\\x01あり\\ud800")
    '課題あり\ufffd'
    """
    if _XLSX_ILLEGAL.search(text):
        text = _XLSX_ILLEGAL.sub("", text)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return text


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` then rename tmp over ``path``: readers never see half a file.

    The temporary file lives in the same folder (same volume, so the rename is atomic)
    and has a ``.tmp`` suffix so it is never mistaken for an output workbook.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # mode 0o666 less the umask, as any new file (mkstemp's 0600 hides it from colleagues on a shared folder)
    tmp = Path(path.parent, f".~{secrets.token_hex(6)}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


_WRITE_ERRNO_TEXT = {
    errno.EACCES: "書き込みの権限がないか、ほかのプログラムが開いています",
    errno.EPERM: "書き込みの権限がないか、ほかのプログラムが開いています",
    errno.EISDIR: "同じ名前のフォルダがあります",
    errno.ENOTDIR: "出力先のフォルダの位置に、同じ名前のファイルがあります",
    errno.EEXIST: "出力先のフォルダの位置に、同じ名前のファイルがあります",
    errno.ENOSPC: "ディスクの空きがありません",
    errno.EROFS: "読み取り専用の場所です",
    errno.ENOENT: "出力先のフォルダがありません",
}


def os_error_text(exc: OSError) -> str:
    """Why a file could not be written or removed, in Japanese (the system's own text otherwise)."""
    return _WRITE_ERRNO_TEXT.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__


class OutputGuard:
    """Writes one output; an ``OSError`` becomes an issue instead of ending the run.

    On Windows a file open in Excel cannot be replaced (PermissionError); a read-only
    folder, or a folder standing where the file should be, fail the same way. The
    failure is recorded as an ``output_unwritable`` error naming the file (``names[0]``,
    or whichever of ``names`` the error was about) and the next output is still written.

    >>> issues = []
    >>> with OutputGuard(issues, "answers.csv") as guard:
    ...     raise IsADirectoryError(21, "Is a directory")
    >>> guard.ok, issues[0].code, issues[0].file
    (False, 'output_unwritable', 'answers.csv')
    """

    def __init__(self, issues: List[Issue], *names: str, code: str = "output_unwritable") -> None:
        self.issues = issues
        self.names = names
        self.code = code
        self.ok = True

    def __enter__(self) -> "OutputGuard":
        return self

    def __exit__(self, kind: Any, exc: Any, traceback: Any) -> bool:
        if kind is None or not issubclass(kind, OSError):
            return False
        self.ok = False
        self.issues.append(iss.make(self.code, file=_failed_name(exc, self.names), detail=os_error_text(exc),
                                    errno=exc.errno))
        return True


def _failed_name(exc: OSError, names: Sequence[str]) -> str:
    """Which of ``names`` (shown paths such as 差戻し/x.xlsx) the error was about; the first by default."""
    for raw in (exc.filename2, exc.filename):
        if raw:
            base = Path(os.fsdecode(raw)).name
            for name in names:
                if Path(name).name == base:
                    return name
    return names[0] if names else ""


# ---------------------------------------------------------------------------
# print layout: A4, text no smaller than 8 pt on paper

A4_POINTS = {"portrait": (595.0, 842.0), "landscape": (842.0, 595.0)}  # width, height
POINTS_PER_INCH = 72.0
# Text is 10 pt; fit-to-width scaling shrinks it. 0.82 keeps it at 8.2 pt or more, a little
# above the 8 pt a council member reads at arm's length, for the applications' rounding.
MIN_PRINT_SCALE = 0.82
# A column of width w (characters of the default font, Calibri 11) is about 7.5 px a
# character wide: Excel's 7 px digit, LibreOffice's 7.4 px of Carlito's; 96 px an inch.
POINTS_PER_WIDTH = 7.5 * 0.75
LINE_POINTS = 12.5  # one line of 10 pt text in a row height (Excel: 12 pt a line of 10 pt ＭＳ Ｐゴシック)


def column_points(width: float) -> float:
    """Printed width at 100 % of a column ``width`` characters wide (generous, see above).

    >>> column_points(10)
    56.25
    """
    return width * POINTS_PER_WIDTH


@dataclass(frozen=True)
class PagePlan:
    """How a table is laid on A4: orientation, pages wide (fit-to-width), the manual column
    breaks (the last column of each page but the last), how many leading columns repeat on
    every page (print-title columns) and the scale that results (1.0 = 100 %)."""

    orientation: str
    pages_wide: int
    column_breaks: Tuple[int, ...]
    title_columns: int
    scale: float

    def page_columns(self, ncols: int) -> List[Tuple[int, int]]:
        """(first, last) column of each page across, title columns left out after the first."""
        starts = [1] + [b + 1 for b in self.column_breaks]
        ends = list(self.column_breaks) + [ncols]
        return list(zip(starts, ends))


def printable_points(orientation: str, side_margins: float) -> Tuple[float, float]:
    """(width, height) in pt inside margins of ``side_margins`` inches (left + right, top + bottom)."""
    width, height = A4_POINTS[orientation]
    return width - side_margins * POINTS_PER_INCH, height


def plan_pages(widths: Sequence[float], *, orientation: str = "landscape", margins: float = 0.8,
               title_columns: int = 0, breaks: Sequence[int] = (), min_scale: float = MIN_PRINT_SCALE) -> PagePlan:
    """Pages wide and column breaks that print ``widths`` at ``min_scale`` or more.

    One page wide when the scale allows it; otherwise the table is cut after the columns in
    ``breaks`` (where a reader expects a new page, e.g. before the inputs) when every page
    then keeps the scale, else packed greedily; the first ``title_columns`` repeat on every page.
    ``margins``: left + right, in inches.

    >>> plan_pages([10] * 10).pages_wide
    1
    >>> plan = plan_pages([5, 14, 26] + [30] * 8, title_columns=3, breaks=[7])
    >>> plan.pages_wide, plan.column_breaks, round(plan.scale, 2)
    (2, (7,), 0.85)
    """
    printable = printable_points(orientation, margins)[0]
    points = [column_points(w) for w in widths]
    total = sum(points)
    if not points or printable / total >= min_scale:
        return PagePlan(orientation, 1, (), 0, min(1.0, printable / total) if points else 1.0)
    titles = sum(points[:title_columns])

    def page_widths(cuts: Sequence[int]) -> List[float]:
        edges = [0, *cuts, len(points)]
        return [sum(points[a:b]) + (titles if index else 0) for index, (a, b) in enumerate(zip(edges, edges[1:]))]

    cuts = sorted(b for b in breaks if title_columns < b < len(points))
    if not cuts or printable / max(page_widths(cuts)) < min_scale:
        capacity, used, cuts = printable / min_scale, 0.0, []
        for index, width in enumerate(points):
            if index > title_columns and used + width > capacity:
                cuts.append(index)
                used = titles
            used += width
    scale = min(1.0, printable / max(page_widths(cuts)))
    return PagePlan(orientation, len(cuts) + 1, tuple(cuts), title_columns, scale)


def apply_page_plan(ws: Any, plan: PagePlan, *, title_rows: str = "") -> None:
    """An openpyxl sheet set to print as ``plan`` says: A4, fit to its pages wide, any
    number long, title columns and rows repeated, a wide table's halves printed side by side."""
    from openpyxl.worksheet.pagebreak import Break

    ws.page_setup.orientation = plan.orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = plan.pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if plan.pages_wide > 1:
        ws.page_setup.pageOrder = "overThenDown"
        for at in plan.column_breaks:
            ws.col_breaks.append(Break(id=at))
        if plan.title_columns:
            from openpyxl.utils import get_column_letter

            ws.print_title_cols = f"A:{get_column_letter(plan.title_columns)}"
    if title_rows:
        ws.print_title_rows = title_rows


def fit_a4_landscape(ws: Any) -> None:
    """A4 landscape, scaled to one page wide and as many pages long as needed."""
    apply_page_plan(ws, PagePlan("landscape", 1, (), 0, 1.0))


def text_units(text: str) -> int:
    """Width of one line of text in column-width units: 2 a full-width character (and the
    ambiguous ones — ○ ① ※ ― — that Japanese fonts draw full width), 1 any other.

    >>> text_units("（令和11年度）"), text_units("○成果")
    (14, 6)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


# A column w characters wide holds 7 w - 5 px of text in Excel (LibreOffice gives it a
# little more); a full-width character of 10 pt text is 13.3 px (13.4 keeps a little slack).
_FULL_WIDTH_PX = 13.4


def line_units(width: float) -> int:
    """How many units (a full-width character is 2) one line of a ``width`` column holds.

    >>> line_units(15), line_units(32)
    (14, 32)
    """
    return max(2, 2 * int((7 * width - 6) / _FULL_WIDTH_PX))


@functools.lru_cache(maxsize=1 << 16)  # plan texts repeat in every department's workbook
def estimate_lines(text: str, width: float) -> int:
    r"""Number of printed lines of 10 pt ``text`` in a wrapped column of ``width``.

    Full-width characters take two units of column width, others one. Excel and
    LibreOffice do not resize rows of a written file, so heights are set from this
    estimate to keep text visible.

    >>> estimate_lines("0\n（令和11年度）", 15), estimate_lines("あ" * 20, 11)
    (2, 4)
    """
    if not text:
        return 1
    per_line = line_units(width)
    return sum(max(1, -(-text_units(part) // per_line)) for part in str(text).split("\n"))


def break_before_parenthesis(text: str, width: float) -> str:
    r"""``text`` with a line break before a parenthesised part that would not fit on the
    line it starts on, so a wrap never leaves a lone '）' (8（156人） -> 8 / （156人）).

    >>> break_before_parenthesis("8（156人）", 9)
    '8\n（156人）'
    >>> break_before_parenthesis("8（156人）", 14)
    '8（156人）'
    """
    per_line = line_units(width)
    lines = []
    for line in str(text).split("\n"):
        at = line.find("（")  # full width: a Japanese note in parentheses, not a formula's or a URL's
        if at > 0 and text_units(line) > per_line:
            lines.extend([line[:at].rstrip(), line[at:]])
        else:
            lines.append(line)
    return "\n".join(lines)


def row_height(lines: int, line: float = LINE_POINTS) -> float:
    """Row height in pt for ``lines`` lines of text (Excel's limit is 409 pt).

    >>> row_height(2)
    29.0
    """
    return min(409.0, line * lines + 4)


def keep_row_breaks(heights: Sequence[float], *, page_height: float, title_height: float = 0.0,
                    groups: Sequence[Tuple[int, int]] = (), keep_with_next: Sequence[int] = (),
                    new_page: Sequence[int] = (), heads: Optional[Dict[int, float]] = None) -> List[int]:
    """Every page break of a sheet (the last row before each), placed so that rows that
    belong together share a page; written as manual breaks, the application adds none.

    ``heights`` are the printed heights (pt, at the print scale) of rows 1, 2, …;
    ``page_height`` the printable height of a page and ``title_height`` that of the title
    rows every page after the first repeats. A group (first, last row: an item's merged
    rows) moves whole to the next page when it does not fit on this one but fits on a
    page; one longer than a page moves when its first row, or its ``heads`` height (the
    text of its merged cells), does not fit, and is then cut where the page is full. A
    heading in ``keep_with_next`` moves with the group (or row) after it; a row in
    ``new_page`` starts a page. Heights should err on the tall side: a page planned
    fuller than it prints would get a break of the application's own as well.

    >>> keep_row_breaks([100, 100, 100, 20, 100], page_height=330, keep_with_next=[4])
    [3]
    >>> keep_row_breaks([100, 100, 100, 100], page_height=330, groups=[(3, 4)])
    [2]
    >>> keep_row_breaks([100, 200, 20, 250, 100], page_height=330, keep_with_next=[3], groups=[(4, 5)])
    [2, 4]
    """
    ends = {first: last for first, last in groups}
    heads = heads or {}
    keep, starts = set(keep_with_next), set(new_page)
    breaks: List[int] = []
    used, row, count = 0.0, 1, len(heights)

    def unit_end(first: int) -> int:  # the last row of what starts at ``first``
        return min(max(ends.get(first, first), first), count)

    while row <= count:
        last, probe = unit_end(row), row
        while probe in keep and last < count:  # a heading (or several) with what follows
            probe = last + 1
            last = unit_end(probe)
        need = sum(heights[row - 1:last])
        if need > page_height - title_height:  # longer than a page: the headings, one row, its merged text
            need = max(sum(heights[row - 1:probe]), sum(heights[row - 1:probe - 1]) + heads.get(probe, 0.0))
        if used > title_height and (row in starts or need > page_height - used):
            breaks.append(row - 1)
            used = title_height
        for at, height in enumerate(heights[row - 1:last], start=row):  # a unit longer than a page flows
            if used + height > page_height and used > title_height:
                breaks.append(at - 1)
                used = title_height
            used += height
        row = last + 1
    return breaks


class StyleCache:
    """Give cells a style combination by copying a finished style array.

    Setting font, fill, border … one by one makes openpyxl hash each style object
    for every cell, which is most of the writing time of a large sheet; the array
    of style ids is copied instead once a combination has been built. One cache per
    workbook (the ids index that workbook's style tables).
    """

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, Side

        self._arrays: dict = {}
        # the styles every writer shares (tables with thin grey borders, 10 pt text)
        thin = Side(style="thin", color=BORDER_COLOR)
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(name=FONT_NAME, size=10)
        self.bold = Font(name=FONT_NAME, size=10, bold=True)
        self.title = Font(name=FONT_NAME, size=14, bold=True)
        self.red = Font(name=FONT_NAME, size=10, bold=True, color="C00000")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.wrap_center = Alignment(wrap_text=True, vertical="top", horizontal="center")

    def apply(self, cell: Any, key: Any, **attributes: Any) -> None:
        array = self._arrays.get(key)
        if array is None:
            for name, value in attributes.items():
                setattr(cell, name, value)
            self._arrays[key] = copy.copy(cell._style)
        else:
            cell._style = copy.copy(array)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def put(ws: Any, row: int, col: int, value: Any) -> Any:
    """Write a value; strings are always stored as text (never a live formula)."""
    cell = ws.cell(row, col)
    if isinstance(value, str):
        value = xlsx_text(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
    return cell
