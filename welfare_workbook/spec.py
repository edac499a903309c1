"""Sheet specs: one YAML declaration per sheet (``templates/*.yaml``).

A spec names every column once — label, field id, input or locked, type, choices,
width, help text, checks — and the writer (``generate``), the reader (``collect``)
and the validation schema are all derived from it. The same declaration says how
the column appears in 集計表 (``summary:``), which 実績 column rollover carries its
answer into (``rollover:``) and what part it plays in the rules that compare with
last year (``role:``), so a column renamed in its template arrives everywhere.

Templates are checked as they load: a ``source:`` that is not a key of the item's
context, a ``rollover:`` that is not a 実績 column, an unknown key or role, is a
:class:`SpecError` naming the template file. Another folder of templates can be
used with ``load_specs(folder)`` or, for every command, the environment variable
``WELFARE_WORKBOOK_TEMPLATES``.

>>> specs = load_specs()
>>> [s.name for s in specs.values()][:3]
['取組状況', '中間評価', '今後の方向性']
>>> spec = specs["中間評価"]
>>> [c.id for c in spec.input_columns]
['grade', 'good', 'issue']
>>> spec.column("grade").choices, spec.column("grade").rollover
('grade', '評価')
>>> specs["取組状況"].role("value").id
'value'
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import yaml

from .issues import CATALOGUE, InputError
from .master_model import RESULT_ANSWER_COLUMNS

# Sheets in the order they appear in a generated workbook; その他の取組 is always added
# when the respondent has actions that no indicator measures.
SURVEY_SHEETS = ("取組状況", "中間評価", "今後の方向性")
SPEC_FILES = ("torikumi_jokyo.yaml", "chukan_hyoka.yaml", "kongo_hoko.yaml", "sonota.yaml")
LISTS_FILE = "lists.yaml"
TEMPLATES_ENV = "WELFARE_WORKBOOK_TEMPLATES"  # a folder of templates to use instead of the bundled ones
LAYOUTS = ("rows", "form")  # "form" (key–value, as seed 003) is a later capability
INPUT_TYPES = ("text", "integer", "decimal", "indicator", "grade", "direction")
# The locked texts each kind of item row offers, the keys a template's ``source:`` may
# name. contract.indicator_row / action_row build exactly these (tests/test_spec.py
# holds the two together).
_ACTION_CONTEXT = ("no", "measure", "name", "content", "departments", "page", "prev2_content", "prev1_content",
                   "prev1_grade", "prev1_outcome", "prev1_direction", "prev1_reason")
CONTEXT_KEYS: Dict[str, Tuple[str, ...]] = {
    "indicators": ("no", "measure", "name", "unit", "baseline", "target", "prev2_value", "prev2_content",
                   "prev1_value", "prev1_content"),
    "actions": _ACTION_CONTEXT,
    "other_actions": _ACTION_CONTEXT,
}
ITEM_KINDS = tuple(CONTEXT_KEYS)
# What a column does in the checks against last year (validate) and in 集計表:
ROLES = {
    "value": "input",  # this year's value of an indicator (compared with last year's; 達成状況, indicators.csv)
    "last_year_value": "locked",  # last year's value shown beside it
    "explanation": "input",  # filled: a big change from last year is explained (any number of columns)
    "content": "input",  # this year's 取組内容 (warned when identical to last year's)
    "last_year_content": "locked",  # last year's 取組内容 shown beside it
}
_REPEATABLE_ROLES = ("explanation",)
# keys of a sheet that only 集計表, rollover and the checks read: not part of the workbook
_REPORT_KEYS = ("summary", "rollover", "rollover_prefix", "role")


class SpecError(InputError):
    """A template is malformed. The message is Japanese and names the template file."""


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
class SummarySpec:
    """How a column appears in 集計表 (a column's ``summary:``; the sheet's ``summary: respondent:``).

    A column with ``order`` is a column of its table (the 取組状況 indicators: 一覧表 and
    the 基本施策 pages; 中間評価 and 今後の方向性: the 中間評価 table; その他の取組: the
    ★その他取組 list of the 基本施策 pages). A column with ``with`` instead adds its text
    to the cell of that column of the same sheet, after ``prefix``.
    """

    order: Optional[int] = None  # position in its table (1 = leftmost)
    label: str = ""  # heading; may use {year} {prev1} {prev2} {year_short} {prev1_short} {prev2_short}
    width: float = 12
    align: Optional[str] = None  # "center"
    merge: bool = False  # one cell over the rows of an item's respondents
    with_: Optional[str] = None  # YAML ``with``: joined into that column's cell
    prefix: str = ""  # text before the value (shown only when there is a value)
    join: str = "\n"  # between the parts of a cell
    in_list: bool = True  # YAML ``list``: false leaves the column out of 一覧表
    not_submitted: bool = False  # shows 未提出 (red) for a respondent that sent nothing
    count: Optional[str] = None  # title of a 概要 table counting each choice per 基本施策

    def label_for(self, years: Mapping[str, str]) -> str:
        return self.label.format(**years)


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
    role: Optional[str] = None  # one of ROLES
    rollover: Optional[str] = None  # the 実績 column rollover carries this answer into
    rollover_prefix: str = ""  # text before the answer there (several answers share a 実績 cell)
    summary: Optional[SummarySpec] = None

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
    file: str = ""  # the template it was read from, for messages
    respondent: Optional[SummarySpec] = None  # 集計表's 回答課 / 担当課 column

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

    def role(self, name: str) -> Optional[ColumnSpec]:
        """The column playing ``name`` (see ROLES), or None when the sheet has none."""
        return next((c for c in self.columns if c.role == name), None)

    def roles(self, name: str) -> Tuple[ColumnSpec, ...]:
        """Every column playing ``name`` (``explanation`` may have several)."""
        return tuple(c for c in self.columns if c.role == name)


# ---------------------------------------------------------------------------
# loading


def _folder_key(folder: Union[str, Path, None]) -> str:
    """Cache key of a templates folder: "" for the bundled templates. Without a folder,
    the one WELFARE_WORKBOOK_TEMPLATES names (looked up on every call, so setting it
    takes effect at once; each folder is still read only once)."""
    if folder is None:
        return os.environ.get(TEMPLATES_ENV, "")
    return str(folder)


def _shown(folder: str, name: str) -> str:
    """How messages name a template file."""
    return f"templates/{name}" if not folder else str(Path(folder) / name)


def _read_template(name: str, folder: str = "") -> str:
    if not folder:
        return resources.files("welfare_workbook.templates").joinpath(name).read_text(encoding="utf-8")
    try:
        return (Path(folder) / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{_shown(folder, name)}: テンプレートを読めません（{exc.strerror or exc}）。"
                        f"{TEMPLATES_ENV} のフォルダには {', '.join(SPEC_FILES + (LISTS_FILE,))} が必要です。") from exc


def _yaml(name: str, folder: str) -> Any:
    try:
        return yaml.safe_load(_read_template(name, folder))
    except yaml.YAMLError as exc:
        raise SpecError(f"{_shown(folder, name)}: YAML として読めません（{exc}）。") from exc


def _known_keys(raw: Mapping[str, Any], known: Iterable[str], where: str) -> None:
    """``where`` ends where the key is: 'templates/x.yaml: 列「grade」の'."""
    known = list(known)
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise SpecError(f"{where}キー {'、'.join(unknown)} は使えません。使えるのは {'、'.join(known)} です。")


_SUMMARY_KEYS = {"with": "with_", "list": "in_list"}  # YAML key -> SummarySpec field, where they differ


def _summary(raw: Any, where: str) -> SummarySpec:
    """``where`` names the summary: 'templates/x.yaml: 列「grade」の summary'."""
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}は「キー: 値」の形で書いてください。")
    to_yaml = {f: y for y, f in _SUMMARY_KEYS.items()}
    _known_keys(raw, [to_yaml.get(f.name, f.name) for f in fields(SummarySpec)], f"{where}の")
    summary = SummarySpec(**{_SUMMARY_KEYS.get(str(k), str(k)): v for k, v in raw.items()})
    if (summary.order is None) == (summary.with_ is None):
        raise SpecError(f"{where}には order（集計表の何列目か）か with（どの列のセルに加えるか）の"
                        "どちらか一方を書いてください。")
    return summary


def _column(raw: Mapping[str, Any], items: str, where: str) -> ColumnSpec:
    where_col = f"{where}: 列「{raw.get('id', '?')}」"
    _known_keys(raw, [f.name for f in fields(ColumnSpec)], f"{where_col}の")
    missing = [k for k in ("id", "label") if k not in raw]
    if missing:
        raise SpecError(f"{where_col}に {'、'.join(missing)} がありません。")
    values = dict(raw)
    if "summary" in values:
        values["summary"] = _summary(values["summary"], f"{where_col}の summary")
    col = ColumnSpec(**values)
    for check in (_check_type, _check_source, _check_role, _check_rollover, _check_count):
        problem = check(col, items)
        if problem:
            raise SpecError(f"{where_col}{problem}")
    return col


# Each check of one column: what is wrong with it (after 列「id」), or "".


def _check_type(col: ColumnSpec, items: str) -> str:
    if col.input and col.type not in INPUT_TYPES:
        return f"の type「{col.type}」は使えません。使えるのは {'、'.join(INPUT_TYPES)} です。"
    return ""


def _check_source(col: ColumnSpec, items: str) -> str:
    if not col.input and not col.check and not col.source:
        return "は入力欄ではないので、source（表示する内容）が必要です。"
    if col.source and col.source not in CONTEXT_KEYS[items]:
        return f"の source「{col.source}」は使えません。使えるのは {'、'.join(CONTEXT_KEYS[items])} です。"
    return ""


def _check_role(col: ColumnSpec, items: str) -> str:
    kind = "input" if col.input else "locked"
    if col.role and ROLES.get(col.role) != kind:
        usable = [r for r, k in ROLES.items() if k == kind]
        return (f"の role「{col.role}」は使えません。{'入力欄' if col.input else '固定の列'}に使えるのは "
                f"{'、'.join(usable)} です。")
    return ""


def _check_rollover(col: ColumnSpec, items: str) -> str:
    if col.rollover and (not col.input or col.rollover not in RESULT_ANSWER_COLUMNS):
        return (f"の rollover「{col.rollover}」は使えません。入力欄に書き、"
                f"実績の {'、'.join(RESULT_ANSWER_COLUMNS)} のどれかを指定してください。")
    return ""


def _check_count(col: ColumnSpec, items: str) -> str:
    if col.summary and col.summary.count and not col.choices:
        return "の summary の count は、選択肢の列（評価・方向性）にだけ使えます。"
    return ""


def _check_references(columns: Tuple[ColumnSpec, ...], where: str) -> None:
    """Columns name each other by id: those ids must exist (and be joinable)."""
    ids = [c.id for c in columns]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise SpecError(f"{where}: 列の id が重複しています（{'、'.join(duplicated)}）。")
    for col in columns:
        for ref in (col.required_with, (col.required_when or {}).get("field"), col.same_as):
            if ref and ref not in ids:
                raise SpecError(f"{where}: 列「{col.id}」が参照する列「{ref}」がありません。")
    heads = sorted(c.id for c in columns if c.summary and c.summary.order is not None)
    for col in columns:
        joined = col.summary.with_ if col.summary else None
        if joined and joined not in heads:
            raise SpecError(f"{where}: 列「{col.id}」の summary の with「{joined}」は、"
                            f"summary に order のある列ではありません（{'、'.join(heads)}）。")


def _check_roles(columns: Tuple[ColumnSpec, ...], where: str) -> None:
    for role in ROLES:
        playing = [c.id for c in columns if c.role == role]
        if len(playing) > 1 and role not in _REPEATABLE_ROLES:
            raise SpecError(f"{where}: role「{role}」の列が複数あります（{'、'.join(playing)}）。1 列にしてください。")


_SHEET_KEYS = ("sheet", "layout", "items", "version", "title", "note", "columns", "summary")


def _sheet(raw: Mapping[str, Any], where: str) -> SheetSpec:
    _known_keys(raw, _SHEET_KEYS, f"{where}: ")
    name = str(raw.get("sheet") or "")
    if not name:
        raise SpecError(f"{where}: sheet（シート名）がありません。")
    if raw.get("layout") not in LAYOUTS:
        raise SpecError(f"{where}: layout は {'、'.join(LAYOUTS)} のどれかにしてください。")
    if raw.get("items") not in ITEM_KINDS:
        raise SpecError(f"{where}: items は {'、'.join(ITEM_KINDS)} のどれかにしてください。")
    columns = tuple(_column(c, raw["items"], where) for c in raw.get("columns") or ())
    _check_references(columns, where)
    _check_roles(columns, where)
    respondent = None
    sheet_summary = raw.get("summary") or {}
    _known_keys(sheet_summary, ("respondent",), f"{where}: summary の")
    if "respondent" in sheet_summary:
        respondent = _summary(sheet_summary["respondent"], f"{where}: summary の respondent")
    return SheetSpec(
        name=name,
        layout=raw["layout"],
        items=raw["items"],
        version=int(raw.get("version", 1)),
        title=raw.get("title", name),
        note=raw.get("note", ""),
        columns=columns,
        file=where,
        respondent=respondent,
    )


def _check_tables(specs: Iterable[SheetSpec]) -> None:
    """The columns of one 集計表 table come from every sheet of its item kind: their orders must not clash."""
    taken: Dict[Tuple[str, int], str] = {}
    for spec in specs:
        entries: List[Tuple[str, Optional[SummarySpec]]] = [
            (f"列「{c.id}」の summary", c.summary) for c in spec.columns if c.summary]
        entries.append(("summary の respondent", spec.respondent))
        for what, summary in entries:
            if summary is None or summary.order is None:
                continue
            key = (spec.items, summary.order)
            here = f"{spec.file}: {what}"
            if key in taken:
                raise SpecError(f"{here}の order {summary.order} は、{taken[key]}と同じです。"
                                "集計表の同じ表の列は、order が重ならないようにしてください。")
            taken[key] = here


def load_specs(folder: Union[str, Path, None] = None) -> Dict[str, SheetSpec]:
    """All sheet specs, keyed by sheet name, in workbook order.

    ``folder`` holds the templates (the YAML files); by default the folder named by
    WELFARE_WORKBOOK_TEMPLATES, else the bundled ones. Each folder is read once.
    """
    return _load_specs(_folder_key(folder))


@lru_cache(maxsize=None)
def _load_specs(folder: str) -> Dict[str, SheetSpec]:
    specs = {}
    for filename in SPEC_FILES:
        spec = _sheet(_yaml(filename, folder) or {}, _shown(folder, filename))
        specs[spec.name] = spec
    _check_tables(specs.values())
    return specs


def load_lists(folder: Union[str, Path, None] = None) -> Dict[str, ChoiceList]:
    """Dropdown lists keyed by type (``grade``, ``direction``), from the same folder as :func:`load_specs`."""
    return _load_lists(_folder_key(folder))


@lru_cache(maxsize=None)
def _load_lists(folder: str) -> Dict[str, ChoiceList]:
    raw = _yaml(LISTS_FILE, folder)
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


def template_version(folder: Union[str, Path, None] = None) -> str:
    """Changes whenever a template changes what a workbook holds, so returns of an old
    template are recognised. What only 集計表, rollover and the checks read (``summary``,
    ``rollover``, ``role``) and comments do not count: changing them does not make the
    workbooks already sent out old."""
    return _template_version(_folder_key(folder))


@lru_cache(maxsize=None)
def _template_version(folder: str) -> str:
    workbook = []
    for filename in SPEC_FILES:
        raw = dict(_yaml(filename, folder) or {})
        raw.pop("summary", None)
        raw["columns"] = [{k: v for k, v in c.items() if k not in _REPORT_KEYS} for c in raw.get("columns") or ()]
        workbook.append(raw)
    workbook.append(_yaml(LISTS_FILE, folder))
    text = json.dumps(workbook, ensure_ascii=False, sort_keys=True)
    return "t" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def clear_caches() -> None:
    """Forget every templates folder read (tests that write templates use it)."""
    for cached in (_load_specs, _load_lists, _template_version):
        cached.cache_clear()


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
