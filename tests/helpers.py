"""Helpers shared by the test modules (import with ``from helpers import ...``).

Everything here works on real .xlsx files opened with the real readers; nothing is
mocked. ``tests`` is on ``sys.path`` through ``pythonpath = tests`` in setup.cfg.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple, Union

import openpyxl
from click.testing import CliRunner, Result
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from openpyxl.utils import get_column_letter

from welfare_workbook import __version__
from welfare_workbook.cli import cli
from welfare_workbook.master import sample_path, sample_rows, write_master_xlsx
from welfare_workbook.spec import template_version

PathLike = Union[str, Path]

META_SHEET = "_meta"
LISTS_SHEET = "_lists"
GUIDE_SHEET = "記入方法"
DEFAULT_HEADER_ROW = 4
# Values of _meta that change on every run or every release; left out of dumps or
# replaced by a marker when they equal the running code's value.
VOLATILE_META = ("generated_at",)
CURRENT_MARKER = "<current>"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
WINDOWS_FORBIDDEN = set('\\/:*?"<>|')


# ---------------------------------------------------------------------------
# cells and ranges


def sqref_cells(sqref: Any) -> Set[str]:
    """Every A1 coordinate covered by a sqref ('K5 K8', 'H5:H39', MultiCellRange)."""
    cells: Set[str] = set()
    for part in str(sqref).split():
        min_col, min_row, max_col, max_row = range_boundaries(part.replace("$", ""))
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                cells.add(f"{get_column_letter(col)}{row}")
    return cells


def coordinate_key(coordinate: str) -> Tuple[int, int]:
    """Sort key for 'K10' after 'K9' (row, then column)."""
    letters, row = coordinate_from_string(coordinate.split(":")[0].replace("$", ""))
    return row, column_index_from_string(letters)


def range_key(ref: str) -> Tuple[int, int]:
    """Sort key for a range 'H5:H39' by its first cell, column first."""
    row, col = coordinate_key(ref)
    return col, row


def rgb(color: Any) -> Optional[str]:
    """'00FFF2CC' / 'FFFFF2CC' -> 'FFF2CC'; None when there is no plain RGB."""
    value = getattr(color, "rgb", None)
    if isinstance(value, str) and re.fullmatch(r"[0-9A-Fa-f]{6,8}", value):
        return value[-6:].upper()
    return None


def fill_rgb(cell: Any) -> Optional[str]:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    return rgb(fill.fgColor)


def header_columns(ws: Any, header_row: int = DEFAULT_HEADER_ROW) -> Dict[str, int]:
    """Header label -> 1-based column."""
    return {str(c.value): c.column for c in ws[header_row] if c.value not in (None, "")}


def validations_at(ws: Any, coordinate: str) -> List[Any]:
    """The data validations of ``ws`` that cover one cell."""
    return [dv for dv in ws.data_validations.dataValidation if coordinate in sqref_cells(dv.sqref)]


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------
# _meta


def read_meta(source: Union[PathLike, Any]) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """(key/value pairs, row table) of a workbook's _meta sheet, read with openpyxl.

    ``source`` is a path or an open openpyxl workbook. Row table entries are
    ``{"sheet", "row", "row_key", "row_hash"}`` with ``row`` as int. Both formats are
    read: a table of four cells a row (format 1), or per sheet a ``rows:<sheet>`` line
    whose cells hold "row<TAB>key<TAB>hash" lines (format 2).
    """
    wb = source if hasattr(source, "worksheets") else openpyxl.load_workbook(source)
    ws = wb[META_SHEET]
    pairs: Dict[str, Any] = {}
    rows: List[Dict[str, Any]] = []
    in_table = False
    for values in ws.iter_rows(values_only=True):
        values = tuple(values) + (None,) * (4 - len(values))
        if not in_table:
            if values[0] == "sheet" and values[2] == "row_key":
                in_table = True
            elif isinstance(values[0], str) and values[0].startswith("rows:"):
                for chunk in values[1:]:
                    for line in (chunk or "").splitlines():
                        row, key, digest = line.split("\t")
                        rows.append({"sheet": values[0][5:], "row": int(row), "row_key": key, "row_hash": digest})
            elif values[0] not in (None, ""):
                pairs[str(values[0])] = values[1]
            continue
        if values[0] in (None, ""):
            continue
        rows.append({"sheet": values[0], "row": int(values[1]), "row_key": values[2], "row_hash": values[3]})
    return pairs, rows


def meta_keys_by_sheet(rows: Iterable[Dict[str, Any]]) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    for r in rows:
        out.setdefault(r["sheet"], []).append(r["row_key"])
    return out


# ---------------------------------------------------------------------------
# normalised dump (golden tests)


def _dump_validations(ws: Any) -> List[Dict[str, Any]]:
    out = []
    for dv in ws.data_validations.dataValidation:
        ranges = sorted((str(r) for r in dv.sqref.ranges), key=range_key)
        out.append({
            "sqref": ranges,
            "type": dv.type,
            "operator": dv.operator,
            "formula1": dv.formula1,
            "formula2": dv.formula2,
            "errorStyle": dv.errorStyle,
            "allowBlank": bool(dv.allow_blank),
            "promptTitle": dv.promptTitle,
            "prompt": dv.prompt,
            "errorTitle": dv.errorTitle,
        })
    return sorted(out, key=lambda d: (range_key(d["sqref"][0]) if d["sqref"] else (0, 0), str(d["type"])))


def _dump_conditional_formats(ws: Any) -> List[List[Any]]:
    out = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            out.append([str(cf.sqref), rule.type, list(rule.formula or [])])
    return sorted(out, key=lambda x: (range_key(x[0].split()[0]), x[2]))


def _dump_print(ws: Any) -> Dict[str, Any]:
    ps = ws.page_setup
    props = ws.sheet_properties.pageSetUpPr
    return {
        "orientation": ps.orientation,
        "paperSize": None if ps.paperSize is None else int(ps.paperSize),
        "fitToWidth": None if ps.fitToWidth is None else int(ps.fitToWidth),
        "fitToHeight": None if ps.fitToHeight is None else int(ps.fitToHeight),
        "fitToPage": bool(props.fitToPage) if props is not None else False,
        "print_title_rows": ws.print_title_rows,
        "print_title_cols": ws.print_title_cols,
        "column_breaks": [b.id for b in ws.col_breaks.brk],
        "page_order": ps.pageOrder,
        "print_area": ws.print_area,
    }


def _dump_cells(ws: Any) -> Dict[str, Dict[str, Any]]:
    cells: Dict[str, Dict[str, Any]] = {}
    for row in ws.iter_rows():
        for cell in row:
            if not hasattr(cell, "column_letter"):  # MergedCell
                continue
            locked = bool(cell.protection.locked)
            if cell.value is None and locked:
                continue
            entry: Dict[str, Any] = {"v": json_value(cell.value), "locked": locked}
            if not locked:
                entry["fill"] = fill_rgb(cell)
                entry["format"] = cell.number_format
            cells[cell.coordinate] = entry
    return dict(sorted(cells.items(), key=lambda kv: coordinate_key(kv[0])))


def _dump_sheet(ws: Any, header_row: Optional[int]) -> Dict[str, Any]:
    prot = ws.protection
    out: Dict[str, Any] = {
        "protection": {
            "sheet": bool(prot.sheet),
            "formatRows": bool(prot.formatRows),
            "formatColumns": bool(prot.formatColumns),
            "password": bool(prot.password),
        },
        "freeze_panes": ws.freeze_panes,
        "print": _dump_print(ws),
        "merged": sorted((str(r) for r in ws.merged_cells.ranges), key=range_key),
        "column_widths": {
            letter: dim.width for letter, dim in sorted(ws.column_dimensions.items(), key=lambda kv: range_key(kv[0] + "1"))
            if dim.customWidth
        },
        "validations": _dump_validations(ws),
        "conditional_formats": _dump_conditional_formats(ws),
    }
    if header_row:
        out["header"] = [json_value(c.value) for c in ws[header_row]]
    out["cells"] = _dump_cells(ws)
    return out


def _normalise_meta(pairs: Dict[str, Any]) -> Dict[str, Any]:
    current = {"template_version": template_version(), "tool_version": __version__}
    out = {}
    for key, value in pairs.items():
        if key in VOLATILE_META:
            continue
        if key in current and value == current[key]:
            value = CURRENT_MARKER
        out[key] = json_value(value)
    return out


def dump_workbook(path: PathLike) -> Dict[str, Any]:
    """A normalised, JSON-ready structure of a workbook opened with openpyxl.

    Holds sheet names and states in order, workbook protection, defined names, and for
    every visible sheet its protection, print settings, freeze panes, merged ranges,
    column widths, data validations, conditional formats, header labels (survey
    sheets) and every cell that has a value or is unlocked (value, locked, and for
    unlocked cells fill colour and number format). Hidden list sheets are dumped as
    values; ``_meta`` as its key/value pairs (without ``generated_at``; versions equal
    to the running code's become ``<current>``) and its row table.
    """
    wb = openpyxl.load_workbook(path)
    pairs: Dict[str, Any] = {}
    meta_rows: List[Dict[str, Any]] = []
    if META_SHEET in wb.sheetnames:
        pairs, meta_rows = read_meta(wb)
    header_row = int(pairs.get("header_row") or DEFAULT_HEADER_ROW)
    survey_sheets = set(str(pairs.get("sheets") or "").split(",")) - {""}
    security = wb.security
    out: Dict[str, Any] = {
        "sheets": [[ws.title, ws.sheet_state] for ws in wb.worksheets],
        "workbook_protection": {
            "lockStructure": bool(security is not None and security.lockStructure),
            "password": bool(security is not None and security.workbookPassword),
        },
        "defined_names": {name: dn.attr_text for name, dn in sorted(wb.defined_names.items())},
        "sheet": {},
    }
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            out["meta"] = {"pairs": _normalise_meta(pairs), "rows": meta_rows}
        elif ws.sheet_state != "visible":
            out["sheet"][ws.title] = {
                "protection": {"sheet": bool(ws.protection.sheet)},
                "values": [[json_value(v) for v in row] for row in ws.iter_rows(values_only=True)],
            }
        else:
            out["sheet"][ws.title] = _dump_sheet(ws, header_row if ws.title in survey_sheets else None)
    wb.close()
    return json.loads(json.dumps(out, ensure_ascii=False))


def dict_differences(expected: Any, actual: Any, path: str = "", limit: int = 30) -> List[str]:
    """Readable list of the paths where two JSON structures differ (first ``limit``)."""
    diffs: List[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(diffs) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                if key not in b:
                    diffs.append(f"{where}/{key}: missing in actual")
                elif key not in a:
                    diffs.append(f"{where}/{key}: unexpected in actual")
                else:
                    walk(a[key], b[key], f"{where}/{key}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                diffs.append(f"{where}: length {len(a)} != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
        elif a != b:
            diffs.append(f"{where}: {a!r} != {b!r}")

    walk(expected, actual, path)
    return diffs


# ---------------------------------------------------------------------------
# masters


def master_rows(name: str = "dai3ji") -> Dict[str, List[List[str]]]:
    """A private, mutable copy of a bundled sample's rows (header first, per sheet)."""
    return copy.deepcopy(sample_rows(name))


def column_of(rows: Dict[str, List[List[str]]], sheet: str, column: str) -> int:
    """0-based index of a header in a sheet's rows."""
    return rows[sheet][0].index(column)


def drop_column(rows: Dict[str, List[List[str]]], sheet: str, column: str) -> None:
    index = column_of(rows, sheet, column)
    rows[sheet] = [row[:index] + row[index + 1:] for row in rows[sheet]]


def find_row(rows: Dict[str, List[List[str]]], sheet: str, column: str, value: str) -> int:
    """0-based index (0 = header) of the first row whose ``column`` equals ``value``.

    The Excel row number of that row in a written master is ``index + 1``.
    """
    index = column_of(rows, sheet, column)
    for number, row in enumerate(rows[sheet]):
        if number and row[index] == value:
            return number
    raise KeyError(f"{sheet}: no row with {column}={value}")


def set_value(rows: Dict[str, List[List[str]]], sheet: str, key_column: str, key: str,
              column: str, value: str) -> int:
    """Set one cell; returns the Excel row number it will have in the written master."""
    number = find_row(rows, sheet, key_column, key)
    rows[sheet][number][column_of(rows, sheet, column)] = value
    return number + 1


def write_master(rows: Dict[str, List[List[str]]], path: Path) -> Path:
    write_master_xlsx(rows, path)
    return path


def master_tables(text: str) -> Dict[str, List[List[str]]]:
    """A master written as the README's マスタの形式 shows it: a ``## シート`` line, then
    ``|``-separated rows (header first). Cells are stripped; an empty line ends nothing.

    >>> master_tables('''
    ... ## 担当課
    ... | 課ID | 課名 | 区分 | メール | 担当者 |
    ... | T01 | 福祉課 | 庁内 | f@example.jp | |
    ... ''')["担当課"]
    [['課ID', '課名', '区分', 'メール', '担当者'], ['T01', '福祉課', '庁内', 'f@example.jp', '']]
    """
    tables: Dict[str, List[List[str]]] = {}
    sheet = ""
    for line in text.strip().splitlines():
        line = line.strip()
        if line.startswith("## "):
            sheet = line[3:].strip()
            tables[sheet] = []
        elif line.startswith("|"):
            tables[sheet].append([cell.strip() for cell in line.strip("|").split("|")])
    return tables


# ---------------------------------------------------------------------------
# command line


# commands other than demo and init-master need a master named on the command line
SAMPLE_MASTER_ARGS = ("--master", str(sample_path()))


def run_cli(*args: str) -> Result:
    """Run ``welfare-workbook ARGS`` in-process; stdout, stderr and exit code are kept apart."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)


def run_module(*args: str, cwd: Optional[Path] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m welfare_workbook ARGS`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "welfare_workbook", *[str(a) for a in args]],
        capture_output=True, text=True, encoding="utf-8", errors="replace", cwd=cwd, timeout=timeout,
    )


# ---------------------------------------------------------------------------
# LibreOffice


def soffice_path() -> Optional[str]:
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_convert(source: Path, out_dir: Path, profile_dir: Path, timeout: float = 120) -> Path:
    """Re-save ``source`` as .xlsx with LibreOffice (as a department using LibreOffice would).

    A private user profile keeps parallel runs from clashing.
    """
    exe = soffice_path()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation={profile_dir.resolve().as_uri()}", "--headless",
         "--convert-to", "xlsx", "--outdir", str(out_dir), str(source)],
        capture_output=True, text=True, timeout=timeout,
    )
    result = out_dir / (source.stem + ".xlsx")
    if proc.returncode != 0 or not result.exists():
        raise RuntimeError(f"soffice failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    return result


def input_cells(ws: Any, spec: Any, first_row: int, last_row: int) -> Set[str]:
    """A1 coordinates of the input cells of a row-layout sheet, per its spec."""
    cells = set()
    for col in spec.input_columns:
        letter = get_column_letter(spec.index(col.id))
        cells.update(f"{letter}{r}" for r in range(first_row, last_row + 1))
    return cells


def unlocked_cells(ws: Any) -> Set[str]:
    return {
        c.coordinate for row in ws.iter_rows() for c in row
        if hasattr(c, "column_letter") and not c.protection.locked
    }


def has_forbidden_filename_chars(name: str) -> bool:
    return any(ch in WINDOWS_FORBIDDEN for ch in name) or any(ord(ch) < 32 for ch in name)



# ---------------------------------------------------------------------------
# templates


def templates_copy(tmp_path: Path, name: str = "templates") -> Path:
    """A real copy of the bundled templates folder, to edit and load with ``load_specs(folder)``
    (or every command, through WELFARE_WORKBOOK_TEMPLATES)."""
    from importlib import resources

    bundled = Path(str(resources.files("welfare_workbook.templates")))
    target = tmp_path / name
    shutil.copytree(bundled, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target
