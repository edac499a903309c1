"""Validate the values of all current returns at once.

One pandera schema per sheet (built from the sheet spec) is run once, lazily, on the
frame of every return — never once per file — and each failure is mapped back to the
file, sheet and A1 cell it came from. Warning rules that compare with last year
(a big jump, text copied unchanged) follow in plain pandas-free Python.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from .collect import InputCell, Return
from .master import Master, cell_text
from .normalize import NA_VALUE, plain_number
from .spec import SheetSpec, load_lists, load_specs, schema_for
from .generate import year_labels

JUMP_RATIO = 2.0  # a value over twice (or under half) of last year's asks for a reason


def _rows_by_sheet(returns: List[Return]) -> Dict[str, List[Tuple[Return, Dict[str, InputCell], str]]]:
    """sheet -> [(return, {field: cell}, value type)] for every item row."""
    typed = {(spec.name, c.id) for spec in load_specs().values() for c in spec.input_columns if c.type == "indicator"}
    rows: Dict[str, Dict[Tuple[int, str], List[Any]]] = {}
    for index, ret in enumerate(returns):
        last: Tuple[str, str] = ("", "")
        entry: List[Any] = []
        for cell in ret.cells:
            # the cells of one item row are consecutive: look the row up once, not per cell
            if cell.sheet != last[0] or cell.row_key != last[1]:
                last = (cell.sheet, cell.row_key)
                sheet_rows = rows.get(cell.sheet)
                if sheet_rows is None:
                    sheet_rows = rows[cell.sheet] = {}
                entry = sheet_rows.get((index, cell.row_key))  # type: ignore[assignment]
                if entry is None:
                    entry = sheet_rows[(index, cell.row_key)] = [ret, {}, "text"]
            entry[1][cell.field] = cell
            if (cell.sheet, cell.field) in typed:  # the row's type is that of its indicator value
                entry[2] = cell.value_type
    return {sheet: [(ret, cells, value_type) for ret, cells, value_type in entries.values()]
            for sheet, entries in rows.items()}


def _frame(spec: SheetSpec, entries: List[Tuple[Return, Dict[str, InputCell], str]]) -> Any:
    import pandas as pd

    data: Dict[str, List[Any]] = {}
    for column_id in [c.id for c in spec.input_columns]:  # column by column: one lookup per value
        values = data[column_id] = []
        for _, cells, _ in entries:
            cell = cells.get(column_id)
            value = cell.value if cell is not None else ""
            values.append(None if value == "" else value)
    data["_type"] = [value_type for _, _, value_type in entries]
    data["_row"] = list(range(len(entries)))
    frame = pd.DataFrame(data, dtype=object)
    frame["_row"] = frame["_row"].astype("int64")
    return frame


def validate_returns(returns: List[Return], master: Master) -> None:
    """Add schema and rule issues to each return (only current, readable returns)."""
    specs = load_specs()
    years = year_labels(master.settings.fiscal_year)
    for sheet, entries in _rows_by_sheet(returns).items():
        spec = specs[sheet]
        _schema_issues(spec, entries, years)
        if sheet == "取組状況":
            _trend_warnings(spec, entries, years)


def _schema_issues(spec: SheetSpec, entries: List[Tuple[Return, Dict[str, InputCell], str]],
                   years: Dict[str, str]) -> None:
    import pandera.pandas as pa

    frame = _frame(spec, entries)
    try:
        schema_for(spec).validate(frame, lazy=True)
        return
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    lists = load_lists()
    reported = set()
    for record in failures.to_dict("records"):
        check = str(record.get("check") or "")
        index = record.get("index")
        if index is None or index != index:  # NaN: a schema-level failure, not a cell
            continue
        code, _, field = check.partition(":")
        field = field or str(record.get("column"))
        key = (code, field, int(index))
        if key in reported or code not in _CODES:
            continue
        reported.add(key)
        ret, cells, _ = entries[int(index)]
        cell = cells.get(field)
        if cell is None:
            continue
        column = spec.column(field)
        label = column.label_for(years)
        extra: Dict[str, Any] = {}
        if column.choices:
            extra["choices"] = "・".join(lists[column.choices].values)
        if column.required_with:
            extra["other"] = spec.column(column.required_with).label_for(years)
        if column.required_when:
            other = cells.get(column.required_when["field"])
            extra["other"] = spec.column(column.required_when["field"]).label_for(years)
            extra["other_value"] = other.value if other else ""
        if code == "text_too_long":
            extra["length"] = len(str(cell.value))
        ret.add(code, sheet=spec.name, cell=cell.cell, value=_shown(cell), label=label, **extra)


_CODES = {"bad_choice", "not_a_number", "not_an_integer", "text_too_long", "required_empty",
          "required_with_empty", "required_when_empty"}


def _shown(cell: InputCell) -> str:
    text = str(cell.raw if cell.raw != "" else cell.value)
    return text if len(text) <= 60 else text[:57] + "…"


def _trend_warnings(spec: SheetSpec, entries: List[Tuple[Return, Dict[str, InputCell], str]],
                    years: Dict[str, str]) -> None:
    """Warnings against last year: a value far from it, or 取組内容 copied unchanged."""
    explain = spec.column("outcome").label_for(years)
    content_label = spec.column("content").label_for(years)
    no_context: Dict[str, str] = {}
    for ret, cells, value_type in entries:
        context = ret.context.get((spec.name, next(iter(cells.values())).row_key), no_context)
        value = cells.get("value")
        if value is not None and value_type in ("integer", "decimal") and value.value not in ("", NA_VALUE):
            now = value.value if isinstance(value.value, (int, float)) else None
            before = plain_number(context.get("prev1_value", ""))
            explained = any(cells.get(f) is not None and cells[f].value != "" for f in ("outcome", "challenge"))
            if now is not None and before and not explained and (now > before * JUMP_RATIO or now < before / JUMP_RATIO):
                ret.add("value_jump", sheet=spec.name, cell=value.cell, value=_shown(value),
                        previous=context.get("prev1_value"), explain=explain)
        content = cells.get("content")
        previous = context.get("prev1_content", "")
        if content is not None and previous and content.value != NA_VALUE and cell_text(content.value) == cell_text(previous):
            ret.add("same_as_last_year", sheet=spec.name, cell=content.cell, label=content_label)
