"""check-master, stricter and fairer (issue 16 item 4): one rule for IDs everywhere, no
follow-on errors from one blank cell, duplicate keys named in full, warnings for values no
survey sheet can use, and CSV masters told about their files.

Each case is a real master file (the bundled sample with one mistake) read by
``load_master``; each asserts the exact codes, places and contexts, and each family's
wording once.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from helpers import column_of, master_rows, run_cli, set_value, write_master
from welfare_workbook.issues import Issue
from welfare_workbook.master import Master, load_master, sample_path

Rows = Dict[str, List[List[str]]]
Seen = Tuple[str, str, Optional[str], Optional[str], Dict[str, Any]]


def check(rows: Rows, tmp_path: Path) -> Tuple[Optional[Master], List[Issue]]:
    master, issues = load_master(write_master(rows, tmp_path / "master.xlsx"))
    return master, list(issues)


def seen(issues: List[Issue]) -> List[Seen]:
    """(code, severity, sheet, cell, context) of each issue: what the tests compare."""
    return [(i.code, i.severity, i.sheet, i.cell, i.context.to_dict()) for i in issues]


def cell(rows: Rows, sheet: str, column: str, row: int) -> str:
    """A1 address of ``column`` in Excel row ``row`` of a written master."""
    return f"{chr(65 + column_of(rows, sheet, column))}{row}"


def model(master: Optional[Master]) -> Any:
    assert master is not None
    return (master.settings, master.departments, master.measures, master.actions, master.indicators,
            master.results)


@pytest.fixture(scope="module")
def sample() -> Master:
    master, issues = load_master(sample_path())
    assert master is not None and not list(issues)
    return master


def result_row(rows: Rows, **values: str) -> List[str]:
    """A 実績 row in the sheet's own column order."""
    header = rows["実績"][0]
    return [values.get({"年度": "year", "指標No": "indicator", "取組No": "action", "課ID": "dept"}.get(h, h), "")
            for h in header]


# ---------------------------------------------------------------------------
# one normalisation rule for every ID, where it is defined and where it is referred to


@pytest.mark.parametrize("sheet, key_column, key, column, written, read", [
    ("担当課", "課ID", "K03", "課ID", "Ｋ０３", "K03"),  # the defining cell: references to K03 still find it
    ("計画体系", "基本施策ID", "Ⅰ-1", "基本施策ID", "Ⅰ－１", "Ⅰ-1"),  # Roman numerals kept, the dash folded
    ("指標", "指標No", "3", "回答課ID", "Ｋ０３", "K03"),
    ("取組", "取組No", "2", "主担当課ID", "Ｋ０３", "K03"),
    ("取組", "取組No", "1", "関係課ID", "K03，K04，K05，K06，K02", "K03,K04,K05,K06,K02"),
    ("取組", "取組No", "2", "取組No", "２", "2"),
    ("指標", "指標No", "3", "基本施策ID", "Ⅰ－１", "Ⅰ-1"),
    ("実績", "指標No", "3", "課ID", "Ｋ０３", "K03"),
], ids=["department-defined", "measure-defined", "respondent", "main", "related-list", "action-no", "measure-ref",
        "result-department"])
def test_an_id_is_read_by_one_rule_with_an_info(tmp_path: Path, sample: Master, sheet: str, key_column: str,
                                                key: str, column: str, written: str, read: str) -> None:
    rows = master_rows()
    row = set_value(rows, sheet, key_column, key, column, written)
    master, issues = check(rows, tmp_path)
    assert model(master) == model(sample)  # read exactly as the sample
    assert seen(issues) == [("master_id_normalized", "info", sheet, cell(rows, sheet, column, row),
                             {"column": column, "original": written, "value": read})]


def test_full_width_department_id_wording(tmp_path: Path) -> None:
    """Regression: a full-width 課ID in 担当課 gave 15 errors at the cells referring to it."""
    rows = master_rows()
    set_value(rows, "担当課", "課ID", "K03", "課ID", "Ｋ０３")
    master, issues = check(rows, tmp_path)
    assert master is not None and master.departments["K03"].name == "健康長寿課"
    assert [i.message for i in issues] == ["「担当課」シート A4：課ID『Ｋ０３』を『K03』として読みました。"]


def test_an_id_that_is_still_not_an_id_is_an_error_at_its_own_cell(tmp_path: Path) -> None:
    rows = master_rows()
    set_value(rows, "担当課", "課ID", "K03", "課ID", "Ｋ　０３")  # a full-width space inside
    master, issues = check(rows, tmp_path)
    assert master is None
    # the 10 cells referring to K03 are not reported as unknown: the defining cell is the mistake
    assert seen(issues) == [("master_bad_id", "error", "担当課", "A4", {"column": "課ID", "value": "Ｋ　０３"})]
    assert issues[0].message == (
        "「担当課」シート A4：課ID「Ｋ　０３」は ID に使えません。ほかのシートからカンマ区切りで参照するので、"
        "空白や区切りの記号（, 、 ; ・ /）を含まない文字列にしてください。")


# ---------------------------------------------------------------------------
# one blank cell, one message


@pytest.mark.parametrize("sheet, key_column, key, column", [
    ("計画体系", "基本施策ID", "Ⅲ-3", "基本施策"),  # used to add 4 "基本施策ID not found" errors
    ("担当課", "課ID", "K03", "課名"),  # its 10 references
    ("取組", "取組No", "6", "取組No"),  # 指標 No.3's 関連取組 and 実績 rows
    ("指標", "指標No", "3", "指標No"),  # its 実績 rows
    ("担当課", "課ID", "K03", "課ID"),
])
def test_a_blank_cell_gives_one_error(tmp_path: Path, sheet: str, key_column: str, key: str, column: str) -> None:
    rows = master_rows()
    row = set_value(rows, sheet, key_column, key, column, "")
    master, issues = check(rows, tmp_path)
    assert master is None
    assert seen(issues) == [("master_required_empty", "error", sheet, cell(rows, sheet, column, row),
                             {"column": column})]


# ---------------------------------------------------------------------------
# duplicate keys, named in full


def test_duplicate_result_key_is_named_in_full(tmp_path: Path) -> None:
    rows = master_rows()
    first = next(n for n, r in enumerate(rows["実績"]) if n and r[0] == "2023" and r[1] == "1")
    rows["実績"].append(list(rows["実績"][first]))
    rows["実績"].append(result_row(rows, year="2023", action="2", dept="K03", 評価="○"))
    rows["実績"].append(result_row(rows, year="令和5年度", action="2", dept="Ｋ０３", 評価="◎"))  # the same key
    master, issues = check(rows, tmp_path)
    assert master is None
    last = len(rows["実績"])
    assert seen(issues) == [
        ("master_duplicate_key", "error", "実績", f"A{last - 2}",
         {"columns": "年度・指標No・課ID", "values": "令和5年度・No.1・K01", "first": f"A{first + 1}"}),
        ("master_id_normalized", "info", "実績", f"D{last}", {"column": "課ID", "original": "Ｋ０３", "value": "K03"}),
        ("master_duplicate_key", "error", "実績", f"A{last}",
         {"columns": "年度・取組No・課ID", "values": "令和5年度・No.2・K03", "first": f"A{last - 1}"}),
    ]
    assert issues[0].message == (f"「実績」シート A{last - 2}：年度・指標No・課ID の組（令和5年度・No.1・K01）が"
                                 f"重複しています（最初は A{first + 1}）。同じ組の行は 1 行にまとめてください。")


def test_duplicate_id_after_normalisation(tmp_path: Path) -> None:
    rows = master_rows()
    rows["担当課"].append(["Ｋ０１", "福祉政策課（重複）", "庁内", "", ""])
    _, issues = check(rows, tmp_path)
    last = len(rows["担当課"])
    assert seen(issues) == [
        ("master_id_normalized", "info", "担当課", f"A{last}", {"column": "課ID", "original": "Ｋ０１", "value": "K01"}),
        ("master_duplicate_id", "error", "担当課", f"A{last}", {"column": "課ID", "value": "K01", "first": "A2"}),
    ]


# ---------------------------------------------------------------------------
# warnings: values no survey sheet or 集計表 can use


def test_result_after_the_survey_year_is_a_warning(tmp_path: Path) -> None:
    rows = master_rows()
    rows["実績"].append(result_row(rows, year="2031", indicator="1", dept="K01", 値="3"))
    master, issues = check(rows, tmp_path)
    assert master is not None  # a warning: the master can still be used
    assert seen(issues) == [("master_result_future_year", "warning", "実績", f"A{len(rows['実績'])}",
                             {"value": "2031", "year": 2031, "survey_year": "令和6年度"})]
    assert issues[0].message == (
        f"「実績」シート A{len(rows['実績'])}：年度「2031」は、調査の対象年度（令和6年度）より後です。"
        "この実績は調査票に表示されません。年度を確認してください。")


@pytest.mark.parametrize("target, expected", [
    ({"indicator": "1"}, {"kind": "指標", "no": 1, "role": "回答課", "expected": "K01"}),
    ({"action": "2"}, {"kind": "取組", "no": 2, "role": "主担当課・関係課", "expected": "K03"}),
], ids=["indicator", "action"])
def test_result_of_a_department_that_does_not_answer_is_a_warning(tmp_path: Path, target: Dict[str, str],
                                                                   expected: Dict[str, Any]) -> None:
    rows = master_rows()
    rows["実績"].append(result_row(rows, year="2023", dept="K05", **target))
    master, issues = check(rows, tmp_path)
    assert master is not None
    assert seen(issues) == [("master_result_department", "warning", "実績", f"D{len(rows['実績'])}",
                             {"value": "K05", **expected})]
    if "indicator" in target:
        assert issues[0].message == (
            f"「実績」シート D{len(rows['実績'])}：課ID「K05」は、指標No.1 の回答課（K01）にありません。"
            "この実績は調査票に表示されません。課ID と指標No を確認してください（担当が替わった場合は、このままで構いません）。")


@pytest.mark.parametrize("column", ["現状値", "目標値"])
def test_non_number_on_a_number_indicator_is_a_warning(tmp_path: Path, column: str) -> None:
    rows = master_rows()
    row = set_value(rows, "指標", "指標No", "3", column, "約400")  # 型 整数
    set_value(rows, "指標", "指標No", "7", column, "約400")  # 型 複合: text is fine there
    master, issues = check(rows, tmp_path)
    assert master is not None
    at = cell(rows, "指標", column, row)
    assert seen(issues) == [("master_value_not_number", "warning", "指標", at,
                             {"column": column, "value": "約400", "type": "整数", "no": 3})]
    if column == "現状値":
        assert issues[0].message == (
            f"「指標」シート {at}：現状値「約400」を数値として読めません。型が「整数」の指標は、集計表で進捗率を計算するので、"
            "数値だけ（例：400、3,600）を入力してください（単位は「単位」の列に）。")


def test_mail_address_without_a_dotted_domain_is_a_warning(tmp_path: Path) -> None:
    rows = master_rows()
    row = set_value(rows, "担当課", "課ID", "K04", "メール", "k04@example.jp; shogai@town")
    set_value(rows, "担当課", "課ID", "K05", "メール", "ｋ０５＠example.jp")  # full-width: mail folds it
    path = write_master(rows, tmp_path / "master.xlsx")
    master, issues = load_master(path)
    assert master is not None
    assert seen(list(issues)) == [("master_bad_email", "warning", "担当課", f"D{row}", {"value": "shogai@town"})]
    message = list(issues)[0].message
    assert message == (f"「担当課」シート D{row}：メールアドレス「shogai@town」は宛先として使えません"
                       "（「名前@ドメイン」の形で、ドメインに「.」が必要です）。配布・督促のメールが届かないので、直してください。")
    result = run_cli("check-master", "--master", str(path))  # shown, and the master still passes
    assert result.exit_code == 0 and message in result.stdout and "問題はありません" in result.stdout


# ---------------------------------------------------------------------------
# a folder of CSV files: the messages name the files


def csv_master(tmp_path: Path) -> Path:
    folder = tmp_path / "マスタ"
    shutil.copytree(sample_path(), folder)
    return folder


def test_csv_master_missing_file_is_named(tmp_path: Path) -> None:
    folder = csv_master(tmp_path)
    (folder / "指標.csv").unlink()
    master, issues = load_master(folder)
    assert master is None
    assert seen(list(issues)) == [("master_csv_missing", "error", "指標", None, {"csv": "指標.csv"})]
    assert list(issues)[0].message == (
        "指標.csv がありません。マスタのフォルダ（マスタ）に、「指標」シートを CSV で書き出した「指標.csv」を入れてください。")


@pytest.mark.parametrize("data", [
    "取組No,基本施策ID\n1,重点-1\n".encode("utf-16"),  # Excel's 「Unicode テキスト」
    "取組No,基本施策ID\n".encode("utf-8") + b"1,\x81\x20\n",  # a broken byte: neither UTF-8 nor Shift_JIS
], ids=["utf-16", "broken"])
def test_csv_master_in_another_encoding_is_named(tmp_path: Path, data: bytes) -> None:
    folder = csv_master(tmp_path)
    (folder / "取組.csv").write_bytes(data)
    master, issues = load_master(folder)
    assert master is None
    # the other files are read; references to 取組 are not checked against a file that could not be
    assert seen(list(issues)) == [("master_csv_encoding", "error", "取組", None, {"csv": "取組.csv"})]
    assert list(issues)[0].message == (
        "取組.csv は UTF-8 でも Shift_JIS でもありません。Excel で開き、「CSV UTF-8（コンマ区切り）」か"
        "「CSV（コンマ区切り）」の形式で保存し直してください。")
    result = run_cli("check-master", "--master", str(folder))
    assert result.exit_code == 1 and "取組.csv は UTF-8 でも Shift_JIS でもありません" in result.stdout


def test_xlsx_master_still_speaks_of_sheets(tmp_path: Path) -> None:
    rows = master_rows()
    del rows["指標"]
    _, issues = check(rows, tmp_path)
    assert [i.code for i in issues] == ["master_sheet_missing"]
