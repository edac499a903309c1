"""Validate every current form return at once: one pandera schema, built from the form spec, run once.

The frame has one row per return and one column per answer cell (``population``,
``jigyo:2``, ``suishin_career.2`` …) holding the normalised values (null when empty),
plus ``_respondent`` and, per repeat group, ``_blocks:<group>`` (the blocks the master
allows that 団体). Every rule is a frame check named ``code@key`` — the issue code and
the answer cell it is reported at — so each failure maps back to file, sheet and cell:

- types: 整数/小数 (``not_a_number``, ``not_an_integer``), 選択 (``bad_choice``), ○ rows
  (``form_bad_mark``), 年月, 年度の範囲, 団体コード (6 digits, check digit, known to the
  master, the 団体 the form was sent to);
- conditions: an answer where the item does not apply (``form_not_applicable``,
  a warning); a required item of an applying section empty (``form_required_empty``,
  ``form_choice_required``); その他 and its 具体的に (``form_specify_missing`` /
  ``form_specify_unexpected``); 特になし with other choices (``form_exclusive``); a
  repeat block filled beyond the 団体's number (``form_block_beyond_max``).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Sequence, Tuple

from . import form_issues  # noqa: F401  (registers the form codes)
from .form_contract import form_layout, make_key
from .form_master import FormMaster, check_digit, valid_code
from .form_spec import MARK, Condition, FormSpec, Item
from .issues import CATALOGUE
from .normalize import NA_VALUE
from .returns import InputCell, Return
from .spec import MAX_CELL_TEXT, SpecError

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_RANGE = re.compile(r"(\d{4})-(\d{4})")


class _Frame:
    """The values of every return by answer key, and where each came from."""

    def __init__(self, returns: List[Return], master: FormMaster) -> None:
        import pandas as pd

        self.returns = returns
        self.master = master
        self.keys = [r.key for r in form_layout(master.spec, None, None) if r.key]  # every block, every option
        self.cells: List[Dict[str, InputCell]] = [{c.row_key: c for c in ret.cells} for ret in returns]
        data: Dict[str, Any] = {}
        for key in self.keys:
            data[key] = pd.Series([None if (c := cells.get(key)) is None or c.value == "" else c.value
                                   for cells in self.cells], dtype=object)
        data["_respondent"] = pd.Series([r.respondent_id or "" for r in returns], dtype=object)
        for group in master.spec.repeats:
            data[f"_blocks:{group.id}"] = [master.blocks(master.bodies.get(r.respondent_id or ""), group)
                                          for r in returns]
        data["_row"] = range(len(returns))
        self.frame = pd.DataFrame(data, copy=False)


def _chosen(df: Any, spec: FormSpec, condition: Condition) -> Any:
    item = spec.item(condition.item)
    if item.type == "multi":
        result = None
        for value in condition.values:
            column = df[make_key(item.id, 0, item.option_values.index(value) + 1)] == MARK
            result = column if result is None else result | column
        return result
    return df[item.id].isin(list(condition.values))


def _applies(df: Any, spec: FormSpec, conditions: Sequence[Condition]) -> Any:
    import pandas as pd

    result = pd.Series(True, index=df.index)
    for condition in conditions:
        result &= _chosen(df, spec, condition)
    return result


def _filled(df: Any, key: str) -> Any:
    return df[key].notna()


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or v == NA_VALUE


def _each(df: Any, key: str, test: Callable[[Any], bool]) -> Any:
    """True where the cell is empty or passes ``test`` (one Python test per value)."""
    import pandas as pd

    return pd.Series([v is None or test(v) for v in df[key].tolist()], index=df.index, dtype=bool)


class _Rules:
    """The checks of one spec: (name ``code@key``, function of the frame -> ok mask)."""

    def __init__(self, master: FormMaster) -> None:
        self.master, self.spec = master, master.spec
        self.checks: List[Tuple[str, Callable[[Any], Any]]] = []
        self.labels: Dict[str, str] = {}  # key -> label shown (with the block's marker)
        self.extra: Dict[str, Dict[str, Any]] = {}  # check name -> message fields
        for row in form_layout(self.spec, None, None):
            if row.item is not None and (row.key or row.kind == "multi"):
                self._item(row)

    def add(self, code: str, key: str, check: Callable[[Any], Any], **extra: Any) -> None:
        name = f"{code}@{key}"
        self.checks.append((name, check))
        if extra:
            self.extra[name] = extra

    def _label(self, item: Item, block: int) -> str:
        group = self.spec.repeat_of(item.id)
        return f"{item.label}（{group.marker(block)}）" if group and block else item.label

    def _item(self, row: Any) -> None:
        spec, item, block = self.spec, row.item, row.block
        conditions = spec.conditions(item.id)
        label = self._label(item, block)
        describe = "、かつ".join(c.describe(spec) for c in conditions)
        group = spec.repeat_of(item.id)
        if row.kind == "multi":
            keys = [make_key(item.id, block, i) for i in range(1, len(item.options) + 1)]
            for key in keys:
                self.labels[key] = label
            if item.required:
                self.add("form_choice_required", keys[0], lambda df, k=keys, c=conditions: ~_applies(df, spec, c)
                         | _marked(df, k).gt(0))
            for index, option in enumerate(item.options):
                if option.exclusive:
                    others = "・".join(o.value for o in item.options if o is not option)
                    self.add("form_exclusive", keys[index],
                             lambda df, k=keys, i=index: ~(df[k[i]] == MARK) | _marked(df, k).le(1),
                             option=option.value, others=others)
            return
        key = row.key
        self.labels[key] = label
        self._types(key, item, row.option)
        if row.option:
            if conditions:
                self.add("form_not_applicable", key, lambda df, k=key, c=conditions: ~_filled(df, k)
                         | _applies(df, spec, c), condition=describe)
            return
        blocks = f"_blocks:{group.id}" if group else ""
        if conditions:
            self.add("form_not_applicable", key, lambda df, k=key, c=conditions: ~_filled(df, k)
                     | _applies(df, spec, c), condition=describe)
        if group:
            self.add("form_block_beyond_max", key, lambda df, k=key, b=block, n=blocks: ~_filled(df, k)
                     | df[n].ge(b) | ~_applies(df, spec, conditions), group=group.label, block=block)
        if item.specify:
            chosen = item.specify
            other = f"「{spec.item(chosen.item).label}」で『{'』か『'.join(chosen.values)}』を選んだ"
            self.add("form_specify_missing", key, lambda df, k=key, c=conditions, s=chosen:
                     ~(_applies(df, spec, c) & _chosen(df, spec, s)) | _filled(df, k), condition=other)
            self.add("form_specify_unexpected", key, lambda df, k=key, s=chosen: _chosen(df, spec, s)
                     | ~_filled(df, k), condition=other, option="』か『".join(chosen.values))
        elif item.required:
            if group is None or block <= group.min:
                self.add("form_required_empty", key, lambda df, k=key, c=conditions: ~_applies(df, spec, c)
                         | _filled(df, k))
            else:  # a later block is required once it is in use (and allowed)
                siblings = [make_key(i.id, block) for i in group.items]
                self.add("form_required_empty", key, lambda df, k=key, c=conditions, s=siblings, b=block, n=blocks:
                         ~(_applies(df, spec, c) & _any(df, s) & df[n].ge(b)) | _filled(df, k))

    def _types(self, key: str, item: Item, option: int) -> None:
        master = self.master
        if option:
            self.add("form_bad_mark", key, lambda df, k=key: _each(df, k, lambda v: v == MARK))
            return
        kind = item.type
        if kind in ("integer", "decimal"):
            self.add("not_a_number", key, lambda df, k=key: _each(df, k, _is_number))
            if kind == "integer":
                self.add("not_an_integer", key, lambda df, k=key: _each(
                    df, k, lambda v: not isinstance(v, float) or v.is_integer()))
        elif kind == "choice":
            allowed = set(item.option_values) | {NA_VALUE}
            self.add("bad_choice", key, lambda df, k=key: _each(df, k, lambda v: v in allowed),
                     choices="・".join(item.option_values))
        elif kind == "month":
            self.add("form_bad_month", key, lambda df, k=key: _each(df, k, lambda v: bool(_MONTH.fullmatch(str(v)))))
        elif kind == "year_range":
            self.add("form_bad_year_range", key, lambda df, k=key: _each(df, k, _good_range))
        elif kind == "code":
            digits = lambda v: len(str(v)) == 6 and str(v).isdigit()  # noqa: E731
            self.add("form_bad_code", key, lambda df, k=key: _each(df, k, digits))
            self.add("form_code_check_digit", key, lambda df, k=key: _each(
                df, k, lambda v: not digits(v) or valid_code(str(v))))
            self.add("form_code_unknown", key, lambda df, k=key: _each(
                df, k, lambda v: not valid_code(str(v)) or str(v) in master.bodies))
            self.add("form_code_mismatch", key, lambda df, k=key: df[k].isna() | ~df[k].isin(list(master.bodies))
                     | (df[k] == df["_respondent"]))
        self.add("text_too_long", key, lambda df, k=key: _each(df, k, lambda v: len(str(v)) <= MAX_CELL_TEXT))


def _good_range(value: Any) -> bool:
    match = _RANGE.fullmatch(str(value))
    return bool(match) and int(match.group(1)) <= int(match.group(2))


def _marked(df: Any, keys: Sequence[str]) -> Any:
    total = None
    for key in keys:
        column = (df[key] == MARK).astype(int)
        total = column if total is None else total + column
    return total


def _any(df: Any, keys: Sequence[str]) -> Any:
    result = None
    for key in keys:
        column = df[key].notna()
        result = column if result is None else result | column
    return result


def form_schema(master: FormMaster) -> Tuple[Any, _Rules]:
    """The pandera schema of a form (and the rules it was built from: labels, message fields)."""
    import pandera.pandas as pa

    rules = _Rules(master)
    missing = sorted({name.partition("@")[0] for name, _ in rules.checks} - set(CATALOGUE))
    if missing:  # a check whose failures could not be reported: refuse to build
        raise SpecError(f"form checks without an issue code: {missing}")
    columns = {key: pa.Column(None, nullable=True, required=True) for key in rules.labels}
    columns["_row"] = pa.Column(int, nullable=False)
    # ignore_na would have pandera test every row for being empty in every column, once per
    # check (most of the pass); no row is (_row is never null), so it could change nothing
    checks = [pa.Check(function, name=name, ignore_na=False) for name, function in rules.checks]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=master.spec.name), rules


def validate_forms(returns: List[Return], master: FormMaster) -> None:
    """Add schema and rule issues to the current, readable returns (one pandera pass)."""
    todo = [r for r in returns if r.readable and r.respondent_id]
    if not todo:
        return
    frame = _Frame(todo, master)
    schema, rules = form_schema(master)
    failures = _failures(schema, frame)
    if failures is None:
        return
    before = {id(r): len(r.issues) for r in todo}
    _report_failures(failures, frame, rules, master)
    _in_form_order(todo, before)


def _failures(schema: Any, frame: _Frame) -> Any:
    """The failure cases of one lazy pass of ``schema`` over the frame; None when every check passed."""
    import pandera.pandas as pa

    try:
        schema.validate(frame.frame, lazy=True, inplace=True)
        return None
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases


def _report_failures(failures: Any, frame: _Frame, rules: _Rules, master: FormMaster) -> None:
    """One issue per failed check and return (pandera lists a row once per failing value)."""
    reported = set()
    for record in failures.to_dict("records"):
        name = str(record.get("check") or "")
        index = record.get("index")
        if "@" not in name:
            continue  # a column-level failure (none are declared): nothing to map
        if index is None or index != index:
            raise SpecError(f"{master.spec.name}: check {name!r} could not run: {record.get('failure_case')}")
        if (name, int(index)) in reported:
            continue
        reported.add((name, int(index)))
        _report(name, frame, int(index), rules, master)


def _report(name: str, frame: _Frame, index: int, rules: _Rules, master: FormMaster) -> None:
    """The issue of check ``name`` (``code@key``) on the return at ``index``, at the answer cell of ``key``."""
    code, _, key = name.partition("@")
    ret = frame.returns[index]
    cell = frame.cells[index].get(key)
    if cell is None:
        return
    fields = dict(rules.extra.get(name, {}))
    fields["label"] = rules.labels.get(key, key)
    fields.update(_return_fields(code, key, ret, cell, master))
    ret.add(code, sheet=cell.sheet, cell=cell.cell, value=_shown(cell), **fields)


def _return_fields(code: str, key: str, ret: Return, cell: InputCell, master: FormMaster) -> Dict[str, Any]:
    """Message fields that depend on the return (not known when the check was built)."""
    if code == "form_block_beyond_max":
        group = master.spec.repeat_of(key.partition(".")[0])
        return {"max": master.blocks(master.bodies.get(ret.respondent_id or ""), group) if group else 0}
    if code == "form_code_check_digit":
        return {"expected": str(check_digit(str(cell.value)[:5]))}
    if code == "form_code_mismatch":
        return {"expected": ret.respondent_id}
    if code == "text_too_long":
        return {"length": len(str(cell.value))}
    return {}


def _in_form_order(todo: List[Return], before: Dict[int, int]) -> None:
    """The issues just added, in the order of the form, as a respondent reads down the sheet."""
    for ret in todo:
        head, added = ret.issues[:before[id(ret)]], ret.issues[before[id(ret)]:]
        ret.issues = head + sorted(added, key=lambda i: int(re.sub(r"\D", "", i.cell or "") or 0))


def _shown(cell: InputCell) -> str:
    text = str(cell.raw if cell.raw != "" else cell.value)
    return text if len(text) <= 60 else text[:57] + "…"


def form_issue_codes() -> List[str]:
    """Every code the form checks can report (tests hold them against the catalogue)."""
    from .form_master import form_sample_path, load_form_master

    master, _ = load_form_master(form_sample_path())
    assert master is not None
    return sorted({name.partition("@")[0] for name, _ in _Rules(master).checks})


__all__ = ["validate_forms", "form_schema", "form_issue_codes"]
