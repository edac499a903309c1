"""Sheet specs: one YAML declaration per sheet (``templates/*.yaml``).

A spec names every column once — label, field id, input or locked, type, choices,
width, help text, checks — and the writer (``generate``), the reader (``collect``)
and the validation schema are all derived from it.

>>> specs = load_specs()
>>> [s.name for s in specs.values()][:3]
['取組状況', '中間評価', '今後の方向性']
>>> spec = specs["中間評価"]
>>> [c.id for c in spec.input_columns]
['grade', 'good', 'issue']
>>> spec.column("grade").choices
'grade'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from .issues import CATALOGUE

# Sheets in the order they appear in a generated workbook; その他の取組 is always added
# when the respondent has actions that no indicator measures.
SURVEY_SHEETS = ("取組状況", "中間評価", "今後の方向性")
SPEC_FILES = ("torikumi_jokyo.yaml", "chukan_hyoka.yaml", "kongo_hoko.yaml", "sonota.yaml")
LAYOUTS = ("rows", "form")  # "form" (key–value, as seed 003) is a later capability
INPUT_TYPES = ("text", "integer", "decimal", "indicator", "grade", "direction")
ITEM_KINDS = ("indicators", "actions", "other_actions")


class SpecError(ValueError):
    """A template YAML is malformed: a programming error, not a user error."""


@dataclass(frozen=True)
class Choice:
    value: str
    help: str = ""


@dataclass(frozen=True)
class ChoiceList:
    """A dropdown list: written to the hidden list sheet, referenced by a defined name."""

    key: str
    name: str
    label: str
    choices: Tuple[Choice, ...]
    synonyms: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)

    @property
    def values(self) -> Tuple[str, ...]:
        return tuple(c.value for c in self.choices)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a row-layout sheet."""

    id: str
    label: str
    width: float = 12
    source: Optional[str] = None  # key of the item context (locked columns)
    input: bool = False
    type: str = "text"
    required: bool = False
    required_with: Optional[str] = None  # required when that field is filled
    required_when: Optional[Mapping[str, Any]] = None  # {field, values}
    help: str = ""
    check: bool = False  # the in-sheet 入力チェック formula column
    same_as: Optional[str] = None  # locked column that 同左 in this input refers to
    align: Optional[str] = None

    @property
    def choices(self) -> Optional[str]:
        """Key of the ChoiceList for dropdown types, else None."""
        return self.type if self.type in ("grade", "direction") else None

    def label_for(self, years: Mapping[str, str]) -> str:
        return self.label.format(**years)

    def help_for(self, years: Mapping[str, str]) -> str:
        return self.help.format(**years)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    layout: str
    items: str
    version: int
    title: str
    note: str
    columns: Tuple[ColumnSpec, ...]

    def column(self, column_id: str) -> ColumnSpec:
        index = self.__dict__.get("_by_id")
        if index is None:  # frozen dataclass: cache the lookup table beside the fields
            index = {c.id: c for c in self.columns}
            object.__setattr__(self, "_by_id", index)
        return index[column_id]

    @property
    def input_columns(self) -> Tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.input)

    @property
    def locked_columns(self) -> Tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if not c.input and not c.check)

    def index(self, column_id: str) -> int:
        """1-based column number in the sheet."""
        for i, col in enumerate(self.columns, start=1):
            if col.id == column_id:
                return i
        raise KeyError(column_id)


def _read_template(name: str) -> str:
    return resources.files("welfare_workbook.templates").joinpath(name).read_text(encoding="utf-8")


def _column(raw: Mapping[str, Any], sheet: str) -> ColumnSpec:
    known = set(ColumnSpec.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise SpecError(f"{sheet}: unknown column keys {sorted(unknown)}")
    col = ColumnSpec(**raw)
    if col.input and col.type not in INPUT_TYPES:
        raise SpecError(f"{sheet}.{col.id}: unknown type {col.type}")
    if not col.input and not col.check and not col.source:
        raise SpecError(f"{sheet}.{col.id}: a locked column needs a source")
    return col


def _sheet(raw: Mapping[str, Any]) -> SheetSpec:
    name = raw["sheet"]
    if raw.get("layout") not in LAYOUTS:
        raise SpecError(f"{name}: layout must be one of {LAYOUTS}")
    if raw.get("items") not in ITEM_KINDS:
        raise SpecError(f"{name}: items must be one of {ITEM_KINDS}")
    columns = tuple(_column(c, name) for c in raw["columns"])
    ids = [c.id for c in columns]
    if len(ids) != len(set(ids)):
        raise SpecError(f"{name}: duplicate column ids")
    for col in columns:
        for ref in (col.required_with, (col.required_when or {}).get("field"), col.same_as):
            if ref and ref not in ids:
                raise SpecError(f"{name}.{col.id}: refers to unknown field {ref}")
    return SheetSpec(
        name=name,
        layout=raw["layout"],
        items=raw["items"],
        version=int(raw.get("version", 1)),
        title=raw.get("title", name),
        note=raw.get("note", ""),
        columns=columns,
    )


@lru_cache(maxsize=None)
def load_specs() -> Dict[str, SheetSpec]:
    """All sheet specs, keyed by sheet name, in workbook order."""
    specs = {}
    for filename in SPEC_FILES:
        spec = _sheet(yaml.safe_load(_read_template(filename)))
        specs[spec.name] = spec
    return specs


@lru_cache(maxsize=None)
def load_lists() -> Dict[str, ChoiceList]:
    """Dropdown lists keyed by type (``grade``, ``direction``)."""
    raw = yaml.safe_load(_read_template("lists.yaml"))
    lists = {}
    for key, body in raw.items():
        lists[key] = ChoiceList(
            key=key,
            name=body["name"],
            label=body["label"],
            choices=tuple(Choice(**c) for c in body["choices"]),
            synonyms={k: tuple(v) for k, v in (body.get("synonyms") or {}).items()},
        )
    return lists


@lru_cache(maxsize=None)
def template_version() -> str:
    """Changes whenever any template changes, so returns of an old template are recognised."""
    digest = hashlib.sha256()
    for filename in SPEC_FILES + ("lists.yaml",):
        digest.update(_read_template(filename).encode("utf-8"))
    return "t" + digest.hexdigest()[:10]


def sheet_order(enabled: List[str]) -> List[str]:
    """Survey sheets in fixed order, limited to those enabled in 調査設定."""
    return [name for name in SURVEY_SHEETS if name in enabled]


# ---------------------------------------------------------------------------
# validation schema: derived from the same spec the writer uses

NA_VALUE = "該当なし"  # the one word every "nothing to report" answer becomes (normalize folds to it)


MAX_CELL_TEXT = 32767  # characters an Excel cell can hold


# Every pandera check the schemas use, by name (the part before ``:field``), and the
# catalogue code its failures are reported as. One table: validate maps failure cases
# through it, and a schema with a check missing here is refused when it is built, so
# no failure can be dropped for want of a code.
CHECK_CODES: Mapping[str, str] = {
    "bad_choice": "bad_choice",
    "not_a_number": "not_a_number",
    "not_an_integer": "not_an_integer",
    "text_too_long": "text_too_long",
    "required_empty": "required_empty",
    "required_with_empty": "required_with_empty",
    "required_when_empty": "required_when_empty",
}
_UNCATALOGUED = sorted(code for code in CHECK_CODES.values() if code not in CATALOGUE)
if _UNCATALOGUED:  # checked at import: a code here must have a message
    raise SpecError(f"CHECK_CODES maps to codes missing from issues.CATALOGUE: {_UNCATALOGUED}")


def check_code(check: str) -> str:
    """The issue code of a pandera check name (``not_a_number:value`` -> ``not_a_number``).

    Raises :class:`SpecError` for a check without a code (a programming error).

    >>> check_code("required_when_empty:issue")
    'required_when_empty'
    """
    code = CHECK_CODES.get(check.partition(":")[0])
    if code is None:
        raise SpecError(f"pandera check {check!r} has no issue code: add it to spec.CHECK_CODES "
                        "(and its message to issues.CATALOGUE)")
    return code


def require_check_codes(schema: Any) -> Any:
    """``schema`` itself, once every check in it (frame and column checks) has an issue code."""
    checks = list(schema.checks) + [c for column in schema.columns.values() for c in column.checks]
    for check in checks:
        check_code(str(check.name))
    return schema


# The checks below are vectorised (one call per column, not per value). Where a rule
# needs a Python test per value, a list comprehension over the column's values does it
# inline: Series.map with a function costs several times more per value.
def _numbers(series: Any) -> Any:
    """True where the value is a number (not a bool) or 該当なし."""
    return _mask(series, [(isinstance(v, (int, float)) and not isinstance(v, bool)) or v == NA_VALUE
                          for v in series.tolist()])


def _integers(series: Any) -> Any:
    """True unless the value is a number with a fraction (only a float can have one)."""
    return _mask(series, [not isinstance(v, float) or v.is_integer() for v in series.tolist()])


def _fits_in_a_cell(series: Any) -> Any:
    """True where the value's text fits in a cell (an empty value always does)."""
    return _mask(series, [len(str(v)) <= MAX_CELL_TEXT for v in series.tolist()])


def _mask(series: Any, values: List[bool]) -> Any:
    import pandas as pd

    return pd.Series(values, index=series.index, dtype=bool)


def schema_for(spec: SheetSpec) -> Any:
    """A pandera DataFrameSchema for the frame of all returns of one sheet.

    The frame has one row per item row of every return, a column per input field
    (normalised values, null when empty), ``_type`` (the value type of an indicator
    row) and ``_row`` (never null, so every failing row is reported). Check names are
    keys of :data:`CHECK_CODES` (``name:field`` for checks across columns); a schema
    with a check missing there raises :class:`SpecError` here.

    Column checks pass empty values themselves (``ignore_na=False``) rather than have
    pandera drop them first, which copies the column for every check. Checks across
    columns keep pandera's default (``ignore_na``): it leaves the empty cells of a
    failing row out of the failure cases, and so decides the order of the issues.
    """
    import pandera.pandas as pa

    lists = load_lists()
    columns: Dict[str, Any] = {}
    frame_checks = []
    for col in spec.input_columns:
        checks = []
        if col.choices:
            allowed = list(lists[col.choices].values) + [NA_VALUE]
            checks.append(pa.Check(lambda s, allowed=allowed: s.isna() | s.isin(allowed), name="bad_choice",
                                   ignore_na=False))
        elif col.type in ("integer", "decimal"):
            checks.append(pa.Check(lambda s: s.isna() | _numbers(s), name="not_a_number", ignore_na=False))
            if col.type == "integer":
                checks.append(pa.Check(lambda s: s.isna() | _integers(s), name="not_an_integer", ignore_na=False))
        elif col.type == "indicator":
            def number_check(df: Any, f: str = col.id) -> Any:
                numeric = df["_type"].isin(["integer", "decimal"])
                return df[f].isna() | ~numeric | _numbers(df[f])

            def integer_check(df: Any, f: str = col.id) -> Any:
                integral = df["_type"] == "integer"
                return df[f].isna() | ~integral | _integers(df[f])

            frame_checks.append(pa.Check(number_check, name=f"not_a_number:{col.id}"))
            frame_checks.append(pa.Check(integer_check, name=f"not_an_integer:{col.id}"))
        checks.append(pa.Check(_fits_in_a_cell, name="text_too_long", ignore_na=False))
        columns[col.id] = pa.Column(None, checks=checks, nullable=True, required=True)
        if col.required:
            frame_checks.append(pa.Check(lambda df, f=col.id: df[f].notna(), name=f"required_empty:{col.id}"))
        if col.required_with:
            frame_checks.append(pa.Check(
                lambda df, f=col.id, o=col.required_with: df[o].isna() | df[f].notna(),
                name=f"required_with_empty:{col.id}"))
        if col.required_when:
            other, values = col.required_when["field"], list(col.required_when["values"])
            frame_checks.append(pa.Check(
                lambda df, f=col.id, o=other, v=values: ~df[o].isin(v) | df[f].notna(),
                name=f"required_when_empty:{col.id}"))
    columns["_row"] = pa.Column(int, nullable=False)
    return require_check_codes(pa.DataFrameSchema(columns, checks=frame_checks, strict=False, name=spec.name))
