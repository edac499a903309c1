"""Incremental and parallel collect give the results of a plain full run.

A run with a cache reads only files it has not seen (with this master and tool
version); a run on several processes reads the same returns. Outputs are compared
as data (CSV bytes; workbook cell values), never as xlsx bytes, whose zip entries
carry timestamps.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, List

import openpyxl
import pytest

from collect_helpers import fill
from welfare_workbook import batch
from welfare_workbook import pipeline
from welfare_workbook.batch import CHUNK, Batch
from welfare_workbook.generate import GenerateResult
from welfare_workbook.master import Master
from welfare_workbook.simulate import plan_answers


def _workbook_values(path: Path) -> Dict[str, List[List[Any]]]:
    """Cell values by sheet; a send-back copy's creation time (in _meta) is left out."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True) if row[:1] != ("generated_at",)]
            for ws in wb.worksheets}


def outputs(out: Path) -> Dict[str, Any]:
    """Everything collect wrote, as comparable data."""
    found: Dict[str, Any] = {}
    for path in sorted(out.rglob("*")):
        if path.is_dir() or path.name.startswith(".~"):
            continue
        name = str(path.relative_to(out))
        if path.suffix == ".xlsx":
            found[name] = _workbook_values(path)
        elif path.suffix == ".json":  # issues.json names the outputs by path: as paths inside ``out``
            data = json.loads(path.read_text(encoding="utf-8"))
            data["outputs"] = {k: str(Path(v).relative_to(out)) for k, v in data["outputs"].items()}
            found[name] = data
        else:
            found[name] = path.read_bytes()
    return found


def verdict(result: Any) -> List[Any]:
    return [(r.file, r.respondent_id, r.status,
             [(i.code, i.sheet, i.cell, i.message, dict(i.context)) for i in r.issues])  # context survives the cache
            for r in result.returns] + [(row.department.id, row.status) for row in result.roster]


@pytest.fixture(scope="module")
def returns(sample_master: Master, generated: GenerateResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three versions of every department's return (the newest has an error for some)."""
    folder = tmp_path_factory.mktemp("incremental") / "受付"
    when = dt.datetime(2025, 5, 1, 9, 0).timestamp()
    for version in range(3):
        for wb in generated.workbooks:
            answers = dict(plan_answers(sample_master, wb.respondent_id, version))
            if version == 2 and wb.respondent_id in ("K02", "K04"):
                answers[next(k for k in answers if k[2] == "grade")] = "良い"  # not one of ◎○△×
            made = fill(sample_master, wb, folder / f"第{version}版", answers=answers)
            os.utime(made.path, (when + version * 3600, when + version * 3600))
    assert sum(1 for _ in folder.rglob("*.xlsx")) >= 2 * CHUNK
    return folder


def test_cached_runs_equal_a_full_run(sample_master: Master, returns: Path, tmp_path: Path) -> None:
    folder = tmp_path / "受付"
    shutil.copytree(returns / "第0版", folder / "第0版")
    shutil.copytree(returns / "第1版", folder / "第1版")
    cache = tmp_path / "cache"
    cold = pipeline.collect(sample_master, [folder], tmp_path / "cold", cache_dir=cache)
    full = pipeline.collect(sample_master, [folder], tmp_path / "full")
    assert verdict(cold) == verdict(full) and outputs(tmp_path / "cold") == outputs(tmp_path / "full")

    # one new arrival (a department's third version): only that file is read
    shutil.copy2(returns / "第2版" / sorted(p.name for p in (returns / "第2版").iterdir())[1],
                 folder / "新着.xlsx")
    reader = Batch(sample_master, cache_dir=cache)
    warm = batch.read_all(sample_master, [folder], batch=reader)
    assert reader.read_count == 1
    warm = pipeline.collect(sample_master, [folder], tmp_path / "warm", cache_dir=cache)
    full = pipeline.collect(sample_master, [folder], tmp_path / "full2")
    assert verdict(warm) == verdict(full)
    assert outputs(tmp_path / "warm") == outputs(tmp_path / "full2")
    assert any(r.status == "重複(旧版)" for r in warm.returns)


def test_a_changed_master_reads_everything_again(sample_master: Master, returns: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    cache = tmp_path / "cache"
    batch.read_all(sample_master, [returns / "第0版"], cache_dir=cache)
    other = replace(sample_master, settings=replace(sample_master.settings, secretariat="別の課"))
    reader = Batch(other, cache_dir=cache)
    batch.read_all(other, [returns / "第0版"], batch=reader)
    assert reader.read_count == len(list((returns / "第0版").glob("*.xlsx")))


def test_a_corrupt_cache_is_rebuilt_with_a_note(sample_master: Master, returns: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = batch.read_all(sample_master, [returns / "第0版"], cache_dir=cache)
    for entry in list(cache.glob("*.pickle"))[:3]:
        entry.write_bytes(b"not a pickle")
    again = batch.read_all(sample_master, [returns / "第0版"], cache_dir=cache)
    assert [i.code for i in again.notes] == ["cache_rebuilt"]
    assert verdict(again) == verdict(first)


def test_parallel_read_equals_serial(sample_master: Master, returns: Path, tmp_path: Path) -> None:
    serial = pipeline.collect(sample_master, [returns], tmp_path / "serial", workers=1)
    parallel = pipeline.collect(sample_master, [returns], tmp_path / "parallel", workers=2)
    assert verdict(parallel) == verdict(serial)
    assert outputs(tmp_path / "parallel") == outputs(tmp_path / "serial")
    assert not serial.valid and any(i.code == "bad_choice" for i in serial.issues)
