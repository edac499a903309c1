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
from pathlib import Path
from typing import Any, Callable, List, Sequence

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


def fit_a4_landscape(ws: Any) -> None:
    """A4 landscape, scaled to one page wide and as many pages long as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


@functools.lru_cache(maxsize=1 << 16)  # plan texts repeat in every department's workbook
def estimate_lines(text: str, width: float) -> int:
    """Rough number of printed lines of ``text`` in a wrapped column of ``width``.

    Full-width characters take two units of column width. Excel does not resize rows
    of a written file, so heights are set from this estimate to keep text visible.
    """
    if not text:
        return 1
    per_line = max(width - 1, 2)
    lines = 0
    for part in str(text).split("\n"):
        units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in part)
        lines += max(1, -(-units // int(per_line)))
    return lines


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
