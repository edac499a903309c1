"""The templates as a declaration: what they may say, and the checks when they load.

Mistakes are made in a real copy of the bundled templates in ``tmp_path`` (``templates_copy``)
and loaded with ``load_specs(folder)``: each is a SpecError in Japanese naming the template
file and the key. The context keys a ``source:`` may name are the ones the contract builds.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Callable, Dict

import pytest

from helpers import JAPANESE, templates_copy
from welfare_workbook import spec
from welfare_workbook.contract import items_for
from welfare_workbook.master import Master
from welfare_workbook.master_model import (
    ACTIONS, DEPARTMENTS, INDICATORS, MASTER_COLUMNS, MASTER_SHEETS, MEASURES, RESULT_ANSWER_COLUMNS, RESULTS,
    SETTINGS_ITEMS, Action, Department, Indicator, Measure, Result, Settings,
)
from welfare_workbook.spec import CONTEXT_KEYS, SpecError, load_specs, template_version


def _edit(folder: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, (name, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")


# ---------------------------------------------------------------------------
# the bundled templates


def test_context_keys_are_what_the_contract_builds(sample_master: Master) -> None:
    """spec.CONTEXT_KEYS is the one declaration of what a source: may name: every row the
    contract builds has exactly those keys, for every item kind and respondent."""
    seen = set()
    for dept in sample_master.departments:
        for sheet in load_specs().values():
            for item in items_for(sample_master, sheet, dept):
                assert tuple(item.context) == CONTEXT_KEYS[sheet.items], (sheet.name, item.key)
                seen.add(sheet.items)
    assert seen == set(CONTEXT_KEYS)


def test_bundled_templates_declare_summary_rollover_and_roles() -> None:
    specs = load_specs()
    assert specs["中間評価"].column("grade").rollover == "評価"
    assert specs["取組状況"].role("value").id == "value"
    assert [c.id for c in specs["取組状況"].roles("explanation")] == ["outcome", "challenge"]
    targets = {c.rollover for s in specs.values() for c in s.input_columns if c.rollover}
    assert targets == set(RESULT_ANSWER_COLUMNS)  # every 実績 answer column is filled by some template
    for s in specs.values():
        for c in s.input_columns:
            assert c.rollover, f"{s.name}.{c.id} would not be carried into next year's master"
            assert c.summary is not None, f"{s.name}.{c.id} would not appear in 集計表"


def test_default_load_is_cached_and_a_folder_is_read_once(tmp_path: Path) -> None:
    assert load_specs() is load_specs()
    folder = templates_copy(tmp_path)
    assert load_specs(folder) is load_specs(folder)
    assert load_specs(folder) is not load_specs()
    assert load_specs(folder) == {name: dataclasses.replace(s, file=str(folder / Path(s.file).name))
                                  for name, s in load_specs().items()}


def test_environment_variable_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = template_version()
    folder = templates_copy(tmp_path)
    _edit(folder, "chukan_hyoka.yaml", 'label: "良かった点"', 'label: "よかった点"')
    monkeypatch.setenv(spec.TEMPLATES_ENV, str(folder))
    assert load_specs()["中間評価"].column("good").label == "よかった点"
    assert template_version() == template_version(folder) != bundled
    monkeypatch.delenv(spec.TEMPLATES_ENV)
    assert load_specs()["中間評価"].column("good").label == "良かった点"
    assert template_version() == bundled


def test_template_version_ignores_what_only_the_report_reads(tmp_path: Path) -> None:
    """Workbooks already sent out stay current when only 集計表 or rollover changes."""
    bundled = template_version()
    folder = templates_copy(tmp_path)
    _edit(folder, "chukan_hyoka.yaml", 'label: "良かった点・課題"', 'label: "成果と課題"')
    _edit(folder, "chukan_hyoka.yaml", "rollover: 成果", "rollover: 取組内容")
    _edit(folder, "chukan_hyoka.yaml", "# 中間評価: one row", "# a comment changed; 中間評価: one row")
    assert template_version(folder) == bundled
    changed = templates_copy(tmp_path, "changed")  # a folder is read once: the edit goes into another
    _edit(changed, "chukan_hyoka.yaml", 'label: "良かった点"', 'label: "よかった点"')
    assert template_version(changed) != bundled


# ---------------------------------------------------------------------------
# mistakes in a template


MISTAKES: Dict[str, tuple] = {
    # case: (file, old text, new text, words the message must contain)
    "source typo": ("chukan_hyoka.yaml", "source: departments", "source: departmnts",
                    ["列「departments」", "source「departmnts」", "使えるのは", "prev1_content"]),
    "source of another item kind": ("torikumi_jokyo.yaml", "source: unit", "source: departments",
                                    ["列「unit」", "source「departments」", "prev1_value"]),
    "rollover to no 実績 column": ("chukan_hyoka.yaml", "rollover: 評価", "rollover: 評定",
                                   ["列「grade」", "rollover「評定」", "方向性"]),
    "role of an input on a locked column": ("torikumi_jokyo.yaml", "role: last_year_value", "role: value",
                                            ["列「prev1_value」", "role「value」", "last_year_value"]),
    "unknown role": ("torikumi_jokyo.yaml", "role: value", "role: valu", ["列「value」", "role「valu」"]),
    "role twice": ("torikumi_jokyo.yaml", "role: content", "role: value", ["role「value」", "value、content"]),
    "unknown column key": ("kongo_hoko.yaml", "rollover: 理由", "rolover: 理由", ["列「reason」", "rolover"]),
    "unknown summary key": ("kongo_hoko.yaml", "width: 28}", "widht: 28}", ["列「reason」", "summary", "widht"]),
    "summary with an unknown column": ("chukan_hyoka.yaml", "summary: {with: good,", "summary: {with: goood,",
                                       ["列「issue」", "with「goood」"]),
    "summary without order or with": ("chukan_hyoka.yaml", "summary: {with: good, ", "summary: {",
                                      ["列「issue」", "order", "with"]),
    "summary order taken twice": ("kongo_hoko.yaml", "summary: {order: 9,", "summary: {order: 7,",
                                  ["kongo_hoko.yaml", "order 7", "chukan_hyoka.yaml", "列「good」"]),
    "count on a text column": ("kongo_hoko.yaml", 'width: 28}', 'width: 28, count: "理由の集計"}', ["count"]),
    "refers to a missing column": ("chukan_hyoka.yaml", "field: grade", "field: grad", ["列「issue」", "「grad」"]),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_a_mistake_fails_at_load_naming_file_and_key(tmp_path: Path, case: str) -> None:
    name, old, new, words = MISTAKES[case]
    folder = templates_copy(tmp_path)
    _edit(folder, name, old, new)
    with pytest.raises(SpecError) as raised:
        load_specs(folder)
    message = str(raised.value)
    assert str(folder) in message and JAPANESE.search(message), message
    for word in words:
        assert word in message, (word, message)


def test_source_typo_message_in_full(tmp_path: Path) -> None:
    folder = templates_copy(tmp_path)
    _edit(folder, "chukan_hyoka.yaml", "source: departments", "source: departmnts")
    with pytest.raises(SpecError) as raised:
        load_specs(folder)
    keys = "、".join(CONTEXT_KEYS["actions"])
    assert str(raised.value) == (f"{folder / 'chukan_hyoka.yaml'}: 列「departments」の source「departmnts」は使えません。"
                                 f"使えるのは {keys} です。")


def test_a_missing_template_is_named(tmp_path: Path) -> None:
    folder = templates_copy(tmp_path)
    (folder / "sonota.yaml").unlink()
    with pytest.raises(SpecError, match=re.escape(str(folder / "sonota.yaml"))):
        load_specs(folder)
    # the bundled ones are named as in the repository
    assert spec._shown("", "sonota.yaml") == "templates/sonota.yaml"


def test_missing_folder_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as raised:
        load_specs(tmp_path / "ない")
    assert spec.TEMPLATES_ENV in str(raised.value) and "torikumi_jokyo.yaml" in str(raised.value)


# ---------------------------------------------------------------------------
# the master's sheets, declared once


RECORDS: Dict[str, Callable[..., object]] = {
    DEPARTMENTS.name: Department, MEASURES.name: Measure, ACTIONS.name: Action, INDICATORS.name: Indicator,
    RESULTS.name: Result,
}


def test_each_master_sheet_declares_the_fields_of_its_record() -> None:
    for sheet in MASTER_SHEETS[1:]:
        record = RECORDS[sheet.name]
        assert [c.field for c in sheet.columns] == [f.name for f in dataclasses.fields(record)], sheet.name
        assert MASTER_COLUMNS[sheet.name] == sheet.headers
        assert set(sheet.key) <= {c.field for c in sheet.columns}
    assert [i.field for i in SETTINGS_ITEMS] == [f.name for f in dataclasses.fields(Settings)]
    assert list(MASTER_COLUMNS) == ["調査設定", "担当課", "計画体系", "取組", "指標", "実績"]
