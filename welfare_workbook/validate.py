"""Validate the values of all current returns at once.

One pandera schema per sheet (built from the sheet spec) is run once, lazily, on the
frame of every return — never once per file — and each failure is mapped back to the
file, sheet and A1 cell it came from. Warning rules that compare with last year
(a big jump, text copied unchanged) follow in plain pandas-free Python.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional

from .returns import InputCell, Return
from .contract import year_labels
from .master import Master, cell_text
from .normalize import NA_VALUE, plain_number
from .spec import SheetSpec, SpecError, check_code, load_lists, load_specs, schema_for

JUMP_RATIO = 2.0  # a value over twice (or under half) of last year's asks for a reason
_NUMERIC_TYPES = ("integer", "decimal", "indicator")  # input types whose values are checked as numbers


class _SheetRows:
    """The item rows of one sheet over all returns, as flat lists rather than an object per row.

    Row ``i`` is an item row of ``returns[i]``. Its input cells (None where the return
    has none) are ``slots[i * width : (i + 1) * width]``, in the spec's column order, so a
    new row is one ``extend`` and a field's column is one slice. At 100,000 rows a dict
    or tuple per row costs more than the checks.
    """

    def __init__(self, spec: SheetSpec) -> None:
        self.spec = spec
        self.offsets = {c.id: i for i, c in enumerate(spec.input_columns)}  # field -> position in a row
        self.width = len(self.offsets)
        self.typed: FrozenSet[str] = frozenset(c.id for c in spec.input_columns if c.type == "indicator")
        self.slots: List[Optional[InputCell]] = []
        self.returns: List[Return] = []
        self.keys: List[str] = []  # the row_key of each row
        self.types: List[str] = []  # the value type of the row's indicator; "text" when it has none
        self._blank: List[Optional[InputCell]] = [None] * self.width

    def add_row(self, ret: Return, key: str) -> int:
        """Append an empty row; its number."""
        self.slots.extend(self._blank)
        self.returns.append(ret)
        self.keys.append(key)
        self.types.append("text")
        return len(self.keys) - 1

    def column(self, field: str) -> List[Optional[InputCell]]:
        """The cell of ``field`` in every row (None where there is none)."""
        return self.slots[self.offsets[field]::self.width]

    def cell(self, field: str, row: int) -> Optional[InputCell]:
        offset = self.offsets.get(field)
        return None if offset is None else self.slots[row * self.width + offset]

    def frame(self) -> Any:
        """The frame ``schema_for`` expects: a column per input field (null when
        empty), ``_type`` and ``_row`` (the row number, never null)."""
        import pandas as pd

        data: Dict[str, Any] = {}
        for column in self.spec.input_columns:
            values = _objects([None if cell is None or (value := cell.value) == "" else value
                               for cell in self.column(column.id)])
            # Text and choices as categoricals: each check across columns makes pandera
            # look for nulls in every column, which on an object column reads every value
            # and on a categorical only its codes. Numbers stay objects: their checks
            # need each value's own type (a categorical holds 1, 1.0 and True as one).
            data[column.id] = values if column.type in _NUMERIC_TYPES else pd.Categorical(values)
        data["_type"] = _objects(self.types)
        data["_row"] = range(len(self.keys))
        return pd.DataFrame(data, copy=False)


def _objects(values: List[Any]) -> Any:
    """``values`` as they are, as an object Series (pandas infers no type: 1 stays int, None
    stays None, and an all-text column does not become its string dtype)."""
    import pandas as pd

    return pd.Series(values, dtype=object)


def _rows_by_sheet(returns: List[Return]) -> Dict[str, _SheetRows]:
    """Every item row of every return, by sheet (sheets in order of first appearance)."""
    specs = load_specs()
    sheets: Dict[str, _SheetRows] = {}
    rows: Optional[_SheetRows] = None
    for ret in returns:
        numbers: Dict[str, Dict[str, int]] = {}  # sheet -> row_key -> row number, in this return
        sheet = key = None
        row = -1
        for cell in ret.cells:
            # the cells of one item row (and the rows of one sheet) are consecutive:
            # look the row up once, not per cell, and the sheet once per sheet
            if cell.row_key != key or cell.sheet != sheet:
                if cell.sheet != sheet or rows is None:
                    sheet = cell.sheet
                    rows = sheets.get(sheet)
                    if rows is None:
                        rows = sheets[sheet] = _SheetRows(specs[sheet])
                    offsets, width, slots = rows.offsets, rows.width, rows.slots
                    typed, types = rows.typed, rows.types
                    seen = numbers.setdefault(sheet, {})
                key = cell.row_key
                found = seen.get(key)
                row = seen[key] = rows.add_row(ret, key) if found is None else found
            field = cell.field
            offset = offsets.get(field)
            if offset is not None:
                slots[row * width + offset] = cell
            if field in typed:  # the row's type is that of its indicator value
                types[row] = cell.value_type
    return sheets


def validate_returns(returns: List[Return], master: Master) -> None:
    """Add schema and rule issues to each return (only current, readable returns)."""
    years = year_labels(master.settings.fiscal_year)
    for rows in _rows_by_sheet(returns).values():
        _schema_issues(rows, years)
        _trend_warnings(rows, years)  # on the sheets whose templates give the roles it needs


def _schema_issues(rows: _SheetRows, years: Dict[str, str]) -> None:
    import pandera.pandas as pa

    spec = rows.spec
    try:
        # inplace: the frame is ours and nothing is coerced, so pandera need not copy it
        schema_for(spec).validate(rows.frame(), lazy=True, inplace=True)
        return
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    lists = load_lists()
    reported = set()
    for record in failures.to_dict("records"):
        check = str(record.get("check") or "")
        index = record.get("index")
        code = check_code(check)  # raises for a check without a code: a failure is never dropped
        if index is None or index != index:  # NaN: the check itself failed (a bug), not a cell
            raise SpecError(f"{spec.name}: check {check!r} could not run: {record.get('failure_case')}")
        field = check.partition(":")[2] or str(record.get("column"))
        key = (code, field, int(index))
        if key in reported:
            continue
        reported.add(key)
        row = int(index)
        cell = rows.cell(field, row)
        if cell is None:
            continue
        ret = rows.returns[row]
        column = spec.column(field)
        label = column.label_for(years)
        extra: Dict[str, Any] = {}
        if column.choices:
            extra["choices"] = "・".join(lists[column.choices].values)
        if column.required_with:
            extra["other"] = spec.column(column.required_with).label_for(years)
        if column.required_when:
            other = rows.cell(column.required_when["field"], row)
            extra["other"] = spec.column(column.required_when["field"]).label_for(years)
            extra["other_value"] = other.value if other else ""
        if code == "text_too_long":
            extra["length"] = len(str(cell.value))
        ret.add(code, sheet=spec.name, cell=cell.cell, value=_shown(cell), label=label, **extra)


def _shown(cell: InputCell) -> str:
    text = str(cell.raw if cell.raw != "" else cell.value)
    return text if len(text) <= 60 else text[:57] + "…"


class _Trend:
    """The columns the rules against last year use on one sheet, from the templates' ``role:``:
    ``value`` against ``last_year_value`` unless an ``explanation`` is filled (the first one
    is named in the warning), and ``content`` against ``last_year_content``."""

    def __init__(self, rows: _SheetRows, years: Dict[str, str]) -> None:
        spec = rows.spec
        value_col, last_value = spec.role("value"), spec.role("last_year_value")
        content_col, last_content = spec.role("content"), spec.role("last_year_content")
        explanations = spec.roles("explanation")
        none: List[Optional[InputCell]] = [None] * len(rows.keys)
        self.values = rows.column(value_col.id) if value_col and last_value else none
        self.contents = rows.column(content_col.id) if content_col and last_content else none
        self.applies = self.values is not none or self.contents is not none
        self.last_value = last_value.id if last_value else ""  # context keys: locked column ids
        self.last_content = last_content.id if last_content else ""
        self.explain = explanations[0].label_for(years) if explanations else ""
        self.explain_columns = [rows.column(c.id) for c in explanations]
        self.content_label = content_col.label_for(years) if content_col else ""

    def jumped(self, row: int, now: float, context: Dict[str, str]) -> bool:
        """Over twice or under half of last year's value, and nothing explains it."""
        before = plain_number(context.get(self.last_value, ""))
        if not before:  # no number last year (or 0): nothing to compare with
            return False
        return (now > before * JUMP_RATIO or now < before / JUMP_RATIO) \
            and not any(_filled(column[row]) for column in self.explain_columns)


def _trend_warnings(rows: _SheetRows, years: Dict[str, str]) -> None:
    """Warnings against last year: a value far from it, or 取組内容 copied unchanged
    (on the sheets whose templates give the roles, see :class:`_Trend`)."""
    trend = _Trend(rows, years)
    if not trend.applies:
        return
    sheet = rows.spec.name
    for i, (ret, key, value_type, value, content) in enumerate(
            zip(rows.returns, rows.keys, rows.types, trend.values, trend.contents)):
        context = ret.context.get((sheet, key))
        if not context:  # nothing from last year to compare with
            continue
        # only a number can jump (not text, nor "" or 該当なし)
        if value is not None and value_type in ("integer", "decimal") and isinstance(value.value, (int, float)) \
                and trend.jumped(i, value.value, context):
            ret.add("value_jump", sheet=sheet, cell=value.cell, value=_shown(value),
                    previous=context.get(trend.last_value), explain=trend.explain)
        previous = context.get(trend.last_content, "")
        if content is not None and previous and content.value != NA_VALUE and cell_text(content.value) == cell_text(previous):
            ret.add("same_as_last_year", sheet=sheet, cell=content.cell, label=trend.content_label)


def _filled(cell: Optional[InputCell]) -> bool:
    return cell is not None and cell.value != ""
