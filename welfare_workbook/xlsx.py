"""A small, fast .xlsx writer for workbooks whose layout we fully control.

openpyxl builds an object per cell and serialises each through an XML tree writer;
for the survey workbooks that was most of ``generate``'s time. Here a sheet is
written as text, row by row, with styles chosen from a fixed table: the output is
plain SpreadsheetML (inline strings, like openpyxl's) that Excel, LibreOffice,
openpyxl and calamine read alike.

Only what the generated workbooks and the form compilation use is supported: text,
numbers and formulas; styles from a :class:`StyleSheet` (built-in or custom number
formats); column widths, row heights, merged cells, frozen header rows and columns, an
auto filter, data validations, conditional formats (expression rules with a fill),
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

This module holds the style table and the book (its parts and the zip); a worksheet and
what goes in it (cell text, the limits, validations, sheet names) are in
:mod:`~welfare_workbook.xlsx_sheet`, and re-exported here.

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
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any, Dict, List, Optional, Tuple, Union

from .excel_limits import (
    CELL_TEXT_LIMIT, FORMULA_LIMIT, HEADER_FOOTER_LIMIT, NUMBER_LIMIT, SHEET_NAME_LIMIT, VALIDATION_MESSAGE_LIMIT,
    VALIDATION_TITLE_LIMIT, clip, utf16_length,
)
from .master import column_letter
from .xlsx_sheet import (  # the worksheet part, re-exported: callers import it all from here
    _DECLARATION, _MAIN_NS, _REL_NS, Cell, Formula, Sheet, Validation, XlsxError, XlsxLimitError, check_sheet_name,
    escape, header_footer_text, xstring,
)

__all__ = ["Font", "Style", "StyleSheet", "Validation", "Sheet", "Book", "Formula", "column_letter", "escape",
           "XlsxError", "XlsxLimitError", "check_sheet_name", "clip", "utf16_length", "xstring", "CELL_TEXT_LIMIT",
           "SHEET_NAME_LIMIT", "HEADER_FOOTER_LIMIT", "VALIDATION_TITLE_LIMIT", "VALIDATION_MESSAGE_LIMIT",
           "FORMULA_LIMIT", "NUMBER_LIMIT"]

_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


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
    number_format: Union[int, str] = 0  # built-in id (0 General, 3 #,##0, 49 text @) or a format code
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
        # a format code is a custom number format: ids from 164 on (below are Excel's built-ins)
        codes = list(dict.fromkeys(s.number_format for s in self._styles if isinstance(s.number_format, str)))
        format_ids: Dict[Union[int, str], int] = {code: 164 + index for index, code in enumerate(codes)}
        xfs = [_xf_xml(style, format_ids.get(style.number_format, style.number_format),  # type: ignore[arg-type]
                       *_style_ids(style, fonts, fills, borders)) for style in self._styles]
        fill_parts = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        fill_parts += [_fill_xml(rgb) for rgb in fills[2:]]
        return (
            f'{_DECLARATION}<styleSheet xmlns="{_MAIN_NS}">'
            + (f'<numFmts count="{len(codes)}">' + "".join(
                f'<numFmt numFmtId="{format_ids[code]}" formatCode="{escape(code, True)}"/>' for code in codes)
               + "</numFmts>" if codes else "")
            + f'<fonts count="{len(fonts)}">{"".join(_font_xml(f) for f in fonts)}</fonts>'
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


def _xf_xml(style: Style, format_id: int, font_id: int, fill_id: int, border_id: int) -> str:
    """A cellXfs entry: what applies besides the defaults, the alignment and an unlocked cell."""
    aligned = bool(style.horizontal or style.vertical or style.wrap)
    applied = (("NumberFormat", format_id), ("Font", font_id), ("Fill", fill_id), ("Border", border_id),
               ("Alignment", aligned), ("Protection", not style.locked))
    attrs = (f'numFmtId="{format_id}" fontId="{font_id}" fillId="{fill_id}" borderId="{border_id}" xfId="0"'
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


def _absolute(ref: str) -> str:
    """'A1:P9' as '$A$1:$P$9'."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _dxf_xml(rgb: str) -> str:
    # a dxf's solid fill is drawn from bgColor (Excel ignores fgColor there)
    return (f'<dxf><fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor rgb="FF{rgb}"/>'
            "</patternFill></fill></dxf>")


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
        names = self._defined_names()
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

    def _defined_names(self) -> List[str]:
        """The book's names, then each sheet's filter range, print area and print titles."""
        names = [f'<definedName name="{escape(name, True)}">{escape(ref)}</definedName>'
                 for name, ref in self.defined_names]
        for index, sheet in enumerate(self.sheets):
            quoted = "'" + sheet.name.replace("'", "''") + "'"
            if sheet.auto_filter:  # Excel keeps a filter's range in this hidden name too
                names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                             f"{escape(quoted)}!{_absolute(sheet.auto_filter)}</definedName>")
            if sheet.print_area:
                names.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">'
                             f"{escape(quoted)}!{sheet.print_area}</definedName>")
            titles = [f"{quoted}!{part}" for part in (sheet.print_title_columns, sheet.print_titles) if part]
            if titles:  # columns first, as Excel writes them: 'S'!$A:$C,'S'!$4:$4
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                             f"{escape(','.join(titles))}</definedName>")
        return names

    def save(self, target: Union[str, Any, IO[bytes]]) -> None:
        """Write the .xlsx to a path or a binary file object."""
        stamp = (self.created or dt.datetime.now()).timetuple()[:6]
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in self.parts():
                info = zipfile.ZipInfo(name, date_time=stamp if stamp[0] >= 1980 else (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, text.encode("utf-8"))
