"""The form003 sample, proof-read against seed 003 itself: every value transcribed into
回答.yaml appears word for word (spaces and line breaks aside, NFKC) in that 団体's part of
the seed — except the combined cells docs/sample-form003.md says were split.

The seed is not part of the package: the test runs when ``WELFARE_WORKBOOK_SEEDS`` names the
folder of the seed documents (``.ci/run`` sets it when they are beside the project).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
import yaml

from welfare_workbook.form_master import ANSWERS_FILE_OF_SAMPLE, form_sample_path

SEEDS = os.environ.get("WELFARE_WORKBOOK_SEEDS", "")
SEED_003 = "003_*.txt"
# the seed line where each chosen 団体's form begins (docs/sample-form003.md)
STARTS = {"012068": 504, "013994": 957, "014524": 1199, "090000": 9612, "131075": 14891, "132195": 17901,
          "142051": 18181, "142069": 18601}
FORM_LINES = 600  # a form of the seed is shorter than this
# combined cells split by the documented rules (not in the seed as one string)
SPLIT = {("013994", "konkyu_note"), ("142051", "houkatsu_note"), ("142069", "konkyu_note")}


def _plain(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def _values(key: str, value: Any) -> Iterator[Tuple[str, Any]]:
    """(item key, value) of every value under ``key``: choices and blocks one by one."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _values(name if not key else f"{key}.{name}", inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _values(key, inner)
    elif value is not None:
        yield key, value


@pytest.mark.skipif(not SEEDS or not list(Path(SEEDS).glob(SEED_003)),
                    reason="WELFARE_WORKBOOK_SEEDS does not name the folder of the seed documents")
def test_every_transcribed_value_is_in_the_seed() -> None:
    lines = next(Path(SEEDS).glob(SEED_003)).read_text(encoding="utf-8").splitlines()
    answers = yaml.safe_load((form_sample_path() / ANSWERS_FILE_OF_SAMPLE).read_text(encoding="utf-8"))
    assert set(answers) == set(STARTS)
    ends = sorted(STARTS.values()) + [len(lines) + 1]
    checked, missing = 0, []  # type: int, List[Tuple[str, str, str]]
    for code, body in answers.items():
        start = STARTS[code]
        part = _plain("\n".join(lines[start - 1:min(ends[ends.index(start) + 1], start + FORM_LINES) - 1]))
        for key, value in _values("", body):
            if key == "dantai_code" or not _plain(value):  # the seed has no codes (docs: 団体コード)
                continue
            checked += 1
            if _plain(value) not in part and (code, key) not in SPLIT:
                missing.append((code, key, str(value)[:60]))
    assert checked > 400 and not missing, missing
