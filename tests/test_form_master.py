"""The form master: 団体コード check digits and cell-addressed checks of 調査設定 and 回答団体."""

from __future__ import annotations

from pathlib import Path

import pytest

from welfare_workbook.form_master import check_digit, form_sample_path, load_form_master, valid_code

# Published 全国地方公共団体コード (総務省), each a different remainder of the weighted sum:
# 北海道, 札幌市, 札幌市中央区, 旭川市 (r=10), 帯広市, 郡山市, 川口市, 蕨市, 東京都, 千代田区,
# 大阪府, 大阪市, 天王寺区, 沖縄県, and 栃木県 (r=1 -> check digit 0).
KNOWN = ["010006", "011002", "011011", "012041", "012076", "072036", "112143", "112232", "130001", "131016",
         "270008", "271004", "271098", "470007", "090000"]


@pytest.mark.parametrize("code", KNOWN)
def test_check_digit_rule_matches_published_codes(code: str) -> None:
    assert check_digit(code[:5]) == int(code[5]) and valid_code(code)


def test_wrong_check_digit_is_refused() -> None:
    assert not valid_code("011001") and not valid_code("01100") and not valid_code("0110０2")


def write(folder: Path, settings: str, respondents: str) -> Path:
    folder.mkdir()
    (folder / "調査設定.csv").write_text("項目,値\n" + settings, encoding="utf-8")
    (folder / "回答団体.csv").write_text(respondents, encoding="utf-8")
    return folder


SETTINGS = "自治体名,厚生労働省\n調査名,実施状況調査\n対象年度,令和6年度\n提出期限,2025-01-31\n事務局,地域福祉課\n様式,chiiki_kyosei\n"
HEADER = "団体コード,都道府県,団体名,担当部署,メール,実施事業,推進員数\n"


def test_sample_master_is_valid() -> None:
    master, issues = load_form_master(form_sample_path())
    assert master is not None and not issues.has_errors and len(master.bodies) >= 8


def test_problems_are_cell_addressed(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", SETTINGS.replace("令和6年度", "来年度"),
                   HEADER + "011001,北海道,札幌市,福祉課,,地域力強化推進事業,\n"
                            "01206,北海道,釧路市,福祉課,,,\n"
                            "012068,北海道,釧路市,福祉課,,地域力事業,9\n"
                            "012068,北海道,釧路市,福祉課,,,\n"
                            ",北海道,京極町,,,,\n")
    master, issues = load_form_master(folder)
    assert master is None
    found = {(i.code, i.sheet, i.cell) for i in issues}
    assert ("master_bad_year", "調査設定", "B4") in found
    assert ("form_master_check_digit", "回答団体", "A2") in found
    assert ("form_master_bad_code", "回答団体", "A3") in found
    assert ("master_bad_choice", "回答団体", "F4") in found
    assert ("form_master_bad_count", "回答団体", "G4") in found
    assert ("master_duplicate_id", "回答団体", "A5") in found
    assert ("master_required_empty", "回答団体", "A6") in found
    assert all(i.message for i in issues)


def test_unknown_form_and_missing_column(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", SETTINGS.replace("chiiki_kyosei", "nothing"), "団体コード,都道府県\n011002,北海道\n")
    master, issues = load_form_master(folder)
    assert master is None
    assert {(i.code, i.cell) for i in issues} >= {("form_master_unknown_form", "B7"), ("master_column_missing", "C1")}
