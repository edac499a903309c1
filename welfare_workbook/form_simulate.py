"""団体, simulated: fill generated form workbooks the way people do (demo, tests, benchmark).

Plays the respondent's part, so it edits the workbook with openpyxl as Excel would;
collect never does. :func:`plan_form_answers` makes a complete, valid answer for
every answer cell (respecting conditions, choices, specify and repeat blocks);
:func:`sample_answers` reads the bundled sample's transcribed answers (seed 003);
:func:`fill_form` types answers into a copy of a generated form.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import yaml

from .form_contract import FormRow, answer_rows, form_layout, make_key
from .form_master import ANSWERS_FILE_OF_SAMPLE, FormMaster, Respondent, form_sample_path
from .form_spec import MARK, Condition, FormSpec, Item

Answers = Dict[str, Any]  # answer key -> value typed


def _chosen(answers: Answers, spec: FormSpec, condition: Condition) -> bool:
    item = spec.item(condition.item)
    if item.type == "multi":
        return any(answers.get(make_key(item.id, 0, item.option_values.index(v) + 1)) == MARK for v in condition.values)
    return answers.get(item.id) in condition.values


def applies(answers: Answers, spec: FormSpec, conditions: Tuple[Condition, ...]) -> bool:
    return all(_chosen(answers, spec, c) for c in conditions)


def _value(item: Item, rng: random.Random, respondent: Respondent) -> Any:
    kind = item.type
    if kind == "integer":
        return rng.randint(0, 250_000)
    if kind == "decimal":
        return round(rng.uniform(0, 99), rng.choice((1, 2)))
    if kind == "code":
        return respondent.code
    if kind == "month":
        return f"令和{rng.randint(1, 6)}年{rng.randint(1, 12)}月"
    if kind == "year_range":
        start = rng.randint(1, 5)
        return f"令和{start}年度～令和{start + 4}年度"
    if kind == "choice":
        return rng.choice(item.option_values)
    return f"{item.label}について、{respondent.display}の回答です。"


def plan_form_answers(master: FormMaster, respondent: Respondent, seed: int = 0) -> Answers:
    """A complete, valid answer for every answer cell that applies (deterministic per 団体)."""
    rng = random.Random(f"{seed}:{respondent.code}")
    answers: Answers = {}
    rows = form_layout(master.spec, master, respondent)
    _plan_choices(master, respondent, rows, rng, answers)  # choices first: conditions depend on them
    _plan_others(master, respondent, rows, rng, answers)
    return {k: v for k, v in answers.items() if v is not None}


def _plan_choices(master: FormMaster, respondent: Respondent, rows: List[FormRow], rng: random.Random,
                  answers: Answers) -> None:
    """The 選択 and 複数選択 answers outside repeat blocks (a 複数選択 at its first option row)."""
    for row in rows:
        item = row.item
        if item is None or not row.key or item.type not in ("choice", "multi") or row.block:
            continue
        if item.type == "choice":
            answers[row.key] = rng.choice(item.option_values)
        elif row.option == 1:
            for index in _picked_options(master, respondent, item, rng):
                answers[make_key(item.id, 0, index)] = MARK


def _picked_options(master: FormMaster, respondent: Respondent, item: Item, rng: random.Random) -> List[int]:
    """The options (numbered from 1) of a 複数選択 to mark: its prefill from the master, else
    a random few of those that are not exclusive."""
    prefilled = master.prefill(respondent, item) if item.prefill else None
    plain = [o for o in item.options if not o.exclusive]
    picked = set(prefilled) if prefilled else {o.value for o in rng.sample(plain, rng.randint(1, len(plain)))}
    return [index for index, option in enumerate(item.options, start=1) if option.value in picked]


def _plan_others(master: FormMaster, respondent: Respondent, rows: List[FormRow], rng: random.Random,
                 answers: Answers) -> None:
    """Every other answer cell that is allowed and applies, given the choices planned so far."""
    spec = master.spec
    for row in rows:
        item = row.item
        if item is None or not row.key or row.key in answers or not row.allowed:
            continue
        if not applies(answers, spec, row.conditions):
            continue
        if item.type == "multi":
            if row.block:  # a 複数選択 in a repeat block: its first option
                answers[row.key] = MARK if row.option == 1 else None
            continue
        if item.specify and not _chosen(answers, spec, item.specify):
            continue
        answers[row.key] = item.prefill and master.prefill(respondent, item) or _value(item, rng, respondent)


def sample_answers(name: str = "form003") -> Dict[str, Answers]:
    """The bundled sample's transcribed answers: 団体コード -> answer key -> value.

    In 回答.yaml a 複数選択 is a list of the options chosen and a repeat group a list of
    blocks (each a mapping of its items).
    """
    path = form_sample_path(name) / ANSWERS_FILE_OF_SAMPLE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    from .form_master import load_form_master

    master, _ = load_form_master(form_sample_path(name))
    assert master is not None
    return {str(code).zfill(6): _keys(master.spec, body or {}) for code, body in data.items()}


def _keys(spec: FormSpec, body: Dict[str, Any]) -> Answers:
    answers: Answers = {}
    groups = {g.id: g for g in spec.repeats}
    for name, value in body.items():
        if name in groups:
            for block, values in enumerate(value or [], start=1):
                for item_id, text in (values or {}).items():
                    answers[make_key(item_id, block)] = text
            continue
        item = spec.item(name)
        if item.type == "multi":
            for option in value or []:
                answers[make_key(item.id, 0, item.option_values.index(option) + 1)] = MARK
        else:
            answers[name] = value
    return answers


def fill_form(master: FormMaster, respondent: Respondent, source: Path, target: Path, answers: Answers,
              edit: Optional[Callable[[Any], None]] = None, clear_prefill: bool = True) -> Dict[str, str]:
    """Type ``answers`` into a copy of ``source`` saved as ``target``; the cell of each answer key.

    Cells not in ``answers`` are emptied when ``clear_prefill`` (a 団体 answers the whole
    form, prefilled cells included); ``edit`` may change the workbook further before saving.
    """
    import openpyxl

    wb = openpyxl.load_workbook(source)
    ws = wb[master.spec.sheet]
    cells: Dict[str, str] = {}
    for row in answer_rows(form_layout(master.spec, master, respondent)):
        if row.key in answers:
            ws.cell(row.row, 3).value = answers[row.key]
            cells[row.key] = f"C{row.row}"
        elif clear_prefill:
            ws.cell(row.row, 3).value = None
    if edit is not None:
        edit(wb)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return cells


def copy_form(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def rows_by_key(master: FormMaster, respondent: Respondent) -> Dict[str, FormRow]:
    return {r.key: r for r in answer_rows(form_layout(master.spec, master, respondent))}


__all__ = ["plan_form_answers", "sample_answers", "fill_form", "applies", "rows_by_key", "copy_form"]

