"""Shared fixtures. Helpers that tests import live in ``helpers.py``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Dict

import pytest

from welfare_workbook.form_generate import generate_forms
from welfare_workbook.form_master import FormMaster, form_sample_path, load_form_master
from welfare_workbook.generate import GenerateResult, GeneratedWorkbook, generate
from welfare_workbook.master import Master, load_master, sample_path

GENERATED_AT = dt.datetime(2025, 4, 1, 9, 0)


def _load_sample(name: str) -> Master:
    master, issues = load_master(sample_path(name))
    assert master is not None, [i.message for i in issues]
    assert not issues.has_errors, [i.message for i in issues]
    return master


@pytest.fixture(scope="session")
def sample_master() -> Master:
    """The bundled 第3次計画 sample (取組状況 + 中間評価 + 今後の方向性)."""
    return _load_sample("dai3ji")


@pytest.fixture(scope="session")
def sample_master_2() -> Master:
    """The bundled 第2次計画 中間評価 sample (no indicators)."""
    return _load_sample("dai2ji_chukan")


def _generate_once(master: Master, factory: pytest.TempPathFactory, name: str) -> GenerateResult:
    result = generate(master, factory.mktemp(name), generated_at=GENERATED_AT)
    assert not result.issues.has_errors, result.issues.to_list()
    return result


@pytest.fixture(scope="session")
def generated(sample_master: Master, tmp_path_factory: pytest.TempPathFactory) -> GenerateResult:
    """Every workbook of the default sample, generated once per session (read-only!)."""
    return _generate_once(sample_master, tmp_path_factory, "generated")


@pytest.fixture(scope="session")
def generated_2(sample_master_2: Master, tmp_path_factory: pytest.TempPathFactory) -> GenerateResult:
    """Every workbook of the 中間評価 sample, generated once per session (read-only!)."""
    return _generate_once(sample_master_2, tmp_path_factory, "generated_2")


@pytest.fixture(scope="session")
def workbook_of(generated: GenerateResult) -> Dict[str, GeneratedWorkbook]:
    """respondent id -> generated workbook of the default sample."""
    return {wb.respondent_id: wb for wb in generated.workbooks}


@pytest.fixture()
def copy_of(tmp_path: Path):
    """Copy a (session-shared) generated file into this test's tmp_path before changing it."""
    import shutil

    def _copy(path: Path, name: str = "") -> Path:
        target = tmp_path / (name or Path(path).name)
        shutil.copy2(path, target)
        return target

    return _copy


@pytest.fixture(scope="session")
def form_master() -> FormMaster:
    """The bundled form sample's master (seed 003, 8 団体)."""
    loaded, _ = load_form_master(form_sample_path())
    assert loaded is not None
    return loaded


@pytest.fixture(scope="session")
def blank_forms(form_master: FormMaster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's 団体 forms as generated (shared: tests fill copies of them, never these)."""
    folder = tmp_path_factory.mktemp("forms")
    generate_forms(form_master, folder)
    return folder
