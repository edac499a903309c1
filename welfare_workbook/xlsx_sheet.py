"""One worksheet of the :mod:`~welfare_workbook.xlsx` writer, and the values in it.

A :class:`Sheet` is written row by row as text; ``to_xml`` puts the rows between its
view, columns, protection, merged cells, conditional formats, validations, print set-up
and page breaks. The module also holds the text helpers every part of a book uses
(:func:`escape`, :func:`xstring`) and the errors for what the writer refuses
(:class:`XlsxError`, :class:`XlsxLimitError`): a cell value, validation, header or footer,
or sheet name that Excel would not open as written. :mod:`~welfare_workbook.xlsx`
re-exports all of it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .excel_limits import (
    CELL_TEXT_LIMIT, FORMULA_LIMIT, HEADER_FOOTER_LIMIT, NUMBER_LIMIT, SHEET_NAME_LIMIT, VALIDATION_MESSAGE_LIMIT,
    VALIDATION_TITLE_LIMIT, utf16_length,
)
from .excel import xlsx_text
from .master import column_letter

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# an underscore that starts what Excel (and calamine) read as an escape: _x0041_ is 'A'
_XSTRING_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


class XlsxError(ValueError):
    """A value the writer refuses because Excel would not open it as written: a programming
    error (a date, NaN, a sheet name Excel does not allow), or see :class:`XlsxLimitError`.

    ``sheet`` and ``cell`` say where it was to go ('header', 'footer' or a validation's
    range when it is not a cell).
    """

    def __init__(self, message: str, *, sheet: Optional[str] = None, cell: Optional[str] = None) -> None:
        where = "!".join(part for part in (_quoted(sheet) if sheet is not None else None, cell) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.sheet = sheet
        self.cell = cell


class XlsxLimitError(XlsxError):
    """A text longer than Excel allows where it goes; ``length`` and ``limit`` in UTF-16 code units.

    Text can come from data: a caller checks it first or turns this into a message, as
    ``generate`` does.
    """

    def __init__(self, what: str, length: int, limit: int, *, sheet: Optional[str] = None,
                 cell: Optional[str] = None) -> None:
        super().__init__(f"{what} of {length:,} characters is longer than Excel's limit of {limit:,} "
                         "(UTF-16 code units)", sheet=sheet, cell=cell)
        self.what = what
        self.length = length
        self.limit = limit


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _too_long(text: str, limit: int) -> int:
    """The UTF-16 length of ``text`` when it is over ``limit``, else 0 (cheap for short text)."""
    if len(text) * 2 <= limit:  # no text of n code points has more than 2n units
        return 0
    length = utf16_length(text)
    return length if length > limit else 0


def escape(text: str, quote: bool = False) -> str:
    """Text for XML content (``quote``: for an attribute value), illegal characters dropped.

    A CR is written as the character reference ``&#13;``, not as ``_x000D_`` as Excel
    writes it: every XML parser gives the reference back as CR, while openpyxl reads
    ``_x000D_`` literally.
    """
    text = xlsx_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "\r" in text:  # a parser turns a literal CR into LF; a character reference survives
        text = text.replace("\r", "&#13;")
    if quote:  # attribute values lose literal line breaks and tabs to spaces
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


def xstring(text: str) -> str:
    r"""Text Excel reads back as written where it decodes ``_xHHHH_`` escapes (headers,
    validation messages): a literal ``_x0041_`` gets Office's ``_x005F_`` for its underscore.

    >>> xstring("_x0041_ and __x000D_")
    '_x005F_x0041_ and __x005F_x000D_'
    """
    return _XSTRING_ESCAPE.sub("_x005F_", text) if "_x" in text else text


@functools.lru_cache(maxsize=1 << 16)
def _inline_string(text: str) -> str:
    # plain text repeats across thousands of workbooks (plan texts): escape it once
    kept = xlsx_text(text)  # whether spaces lead or trail is decided after dropping what XML cannot hold
    length = _too_long(kept, CELL_TEXT_LIMIT)
    if length:
        raise XlsxLimitError("text", length, CELL_TEXT_LIMIT)
    if "_x" in kept and _XSTRING_ESCAPE.search(kept):
        # Excel and calamine read _x0041_ as 'A', openpyxl reads inline text literally, so
        # Office's _x005F_x0041_ would come back as that in openpyxl. Split into runs, no
        # run holds an escape: Excel and calamine decode each run alone, openpyxl joins
        # them undecoded, and all read the text as written.
        cuts = [0] + [match.start() + 1 for match in _XSTRING_ESCAPE.finditer(kept)] + [len(kept)]
        runs = "".join(f'<r><t xml:space="preserve">{escape(kept[start:end])}</t></r>'
                       for start, end in zip(cuts, cuts[1:]))
        return f'" t="inlineStr"><is>{runs}</is></c>'
    space = ' xml:space="preserve"' if kept != kept.strip() else ""
    return f'" t="inlineStr"><is><t{space}>{escape(kept)}</t></is></c>'


class Formula(str):
    """A cell formula, without the leading '='."""


# ---------------------------------------------------------------------------
# sheets


@dataclass
class Validation:
    """A data validation; ``type`` None only shows the input message."""

    sqref: str
    type: Optional[str] = None  # list / whole / decimal
    formula1: Optional[str] = None
    formula2: Optional[str] = None
    operator: Optional[str] = None
    error_style: Optional[str] = None  # warning: the user may confirm and keep the value
    error_title: str = ""
    error: str = ""
    prompt_title: str = ""
    prompt: str = ""

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise :class:`XlsxLimitError` for a title or message Excel would drop (with the validation)."""
        for what, value, limit in (("errorTitle", self.error_title, VALIDATION_TITLE_LIMIT),
                                   ("promptTitle", self.prompt_title, VALIDATION_TITLE_LIMIT),
                                   ("error", self.error, VALIDATION_MESSAGE_LIMIT),
                                   ("prompt", self.prompt, VALIDATION_MESSAGE_LIMIT)):
            length = _too_long(xlsx_text(value), limit) if len(value) * 2 > limit else 0  # short: cheap
            if length:
                raise XlsxLimitError(f"validation {what}", length, limit, cell=self.sqref)

    def to_xml(self) -> str:
        self.check()  # the fields may have changed since it was made
        attrs = [("type", self.type), ("errorStyle", self.error_style), ("operator", self.operator),
                 ("allowBlank", "1"), ("showInputMessage", "1"), ("showErrorMessage", "1"),
                 ("errorTitle", self.error_title), ("error", self.error),
                 ("promptTitle", self.prompt_title), ("prompt", self.prompt)]
        # titles and messages are ST_Xstring: Excel decodes _xHHHH_ in them
        text = "".join(f' {name}="{escape(xstring(value), True)}"' for name, value in attrs if value)
        text += f' sqref="{escape(self.sqref, True)}"'
        inner = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in (("formula1", self.formula1),
                                                                          ("formula2", self.formula2)) if value)
        return f"<dataValidation{text}>{inner}</dataValidation>"


Cell = Tuple[int, Union[str, int, float, None], int]  # (column, value, style id)


@dataclass
class Sheet:
    name: str
    state: str = "visible"  # or veryHidden
    widths: Dict[int, float] = field(default_factory=dict)
    merged: List[str] = field(default_factory=list)
    validations: List[Validation] = field(default_factory=list)
    conditional: List[Tuple[str, str, int]] = field(default_factory=list)  # (sqref, formula, dxf id)
    freeze_row: int = 0  # rows above this one stay in view
    freeze_column: int = 0  # … and columns left of this one (5: A–D)
    auto_filter: str = ""  # 'A1:P9': the header row of that range gets filter buttons
    default_row_height: float = 13.5  # of a row written without a height
    active_cell: str = "A1"
    protected: bool = False
    password_hash: str = ""
    protect_format_rows_columns: bool = False  # True: resizing rows and columns stays allowed
    # orientation, margins, header_footer_margins, centered, header, footer; pages_wide (fit to that many pages
    # wide, 1 by default), page_order ('overThenDown': a wide table's right half follows its left)
    print_setup: Optional[Dict[str, Any]] = None
    print_titles: str = ""  # '$4:$4'
    print_title_columns: str = ""  # '$A:$C': repeated at the left of every page a wide table spans
    row_breaks: List[int] = field(default_factory=list)  # a page ends after each of these rows
    column_breaks: List[int] = field(default_factory=list)  # … and after each of these columns
    print_area: str = ""  # '$A$1:$O$14'
    selected: bool = False
    text_numbers_ok: str = ""  # sqref where Excel should not flag "number stored as text"
    _rows: List[str] = field(default_factory=list)
    _last_row: int = 0
    _last_col: int = 1

    def append_row(self, row: int, cells: Sequence[Cell], height: Optional[float] = None) -> None:
        """Write row ``row`` (rows must come in increasing order); ``None`` values keep only the style.

        A value is text, an int, a float, a bool or a :class:`Formula`; anything else (a
        date, NaN, an infinity) raises :class:`XlsxError`, a text over
        :data:`CELL_TEXT_LIMIT` or a formula over :data:`FORMULA_LIMIT` raises
        :class:`XlsxLimitError`, both naming the cell.
        """
        if row <= self._last_row:
            raise ValueError(f"row {row} written after row {self._last_row}")
        parts = [f'<row r="{row}"' + (f' ht="{height:g}" customHeight="1">' if height else ">")]
        for col, value, style in cells:
            ref = f"{column_letter(col)}{row}"
            head = f'<c r="{ref}" s="{style}' if style else f'<c r="{ref}'
            if value is None or value == "":
                parts.append(head + '"/>')
            elif isinstance(value, Formula):
                length = _too_long(value, FORMULA_LIMIT)
                if length:
                    raise XlsxLimitError("formula", length, FORMULA_LIMIT, sheet=self.name, cell=ref)
                parts.append(f"{head}\"><f>{escape(value)}</f><v></v></c>")
            elif isinstance(value, str):
                try:
                    parts.append(head + _inline_string(value))
                except XlsxLimitError as exc:  # the cached part knows no address
                    raise XlsxLimitError(exc.what, exc.length, exc.limit, sheet=self.name, cell=ref) from None
            elif isinstance(value, bool):
                parts.append(f'{head}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)) and -NUMBER_LIMIT <= value <= NUMBER_LIMIT:  # False for NaN
                parts.append(f'{head}"><v>{value}</v></c>')
            elif isinstance(value, (int, float)):
                raise XlsxError(f"{value!r} is not a number Excel can hold", sheet=self.name, cell=ref)
            else:
                # a date would need a number format and a serial number; the workbooks show text
                raise XlsxError(f"{type(value).__name__} {value!r} is not text, a number, a bool or a Formula",
                                sheet=self.name, cell=ref)
            if col > self._last_col:
                self._last_col = col
        parts.append("</row>")
        self._last_row = row  # only once the whole row is accepted
        self._rows.append("".join(parts))

    def to_xml(self) -> str:
        out = [f'{_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">', self._view_xml(), self._cols_xml(),
               "<sheetData>"]
        out.extend(self._rows)
        out += ["</sheetData>", self._protection_xml(),
                f'<autoFilter ref="{self.auto_filter}"/>' if self.auto_filter else "", self._merges_xml(), self._conditional_xml(),
                self._validations_xml(), self._print_xml(), self._breaks_xml(), self._ignored_errors_xml(), "</worksheet>"]
        return "".join(out)

    def _view_xml(self) -> str:
        """sheetPr, dimension, sheetViews (the frozen rows, the active cell) and sheetFormatPr."""
        fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.print_setup is not None else ""
        dimension = f'<dimension ref="A1:{column_letter(self._last_col)}{max(self._last_row, 1)}"/>'
        view = ' tabSelected="1"' if self.selected else ""
        return (f'{fit}{dimension}<sheetViews><sheetView{view} workbookViewId="0">{self._pane_xml()} '
                f'activeCell="{self.active_cell}" sqref="{self.active_cell}"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="{self.default_row_height:g}"/>')

    def _pane_xml(self) -> str:
        """The frozen pane, up to the selection element's name (its attributes follow)."""
        rows, columns = max(self.freeze_row - 1, 0), max(self.freeze_column - 1, 0)
        if not (rows or columns):
            return "<selection"
        active = "bottomRight" if rows and columns else ("bottomLeft" if rows else "topRight")
        split = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{rows}"' if rows else "")
        # Excel writes a selection for each pane the split makes, the active one last
        others = "".join(f'<selection pane="{pane}"/>' for pane in ("topRight", "bottomLeft") if rows and columns)
        return (f'<pane{split} topLeftCell="{column_letter(columns + 1)}{rows + 1}" activePane="{active}" '
                f'state="frozen"/>{others}<selection pane="{active}"')

    def _cols_xml(self) -> str:
        if not self.widths:
            return ""
        return "<cols>" + "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                                  for c, w in sorted(self.widths.items())) + "</cols>"

    def _protection_xml(self) -> str:
        if not self.protected:
            return ""
        password = f' password="{self.password_hash}"' if self.password_hash else ""
        allowed = ' formatColumns="0" formatRows="0"' if self.protect_format_rows_columns else ""
        return f'<sheetProtection{password} sheet="1"{allowed}/>'

    def _merges_xml(self) -> str:
        if not self.merged:
            return ""
        return (f'<mergeCells count="{len(self.merged)}">'
                + "".join(f'<mergeCell ref="{ref}"/>' for ref in self.merged) + "</mergeCells>")

    def _conditional_xml(self) -> str:
        return "".join(f'<conditionalFormatting sqref="{sqref}"><cfRule type="expression" dxfId="{dxf}" '
                       f'priority="{priority}"><formula>{escape(formula)}</formula></cfRule></conditionalFormatting>'
                       for priority, (sqref, formula, dxf) in enumerate(self.conditional, start=1))

    def _validations_xml(self) -> str:
        if not self.validations:
            return ""
        return (f'<dataValidations count="{len(self.validations)}">'
                + "".join(v.to_xml() for v in self.validations) + "</dataValidations>")

    def _print_xml(self) -> str:
        """printOptions, pageMargins, pageSetup and headerFooter: nothing without a print set-up."""
        setup = self.print_setup
        if setup is None:
            return ""
        centered = '<printOptions horizontalCentered="1"/>' if setup.get("centered") else ""
        m = setup.get("margins", (0.7, 0.7, 0.75, 0.75))
        header, footer = setup.get("header_footer_margins", (0.3, 0.3))  # inches from the paper's edge
        order = f' pageOrder="{setup["page_order"]}"' if setup.get("page_order") else ""
        return (f'{centered}<pageMargins left="{m[0]:g}" right="{m[1]:g}" top="{m[2]:g}" bottom="{m[3]:g}" '
                f'header="{header:g}" footer="{footer:g}"/><pageSetup paperSize="9"{order} fitToWidth="{setup.get("pages_wide", 1)}" '
                f'fitToHeight="0" orientation="{setup.get("orientation", "portrait")}"/>'
                + self._header_footer_xml(setup.get("header", ""), setup.get("footer", "")))

    def _header_footer_xml(self, header: str, footer: str) -> str:
        for what, text in (("header", header), ("footer", footer)):
            length = _too_long(xlsx_text(text), HEADER_FOOTER_LIMIT) if len(text) > 127 else 0  # 2 × 127 < 255
            if length:
                raise XlsxLimitError(what, length, HEADER_FOOTER_LIMIT, sheet=self.name, cell=what)
        if not (header or footer):
            return ""
        # header and footer text is ST_Xstring: Excel (and openpyxl) decode _xHHHH_ there
        return ("<headerFooter>"
                + (f"<oddHeader>{escape(xstring(header))}</oddHeader>" if header else "")
                + (f"<oddFooter>{escape(xstring(footer))}</oddFooter>" if footer else "")
                + "</headerFooter>")

    def _breaks_xml(self) -> str:
        # id: the last row (column) before the break; max: the other axis' last index
        return "".join(f'<{tag} count="{len(breaks)}" manualBreakCount="{len(breaks)}">'
                       + "".join(f'<brk id="{at}" max="{limit}" man="1"/>' for at in sorted(breaks)) + f"</{tag}>"
                       for tag, breaks, limit in (("rowBreaks", self.row_breaks, 16383),
                                                  ("colBreaks", self.column_breaks, 1048575)) if breaks)

    def _ignored_errors_xml(self) -> str:
        if not self.text_numbers_ok:
            return ""
        return (f'<ignoredErrors><ignoredError sqref="{self.text_numbers_ok}" numberStoredAsText="1"/>'
                "</ignoredErrors>")


def header_footer_text(text: str) -> str:
    """Literal text for a header/footer section: '&' starts a code there, so it is doubled."""
    return text.replace("&", "&&")


def check_sheet_name(name: str, taken: Sequence[str] = ()) -> None:
    """Raise :class:`XlsxError` unless Excel accepts ``name`` for a sheet besides those ``taken``.

    >>> check_sheet_name("取組状況", ["記入方法"])
    >>> check_sheet_name("記入方法", ["記入方法"])
    Traceback (most recent call last):
    ...
    welfare_workbook.xlsx_sheet.XlsxError: sheet name '記入方法' is taken (Excel compares names ignoring case)
    """
    if not name:
        raise XlsxError("a sheet name cannot be empty")
    length = _too_long(name, SHEET_NAME_LIMIT) if len(name) > SHEET_NAME_LIMIT // 2 else 0
    if length:
        raise XlsxLimitError(f"sheet name {name!r}", length, SHEET_NAME_LIMIT)
    problem = ""
    if _SHEET_NAME_FORBIDDEN.search(name):
        problem = "holds one of [ ] : * ? / \\"
    elif name[0] == "'" or name[-1] == "'":
        problem = "starts or ends with an apostrophe"
    elif name.casefold() == "history":
        problem = "is reserved by Excel"
    elif xlsx_text(name) != name:
        problem = "holds a character an .xlsx cannot hold"
    elif _XSTRING_ESCAPE.search(name):  # Excel would decode it, openpyxl and calamine do not
        problem = "holds an _xHHHH_ escape"
    elif name.casefold() in {other.casefold() for other in taken}:
        problem = "is taken (Excel compares names ignoring case)"
    if problem:
        raise XlsxError(f"sheet name {name!r} {problem}")
