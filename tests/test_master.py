"""The master: bundled samples, init-master, CSV encodings, every kind of bad master."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from helpers import (
    JAPANESE, SAMPLE_MASTER_ARGS, column_of, drop_column, master_rows, run_cli, run_module, set_value, write_master,
)
from welfare_workbook.master import Master, load_master, sample_path
from welfare_workbook.wareki import date_label, fiscal_year_label, parse_date, parse_fiscal_year, short_label


def model(master: Master) -> Dict[str, object]:
    """Everything of a master except where it was read from."""
    return {
        "settings": master.settings,
        "departments": master.departments,
        "measures": master.measures,
        "actions": master.actions,
        "indicators": master.indicators,
        "results": master.results,
    }


def loaded(source: Path) -> Master:
    master, issues = load_master(source)
    assert master is not None, [i.message for i in issues]
    assert len(issues) == 0, [i.message for i in issues]
    return master


# ---------------------------------------------------------------------------
# bundled samples


def test_dai3ji_sample_loads_without_issues(sample_master: Master) -> None:
    m = sample_master
    assert len(m.departments) == 11
    assert len(m.measures) == 10
    assert len(m.actions) == 37
    assert len(m.indicators) == 20
    assert m.settings.fiscal_year == 2024
    assert m.settings.sheets == ("取組状況", "中間評価", "今後の方向性")
    assert m.settings.deadline == dt.date(2025, 5, 30)
    assert m.departments["K02"].name == "社会福祉協議会"
    assert m.departments["K02"].kind == "関係機関"
    # 関係課ID comma lists and 関連取組 references become tuples
    assert m.indicators[2].respondents == ("K01", "K02")
    assert m.indicators[2].actions == (3, 4)
    assert {i.type for i in m.indicators.values()} == {"整数", "小数", "文章", "複合"}
    _, issues = load_master(sample_path())
    assert len(issues) == 0


def test_dai2ji_chukan_sample_loads_without_issues(sample_master_2: Master) -> None:
    m = sample_master_2
    assert len(m.actions) == 46
    assert len(m.indicators) == 0
    assert len(m.departments) == 13
    assert m.settings.fiscal_year == 2019  # 令和元年度
    assert m.settings.sheets == ("中間評価", "今後の方向性")
    _, issues = load_master(sample_path("dai2ji_chukan"))
    assert len(issues) == 0


def test_unknown_sample_name_is_refused() -> None:
    with pytest.raises(ValueError):
        sample_path("dai4ji")


# ---------------------------------------------------------------------------
# init-master


@pytest.mark.parametrize("sample", ["dai3ji", "dai2ji_chukan"])
def test_init_master_round_trips_to_the_same_model(tmp_path: Path, sample: str) -> None:
    path = tmp_path / f"{sample}.xlsx"
    args = ["init-master", str(path)] + ([] if sample == "dai3ji" else ["--sample", sample])
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert path.exists()
    assert model(loaded(path)) == model(loaded(sample_path(sample)))


def test_init_master_as_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "マスタ.xlsx"
    proc = run_module("init-master", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert model(loaded(path)) == model(loaded(sample_path()))
    # and the written master passes check-master in a real process too
    proc = run_module("check-master", "--master", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "問題はありません" in proc.stdout


def test_init_master_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "master.xlsx"
    path.write_bytes(b"secretariat's own file")
    result = run_cli("init-master", str(path))
    assert result.exit_code == 2
    assert "--force" in result.stderr
    assert path.read_bytes() == b"secretariat's own file"
    result = run_cli("init-master", str(path), "--force")
    assert result.exit_code == 0, result.output
    assert model(loaded(path)) == model(loaded(sample_path()))


def test_init_master_wants_an_xlsx_name(tmp_path: Path) -> None:
    result = run_cli("init-master", str(tmp_path / "master.csv"))
    assert result.exit_code == 2
    assert not (tmp_path / "master.csv").exists()


# ---------------------------------------------------------------------------
# CSV masters in the encodings Excel writes


@pytest.mark.parametrize("sample", ["dai3ji", "dai2ji_chukan"])
def test_csv_master_in_cp932_loads_equal(tmp_path: Path, sample: str) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(sample_path(sample), folder)
    encodings = {}
    for csv_path in sorted(folder.glob("*.csv")):
        text = csv_path.read_bytes().decode("utf-8-sig")
        try:
            data = text.encode("cp932")
            encodings[csv_path.stem] = "cp932"
        except UnicodeEncodeError:  # e.g. '—' (U+2014) has no Shift_JIS code
            data = text.encode("utf-8-sig")
            encodings[csv_path.stem] = "utf-8-sig"
        csv_path.write_bytes(data)
        if encodings[csv_path.stem] == "cp932" and any(ord(ch) > 127 for ch in text):
            with pytest.raises(UnicodeDecodeError):  # really Shift_JIS, not UTF-8 by accident
                data.decode("utf-8")
    assert "cp932" in encodings.values()
    if sample == "dai3ji":
        assert set(encodings.values()) == {"cp932"}
    else:
        assert encodings["実績"] == "utf-8-sig"
    assert model(loaded(folder)) == model(loaded(sample_path(sample)))


def test_csv_master_in_utf8_with_bom_loads_equal(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(sample_path(), folder)
    for csv_path in folder.glob("*.csv"):
        csv_path.write_bytes(csv_path.read_bytes().decode("utf-8-sig").encode("utf-8-sig"))
    assert model(loaded(folder)) == model(loaded(sample_path()))


# ---------------------------------------------------------------------------
# bad masters

Rows = Dict[str, List[List[str]]]


def _delete_sheet(rows: Rows) -> Optional[str]:
    del rows["指標"]
    return None


def _drop_type_column(rows: Rows) -> Optional[str]:
    drop_column(rows, "指標", "型")
    return f"{chr(ord('A') + len(rows['指標'][0]))}1"  # where the column is to be added: K1


def _unknown_department(rows: Rows) -> Optional[str]:
    row = set_value(rows, "指標", "指標No", "3", "回答課ID", "K99")
    return f"F{row}"


def _duplicate_indicator(rows: Rows) -> Optional[str]:
    rows["指標"].append(list(rows["指標"][-1]))
    return f"A{len(rows['指標'])}"


def _duplicate_action(rows: Rows) -> Optional[str]:
    rows["取組"].append(list(rows["取組"][-1]))
    return f"A{len(rows['取組'])}"


def _blank_measure_id(rows: Rows) -> Optional[str]:
    row = set_value(rows, "計画体系", "基本施策ID", "Ⅲ-3", "基本施策ID", "")
    return f"C{row}"


def _unknown_type(rows: Rows) -> Optional[str]:
    row = set_value(rows, "指標", "指標No", "1", "型", "数字")
    return f"E{row}"


def _bad_year(rows: Rows) -> Optional[str]:
    row = set_value(rows, "調査設定", "項目", "対象年度", "値", "来年度")
    return f"B{row}"


BAD_MASTERS = {
    # case: (mutation, code, sheet, other codes allowed as consequences)
    "missing_sheet": (_delete_sheet, "master_sheet_missing", "指標", set()),
    "missing_column": (_drop_type_column, "master_column_missing", "指標", set()),
    "unknown_department": (_unknown_department, "master_unknown_department", "指標", set()),
    "duplicate_indicator_no": (_duplicate_indicator, "master_duplicate_id", "指標", set()),
    "duplicate_action_no": (_duplicate_action, "master_duplicate_id", "取組", set()),
    # the actions and indicators of the measure that lost its ID are not reported as well:
    # the blank cell is the one mistake (issue 16)
    "blank_measure_id": (_blank_measure_id, "master_required_empty", "計画体系", set()),
    "unknown_type": (_unknown_type, "master_unknown_type", "指標", set()),
    "bad_year": (_bad_year, "master_bad_year", "調査設定", set()),
}


@pytest.mark.parametrize("case", sorted(BAD_MASTERS))
def test_bad_master_is_reported_with_sheet_and_cell(tmp_path: Path, case: str) -> None:
    mutate, code, sheet, consequences = BAD_MASTERS[case]
    rows = master_rows()
    cell = mutate(rows)
    path = write_master(rows, tmp_path / "master.xlsx")

    master, issues = load_master(path)
    assert master is None
    matching = [i for i in issues if i.code == code]
    assert len(matching) == 1, [i.message for i in issues]
    issue = matching[0]
    assert issue.severity == "error"
    assert issue.sheet == sheet
    assert issue.cell == cell
    assert issue.file == "master.xlsx"
    assert f"「{sheet}」" in issue.message
    assert JAPANESE.search(issue.message)
    if cell:
        assert cell in issue.message
    # one mistake gives one message (plus its real consequences), never a flood
    assert {i.code for i in issues} - {code} <= consequences, [i.message for i in issues]

    result = run_cli("check-master", "--master", str(path))
    assert result.exit_code == 1
    assert issue.message in result.stdout
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_blank_measure_id_is_the_only_message(tmp_path: Path) -> None:
    """Regression (issue 16): the four references to the measure that lost its ID used to
    be reported too, as "基本施策ID not found"."""
    rows = master_rows()
    cell = _blank_measure_id(rows)
    references = [r for r in rows["取組"][1:] + rows["指標"][1:] if "Ⅲ-3" in r]
    assert len(references) == 4  # the sample does refer to Ⅲ-3
    _, issues = load_master(write_master(rows, tmp_path / "master.xlsx"))
    assert [(i.code, i.sheet, i.cell) for i in issues] == [("master_required_empty", "計画体系", cell)]


def test_missing_column_does_not_claim_existing_numbers_are_unknown(tmp_path: Path) -> None:
    """Regression: a missing 型 heading used to add 40 false 'unknown 指標No' errors in 実績."""
    rows = master_rows()
    drop_column(rows, "担当課", "課名")
    _, issues = load_master(write_master(rows, tmp_path / "master.xlsx"))
    assert [(i.code, i.sheet) for i in issues] == [("master_column_missing", "担当課")]


def test_each_missing_column_is_pointed_at_its_own_free_cell(tmp_path: Path) -> None:
    rows = master_rows()
    width = len(rows["担当課"][0])
    drop_column(rows, "担当課", "課名")
    drop_column(rows, "担当課", "区分")
    _, issues = load_master(write_master(rows, tmp_path / "master.xlsx"))
    missing = [(i.sheet, i.cell) for i in issues if i.code == "master_column_missing"]
    # two columns fewer: the first free header cell is at width - 1, the next one right of it
    assert missing == [("担当課", f"{chr(64 + width - 1)}1"), ("担当課", f"{chr(64 + width)}1")]


def test_unreadable_master_is_an_issue_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "master.xlsx"
    path.write_bytes(os.urandom(4096))
    master, issues = load_master(path)
    assert master is None
    assert [i.code for i in issues] == ["master_unreadable"]
    issue = issues.items[0]
    assert issue.sheet is None and issue.cell is None
    assert "master.xlsx" in issue.message and JAPANESE.search(issue.message)

    result = run_cli("check-master", "--master", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_three_problems_are_reported_at_once(tmp_path: Path) -> None:
    rows = master_rows()
    expected = {
        ("master_unknown_type", "指標", _unknown_type(rows)),
        ("master_bad_year", "調査設定", _bad_year(rows)),
        ("master_unknown_department", "取組", f"E{set_value(rows, '取組', '取組No', '2', '主担当課ID', 'K77')}"),
    }
    path = write_master(rows, tmp_path / "master.xlsx")
    master, issues = load_master(path)
    assert master is None
    assert {(i.code, i.sheet, i.cell) for i in issues} == expected
    assert len(issues) == 3

    result = run_cli("check-master", "--master", str(path))
    assert result.exit_code == 1
    for issue in issues:
        assert issue.message in result.stdout
    assert "3 件" in result.stderr


def test_check_master_json_output(tmp_path: Path) -> None:
    rows = master_rows()
    cell = _unknown_type(rows)
    path = write_master(rows, tmp_path / "master.xlsx")
    result = run_cli("check-master", "--master", str(path), "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert [(i["code"], i["sheet"], i["cell"], i["severity"]) for i in payload["issues"]] == [
        ("master_unknown_type", "指標", cell, "error")
    ]

    ok = run_cli("check-master", *SAMPLE_MASTER_ARGS, "--json")
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {"valid": True, "issues": []}


def test_check_master_accepts_the_bundled_sample(tmp_path: Path) -> None:
    result = run_cli("check-master", *SAMPLE_MASTER_ARGS)
    assert result.exit_code == 0, result.output
    assert "問題はありません" in result.stdout
    assert "取組 37" in result.stdout and "指標 20" in result.stdout


def test_master_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "ない.xlsx"
    result = run_cli("check-master", "--master", str(missing))
    assert result.exit_code == 2
    assert "見つかりません" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

    proc = run_module("check-master", "--master", str(missing), cwd=tmp_path)
    assert proc.returncode == 2
    assert "見つかりません" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr

    proc = run_module("generate", "--master", str(missing), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not list((tmp_path).glob("out/*.xlsx"))


# ---------------------------------------------------------------------------
# wareki


@pytest.mark.parametrize("text, year", [
    ("令和元年度", 2019),
    ("令和6年度", 2024),
    ("令和 6 年度", 2024),
    ("平成31年度", 2019),
    ("平成30年度", 2018),
    ("昭和64年", 1989),
    ("R6", 2024),
    ("r6", 2024),
    ("Ｒ６", 2024),
    ("H31", 2019),
    ("2024年度", 2024),
    ("２０２４年度", 2024),
    ("2024", 2024),
    (2024, 2024),
    (2024.0, 2024),
])
def test_parse_fiscal_year(text: object, year: int) -> None:
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text", ["garbage", "", "令和", "R0", "令和0年度", "X6", "24年度", "1800", 2024.5, None, True])
def test_parse_fiscal_year_rejects(text: object) -> None:
    assert parse_fiscal_year(text) is None


@pytest.mark.parametrize("text, day", [
    ("2025-05-30", dt.date(2025, 5, 30)),
    ("2025/5/30", dt.date(2025, 5, 30)),
    ("２０２５／５／３０", dt.date(2025, 5, 30)),
    ("2025年5月30日", dt.date(2025, 5, 30)),
    ("令和7年5月30日", dt.date(2025, 5, 30)),
    ("令和7年5月30日（金）", dt.date(2025, 5, 30)),
    ("R7.5.30", dt.date(2025, 5, 30)),
    ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("平成31年4月30日", dt.date(2019, 4, 30)),
    (dt.date(2025, 5, 30), dt.date(2025, 5, 30)),
    (dt.datetime(2025, 5, 30, 17, 0), dt.date(2025, 5, 30)),
])
def test_parse_date(text: object, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["garbage", "", "2025-02-30", "2025-13-01", "令和7年", "5月30日", None])
def test_parse_date_rejects(text: object) -> None:
    assert parse_date(text) is None


def test_labels() -> None:
    assert fiscal_year_label(2024) == "令和6年度"
    assert fiscal_year_label(2019) == "令和元年度"
    assert fiscal_year_label(2018) == "平成30年度"
    assert short_label(2024) == "R6"
    assert short_label(2018) == "H30"
    assert date_label(dt.date(2025, 5, 30)) == "令和7年5月30日（金）"
    assert date_label(dt.date(2019, 4, 30)) == "平成31年4月30日（火）"
    assert date_label(dt.date(2019, 5, 1)) == "令和元年5月1日（水）"


def test_date_label_reads_back_for_every_day_around_the_era_change() -> None:
    day = dt.date(2018, 12, 1)
    while day <= dt.date(2020, 4, 30):
        assert parse_date(date_label(day)) == day, date_label(day)
        day += dt.timedelta(days=1)


def test_fiscal_year_label_reads_back() -> None:
    for year in range(1990, 2040):
        assert parse_fiscal_year(fiscal_year_label(year)) == year
        assert parse_fiscal_year(short_label(year)) == year
