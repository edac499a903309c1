"""Reading and writing master files: an .xlsx or a folder of CSV exports, the bundled samples,
and the .xlsx that init-master and rollover write.

Reading gives every sheet as text with the Excel position of each value
(:class:`RawSheet`); checking it and building the records is :mod:`master`'s job.
What the sheets hold is declared once in :mod:`master_model`.

>>> raw = raw_sheet("担当課", [["課ID", "課 名"], ["K01", "福祉政策課"], [None, ""]])
>>> raw.header, raw.rows, raw.cell(2, "課名")
({'課ID': 1, '課名': 2}, [(2, ['K01', '福祉政策課'])], 'B2')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple, Union

from .excel import FONT_NAME, HEADER_FILL, atomic_write
from .master_model import MASTER_COLUMNS, MASTER_SHEETS, SETTINGS_SHEET, cell_text, column_letter

SAMPLES = ("dai3ji", "dai2ji_chukan")
DEFAULT_SAMPLE = "dai3ji"

MasterSource = Union[str, Path]


# ---------------------------------------------------------------------------
# reading


@dataclass
class RawSheet:
    """A master sheet as text, with the Excel position of every value."""

    name: str
    header: Dict[str, int]  # header text -> 1-based column
    rows: List[Tuple[int, List[str]]]  # (Excel row number, cell texts)
    file: str = ""  # the CSV file it was read from ("" for a sheet of an .xlsx)
    problem: str = ""  # "encoding": that CSV is neither UTF-8 nor Shift_JIS (no header, no rows)

    def get(self, row: List[str], column: str) -> str:
        index = self.header.get(column)
        return row[index - 1] if index and index <= len(row) else ""

    def cell(self, row_number: int, column: str) -> str:
        return f"{column_letter(self.header.get(column, 1))}{row_number}"


def raw_sheet(name: str, rows: Iterable[Sequence[Any]]) -> RawSheet:
    """A sheet's rows (header first) as a :class:`RawSheet`; empty rows are left out."""
    iterator = iter(rows)
    header_row = next(iterator, ())
    header = {}
    for index, value in enumerate(header_row, start=1):
        # NFKC folds 指標No; header keys are compared in that form, without spaces
        text = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")
        if text and text not in header:
            header[text] = index
    body = []
    for number, row in enumerate(iterator, start=2):
        texts = [cell_text(v) for v in row]
        if any(texts):
            body.append((number, texts))
    return RawSheet(name, header, body)


def _read_xlsx(path: Path) -> Dict[str, RawSheet]:
    import openpyxl  # imported lazily: keeps `--help` fast

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: raw_sheet(ws.title, ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


def read_csv_text(path: Path) -> str:
    """CSV exported by Excel (cp932) or saved as UTF-8 (with or without BOM).

    Raises UnicodeDecodeError for anything else, also for text with NUL characters: Python's
    cp932 decodes almost any bytes, so a UTF-16 file (Excel's 「Unicode テキスト」) would
    otherwise be read as garbage headings.
    """
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnicodeDecodeError("cp932", data, 0, 1, "neither UTF-8 nor cp932")


def _read_csv_folder(folder: Path) -> Dict[str, RawSheet]:
    """Every ``<シート名>.csv`` of a folder. A master sheet's file that cannot be decoded is
    kept as a sheet with ``problem`` set, so the check names that file and reads the others;
    any other undecodable file is not part of the master and is left out."""
    import csv
    import io

    declared = set(MASTER_COLUMNS)
    sheets = {}
    for path in sorted(folder.glob("*.csv")):
        name = unicodedata.normalize("NFC", path.stem)
        try:
            text = read_csv_text(path)
        except UnicodeDecodeError:
            if name in declared:
                sheets[name] = RawSheet(name, {}, [], file=f"{name}.csv", problem="encoding")
            continue
        sheet = raw_sheet(name, csv.reader(io.StringIO(text, newline="")))
        sheet.file = f"{name}.csv"
        sheets[name] = sheet
    return sheets


def read_raw(source: MasterSource) -> Dict[str, RawSheet]:
    """Read every sheet of a master as text. Raises OSError/ValueError when unreadable."""
    path = Path(source)
    if path.is_dir():
        return _read_csv_folder(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise ValueError("対応していない形式です")


def sample_path(name: str = DEFAULT_SAMPLE) -> Path:
    """Folder of the bundled sample master's CSV files."""
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; choose from {', '.join(SAMPLES)}")
    return Path(str(resources.files("welfare_workbook.samples").joinpath(name)))


def sample_rows(name: str = DEFAULT_SAMPLE) -> Dict[str, List[List[str]]]:
    """The bundled sample as rows of text per sheet (header first), in declared sheet order."""
    import csv
    import io

    folder = sample_path(name)
    sheets = {}
    for sheet in MASTER_COLUMNS:
        text = read_csv_text(folder / f"{sheet}.csv")
        sheets[sheet] = [row for row in csv.reader(io.StringIO(text, newline=""))]
    return sheets


# ---------------------------------------------------------------------------
# writing (init-master, rollover)

# sheet -> header -> its declared column (widths and dropdowns of the written .xlsx)
_DECLARED = {sheet.name: {c.header: c for c in sheet.columns} for sheet in MASTER_SHEETS}


def write_master_xlsx(rows: Dict[str, List[List[str]]], path: Path) -> None:
    """Write master rows (header first, per sheet) as an .xlsx the secretariat can edit.

    Columns keep the order of ``rows`` (rollover keeps the secretariat's own order);
    widths and the dropdowns of closed vocabularies come from the sheet declarations.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    styles = _Styles()
    for sheet, sheet_rows in rows.items():
        ws = wb.create_sheet(sheet)
        for row in sheet_rows:
            ws.append([_typed(v) for v in row])
        _style_sheet(ws, sheet, sheet_rows[0], styles)
    atomic_write(path, wb.save)


class _Styles:
    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.header_font = Font(name=FONT_NAME, bold=True)
        self.body_font = Font(name=FONT_NAME)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.fill = PatternFill("solid", fgColor=HEADER_FILL)


def _style_sheet(ws: Any, sheet: str, header: List[str], styles: _Styles) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    declared = _DECLARED.get(sheet, {})
    for index, name in enumerate(header, start=1):
        column = declared.get(name)
        ws.column_dimensions[column_letter(index)].width = column.width if column else 12
        ws.cell(1, index).font = styles.header_font
        ws.cell(1, index).fill = styles.fill
        if column is not None and column.choices:  # the closed vocabularies of the master itself
            letter = column_letter(index)
            dv = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
            dv.add(f"{letter}2:{letter}1000")
            ws.add_data_validation(dv)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.font, cell.alignment = styles.body_font, styles.wrap
            if cell.data_type == "f":  # text such as '=1+1' (e.g. an answer rolled over) stays text
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    if sheet != SETTINGS_SHEET:
        ws.auto_filter.ref = ws.dimensions


def _typed(text: str) -> Any:
    """Plain integers become numbers in the written sheet; everything else stays text."""
    return int(text) if re.fullmatch(r"-?[1-9]\d{0,8}|0", text) else text
