"""The workbook contract: what a generated workbook promises and a return is read against.

The writer (:mod:`generate`) and every reader (collect, validate, report, mail,
the web page) share this module, never each other: the row model and row keys,
where rows sit, the ``_meta`` sheet's format, the row hash, the survey id and
the year labels. It depends only on :mod:`spec` and :mod:`master`; the only
file it opens is a workbook's ``_meta`` (and its zip directory).

>>> from welfare_workbook.master import load_master, sample_path
>>> master, _ = load_master(sample_path())
>>> layout = layout_for(master, "K01")
>>> sorted(layout)
['その他の取組', '中間評価', '今後の方向性', '取組状況']
>>> row, item, digest = layout["取組状況"][0]
>>> (row, item.key, len(digest))
(5, 'IND:1:K01', 16)
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .master import Action, Indicator, Master, cell_text, circled
from .spec import SheetSpec, load_specs, sheet_order
from .wareki import fiscal_year_label, short_label

META_SHEET = "_meta"
LISTS_SHEET = "_lists"
GUIDE_SHEET = "記入方法"
OTHER_SHEET = "その他の取組"
META_MARKER = "welfare_workbook_meta"
META_FORMAT = "2"  # 1: the row table as 4 cells a row; 2: packed into ROWS_PREFIX cells (one read is ~4× faster)
ROWS_PREFIX = "rows:"  # _meta key of a sheet's packed rows: "row\tkey\thash" lines, in cells B, C, …
META_CHUNK = 30_000  # characters per packed cell (a cell holds at most 32,767)
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1

MetaRow = Tuple[str, int, str, str]  # (sheet, row, row key, row hash)



@dataclass(frozen=True)
class ItemRow:
    """One row of a survey sheet: what it asks about, and the locked context shown."""

    key: str  # stable row key stored in _meta, e.g. "IND:3:K01"
    item_id: str  # 指標No or 取組No as text
    context: Dict[str, str]
    value_type: str = "text"  # input type of an "indicator" column: integer/decimal/text


def survey_id(master: Any) -> str:
    """Stable id of a survey: the same master always gives the same id (a form survey's
    master its form survey id, so mail and the survey folder need not tell them apart)."""
    s = master.settings
    if isinstance(getattr(s, "form", None), str):
        return form_survey_id(s)
    text = "|".join((s.municipality, s.plan_name, s.survey_name, str(s.fiscal_year)))
    return "S" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def master_fingerprint(master: Any) -> str:
    """A hash of what the master says (not of the indexes it builds for itself): what was
    made from a master is still good while this is the same."""
    import pickle

    public = {name: value for name, value in vars(master).items() if not name.startswith("_")}
    return hashlib.sha256(pickle.dumps(public, protocol=4)).hexdigest()


def form_survey_id(settings: Any) -> str:
    """Stable id of a form survey: who runs it, its name, its form and year."""
    text = "|".join(("form", settings.body, settings.survey_name, settings.form, str(settings.fiscal_year)))
    return "F" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def year_labels(fiscal_year: int) -> Dict[str, str]:
    """What a template's labels may use: {year} 令和6年度, {prev1}, {prev2}, {year_short} R6, {prev1_short} …"""
    return {
        "year": fiscal_year_label(fiscal_year),
        "prev1": fiscal_year_label(fiscal_year - 1),
        "prev2": fiscal_year_label(fiscal_year - 2),
        "year_short": short_label(fiscal_year),
        "prev1_short": short_label(fiscal_year - 1),
        "prev2_short": short_label(fiscal_year - 2),
    }


# The two builders below make exactly the keys spec.CONTEXT_KEYS declares per item kind
# (what a template's source: may name; tests/test_spec.py holds them together).


def indicator_row(master: Master, ind: Indicator, dept: str) -> ItemRow:
    """The row of one indicator for one 回答課 (取組状況; 集計表 shows the same texts)."""
    year = master.settings.fiscal_year
    prev1 = master.result(year - 1, dept, indicator=ind.no)
    prev2 = master.result(year - 2, dept, indicator=ind.no)
    refs = "".join(circled(n) for n in ind.actions)
    context = {
        "no": str(ind.no),
        "measure": master.measures[ind.measure_id].label,
        "name": ind.name + (f"\n{refs}" if refs else ""),
        "unit": ind.unit,
        "baseline": ind.baseline_label,
        "target": ind.target_label,
        "prev2_value": prev2.value if prev2 else "",
        "prev2_content": prev2.content if prev2 else "",
        "prev1_value": prev1.value if prev1 else "",
        "prev1_content": prev1.content if prev1 else "",
    }
    return ItemRow(f"IND:{ind.no}:{dept}", str(ind.no), context, ind.value_type)


def _departments_text(master: Master, action: Action) -> str:
    names = [master.departments[d].name for d in action.departments]
    return "、".join([f"{names[0]}（主）"] + names[1:])


def action_row(master: Master, action: Action, dept: str) -> ItemRow:
    """The row of one 取組 for one of its departments (中間評価, 今後の方向性, その他の取組)."""
    year = master.settings.fiscal_year
    prev1 = master.result(year - 1, dept, action=action.no)
    prev2 = master.result(year - 2, dept, action=action.no)
    context = {
        "no": str(action.no),
        "measure": master.measures[action.measure_id].label,
        "name": action.name,
        "content": action.content,
        "departments": _departments_text(master, action),
        "page": action.page,
        "prev2_content": prev2.content if prev2 else "",
        "prev1_content": prev1.content if prev1 else "",
        # last year's own verdict, shown locked beside this year's inputs: an action rated
        # in 中間評価 / 今後の方向性 has no 取組内容, only these (issue 16)
        "prev1_grade": prev1.grade if prev1 else "",
        "prev1_outcome": prev1.outcome if prev1 else "",
        "prev1_direction": prev1.direction if prev1 else "",
        "prev1_reason": prev1.reason if prev1 else "",
    }
    return ItemRow(f"ACT:{action.no}:{dept}", str(action.no), context)


def items_for(master: Master, spec: SheetSpec, dept_id: str) -> List[ItemRow]:
    """The rows of ``spec`` for one respondent, in plan order."""
    if spec.items == "indicators":
        return [indicator_row(master, i, dept_id) for i in master.indicators_for(dept_id)]
    if spec.items == "actions":
        return [action_row(master, a, dept_id) for a in master.actions_for(dept_id)]
    return [action_row(master, a, dept_id) for a in master.other_actions_for(dept_id)]


def sheets_for(master: Master, dept_id: str) -> List[SheetSpec]:
    """Survey sheets this respondent gets (enabled and non-empty), in workbook order."""
    return [spec for spec, _ in sheet_items(master, dept_id)]


def sheet_items(master: Master, dept_id: str) -> List[Tuple[SheetSpec, List[ItemRow]]]:
    """(survey sheet, its rows) for one respondent: enabled, non-empty sheets in workbook order."""
    specs = load_specs()
    names = sheet_order(list(master.settings.sheets))
    if "取組状況" in master.settings.sheets:  # その他の取組 accompanies the 取組状況 report
        names.append(OTHER_SHEET)
    found = [(specs[n], items_for(master, specs[n], dept_id)) for n in names]
    return [(spec, rows) for spec, rows in found if rows]


def locked_values(spec: SheetSpec, item: ItemRow) -> List[str]:
    """The locked texts of an item's row, in column order (what the row hash covers)."""
    return [item.context.get(col.source or "", "") for col in spec.locked_columns]


def layout_for(master: Master, dept_id: str) -> Dict[str, List[tuple]]:
    """Where each item of a respondent sits: sheet -> [(row, ItemRow, row hash)].

    The same rows the writer produces; used to identify returns that lost their
    _meta and to say which locked cell was edited.
    """
    layout = {}
    for spec, rows in sheet_items(master, dept_id):
        layout[spec.name] = [(FIRST_ROW + i, item, row_hash(locked_values(spec, item))) for i, item in enumerate(rows)]
    return layout


def row_hash(values: Sequence[Any]) -> str:
    """Hash of a row's locked texts; identical whichever program saved the file."""
    text = "\x1f".join(cell_text(v) for v in values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def pack_meta_rows(rows: Iterable[Tuple[int, str, str]]) -> List[str]:
    r"""A sheet's (row, key, hash) entries as _meta holds them: lines in cells of at most
    META_CHUNK characters. Packed, calamine reads a handful of cells instead of four per
    row, which was a tenth of reading a return.

    >>> pack_meta_rows([(5, "IND:2:K02", "3f2a"), (6, "IND:4:K02", "9b1c")])
    ['5\tIND:2:K02\t3f2a\n6\tIND:4:K02\t9b1c']
    """
    chunks: List[str] = []
    lines: List[str] = []
    size = 0
    for row, key, digest in rows:
        line = f"{row}\t{key}\t{digest}"
        if lines and size + len(line) + 1 > META_CHUNK:
            chunks.append("\n".join(lines))
            lines, size = [], 0
        lines.append(line)
        size += len(line) + 1
    if lines:
        chunks.append("\n".join(lines))
    return chunks


def unpack_meta_rows(sheet: str, chunks: Iterable[Any]) -> List[Tuple[str, int, str, str]]:
    r""":func:`pack_meta_rows` read back as (sheet, row, key, hash); malformed lines are skipped.

    >>> unpack_meta_rows("取組状況", ["5\tIND:2:K02\t3f2a\r\n6\tIND:4:K02\t9b1c", "", "7\tx"])
    [('取組状況', 5, 'IND:2:K02', '3f2a'), ('取組状況', 6, 'IND:4:K02', '9b1c')]
    """
    table = []
    for chunk in chunks:
        for line in str(chunk or "").replace("\r", "").split("\n"):
            fields = line.split("\t")
            if len(fields) == 3 and fields[0].isdigit():
                table.append((sheet, int(fields[0]), fields[1], fields[2]))
    return table


def is_generated_workbook(path: Path) -> bool:
    """True when ``path`` is a workbook written by this tool (it has a _meta sheet)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return f'name="{META_SHEET}"'.encode() in zf.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def meta_entries(master: Master, respondent_id: str, respondent: str, specs: Sequence[SheetSpec],
                 rows: Sequence[Sequence[Any]], generated_at: str, years: Dict[str, str],
                 template: str, tool: str) -> List[List[Any]]:
    """The rows of a workbook's ``_meta`` sheet (format :data:`META_FORMAT`).

    ``rows`` are the survey rows written, as (sheet, row, key, hash). Each sheet has
    its column ids, a hash of its header and row hashes, and its packed row table.
    """
    s = master.settings
    pairs: List[List[Any]] = [
        [META_MARKER, META_FORMAT],
        ["survey_id", survey_id(master)],
        ["survey_name", s.survey_name],
        ["municipality", s.municipality],
        ["plan_name", s.plan_name],
        ["fiscal_year", s.fiscal_year],
        ["respondent_id", respondent_id],
        ["respondent", respondent],
        ["template_version", template],
        ["tool_version", tool],
        ["generated_at", generated_at],
        ["sheets", ",".join(spec.name for spec in specs)],
        ["header_row", HEADER_ROW],
        ["first_row", FIRST_ROW],
    ]
    for spec in specs:
        pairs.append([f"columns:{spec.name}", ",".join(c.id for c in spec.columns)])
        header = [c.label_for(years) for c in spec.columns]
        sheet_rows = [r for r in rows if r[0] == spec.name]
        pairs.append([f"hash:{spec.name}", row_hash(header + [r[3] for r in sheet_rows])])
        pairs.append([ROWS_PREFIX + spec.name] + pack_meta_rows((row, key, digest) for _, row, key, digest in sheet_rows))
    return pairs


def read_meta(rows: Iterable[Sequence[Any]], text: Any = cell_text) -> Tuple[Dict[str, Any], List[MetaRow]]:
    """(key/value pairs, row table) of a ``_meta`` sheet's rows, in either format.

    ``text`` turns a non-text cell into text (collect passes its own reader's).

    >>> pairs, table = read_meta([["welfare_workbook_meta", "2"], ["respondent_id", "K01"],
    ...                           ["rows:取組状況", "5\\tIND:1:K01\\tab12"]])
    >>> pairs["respondent_id"], table
    ('K01', [('取組状況', 5, 'IND:1:K01', 'ab12')])
    """
    pairs: Dict[str, Any] = {}
    table: List[MetaRow] = []
    in_table = False
    for row in rows:
        cells = [v if v.__class__ is str else text(v) for v in row] + ["", "", "", ""]
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


def read_meta_file(path: Path) -> Optional[Dict[str, Any]]:
    """The key/value pairs of a generated workbook's ``_meta`` (read-only, python-calamine),
    or None when ``path`` is not a workbook this tool wrote or cannot be read."""
    if path.name.startswith("~$") or not is_generated_workbook(path):
        return None
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(META_SHEET).to_python()
    except Exception:  # noqa: BLE001 — calamine raises its own types; unreadable is simply "not ours"
        return None
    return read_meta(rows)[0]
