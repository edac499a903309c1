"""validate_returns on returns built in code (no workbook files): which rule flags
which cell, that a row's cells are found wherever they are in the return, and that
the frame handed to pandera fails exactly as plain object columns would.

The messy-folder tests (test_collect_messy.py) check the same rules end to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import pytest

from welfare_workbook.returns import InputCell, Return
from welfare_workbook.master import Master
from welfare_workbook.spec import MAX_CELL_TEXT, load_specs, schema_for
from welfare_workbook.validate import _rows_by_sheet, validate_returns

ST, CH = "取組状況", "中間評価"
SPECS = load_specs()

Row = Tuple[str, str, Dict[str, Any]]  # (sheet, row key, {field: value})


def _return(rows: List[Row], value_type: str = "integer", name: str = "K01.xlsx",
            context: Optional[Dict[Tuple[str, str], Dict[str, str]]] = None) -> Return:
    """A readable return with one input cell per given field, in the order given.

    Each row key gets its own sheet row, so cells can be told apart by address.
    """
    ret = Return(path=Path(name), file=name, respondent_id=name.split(".")[0], readable=True)
    numbers: Dict[Tuple[str, str], int] = {}
    for sheet, key, values in rows:
        row = numbers.setdefault((sheet, key), 10 + len(numbers))
        for field_id, value in values.items():
            typed = value_type if SPECS[sheet].column(field_id).type == "indicator" else "text"
            ret.cells.append(InputCell(sheet=sheet, row=row, col=SPECS[sheet].index(field_id), field=field_id,
                                       row_key=key, item_id=key, raw=value, value=value, value_type=typed))
    ret.context = context or {}
    return ret


def _cell(ret: Return, sheet: str, key: str, field_id: str) -> str:
    return next(c.cell for c in ret.cells if (c.sheet, c.row_key, c.field) == (sheet, key, field_id))


def _found(ret: Return) -> Set[Tuple[str, Optional[str]]]:
    return {(i.code, i.cell) for i in ret.issues}


def _complete(**values: Any) -> Dict[str, Any]:
    return {"value": 5, "content": "研修を実施", "outcome": "", "challenge": "", **values}


def test_each_rule_flags_its_cell(sample_master: Master) -> None:
    integers = _return([
        (ST, "a", _complete(value="約100")),
        (ST, "b", _complete(value=1.5)),
        (ST, "c", _complete(value=True)),  # a bool is not a number
        (ST, "d", _complete(value=2.0)),
        (ST, "e", _complete(value="該当なし")),
        (ST, "f", _complete(value="", content="")),
        (ST, "g", _complete(content="あ" * (MAX_CELL_TEXT + 1))),
        (ST, "h", _complete(content="あ" * MAX_CELL_TEXT)),
        (CH, "a", {"grade": "良い", "good": "", "issue": ""}),
        (CH, "b", {"grade": "△", "good": "", "issue": ""}),
        (CH, "c", {"grade": "", "good": "", "issue": ""}),
        (CH, "d", {"grade": "○", "good": "", "issue": ""}),
    ])
    texts = _return([(ST, "a", _complete(value="約100"))], value_type="text", name="K02.xlsx")
    validate_returns([integers, texts], sample_master)

    def at(sheet: str, key: str, field_id: str) -> str:
        return _cell(integers, sheet, key, field_id)

    assert _found(integers) == {
        ("not_a_number", at(ST, "a", "value")),
        ("not_an_integer", at(ST, "b", "value")),
        ("not_a_number", at(ST, "c", "value")),
        ("required_empty", at(ST, "f", "value")),
        ("required_empty", at(ST, "f", "content")),
        ("text_too_long", at(ST, "g", "content")),
        ("bad_choice", at(CH, "a", "grade")),
        ("required_when_empty", at(CH, "b", "issue")),
        ("required_empty", at(CH, "c", "grade")),
    }
    too_long = next(i for i in integers.issues if i.code == "text_too_long")
    assert too_long.context["length"] == MAX_CELL_TEXT + 1
    assert texts.issues == []  # a text-typed indicator may hold any text


def test_trend_warnings(sample_master: Master) -> None:
    context = {(ST, key): {"prev1_value": "10", "prev1_content": "研修を実施 "} for key in "abcd"}
    ret = _return([
        (ST, "a", _complete(value=100, content="新しい取組")),  # ten times last year's
        (ST, "b", _complete(value=100, content="新しい取組", outcome="対象を広げた")),  # explained
        (ST, "c", _complete(value=12)),  # near last year's; 取組内容 unchanged but for a space
        (ST, "d", _complete(value="該当なし", content="該当なし")),
        (ST, "e", _complete(value=100)),  # nothing from last year
    ], context=context)
    validate_returns([ret], sample_master)
    assert _found(ret) == {("value_jump", _cell(ret, ST, "a", "value")),
                           ("same_as_last_year", _cell(ret, ST, "c", "content"))}


def test_cells_of_a_row_are_found_wherever_they_are(sample_master: Master) -> None:
    rows: List[Row] = [
        (ST, "a", {"value": 5}),
        (ST, "b", _complete(value="約100")),
        (CH, "a", {"grade": "○"}),
        (ST, "a", {"content": "後から"}),  # the rest of row a, after other rows and sheets
        (ST, "b", {"value": "約200"}),  # the same cell twice: the last one counts
    ]
    ret = _return(rows)
    validate_returns([ret], sample_master)
    assert [(i.code, i.cell, i.value) for i in ret.issues] == [
        ("not_a_number", _cell(ret, ST, "b", "value"), "約200")]

    sheets = _rows_by_sheet([ret])
    assert list(sheets) == [ST, CH]
    assert sheets[ST].keys == ["a", "b"]
    assert [c.value if c else None for c in sheets[ST].column("content")] == ["後から", "研修を実施"]


ODD_VALUES = ["", None, 1, 1.0, True, False, 0, float("nan"), "1", "該当なし", "○", "△", "見直し",
              "x" * (MAX_CELL_TEXT + 1), "同左", 2.5]


@pytest.mark.parametrize("seed", range(6))
def test_frame_fails_as_object_columns_would(seed: int) -> None:
    """Text and choices go to pandera as categoricals (see _SheetRows.frame); failures,
    and their order, must be those of the same values in plain object columns."""
    import random

    import pandas as pd
    import pandera.pandas as pa

    rnd = random.Random(seed)
    rows: List[Row] = []
    for n in range(60):
        for sheet in (ST, CH):
            fields = [c.id for c in SPECS[sheet].input_columns]
            rows.append((sheet, f"r{n}", {f: rnd.choice(ODD_VALUES) for f in fields if rnd.random() < 0.9}))
    returns = [_return(rows[i::3], value_type=rnd.choice(["integer", "decimal", "text"]), name=f"K{i}.xlsx")
               for i in range(3)]
    for sheet, sheet_rows in _rows_by_sheet(returns).items():
        frame = sheet_rows.frame()
        assert any(str(dtype) == "category" for dtype in frame.dtypes)
        plain = pd.DataFrame({f: pd.Series([None if c is None or c.value == "" else c.value
                                            for c in sheet_rows.column(f)], dtype=object)
                              for f in sheet_rows.offsets})
        plain["_type"] = pd.Series(sheet_rows.types, dtype=object)
        plain["_row"] = range(len(plain))
        failures = []
        for candidate in (frame, plain):
            with pytest.raises(pa.errors.SchemaErrors) as caught:
                schema_for(SPECS[sheet]).validate(candidate, lazy=True)
            failures.append(caught.value.failure_cases[["check", "column", "index"]].astype(str).values.tolist())
        assert failures[0] == failures[1]
