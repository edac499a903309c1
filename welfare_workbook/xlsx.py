"""A small, fast .xlsx writer for workbooks whose layout we fully control.

openpyxl builds an object per cell and serialises each through an XML tree writer;
for the survey workbooks that was most of ``generate``'s time. Here a sheet is
written as text, row by row, with styles chosen from a fixed table: the output is
plain SpreadsheetML (inline strings, like openpyxl's) that Excel, LibreOffice,
openpyxl and calamine read alike.

Only what the generated workbooks use is supported: text, numbers and formulas;
styles from a :class:`StyleSheet`; column widths, row heights, merged cells, frozen
header rows, data validations, conditional formats (expression rules with a fill),
sheet and workbook protection, print set-up (pages wide, repeated title rows and
columns, manual page breaks) and defined names.

The writer refuses what Excel would "repair" (drop) on opening, rather than write it:
a sheet name Excel does not allow, a text longer than Excel's limit for where it goes
(:data:`CELL_TEXT_LIMIT`, :data:`HEADER_FOOTER_LIMIT`, the validation limits), a value
that is not text, a number, a bool or a :class:`Formula` (a date, NaN, infinity). It
never shortens or changes text on its own: it raises :class:`XlsxLimitError` (a text too
long) or :class:`XlsxError` (anything else; both are ``ValueError``), at once for sheet
names, cell values and validations, on saving for headers and footers. A caller for
whom cutting is acceptable (help texts) cuts with :func:`clip`; data that is too long
is the caller's to report. Limits count UTF-16 code units, as Excel does
(``LEN("𠮷")`` is 2): a character beyond U+FFFF counts twice.

>>> styles = StyleSheet()
>>> bold = styles.add(font=Font(bold=True))
>>> book = Book(styles)
>>> sheet = book.add_sheet("表")
>>> sheet.append_row(1, [(1, "見出し", bold), (2, 3, 0)])
>>> import io, openpyxl
>>> buffer = io.BytesIO()
>>> book.save(buffer)
>>> ws = openpyxl.load_workbook(buffer)["表"]
>>> ws["A1"].value, ws["A1"].font.b, ws["B1"].value
('見出し', True, 3)
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple, Union

from .excel_limits import (
    CELL_TEXT_LIMIT, FORMULA_LIMIT, HEADER_FOOTER_LIMIT, NUMBER_LIMIT, SHEET_NAME_LIMIT, VALIDATION_MESSAGE_LIMIT,
    VALIDATION_TITLE_LIMIT, clip, utf16_length,
)
from .excel import xlsx_text
from .master import column_letter

__all__ = ["Font", "Style", "StyleSheet", "Validation", "Sheet", "Book", "Formula", "column_letter", "escape",
           "XlsxError", "XlsxLimitError", "check_sheet_name", "clip", "utf16_length", "xstring", "CELL_TEXT_LIMIT",
           "SHEET_NAME_LIMIT", "HEADER_FOOTER_LIMIT", "VALIDATION_TITLE_LIMIT", "VALIDATION_MESSAGE_LIMIT",
           "FORMULA_LIMIT", "NUMBER_LIMIT"]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
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
# styles


@dataclass(frozen=True)
class Font:
    name: str = "Calibri"
    size: float = 11
    bold: bool = False
    color: Optional[str] = None  # RGB, e.g. 'C00000'


@dataclass(frozen=True)
class Style:
    font: Font = Font()
    fill: Optional[str] = None  # solid fill RGB
    border: Optional[str] = None  # RGB of a thin border on all four sides
    number_format: int = 0  # built-in id: 0 General, 49 text (@)
    horizontal: Optional[str] = None
    vertical: Optional[str] = None
    wrap: bool = False
    locked: bool = True


class StyleSheet:
    """The fixed style table of a book: ``add`` returns the id a cell refers to."""

    def __init__(self) -> None:
        self._styles: List[Style] = [Style()]
        self._dxf_fills: List[str] = []
        self._xml = ""  # the table rarely changes once built: serialise it once

    def add(self, **attributes: Any) -> int:
        style = Style(**attributes)
        if style not in self._styles:
            self._styles.append(style)
            self._xml = ""
        return self._styles.index(style)

    def add_dxf_fill(self, rgb: str) -> int:
        """A differential format (for conditional formatting) that fills the cell."""
        if rgb not in self._dxf_fills:
            self._dxf_fills.append(rgb)
            self._xml = ""
        return self._dxf_fills.index(rgb)

    def to_xml(self) -> str:
        if not self._xml:
            self._xml = self._build_xml()
        return self._xml

    def _build_xml(self) -> str:
        fonts: List[Font] = []
        fills: List[Optional[str]] = [None, None]  # ids 0 and 1 are reserved (none, gray125)
        borders: List[Optional[str]] = [None]
        xfs = [_xf_xml(style, *_style_ids(style, fonts, fills, borders)) for style in self._styles]
        fill_parts = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        fill_parts += [_fill_xml(rgb) for rgb in fills[2:]]
        return (
            f'{_DECLARATION}<styleSheet xmlns="{_MAIN_NS}">'
            f'<fonts count="{len(fonts)}">{"".join(_font_xml(f) for f in fonts)}</fonts>'
            f'<fills count="{len(fill_parts)}">{"".join(fill_parts)}</fills>'
            f'<borders count="{len(borders)}">{"".join(_border_xml(b) for b in borders)}</borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            f'<dxfs count="{len(self._dxf_fills)}">{"".join(_dxf_xml(rgb) for rgb in self._dxf_fills)}</dxfs>'
            '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
            "</styleSheet>"
        )


def _style_ids(style: Style, fonts: List[Font], fills: List[Optional[str]],
               borders: List[Optional[str]]) -> Tuple[int, int, int]:
    """The font, fill and border ids of ``style``, each added to its table when new (no fill is id 0)."""
    for table, item in ((fonts, style.font), (fills, style.fill), (borders, style.border)):
        if item not in table:  # None (no fill, no border) is in its table from the start
            table.append(item)
    return fonts.index(style.font), fills.index(style.fill) if style.fill else 0, borders.index(style.border)


def _xf_xml(style: Style, font_id: int, fill_id: int, border_id: int) -> str:
    """A cellXfs entry: what applies besides the defaults, the alignment and an unlocked cell."""
    aligned = bool(style.horizontal or style.vertical or style.wrap)
    applied = (("NumberFormat", style.number_format), ("Font", font_id), ("Fill", fill_id), ("Border", border_id),
               ("Alignment", aligned), ("Protection", not style.locked))
    attrs = (f'numFmtId="{style.number_format}" fontId="{font_id}" fillId="{fill_id}" borderId="{border_id}" xfId="0"'
             + "".join(f' apply{name}="1"' for name, on in applied if on))
    inner = (_alignment_xml(style) if aligned else "") + ("" if style.locked else '<protection locked="0"/>')
    return f"<xf {attrs}>{inner}</xf>" if inner else f"<xf {attrs}/>"


def _alignment_xml(style: Style) -> str:
    align = "".join(f' {name}="{value}"' for name, value in (
        ("horizontal", style.horizontal), ("vertical", style.vertical), ("wrapText", "1" if style.wrap else None))
        if value)
    return f"<alignment{align}/>"


def _font_xml(font: Font) -> str:
    bold = "<b/>" if font.bold else ""
    color = f'<color rgb="FF{font.color}"/>' if font.color else ""
    return f'<font>{bold}<sz val="{font.size:g}"/>{color}<name val="{escape(font.name, True)}"/></font>'


def _fill_xml(rgb: Optional[str]) -> str:
    return f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor indexed="64"/></patternFill></fill>'


def _border_xml(rgb: Optional[str]) -> str:
    if rgb is None:
        return "<border><left/><right/><top/><bottom/><diagonal/></border>"
    side = f'style="thin"><color rgb="FF{rgb}"/>'
    return (f"<border><left {side}</left><right {side}</right><top {side}</top>"
            f"<bottom {side}</bottom><diagonal/></border>")


def _dxf_xml(rgb: str) -> str:
    # a dxf's solid fill is drawn from bgColor (Excel ignores fgColor there)
    return (f'<dxf><fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor rgb="FF{rgb}"/>'
            "</patternFill></fill></dxf>")


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
    active_cell: str = "A1"
    protected: bool = False
    password_hash: str = ""
    protect_format_rows_columns: bool = False  # True: resizing rows and columns stays allowed
    # orientation, margins, centered, header, footer; pages_wide (fit to that many pages
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
        out += ["</sheetData>", self._protection_xml(), self._merges_xml(), self._conditional_xml(),
                self._validations_xml(), self._print_xml(), self._breaks_xml(), self._ignored_errors_xml(), "</worksheet>"]
        return "".join(out)

    def _view_xml(self) -> str:
        """sheetPr, dimension, sheetViews (the frozen rows, the active cell) and sheetFormatPr."""
        fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self.print_setup is not None else ""
        dimension = f'<dimension ref="A1:{column_letter(self._last_col)}{max(self._last_row, 1)}"/>'
        view = ' tabSelected="1"' if self.selected else ""
        if self.freeze_row > 1:
            pane = (f'<pane ySplit="{self.freeze_row - 1}" topLeftCell="A{self.freeze_row}" activePane="bottomLeft" '
                    'state="frozen"/><selection pane="bottomLeft"')
        else:
            pane = "<selection"
        return (f'{fit}{dimension}<sheetViews><sheetView{view} workbookViewId="0">{pane} activeCell="{self.active_cell}" '
                f'sqref="{self.active_cell}"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="13.5"/>')

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
        order = f' pageOrder="{setup["page_order"]}"' if setup.get("page_order") else ""
        return (f'{centered}<pageMargins left="{m[0]:g}" right="{m[1]:g}" top="{m[2]:g}" bottom="{m[3]:g}" '
                f'header="0.3" footer="0.3"/><pageSetup paperSize="9"{order} fitToWidth="{setup.get("pages_wide", 1)}" '
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
    welfare_workbook.xlsx.XlsxError: sheet name '記入方法' is taken (Excel compares names ignoring case)
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


# ---------------------------------------------------------------------------
# the book

# The theme part Excel writes, cut to what the schema requires: ECMA-376 lets a package
# go without one, but some mail filters flag an .xlsx that has none, and these files
# travel by mail. Office's colours; the fonts only matter to text styled by the theme.
_SCHEME_FILL = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
THEME_XML = (
    f'{_DECLARATION}<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme">'
    '<a:themeElements><a:clrScheme name="Office">'
    '<a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1>'
    '<a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>'
    + "".join(f'<a:{name}><a:srgbClr val="{rgb}"/></a:{name}>' for name, rgb in (
        ("dk2", "44546A"), ("lt2", "E7E6E6"), ("accent1", "4472C4"), ("accent2", "ED7D31"),
        ("accent3", "A5A5A5"), ("accent4", "FFC000"), ("accent5", "5B9BD5"), ("accent6", "70AD47"),
        ("hlink", "0563C1"), ("folHlink", "954F72")))
    + '</a:clrScheme><a:fontScheme name="Office">'
    + "".join(f'<a:{kind}><a:latin typeface="{latin}"/><a:ea typeface=""/><a:cs typeface=""/>'
              f'<a:font script="Jpan" typeface="ＭＳ Ｐゴシック"/></a:{kind}>'
              for kind, latin in (("majorFont", "Calibri Light"), ("minorFont", "Calibri")))
    + '</a:fontScheme><a:fmtScheme name="Office">'
    f'<a:fillStyleLst>{_SCHEME_FILL * 3}</a:fillStyleLst><a:lnStyleLst>'
    + "".join(f'<a:ln w="{width}">{_SCHEME_FILL}</a:ln>' for width in (6350, 12700, 19050))
    + "</a:lnStyleLst><a:effectStyleLst>" + "<a:effectStyle><a:effectLst/></a:effectStyle>" * 3
    + f"</a:effectStyleLst><a:bgFillStyleLst>{_SCHEME_FILL * 3}</a:bgFillStyleLst></a:fmtScheme>"
    "</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"
)


@dataclass
class Book:
    styles: StyleSheet
    sheets: List[Sheet] = field(default_factory=list)
    defined_names: List[Tuple[str, str]] = field(default_factory=list)  # (name, reference)
    lock_structure: bool = False
    workbook_password_hash: str = ""
    title: str = ""
    subject: str = ""
    creator: str = ""
    created: Optional[dt.datetime] = None

    def add_sheet(self, name: str, state: str = "visible") -> Sheet:
        """A new sheet at the end; a name Excel would refuse raises :class:`XlsxError` at once."""
        check_sheet_name(name, [s.name for s in self.sheets])
        sheet = Sheet(name, state)
        self.sheets.append(sheet)
        return sheet

    def parts(self) -> List[Tuple[str, str]]:
        """(zip path, XML text) of every part, in the order they are stored."""
        for index, sheet in enumerate(self.sheets):  # a sheet may have been renamed since it was added
            check_sheet_name(sheet.name, [s.name for s in self.sheets[:index]])
        count = len(self.sheets)
        active = next((i for i, s in enumerate(self.sheets) if s.selected), 0)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, count + 1))
        content_types = (
            f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            f"{overrides}"
            '<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'theme+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'extended-properties+xml"/></Types>'
        )
        root_rels = (
            f'{_DECLARATION}<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG_REL_NS}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )
        book_rels = (
            f'{_DECLARATION}<Relationships xmlns="{_PKG_REL_NS}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, count + 1))
            + f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/theme" Target="theme/theme1.xml"/>'
            + f'<Relationship Id="rId{count + 2}" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
        )
        sheets = "".join(
            f'<sheet name="{escape(s.name, True)}" sheetId="{i}"'
            + (f' state="{s.state}"' if s.state != "visible" else "") + f' r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, start=1))
        names = [f'<definedName name="{escape(name, True)}">{escape(ref)}</definedName>'
                 for name, ref in self.defined_names]
        for index, sheet in enumerate(self.sheets):
            quoted = "'" + sheet.name.replace("'", "''") + "'"
            if sheet.print_area:
                names.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">'
                             f"{escape(quoted)}!{sheet.print_area}</definedName>")
            titles = [f"{quoted}!{part}" for part in (sheet.print_title_columns, sheet.print_titles) if part]
            if titles:  # columns first, as Excel writes them: 'S'!$A:$C,'S'!$4:$4
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                             f"{escape(','.join(titles))}</definedName>")
        protection = ""
        if self.lock_structure:
            password = f' workbookPassword="{self.workbook_password_hash}"' if self.workbook_password_hash else ""
            protection = f'<workbookProtection{password} lockStructure="1"/>'
        workbook = (
            f'{_DECLARATION}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><workbookPr/>{protection}'
            f'<bookViews><workbookView activeTab="{active}"/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
            + '<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>'
        )
        stamp = (self.created or dt.datetime.now()).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        core = (
            f'{_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(self.title)}</dc:title><dc:subject>{escape(self.subject)}</dc:subject>"
            f"<dc:creator>{escape(self.creator)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>'
        )
        app = (f'{_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
               'extended-properties"><Application>welfare_workbook</Application></Properties>')
        parts = [("[Content_Types].xml", content_types), ("_rels/.rels", root_rels),
                 ("docProps/app.xml", app), ("docProps/core.xml", core),
                 ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", book_rels),
                 ("xl/theme/theme1.xml", THEME_XML), ("xl/styles.xml", self.styles.to_xml())]
        parts += [(f"xl/worksheets/sheet{i}.xml", s.to_xml()) for i, s in enumerate(self.sheets, start=1)]
        return parts

    def save(self, target: Union[str, Any, IO[bytes]]) -> None:
        """Write the .xlsx to a path or a binary file object."""
        stamp = (self.created or dt.datetime.now()).timetuple()[:6]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in self.parts():
                info = zipfile.ZipInfo(name, date_time=stamp if stamp[0] >= 1980 else (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, text.encode("utf-8"))
