"""Departments, simulated: fill generated workbooks the way people do.

Used by ``demo`` (returns with the typical mistakes) and by tests and benchmarks
(every input cell filled). This plays the department's role, so it edits the
workbook with openpyxl like Excel would; the collect path never does. The fields the
mistakes go into are found in the templates by what they do (the indicator value,
the 評価 dropdown, the field a choice makes required …), not by their ids.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from .contract import FIRST_ROW, ItemRow, layout_for
from .master import Master
from .spec import ColumnSpec, load_lists, load_specs

Answer = Dict[Tuple[str, str, str], Any]  # (sheet, row key, field) -> value typed
Field = Tuple[str, str]  # (sheet, field id); ("", "") when the templates have no such field


def plan_answers(master: Master, dept_id: str, seed: int = 0) -> Answer:
    """A complete, valid answer for every input cell of a respondent (deterministic)."""
    rng = random.Random(f"{seed}:{dept_id}")
    lists = load_lists()
    specs = load_specs()
    answers: Answer = {}
    for sheet, rows in layout_for(master, dept_id).items():
        spec = specs[sheet]
        for _, item, _ in rows:
            for col in spec.input_columns:
                answers[(sheet, item.key, col.id)] = _value(col, item, rng, lists)
            # rules: △/× need 課題, 見直し/廃止 need 理由 — already filled above
    return answers


def _value(col: ColumnSpec, item: ItemRow, rng: random.Random, lists: Any) -> Any:
    kind = item.value_type if col.type == "indicator" else col.type
    if col.choices:
        return rng.choice(lists[col.choices].values)
    if kind == "integer":
        previous = item.context.get("prev1_value", "")
        base = int(previous) if previous.isdigit() else rng.randint(1, 400)
        return max(0, base + rng.randint(-max(1, base // 10), max(1, base // 10)))
    if kind == "decimal":
        return round(rng.uniform(1, 5000), 1)
    if col.type == "indicator":  # 文章・複合 indicators
        return rng.choice(["12（210人）", "希望者すべて", "男性18.02／女性21.10", "3,800/年"])
    subject = item.context.get("name") or item.context.get("content") or ""
    subject = subject.split("\n")[0][:24]
    # sample texts for the bundled templates' fields; any other field gets a plain answer
    phrases = {
        "content": f"令和6年度は「{subject}」について、関係機関と連携して事業を実施した（No.{item.item_id}）。",
        "outcome": "参加者が増え、地域の関係づくりが進んだ。",
        "challenge": "担い手の確保と周知方法の工夫が必要である。",
        "good": f"{subject}の取組を通じて関係者の連携が深まった。",
        "issue": "参加者の固定化が見られ、新たな参加者への働きかけが必要。",
        "reason": "これまでの成果を踏まえ、さらに取組を進めるため。",
        "project": f"{subject}関連事業",
        "status": "年間を通じて計画どおり実施した。",
    }
    return phrases.get(col.id, f"{col.id} の回答（No.{item.item_id}）")


def fill_workbook(master: Master, dept_id: str, source: Path, target: Path, answers: Answer,
                  edit: Optional[Callable[[Any], None]] = None) -> Dict[Tuple[str, str, str], str]:
    """Type ``answers`` into a copy of ``source`` saved as ``target``; returns the cell of each answer.

    ``edit`` may change the workbook further (insert a row, rename a sheet …) before saving.
    """
    import openpyxl

    wb = openpyxl.load_workbook(source)
    specs = load_specs()
    cells: Dict[Tuple[str, str, str], str] = {}
    for sheet, rows in layout_for(master, dept_id).items():
        ws = wb[sheet]
        spec = specs[sheet]
        for row, item, _ in rows:
            for col in spec.input_columns:
                value = answers.get((sheet, item.key, col.id))
                if value is None:
                    continue
                cell = ws.cell(row, spec.index(col.id))
                cell.value = value
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
                cells[(sheet, item.key, col.id)] = cell.coordinate
    loaded_modified = wb.properties.modified
    if edit is not None:
        edit(wb)
    target.parent.mkdir(parents=True, exist_ok=True)
    if wb.properties.modified != loaded_modified:
        # wb.save() stamps "now" as the saved time; keep the one ``edit`` set (an older version)
        import zipfile

        from openpyxl.writer.excel import ExcelWriter

        ExcelWriter(wb, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    else:
        wb.save(target)
    return cells


def _first(answers: Answer, where: Field, predicate: Callable[[Any], bool] = lambda v: True
           ) -> Optional[Tuple[str, str, str]]:
    for key, value in answers.items():
        if (key[0], key[2]) == where and predicate(value):
            return key
    return None


def _set(answers: Answer, where: Field, value: Any,
         predicate: Callable[[Any], bool] = lambda v: True) -> Optional[Tuple[str, str, str]]:
    key = _first(answers, where, predicate)
    if key is not None:
        answers[key] = value
    return key


def _role_field(role: str) -> Field:
    """The first template column playing ``role`` (e.g. the indicator value)."""
    return next(((s.name, c.id) for s in load_specs().values() for c in s.columns if c.role == role), ("", ""))


def _choice_field(list_key: str) -> Field:
    """The first template column choosing from ``list_key`` (grade: ◎○△×, direction)."""
    return next(((s.name, c.id) for s in load_specs().values() for c in s.input_columns if c.choices == list_key),
                ("", ""))


def _needed_by(where: Field) -> str:
    """The field that a value of ``where`` makes required (課題 for △, 理由 for 見直し)."""
    spec = load_specs().get(where[0])
    columns = spec.input_columns if spec else ()
    return next((c.id for c in columns if (c.required_when or {}).get("field") == where[1]), "")


def _without_reason(answers: Answer, where: Field, value: str) -> None:
    """Choose ``value`` and leave out what it makes required (a mistake collect must catch)."""
    key = _set(answers, where, value)
    needed = _needed_by(where)
    if key and needed:
        answers[(key[0], key[1], needed)] = None


def simulate_returns(master: Master, workbooks: List[Any], folder: Path, seed: int = 0) -> List[str]:
    """Fill the generated workbooks as departments would, with the usual mistakes.

    Returns one line per department saying what it did (shown by ``demo``).
    """
    import datetime as dt

    story = []
    value, content = _role_field("value"), _role_field("content")
    grade, direction = _choice_field("grade"), _choice_field("direction")
    for number, generated in enumerate(workbooks):
        dept, name = generated.respondent_id, generated.respondent
        answers = plan_answers(master, dept, seed)
        target = folder / generated.file.name
        edit: Optional[Callable[[Any], None]] = None
        if number == 0:
            _set(answers, value, "１２", lambda v: isinstance(v, int))
            _set(answers, content, "同左")
            _set(answers, grade, "〇")
            _set(answers, direction, "継続実施")
            story.append(f"{name}: 全角数字・「同左」・「〇」・「継続実施」を入力（自動で読み替え）")
        elif number == 1:
            _set(answers, value, "約100", lambda v: isinstance(v, int))
            _without_reason(answers, grade, "△")
            _without_reason(answers, direction, "見直し")
            story.append(f"{name}: 数値欄に「約100」、△なのに課題なし、見直しなのに理由なし（差戻し）")
        elif number == 2:
            first = dict(answers)
            _set(first, grade, None)
            old = folder / f"{name}_提出.xlsx"

            def older(wb: Any) -> None:
                wb.properties.modified = dt.datetime(2025, 5, 20, 9, 0)

            fill_workbook(master, dept, generated.file, old, first, older)
            target = folder / "再提出" / f"{name}_修正版.xlsx"
            story.append(f"{name}: 評価の記入漏れのまま提出し、直した版を別名で再提出")
        elif number == 3:
            def insert_row(wb: Any) -> None:
                sheet = next(s for s in ("取組状況", "中間評価") if s in wb.sheetnames)
                wb[sheet].protection.sheet = False
                wb[sheet].insert_rows(FIRST_ROW)  # above the first item: every item row moves down
                wb[sheet].cell(FIRST_ROW, 1, "メモ：担当者が追加した行")

            edit = insert_row
            story.append(f"{name}: 保護を外して行を挿入（行の移動を検出）")
        elif number == 4:
            story.append(f"{name}: 未提出")
            continue
        fill_workbook(master, dept, generated.file, target, answers, edit)
    return story
