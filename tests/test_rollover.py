"""rollover: this year's answers become next year's 実績.

The answers come from real collects of filled returns of the bundled 3rd-plan sample
(令和6年度): once with every return valid, once with one department's return invalid.
The next year's master is checked as a file (openpyxl), with ``check-master``, and by
generating next year's workbooks from it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

import openpyxl
import pytest
from click.testing import CliRunner

from helpers import SAMPLE_MASTER_ARGS, header_columns, master_rows, set_value, write_master
from welfare_workbook import rollover
from welfare_workbook import pipeline
from welfare_workbook import merge
from welfare_workbook.cli import cli
from welfare_workbook.generate import generate
from welfare_workbook.master import MASTER_COLUMNS, Master, load_master, sample_path, sample_rows
from welfare_workbook.simulate import Answer, fill_workbook, plan_answers

SEED = 5
YEAR = 2024
INVALID_DEPT = "K02"
INVALID_KEY = ("取組状況", "IND:4:K02", "value")  # 整数 indicator answered by 社会福祉協議会
RESULT_HEADER = list(MASTER_COLUMNS["実績"])
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@dataclass
class Collected:
    master: Master
    plans: Dict[str, Answer]
    valid: Path  # answers.csv, every return valid
    invalid: Path  # answers.csv, INVALID_DEPT's return has an error


@pytest.fixture(scope="module")
def collected(sample_master: Master, generated, tmp_path_factory: pytest.TempPathFactory) -> Collected:
    base = tmp_path_factory.mktemp("rollover_cycle")
    plans: Dict[str, Answer] = {}
    for wb in generated.workbooks:
        plans[wb.respondent_id] = dict(plan_answers(sample_master, wb.respondent_id, seed=SEED))
        fill_workbook(sample_master, wb.respondent_id, wb.file, base / "ok" / wb.file.name, plans[wb.respondent_id])
    ok = pipeline.collect(sample_master, [base / "ok"], base / "out_ok")
    assert ok.valid, [i.message for i in ok.issues if i.severity == "error"]

    shutil.copytree(base / "ok", base / "ng")
    broken = dict(plans[INVALID_DEPT])
    assert isinstance(broken[INVALID_KEY], int)
    broken[INVALID_KEY] = "約100"
    source = next(wb for wb in generated.workbooks if wb.respondent_id == INVALID_DEPT)
    fill_workbook(sample_master, INVALID_DEPT, source.file, base / "ng" / source.file.name, broken)
    ng = pipeline.collect(sample_master, [base / "ng"], base / "out_ng")
    assert not ng.valid
    assert merge.roster_status(ng)[INVALID_DEPT] == "要修正"
    return Collected(sample_master, plans, base / "out_ok" / "answers.csv", base / "out_ng" / "answers.csv")


@pytest.fixture(scope="module")
def r7(collected: Collected, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Next year's master from the valid answers, through the command line (the bundled sample as master)."""
    out = tmp_path_factory.mktemp("r7") / "R7.xlsx"
    result = run("rollover", *SAMPLE_MASTER_ARGS, "--answers", collected.valid, "--out", out)
    assert result.exit_code == 0, result.output + result.stderr
    return out


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def text_of(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def sheet_rows(path: Path, sheet: str) -> List[List[str]]:
    """A sheet of a written master as text rows (header first)."""
    wb = openpyxl.load_workbook(path)
    rows = [[text_of(v) for v in row] for row in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    return rows


def results_by_key(rows: List[List[str]]) -> Dict[Tuple[str, str, str, str], Dict[str, str]]:
    """実績 rows keyed by (年度, 指標No, 取組No, 課ID); fails on duplicates."""
    header = rows[0]
    out: Dict[Tuple[str, str, str, str], Dict[str, str]] = {}
    for row in rows[1:]:
        record = dict(zip(header, row))
        key = (record["年度"], record["指標No"], record["取組No"], record["課ID"])
        assert key not in out, f"duplicate 実績 row {key}"
        out[key] = record
    return out


def settings_of(path: Path) -> Dict[str, str]:
    return {row[0]: row[1] for row in sheet_rows(path, "調査設定")[1:]}


def expected_2024(master: Master, plans: Dict[str, Answer]) -> Dict[Tuple[str, str, str, str], Dict[str, str]]:
    """The 実績 rows the valid answers must become, computed from what was typed."""
    out = {}
    measured = {no for ind in master.indicators.values() for no in ind.actions}
    for ind in master.indicators.values():
        for dept in ind.respondents:
            typed = plans[dept]
            key = ("取組状況", f"IND:{ind.no}:{dept}")
            out[(str(YEAR), str(ind.no), "", dept)] = {
                "値": text_of(typed[key + ("value",)]), "取組内容": typed[key + ("content",)],
                "成果": typed[key + ("outcome",)], "課題": typed[key + ("challenge",)],
                "評価": "", "方向性": "", "理由": "",
            }
    for action in master.actions.values():
        for dept in [action.main] + [d for d in action.related if d != action.main]:
            typed = plans[dept]
            row = f"ACT:{action.no}:{dept}"
            content = ""
            if action.no not in measured:
                content = f"●{typed[('その他の取組', row, 'project')]}\n{typed[('その他の取組', row, 'status')]}"
            out[(str(YEAR), "", str(action.no), dept)] = {
                "値": "", "取組内容": content,
                "成果": typed[("中間評価", row, "good")], "課題": typed[("中間評価", row, "issue")],
                "評価": typed[("中間評価", row, "grade")], "方向性": typed[("今後の方向性", row, "direction")],
                "理由": typed[("今後の方向性", row, "reason")],
            }
    return out


# ---------------------------------------------------------------------------
# refusing and forcing


def test_refuses_while_answers_need_fixing(collected: Collected, tmp_path: Path) -> None:
    out = tmp_path / "R7.xlsx"
    result = run("rollover", *SAMPLE_MASTER_ARGS, "--answers", collected.invalid, "--out", out)
    assert result.exit_code == 1, result.output
    assert not out.exists()
    assert "Traceback" not in result.output + result.stderr
    refused = rollover.rollover(sample_path(), collected.invalid, out)
    assert not refused.valid and refused.output is None and not out.exists()
    assert [(i.code, i.file, i.context["departments"]) for i in refused.issues] == [
        ("rollover_has_errors", "answers.csv", "社会福祉協議会")]
    assert refused.issues[0].message in result.stderr


def test_force_writes_despite_errors(collected: Collected, tmp_path: Path) -> None:
    out = tmp_path / "R7.xlsx"
    result = run("rollover", *SAMPLE_MASTER_ARGS, "--answers", collected.invalid, "--out", out, "--force")
    assert result.exit_code == 0, result.stderr
    assert out.exists()
    results = results_by_key(sheet_rows(out, "実績"))
    assert results[(str(YEAR), "4", "", INVALID_DEPT)]["値"] == "約100"  # kept as typed
    assert settings_of(out)["対象年度"] == "令和7年度"


def test_valid_answers_roll_over_without_force(r7: Path) -> None:
    assert r7.exists()
    master, issues = load_master(r7)
    assert master is not None and not issues.has_errors, issues.to_list()
    assert master.settings.fiscal_year == YEAR + 1


def test_missing_answers_is_a_usage_error(tmp_path: Path) -> None:
    result = run("rollover", *SAMPLE_MASTER_ARGS, "--answers", tmp_path / "nope.csv", "--out", tmp_path / "R7.xlsx")
    assert result.exit_code == 2
    assert "見つかりません" in result.stderr
    assert not (tmp_path / "R7.xlsx").exists()


def test_out_must_be_another_xlsx(collected: Collected, tmp_path: Path) -> None:
    result = run("rollover", *SAMPLE_MASTER_ARGS, "--answers", collected.valid, "--out", tmp_path / "R7.csv")
    assert result.exit_code == 2
    assert not (tmp_path / "R7.csv").exists()
    master = write_master(master_rows(), tmp_path / "master.xlsx")
    before = master.read_bytes()
    result = run("rollover", "--master", master, "--answers", collected.valid, "--out", master)
    assert result.exit_code == 2
    assert master.read_bytes() == before


@pytest.mark.parametrize("content", ["a,b,c\n1,2,3\n", "respondent_id,status\nK01,提出済\n", ""],
                         ids=["other-csv", "missing-columns", "empty"])
def test_wrong_columns_is_an_error_in_japanese(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "answers.csv"
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "R7.xlsx"
    result = run("rollover", *SAMPLE_MASTER_ARGS, "--answers", bad, "--out", out)
    assert result.exit_code == 1, (result.output, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert JAPANESE.search(result.stderr) and "answers.csv" in result.stderr
    assert not out.exists()


# ---------------------------------------------------------------------------
# the next year's master


def test_next_master_passes_check_master(r7: Path) -> None:
    result = run("check-master", "--master", r7)
    assert result.exit_code == 0, result.output + result.stderr
    assert "問題はありません" in result.output


def test_next_master_settings(r7: Path) -> None:
    before = {row[0]: row[1] for row in sample_rows()["調査設定"][1:]}
    after = settings_of(r7)
    assert before["対象年度"] == "令和6年度" and after["対象年度"] == "令和7年度"
    assert "令和6年度" in before["調査名"]
    assert after["調査名"] == before["調査名"].replace("令和6年度", "令和7年度")
    assert before["提出期限"] == "2025-05-30"
    assert after["提出期限"] == "2026-05-29"  # a year on is Saturday 2026-05-30: the Friday before, still ISO
    for item in ("自治体名", "計画名", "事務局", "連絡先", "対象シート"):
        assert after[item] == before[item], item


def test_next_master_keeps_the_sheet_order(r7: Path) -> None:
    wb = openpyxl.load_workbook(r7)
    assert wb.sheetnames == list(MASTER_COLUMNS)  # 調査設定 first, as init-master writes it
    for sheet, columns in MASTER_COLUMNS.items():
        assert [c.value for c in wb[sheet][1]] == list(columns), sheet


def test_next_master_results(collected: Collected, r7: Path) -> None:
    rows = sheet_rows(r7, "実績")
    assert rows[0] == RESULT_HEADER
    original = [[text_of(v) for v in row] for row in sample_rows()["実績"][1:]]
    assert {row[0] for row in original} == {"2022", "2023"}
    assert rows[1:len(original) + 1] == original  # the earlier years, unchanged and first
    results = results_by_key(rows)
    new = {k: v for k, v in results.items() if k[0] == str(YEAR)}
    expected = expected_2024(collected.master, collected.plans)
    assert set(new) == set(expected)
    for key, values in expected.items():
        got = {column: new[key][column] for column in values}
        assert got == values, key
    assert len(rows) - 1 == len(original) + len(expected)
    indicator_rows = [k for k in new if k[1]]
    assert len(indicator_rows) == sum(len(i.respondents) for i in collected.master.indicators.values())
    action_rows = [k for k in new if k[2]]
    assert len(action_rows) == sum(len(a.departments) for a in collected.master.actions.values())


def test_workbooks_from_next_master_show_the_last_two_years(collected: Collected, r7: Path, tmp_path: Path) -> None:
    master7, issues = load_master(r7)
    assert master7 is not None, issues.to_list()
    result = generate(master7, tmp_path / "R7", generated_at=dt.datetime(2026, 4, 1, 9, 0))
    assert not result.issues.has_errors
    original = collected.master
    checked = 0
    for generated in result.workbooks:
        dept = generated.respondent_id
        wb = openpyxl.load_workbook(generated.file)
        if "取組状況" not in wb.sheetnames:
            continue
        ws = wb["取組状況"]
        cols = header_columns(ws, 4)
        assert "令和7年度の値" in cols
        for r in range(5, ws.max_row + 1):
            no = ws.cell(r, 1).value
            if no is None:
                continue
            no = int(no)
            typed = collected.plans[dept]
            key = ("取組状況", f"IND:{no}:{dept}")
            cell = lambda label: text_of(ws.cell(r, cols[label]).value)  # noqa: E731
            assert cell("令和6年度の値") == text_of(typed[key + ("value",)]), (dept, no)
            assert cell("令和6年度の具体的な取組内容") == typed[key + ("content",)], (dept, no)
            before = original.result(YEAR - 1, dept, indicator=no)
            assert cell("令和5年度の値") == (before.value if before else ""), (dept, no)
            assert cell("令和5年度の具体的な取組内容") == (before.content if before else ""), (dept, no)
            assert cell("令和7年度の値") == ""  # this year's input is still empty
            checked += 1
        wb.close()
    assert checked == sum(len(i.respondents) for i in original.indicators.values())


# sheet -> (label of a locked column in next year's workbook, the answer of this year it shows)
LAST_YEAR_SHOWN = {
    "中間評価": {"令和6年度の評価": ("中間評価", "grade"), "令和6年度の良かった点・成果": ("中間評価", "good")},
    "今後の方向性": {"令和6年度の方向性": ("今後の方向性", "direction"), "令和6年度の理由": ("今後の方向性", "reason")},
}


def test_next_years_evaluation_sheets_show_last_years_rating(collected: Collected, r7: Path, tmp_path: Path) -> None:
    """Issue 16: an action rated last year shows that year's 評価, 良かった点 and 方向性, locked,
    beside this year's inputs (generate → fill → collect → rollover → generate next year)."""
    master7, issues = load_master(r7)
    assert master7 is not None, issues.to_list()
    result = generate(master7, tmp_path / "R7", generated_at=dt.datetime(2026, 4, 1, 9, 0))
    assert not result.issues.has_errors
    shown = 0
    for generated in result.workbooks:
        dept, typed = generated.respondent_id, collected.plans[generated.respondent_id]
        wb = openpyxl.load_workbook(generated.file)
        for sheet, columns in LAST_YEAR_SHOWN.items():
            ws = wb[sheet]
            cols = header_columns(ws, 4)
            for r in range(5, ws.max_row + 1):
                if ws.cell(r, 1).value is None:
                    continue
                row_key = f"ACT:{int(ws.cell(r, 1).value)}:{dept}"
                for label, (answered_sheet, field) in columns.items():
                    cell = ws.cell(r, cols[label])
                    assert text_of(cell.value) == typed[(answered_sheet, row_key, field)], (dept, sheet, row_key, label)
                    assert cell.protection.locked, (dept, sheet, cell.coordinate)
                    shown += 1
        wb.close()
    actions = sum(len(a.departments) for a in collected.master.actions.values())
    assert shown == actions * 4  # every action row of every department, in both sheets
    assert any(typed[key] for typed in collected.plans.values() for key in typed if key[2] == "good")


# ---------------------------------------------------------------------------
# repeating a rollover


def test_rolling_over_twice_gives_the_same_results(collected: Collected, tmp_path: Path) -> None:
    first = rollover.rollover(sample_path(), collected.valid, tmp_path / "a.xlsx")
    second = rollover.rollover(sample_path(), collected.valid, tmp_path / "b.xlsx")
    assert first.output and second.output
    assert (first.added, first.replaced) == (second.added, second.replaced)
    a, b = sheet_rows(first.output, "実績"), sheet_rows(second.output, "実績")
    assert a == b
    results_by_key(a)  # no duplicates


def test_rolling_the_same_year_again_replaces_its_rows(collected: Collected, tmp_path: Path) -> None:
    rows = master_rows()
    stale = [
        ["2024", "3", "", "K03", "999", "古い取組内容", "", "", "", "", ""],
        ["2024", "", "1", "K01", "", "", "古い成果", "", "×", "廃止", "古い理由"],
    ]
    assert rows["実績"][0] == RESULT_HEADER
    rows["実績"].extend(stale)
    master = write_master(rows, tmp_path / "R6.xlsx")
    result = rollover.rollover(master, collected.valid, tmp_path / "R7.xlsx")
    assert result.output is not None, [i.message for i in result.issues]
    assert result.replaced == len(stale)
    plain = rollover.rollover(sample_path(), collected.valid, tmp_path / "plain.xlsx")
    assert result.added == plain.added
    got = sheet_rows(result.output, "実績")
    assert got == sheet_rows(plain.output, "実績")
    text = "\n".join("\t".join(r) for r in got)
    for word in ("古い取組内容", "古い成果", "古い理由", "999"):
        assert word not in text
    # and once more from the rolled master turned back to 令和6年度: 2024 replaced again
    rolled = {sheet: sheet_rows(result.output, sheet) for sheet in MASTER_COLUMNS}
    set_value(rolled, "調査設定", "項目", "対象年度", "値", "令和6年度")
    again = rollover.rollover(write_master(rolled, tmp_path / "again.xlsx"), collected.valid, tmp_path / "again7.xlsx")
    assert again.output is not None
    assert again.replaced == plain.added
    assert sheet_rows(again.output, "実績") == got


@pytest.mark.parametrize("written, expected", [
    ("令和６年度", "令和７年度"),  # full-width digits, as often typed: the style is kept
    ("平成31年度", "令和2年度"),  # 2019 written in the old era
    ("Ｒ６", "令和7年度"),  # a style _next_label does not know: the plain label
    ("2024", "2025"),
])
def test_target_year_written_in_other_styles_advances(collected: Collected, tmp_path: Path, written: str,
                                                      expected: str) -> None:
    rows = master_rows()
    set_value(rows, "調査設定", "項目", "対象年度", "値", written)
    source = write_master(rows, tmp_path / "master.xlsx")
    before, _ = load_master(source)
    assert before is not None
    result = rollover.rollover(source, collected.valid, tmp_path / "next.xlsx")
    assert result.output is not None
    after, issues = load_master(result.output)
    assert after is not None, issues.to_list()
    assert after.settings.fiscal_year == before.settings.fiscal_year + 1 == result.next_year
    assert settings_of(result.output)["対象年度"] == expected


# ---------------------------------------------------------------------------
# labels and deadlines


@pytest.mark.parametrize("text, year, expected", [
    ("令和元年度", 2019, "令和2年度"),
    ("令和6年度", 2024, "令和7年度"),
    ("R6", 2024, "R7"),
    ("2024年度", 2024, "2025年度"),
    ("2024", 2024, "2025"),
    ("令和6年度 進捗状況調査", 2024, "令和7年度 進捗状況調査"),
    ("R6進捗状況調査", 2024, "R7進捗状況調査"),
    ("令和６年度 進捗状況調査", 2024, "令和７年度 進捗状況調査"),
    ("進捗状況調査", 2024, "進捗状況調査"),  # no year: unchanged
])
def test_next_label(text: str, year: int, expected: str) -> None:
    assert rollover._next_label(text, year) == expected


@pytest.mark.parametrize("text, expected", [
    ("2024-02-29", "2025-02-28"),  # no 29 February next year
    ("2025-06-02", "2026-06-02"),  # a Tuesday: kept
    ("2025-05-30", "2026-05-29"),  # Saturday → Friday
    ("2025/5/31", "2026/5/29"),  # Sunday → Friday, written as it was
    ("2025/06/01", "2026/06/01"),  # zero padding kept
    ("2025年6月2日", "2026年6月2日"),
    ("令和7年6月2日", "令和8年6月2日"),  # 和暦 stays 和暦
    ("令和8年5月29日", "令和9年5月28日"),
    ("令和８年５月２９日", "令和９年５月２８日"),  # full-width digits stay full-width
    ("令和7年6月2日（月）", "令和8年6月2日（火）"),  # the weekday written with it follows
    ("R7.6.2", "R8.6.2"),
    ("平成30年6月1日", "令和元年5月31日"),  # 2019-06-01 is a Saturday; the era changes on the way
    ("2026-05-03", "2027-04-30"),  # 憲法記念日 (Monday 2027) → Friday
    ("2026-12-29", "2027-12-28"),  # 年末年始 (offices closed 12/29–1/3)
    ("未定", "未定"),
])
def test_next_deadline(text: str, expected: str) -> None:
    assert rollover._next_deadline(text).text == expected


@pytest.mark.parametrize("deadline, expected, moved", [
    ("令和8年5月29日", "令和9年5月28日",  # Saturday: the example of issue 16, word for word
     "提出期限 令和9年5月29日（土）は休日のため、前の平日 令和9年5月28日（金）にしました。"),
    ("2026-05-03", "2027-04-30", "提出期限 2027-05-03（月）は休日（憲法記念日）のため、前の平日 2027-04-30（金）にしました。"),
    ("2025-06-02", "2026-06-02", None),  # a working day: no issue
])
def test_deadline_through_rollover_keeps_its_style_and_avoids_holidays(
        collected: Collected, tmp_path: Path, deadline: str, expected: str, moved: Any) -> None:
    rows = master_rows()
    row = set_value(rows, "調査設定", "項目", "提出期限", "値", deadline)
    result = rollover.rollover(write_master(rows, tmp_path / "m.xlsx"), collected.valid, tmp_path / "n.xlsx")
    assert result.output is not None and result.valid
    assert settings_of(result.output)["提出期限"] == expected
    after, _ = load_master(result.output)
    assert after is not None and after.settings.deadline == rollover.parse_date(expected)
    if moved is None:
        assert result.issues == []
        return
    [issue] = result.issues
    assert (issue.code, issue.severity, issue.file, issue.sheet, issue.cell) == (
        "rollover_deadline_moved", "info", "n.xlsx", "調査設定", f"B{row}")
    assert issue.context["deadline"] == after.settings.deadline.isoformat()
    assert dt.date.fromisoformat(issue.context["original"]) - after.settings.deadline <= dt.timedelta(days=3)
    assert issue.message.startswith(moved)
    assert f"「調査設定」シート B{row}" in issue.message
    cli_out = tmp_path / "cli.xlsx"  # the command line prints it
    printed = run("rollover", "--master", tmp_path / "m.xlsx", "--answers", collected.valid, "--out", cli_out)
    assert printed.exit_code == 0 and moved in printed.output


def test_leap_day_deadline_through_rollover(collected: Collected, tmp_path: Path) -> None:
    rows = master_rows()
    set_value(rows, "調査設定", "項目", "提出期限", "値", "2024-02-29")
    result = rollover.rollover(write_master(rows, tmp_path / "m.xlsx"), collected.valid, tmp_path / "n.xlsx")
    assert result.output is not None
    assert settings_of(result.output)["提出期限"] == "2025-02-28"


def test_result_columns_come_from_the_templates() -> None:
    """Every answer field of the templates names the 実績 column it is carried into."""
    from welfare_workbook.spec import load_specs

    targets = rollover.result_targets()
    assert targets == {(s.name, c.id): (c.rollover, c.rollover_prefix)
                       for s in load_specs().values() for c in s.input_columns}
    assert targets[("中間評価", "grade")] == ("評価", "")
    assert targets[("その他の取組", "project")] == ("取組内容", "●")
    assert {column for column, _ in targets.values()} <= set(RESULT_HEADER)
