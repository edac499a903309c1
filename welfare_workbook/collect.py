"""Read returned workbooks — fast and read-only — into :class:`~.returns.Return` objects.

The steps live in their own modules: :mod:`sources` finds the files, :mod:`guard`
checks the zip and XML before python-calamine reads them, :mod:`identify` matches a
return to its respondent by ``_meta``; here a workbook's sheets are read against the
contract's layout and normalised. Every file, however broken, becomes a Return with
issues; nothing raises.

The pipeline: :func:`~.sources.find_files` -> :func:`read_return` -> :func:`pick_current`
(one return per respondent, the newest wins).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .contract import (
    FIRST_ROW, HEADER_ROW, META_MARKER, META_SHEET, ItemRow, MetaRow, layout_for, read_meta, row_hash, year_labels,
)
from .guard import MIB, Area, Limits, SheetScan, inspect_zip, open_return_zip, sheet_parts, sheet_size, scan_sheet
from .identify import check_file_name, identify_by_content, identify_by_meta
from .issues import ERROR
from .master import Master, cell_text, column_letter
from .normalize import (
    NA_VALUE, cell_value, clean_chars, is_clean_text, is_na, normalize_choice, normalize_number, normalize_text,
    same_as_kind,
)
from .returns import InputCell, Return, ReturnStatus
from .sources import find_files, undecodable
from .spec import SheetSpec, load_specs

__all__ = ["MIB", "Limits", "Return", "InputCell", "find_files", "read_return", "normalize_return", "pick_current"]


# ---------------------------------------------------------------------------
# reading one return


def read_return(path: Path, shown: str, master: Master, limits: Optional[Limits] = None) -> Return:
    """Read one returned file. Never raises: every problem is an issue on the Return."""
    return read_file(path, shown, limits, lambda zf, ret, checked: _read_workbook(path, zf, ret, master, checked))


def read_file(path: Path, shown: str, limits: Optional[Limits],
              read: Callable[[zipfile.ZipFile, Return, Limits], None]) -> Return:
    """A returned file as a Return: its name and time, the zip opened through the guard,
    then ``read`` (the row survey's or the form's reader). Never raises: a malformed part
    is an issue, and the other files go on."""
    ret = Return(path=path, file=shown)
    if undecodable(str(path)):
        ret.add("file_name_encoding")
    try:
        ret.mtime = path.stat().st_mtime
    except OSError:
        pass
    limits = limits or Limits()
    zf = open_return_zip(path, ret, limits)
    if zf is None:
        return ret
    try:
        with zf:
            read(zf, ret, limits)
    except Exception as exc:  # a malformed part must not stop the other files
        ret.add("file_corrupt", detail=f"{type(exc).__name__}: {exc}"[:120])
        ret.readable = False
        ret.cells.clear()
    return ret


def open_book(path: Path, ret: Return) -> Any:
    """python-calamine's view of the workbook, or None (with an issue) when it cannot open it."""
    import python_calamine as calamine

    try:
        if undecodable(str(path)):  # calamine cannot open a path that is not valid UTF-8
            with open(path, "rb") as handle:
                return calamine.CalamineWorkbook.from_filelike(handle)
        return calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken parts
        ret.add("file_corrupt", detail=f"{type(exc).__name__}: {exc}"[:120])
        return None


class _Parts:
    """A return's sheets, each read (and size-checked) at most once, when first needed."""

    def __init__(self, book: Any, zf: zipfile.ZipFile, ret: Return, limits: Limits) -> None:
        self.book, self.zf, self.ret, self.limits = book, zf, ret, limits
        self.sheet_names = list(book.sheet_names)
        self.parts = sheet_parts(zf)
        self._xml: Dict[str, bytes] = {}
        self._scans: Dict[str, SheetScan] = {}
        self._rows: Dict[str, Optional[List[List[Any]]]] = {}

    def xml_of(self, part: str) -> bytes:
        if part not in self._xml:
            self._xml[part] = self.zf.read(part)
        return self._xml[part]

    def scan_of(self, part: str) -> SheetScan:
        if part not in self._scans:
            self._scans[part] = scan_sheet(self.xml_of(part), self.limits.max_cells)
        return self._scans[part]

    def rows_of(self, sheet: str) -> Optional[List[List[Any]]]:
        """A sheet's values; None (with an issue) when it is too large to read or broken."""
        if sheet not in self._rows:
            self._rows[sheet] = read_sheet_rows(self.book, self.xml_of, self.scan_of, self.parts.get(sheet), sheet,
                                            self.ret, self.limits)
        return self._rows[sheet]


def _identify(parts: _Parts, ret: Return, master: Master) -> Optional[Tuple[Dict[str, Any], List[MetaRow]]]:
    """(_meta pairs, row table) of a return of this survey, or None when it is not one.

    A workbook that lost its ``_meta`` is matched by content, and its table is the
    contract's layout for the respondent found.
    """
    meta: Dict[str, Any] = {}
    table: List[MetaRow] = []
    if META_SHEET in parts.sheet_names:
        meta_rows = parts.rows_of(META_SHEET)
        if meta_rows is not None:
            meta, table = read_meta(meta_rows, cell_value)
        if meta.get(META_MARKER) is None and not table:
            meta = {}
    if meta:
        return (meta, table) if identify_by_meta(meta, ret, master) else None
    if not identify_by_content(parts.rows_of, parts.sheet_names, ret, master):
        ret.add("meta_missing")
        return None
    layout = layout_for(master, ret.respondent_id or "")
    specs = load_specs()
    table = [(sheet, row, item.key, digest) for sheet, rows in layout.items() for row, item, digest in rows]
    meta = {"sheets": ",".join(layout), "fiscal_year": master.settings.fiscal_year,
            "respondent_id": ret.respondent_id}
    meta.update({f"columns:{name}": ",".join(c.id for c in specs[name].columns) for name in layout})
    return meta, table


def _read_workbook(path: Path, zf: zipfile.ZipFile, ret: Return, master: Master, limits: Limits) -> None:
    book = open_book(path, ret)
    if book is None:
        return
    parts = _Parts(book, zf, ret, limits)
    found = _identify(parts, ret, master)
    if found is None:
        return
    meta, table = found
    check_file_name(ret, master)
    survey_sheets = [s for s in str(meta.get("sheets", "")).split(",") if s]
    facts = inspect_zip(zf, survey_sheets, parts.parts, parts.xml_of, parts.scan_of)
    ret.saved = facts.saved
    if facts.has_macros:
        ret.add("file_macro")
    specs = load_specs()
    years = year_labels(master.settings.fiscal_year)
    expected_items = _ExpectedItems(master, ret.respondent_id or "")
    for sheet in survey_sheets:
        if sheet not in specs:
            continue
        if sheet not in parts.sheet_names:
            ret.add("sheet_missing", sheet=sheet)
            continue
        rows = parts.rows_of(sheet)
        if rows is None:
            continue
        columns = str(meta.get(f"columns:{sheet}", "")).split(",")
        expected = [(row, key, digest) for s, row, key, digest in table if s == sheet]
        sheet_facts = _SheetFacts(facts.list_cells.get(sheet), facts.formula_cells.get(sheet), facts.merged.get(sheet))
        _SheetReader(ret, specs[sheet], columns, rows, master, sheet_facts).read(expected, expected_items, years)
    ret.readable = True


def read_sheet_rows(book: Any, xml_of: Callable[[str], bytes], scan_of: Callable[[str], SheetScan], part: Optional[str],
                sheet: str, ret: Return, limits: Limits) -> Optional[List[List[Any]]]:
    """Read one sheet with calamine once its size is known to be within the limit."""
    try:
        if part is None:
            raise ValueError("シートの場所がブックの構成にありません")
        if not scan_of(part).within:
            cells, far = sheet_size(xml_of(part))
            if cells > limits.max_cells:
                ret.add("sheet_too_large", sheet=sheet, cell=far, cells=cells, limit=limits.max_cells)
                return None
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:  # one broken sheet: the others are still read
        ret.add("sheet_corrupt", sheet=sheet, detail=f"{type(exc).__name__}: {exc}"[:120])
        return None


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


class _SheetFacts(NamedTuple):
    """What the zip told about one sheet (see :func:`~.guard.inspect_zip`)."""

    list_cells: Optional[Area]  # cells still under a list validation
    formula_cells: Optional[Dict[Tuple[int, int], str]]  # (col, row) -> formula text
    merged: Optional[List[Tuple[int, int, int, int]]]  # merged ranges (c1, r1, c2, r2)


CONTEXT_FIELDS = ("unit", "prev1_value", "prev1_content")  # locked values the checks look at


def _context_columns(spec: SheetSpec) -> List[Any]:
    """Locked columns kept per row: those 同左 refers to and those the rules compare with."""
    wanted = set(CONTEXT_FIELDS) | {c.same_as for c in spec.input_columns if c.same_as} \
        | {c.id for c in spec.locked_columns if c.role}  # last year's values the rules compare with
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


class _SheetReader:
    """Reads one survey sheet of a return against the rows the contract expects.

    The steps: the header labels; for each expected row, where it is now (by its
    locked-text hash when it moved) and its input cells; then anything typed where no
    item is (extra rows, right of the table, merged input cells), reported, never
    dropped silently. What every row needs is worked out once per sheet.
    """

    def __init__(self, ret: Return, spec: SheetSpec, columns: List[str], rows: List[List[Any]],
                 master: Master, facts: "_SheetFacts") -> None:
        self.ret, self.spec, self.rows, self.master, self.facts = ret, spec, rows, master, facts
        self.nrows = len(rows)
        self.width = len(columns)
        position = self.position = {column_id: index for index, column_id in enumerate(columns, start=1)}
        self.check_col = next((position.get(c.id) for c in spec.columns if c.check), None)
        self.locked = [position.get(c.id) for c in spec.locked_columns]
        present = [c for c in self.locked if c]
        # the locked cells of a row at once, when every locked column is there
        self.locked_of = operator.itemgetter(*[c - 1 for c in present]) if len(present) == len(self.locked) > 1 else None
        self.locked_end = max(present, default=0)
        self.context_at = [(c.id, position.get(c.id)) for c in _context_columns(spec)]
        self.inputs = [(col.id, index, column_letter(index), col.type == "indicator", col.type,
                        bool(col.choices) and facts.list_cells is not None)
                       for col, index in ((col, position.get(col.id)) for col in spec.input_columns) if index]
        self.input_indexes = [position[c.id] for c in spec.input_columns if c.id in position]
        self.hashes: Optional[Dict[str, List[int]]] = None  # built only when a row is out of place
        self.claimed: set = set()

    def value(self, row: int, col: Optional[int]) -> Any:
        if not col or row < 1 or row > self.nrows:
            return ""
        line = self.rows[row - 1]
        if col > len(line):
            return ""
        found = line[col - 1]
        return found if type(found) is str else cell_value(found)

    def locked_hash(self, row: int) -> str:
        if row < 1 or row > self.nrows:
            return ""
        line = self.rows[row - 1]
        if self.locked_of is not None and len(line) >= self.locked_end:
            return _row_hash(self.locked_of(line))
        return _row_hash([line[c - 1] if c and c <= len(line) else "" for c in self.locked])

    def read(self, expected: List[Tuple[int, str, str]], expected_items: _ExpectedItems, years: Dict[str, str]) -> None:
        self.check_header(years)
        placed: List[Tuple[int, Optional[int], str]] = []  # (row in the form, row now or None, item)
        for expected_row, key, digest in expected:
            item_id, value_type = _item_info(self.master, key)
            row = self.locate(expected_row, key, digest, item_id, expected_items)
            placed.append((expected_row, row, item_id))
            if row is not None:
                self.claimed.add(row)
                self.read_row(row, key, item_id, value_type)
        self.report_shifts(placed)
        self.report_merged()
        self.report_strays()

    def check_header(self, years: Dict[str, str]) -> None:
        for col in self.spec.columns:
            index = self.position.get(col.id)
            found = cell_text(self.value(HEADER_ROW, index))
            label = col.label_for(years)
            if index and found != label:
                self.ret.add("header_changed", sheet=self.spec.name, cell=f"{column_letter(index)}{HEADER_ROW}",
                             value=found, expected=label)

    def locate(self, expected_row: int, key: str, digest: str, item_id: str,
               expected_items: _ExpectedItems) -> Optional[int]:
        """Where the row of ``key`` is now: in place, moved (found by its hash), edited in
        place (its No. is still there), or gone (None)."""
        if self.locked_hash(expected_row) == digest:
            return expected_row
        if self.hashes is None:
            self.hashes = {}
            for number in range(FIRST_ROW, self.nrows + 1):
                self.hashes.setdefault(self.locked_hash(number), []).append(number)
        free = [r for r in self.hashes.get(digest, []) if r not in self.claimed]
        if free:  # reported with the other moves, as insertions where it can (report_shifts)
            return free[0]
        if cell_text(self.value(expected_row, self.position.get("no", 1))) == item_id:
            self.report_locked_edits(expected_row, expected_items.get(self.spec.name, key))
            return expected_row
        self.ret.add("row_missing", sheet=self.spec.name, item=item_id, expected_row=expected_row)
        return None

    def report_locked_edits(self, row: int, item: Optional[ItemRow]) -> None:
        for col, index in zip(self.spec.locked_columns, self.locked):
            want = item.context.get(col.source or "", "") if item else None
            if index and want is not None and cell_text(self.value(row, index)) != cell_text(want):
                self.ret.add("locked_changed", sheet=self.spec.name, cell=f"{column_letter(index)}{row}",
                             value=cell_text(self.value(row, index)), expected=want[:60])

    def read_row(self, row: int, key: str, item_id: str, value_type: str) -> None:
        ret, sheet, facts = self.ret, self.spec.name, self.facts
        formula_cells, list_cells = facts.formula_cells, facts.list_cells
        if self.check_col and formula_cells is not None and (self.check_col, row) not in formula_cells:
            ret.add("formula_overwritten", sheet=sheet, cell=f"{column_letter(self.check_col)}{row}",
                    value=str(self.value(row, self.check_col))[:60])
        # a row past the sheet's end (only a tampered _meta points there) reads as empty
        line = self.rows[row - 1] if 1 <= row <= self.nrows else []
        line_width = len(line)
        ret.context[(sheet, key)] = {column_id: _cell_text(line[index - 1]) if index and index <= line_width else ""
                                     for column_id, index in self.context_at}
        cells = ret.cells
        for field_id, index, letter, typed_by_row, col_type, check_list in self.inputs:
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

    def report_shifts(self, placed: List[Tuple[int, Optional[int], str]]) -> None:
        """Rows found away from their place, as few problems as explain them.

        A run of rows all shifted down by k after rows nobody claims is one insertion
        of k rows; a shift up by as many rows as items went missing is those deletions
        (already reported as missing). Any other move (rows sorted, swapped) is
        reported row by row.
        """
        offset = 0
        missing = 0
        segment_start = True
        explained = True
        for expected_row, row, item_id in placed:
            if row is None:
                missing += 1
                continue
            shift = row - expected_row
            if shift != offset or segment_start:
                segment_start = False
                if shift > offset:
                    explained = self._report_insertion(expected_row + offset, shift - offset, item_id)
                elif shift < offset:
                    explained = offset - shift == missing
                else:
                    explained = True
                offset, missing = shift, 0
            if shift and not explained:
                self.ret.add("row_moved", sheet=self.spec.name, cell=f"A{row}", item=item_id,
                             expected_row=expected_row, row=row)

    def _report_insertion(self, first: int, count: int, item_id: str) -> bool:
        """One issue for ``count`` rows inserted at ``first``, when no item claims those rows."""
        rows = range(first, first + count)
        if any(row in self.claimed for row in rows):
            return False
        self.ret.add("row_inserted", sheet=self.spec.name, cell=f"A{first}", row=first, count=count, item=item_id)
        return True

    def report_merged(self) -> None:
        rows_read = sorted(self.claimed)
        for c1, r1, c2, r2 in self.facts.merged or []:
            first = bisect.bisect_left(rows_read, r1)
            if any(c1 <= i <= c2 for i in self.input_indexes) and first < len(rows_read) and rows_read[first] <= r2:
                self.ret.add("merged_input", sheet=self.spec.name, cell=f"{column_letter(c1)}{r1}",
                             range=f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}")

    def report_strays(self) -> None:
        """Values in rows that belong to no item, or right of the table."""
        for row in range(FIRST_ROW, self.nrows + 1):
            if row not in self.claimed:
                self._report_values(row, self.input_indexes, "row_extra")
            self._report_values(row, range(self.width + 1, len(self.rows[row - 1]) + 1), "input_outside")

    def _report_values(self, row: int, indexes: Iterable[int], code: str) -> None:
        for index in indexes:
            found = self.value(row, index)
            if found != "":  # the message shows the start of the text; the context keeps all of it
                self.ret.add(code, sheet=self.spec.name, cell=f"{column_letter(index)}{row}", value=str(found)[:60],
                             text=str(found))


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
            old.status = ReturnStatus.SUPERSEDED
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
