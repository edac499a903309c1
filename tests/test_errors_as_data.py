"""Errors as data all the way: issues keep their context, every command returns the same
report shape, outputs that cannot be written are issues, every pandera check has a code,
and the status words are one vocabulary.

Real files in tmp_path; nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from click.testing import CliRunner

from collect_helpers import fill
from welfare_workbook import issues as iss
from welfare_workbook.answers import ANSWER_COLUMNS
from welfare_workbook.cli import cli
from welfare_workbook.generate import GenerateResult, generate
from welfare_workbook.issues import Context, Issue, IssueList, Report, make
from welfare_workbook.mail import MailResult
from welfare_workbook.mail_send import SendResult
from welfare_workbook.master import Master, sample_path
from welfare_workbook.master_check import MasterReport, check_master
from welfare_workbook.merge import CollectResult, read_verdict
from welfare_workbook.pipeline import SummaryReport, collect, write_report
from welfare_workbook.returns import ReturnStatus, RosterStatus
from welfare_workbook.rollover import RolloverResult, rollover
from welfare_workbook.spec import CHECK_CODES, SpecError, check_code, load_specs, require_check_codes, schema_for

COUNT_KEYS = {"errors", "warnings", "infos"}


# ---------------------------------------------------------------------------
# 1. an issue keeps the values its message was built from


def test_make_keeps_the_fields_as_context() -> None:
    issue = make("row_moved", file="a.xlsx", sheet="取組状況", cell="A7", respondent_id="K04", item="17",
                 expected_row=6, row=7)
    assert issue.code == "row_moved" and issue.context["expected_row"] == 6 and issue.context["row"] == 7
    assert dict(issue.context) == {"item": "17", "expected_row": 6, "row": 7}  # location stays in its own fields
    assert issue.to_dict()["context"] == {"item": "17", "expected_row": 6, "row": 7}
    assert make("locked_changed", cell="C5", value=12, expected="元").context == {"value": 12, "expected": "元"}


def test_context_is_json_safe_and_immutable() -> None:
    issue = make("file_corrupt", file="x.xlsx", detail="壊れています", path=Path("a") / "b.xlsx",
                 rows=[6, 7], when=dt.date(2025, 4, 1), ratio=float("nan"), status=RosterStatus.NEEDS_FIX,
                 nothing=None, flag=True)
    context = issue.context
    assert context["path"] == str(Path("a") / "b.xlsx") and context["rows"] == (6, 7)
    assert context["when"] == "2025-04-01" and context["ratio"] == "nan" and context["nothing"] is None
    assert context["status"] == "要修正" and type(context["status"]) is str and context["flag"] is True
    json.dumps(issue.to_dict(), allow_nan=False)  # strict JSON
    assert issue.to_dict()["context"]["rows"] == [6, 7]
    with pytest.raises(TypeError):
        context["rows"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        issue.context = Context()  # type: ignore[misc]


def test_issues_with_context_are_hashable_and_compare_by_context() -> None:
    a = make("row_missing", sheet="取組状況", item="3", expected_row=5)
    b = make("row_missing", sheet="取組状況", item="3", expected_row=5)
    c = make("row_missing", sheet="取組状況", item="3", expected_row=6)
    assert a == b and hash(a) == hash(b) and a != c
    assert len({a, b, c}) == 2
    direct = Issue("x", "error", "m", context={"row": 5})  # type: ignore[arg-type]  # a plain dict is taken in
    assert isinstance(direct.context, Context) and direct.context["row"] == 5


def test_a_number_is_kept_as_a_number_and_formatted_in_the_message() -> None:
    issue = make("sheet_too_large", sheet="取組状況", cell="XFD1048576", cells=17_179_869_184, limit=1_000_000)
    assert issue.context["cells"] == 17_179_869_184 and issue.context["limit"] == 1_000_000
    assert "17,179,869,184" in issue.message and "1,000,000" in issue.message  # wording, on purpose
    # text where the template formats a number: shown as it is, never an exception
    assert "多い" in make("sheet_too_large", sheet="s", cells="多い", limit=5).message


# ---------------------------------------------------------------------------
# 2. one report shape for every command


def _assert_report(report: Any) -> Dict[str, Any]:
    assert isinstance(report, Report)
    data = report.to_dict()
    assert data["valid"] is report.valid and set(data["counts"]) == COUNT_KEYS
    assert data["counts"] == report.counts
    assert sum(report.counts.values()) == len(report.report_issues()) == len(data["issues"])
    json.dumps(data, allow_nan=False)
    return data


def test_generate_result_is_a_report(sample_master: Master, tmp_path: Path) -> None:
    result = generate(sample_master, tmp_path / "wb")
    assert isinstance(result, GenerateResult)
    data = _assert_report(result)
    assert data["valid"] and len(data["workbooks"]) == len(sample_master.respondents())


def test_collect_result_is_a_report(sample_master: Master, generated: GenerateResult, tmp_path: Path) -> None:
    fill(sample_master, generated.workbooks[0], tmp_path / "returns")
    result = collect(sample_master, [tmp_path / "returns"], tmp_path / "out")
    assert isinstance(result, CollectResult)
    data = _assert_report(result)
    assert data["valid"] and set(data) == {"valid", "counts", "returns", "missing", "issues", "outputs"}


def test_master_check_is_a_report(tmp_path: Path) -> None:
    good = check_master(sample_path())
    assert isinstance(good, MasterReport) and good.valid and good.master is not None
    assert _assert_report(good)["sizes"]["respondents"] == len(good.master.respondents())
    missing = check_master(tmp_path / "nothing.xlsx")
    assert not missing.valid and missing.not_found
    assert [i.code for i in missing.issues] == ["master_not_found"]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    bad = check_master(broken)
    assert not bad.valid and not bad.not_found and _assert_report(bad)["counts"]["errors"] == 1


def test_rollover_summary_and_send_results_are_reports(sample_master: Master, tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(",".join(ANSWER_COLUMNS) + "\r\n", encoding="utf-8-sig")
    rolled = rollover(sample_path(), answers, tmp_path / "next.xlsx")
    assert isinstance(rolled, RolloverResult)
    assert _assert_report(rolled)["next_year"] == sample_master.settings.fiscal_year + 1 and rolled.valid
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\r\n1,2\r\n", encoding="utf-8")
    refused = rollover(sample_path(), bad, tmp_path / "next2.xlsx")
    assert not refused.valid and [i.code for i in refused.issues] == ["answers_unreadable"]

    summary = write_report(sample_master, [answers], tmp_path / "report")
    assert isinstance(summary, SummaryReport) and summary.valid
    assert Path(_assert_report(summary)["outputs"]["summary"]).is_file()
    unreadable = write_report(sample_master, [answers, bad], tmp_path / "report2")
    assert not unreadable.valid and [i.code for i in unreadable.issues] == ["answers_unreadable"]
    assert unreadable.issues.items[0].file == "bad.csv" and not (tmp_path / "report2").exists()

    assert _assert_report(SendResult([], IssueList())) == {"valid": True, "counts": dict.fromkeys(COUNT_KEYS, 0),
                                                           "sent": [], "issues": []}
    mail = MailResult("督促", [], IssueList())
    assert _assert_report(mail)["kind"] == "督促" and mail.valid
    mail.sent = SendResult([], IssueList([make("mail_smtp_failed", file="SMTP", host="smtp.example.jp", port=587,
                                               detail="接続できません", count=2)]))
    data = _assert_report(mail)  # the sending's issues count too
    assert not mail.valid and data["counts"]["errors"] == 1 and data["issues"][0]["context"]["count"] == 2


# ---------------------------------------------------------------------------
# 3./4. collect writes issues.json; an output that cannot be written is an issue


def _collect_cli(returns: Path, out: Path, *extra: str) -> Any:
    return CliRunner().invoke(cli, ["collect", str(returns), "--master", str(sample_path()), "--out", str(out),
                                    *extra], catch_exceptions=False)


@pytest.fixture()
def one_return(sample_master: Master, generated: GenerateResult, tmp_path: Path) -> Path:
    """A folder with one valid return and one with an error (so 差戻し has a copy to write)."""
    folder = tmp_path / "returns"
    fill(sample_master, generated.workbooks[0], folder)
    wb = generated.workbooks[1]
    fill(sample_master, wb, folder, answers={("中間評価", next(iter(_grade_keys(sample_master, wb.respondent_id))),
                                              "grade"): "良い"})
    return folder


def _grade_keys(master: Master, dept: str) -> List[str]:
    from welfare_workbook.contract import layout_for

    return [item.key for _, item, _ in layout_for(master, dept)["中間評価"]]


def test_issues_json_is_written_beside_the_check_workbook(one_return: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _collect_cli(one_return, out, "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    verdict = read_verdict(out / "issues.json")
    assert data["outputs"]["issues"] == str(out / "issues.json")
    assert verdict["valid"] is False and verdict["counts"] == data["counts"]
    [choice] = [i for i in verdict["issues"] if i["code"] == "bad_choice"]
    assert choice["context"]["value"] == "良い" and choice["context"]["respondent"]
    assert {r["status"] for r in verdict["roster"]} >= {"提出済", "要修正", "未提出"}
    assert not list(out.glob(".~*.tmp"))  # written atomically: no temporary file left


def test_check_workbook_that_cannot_be_written_is_an_issue(one_return: Path, tmp_path: Path) -> None:
    """A folder standing where 確認結果.xlsx should be (as a file open in Excel on Windows):
    an output_unwritable error naming it, every other output still written, exit 1."""
    out = tmp_path / "out"
    (out / "確認結果.xlsx").mkdir(parents=True)
    result = _collect_cli(one_return, out, "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["valid"] is False
    failed = [i for i in data["issues"] if i["code"] == "output_unwritable"]
    assert [(i["file"], i["severity"]) for i in failed] == [("確認結果.xlsx", "error")]
    assert "checks" not in data["outputs"]
    for key, name in (("answers", "answers.csv"), ("issues", "issues.json"), ("summary", "集計表.xlsx"),
                      ("indicators", "indicators.csv")):
        assert data["outputs"][key] == str(out / name) and (out / name).is_file(), name
    assert list((out / "差戻し").glob("*.xlsx"))
    verdict = read_verdict(out / "issues.json")  # the verdict says so too, with the reason
    [recorded] = [i for i in verdict["issues"] if i["code"] == "output_unwritable"]
    assert recorded["file"] == "確認結果.xlsx" and recorded["context"]["detail"]


def test_unwritable_output_is_shown_on_the_console(one_return: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "answers.csv").mkdir(parents=True)
    result = _collect_cli(one_return, out)
    assert result.exit_code == 1
    # the wording, on purpose: it names the file and says what to do
    assert "「answers.csv」を書き込めませんでした（同じ名前のフォルダがあります）" in result.output
    assert "閉じてからもう一度実行してください" in result.output
    assert "回答データ:" not in result.output and f"確認結果: {out / '確認結果.xlsx'}" in result.output


def test_library_collect_never_raises_for_an_unwritable_output(sample_master: Master, one_return: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "issues.json").mkdir(parents=True)
    (out / "集計表.xlsx").mkdir()
    result = collect(sample_master, [one_return], out)
    assert not result.valid
    assert sorted(i.file for i in result.output_issues) == ["issues.json", "集計表.xlsx"]
    assert all(i.code == "output_unwritable" and i.severity == "error" for i in result.output_issues)
    assert result.output_issues == result.issues[-2:]
    assert set(result.outputs) >= {"answers", "checks", "sendback"} and "summary" not in result.outputs
    assert (out / "確認結果.xlsx").is_file() and (out / "answers.csv").is_file()


def test_demo_goes_on_when_an_output_is_locked(tmp_path: Path) -> None:
    """The demo run again while its 確認結果.xlsx is open (here: a folder in its place): no crash."""
    (tmp_path / "回収結果" / "確認結果.xlsx").mkdir(parents=True)
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "「確認結果.xlsx」を書き込めませんでした" in result.output
    assert (tmp_path / "回収結果" / "集計表.xlsx").is_file() and "審議会資料の集計表は" in result.output


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="root (as in CI) and Windows ignore a folder's write permission")
def test_read_only_output_folder(one_return: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = _collect_cli(one_return, out, "--json")
    finally:
        out.chmod(0o755)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    failed = {i["file"] for i in data["issues"] if i["code"] == "output_unwritable"}
    assert {"answers.csv", "issues.json", "確認結果.xlsx", "集計表.xlsx"} <= failed
    assert data["outputs"] == {} and not list(out.iterdir())


def test_generate_reports_a_workbook_it_cannot_write(sample_master: Master, tmp_path: Path) -> None:
    first = generate(sample_master, tmp_path / "wb")
    blocked = first.workbooks[0].file
    blocked.unlink()
    blocked.mkdir()  # a folder where the workbook should be
    again = generate(sample_master, tmp_path / "wb")
    assert not again.valid
    assert [(i.code, i.file) for i in again.issues] == [("generate_unwritable", blocked.name)]
    assert len(again.workbooks) == len(first.workbooks) - 1


def test_report_reports_a_summary_it_cannot_write(sample_master: Master, tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(",".join(ANSWER_COLUMNS) + "\r\n", encoding="utf-8-sig")
    (tmp_path / "out" / "indicators.csv").mkdir(parents=True)
    report = write_report(sample_master, [answers], tmp_path / "out")
    assert not report.valid and report.outputs == {}
    assert [(i.code, i.file) for i in report.issues] == [("output_unwritable", "indicators.csv")]
    result = CliRunner().invoke(cli, ["report", "--answers", str(answers), "--master", str(sample_path()),
                                      "--out", str(tmp_path / "out")], catch_exceptions=False)
    assert result.exit_code == 1 and report.issues.items[0].message in result.stderr


# ---------------------------------------------------------------------------
# 5. every pandera check has a catalogue code


def test_every_check_of_every_schema_has_a_catalogue_code() -> None:
    assert set(CHECK_CODES.values()) <= set(iss.CATALOGUE)
    for spec in load_specs().values():
        schema = schema_for(spec)
        names = [c.name for c in schema.checks] + [c.name for col in schema.columns.values() for c in col.checks]
        assert names, spec.name
        assert all(check_code(name) in iss.CATALOGUE for name in names)


def test_a_check_without_a_code_is_a_clear_error() -> None:
    import pandera.pandas as pa

    with pytest.raises(SpecError, match="'no_such_check:value' has no issue code.*CHECK_CODES"):
        check_code("no_such_check:value")
    schema = pa.DataFrameSchema({"value": pa.Column(None, checks=[pa.Check(lambda s: s.notna(), name="shiny")])})
    with pytest.raises(SpecError, match="'shiny'"):
        require_check_codes(schema)


# ---------------------------------------------------------------------------
# 6. one status vocabulary


def test_status_words_are_the_japanese_text() -> None:
    assert [s.value for s in ReturnStatus] == ["提出済", "要修正", "重複(旧版)", "対象外"]
    assert [s.value for s in RosterStatus] == ["未提出", "提出済", "要修正", "再提出"]
    status = RosterStatus.NOT_SUBMITTED
    assert status == "未提出" and str(status) == "未提出" and f"[{status:<4}]" == "[未提出 ]"
    assert json.dumps([status], ensure_ascii=False) == '["未提出"]'
    assert RosterStatus("再提出") is RosterStatus.RESUBMITTED
    assert {"要修正": 1}[ReturnStatus.NEEDS_FIX] == 1  # hashes as its word


def test_status_text_in_the_outputs_is_unchanged(one_return: Path, tmp_path: Path, sample_master: Master) -> None:
    import csv

    result = collect(sample_master, [one_return], tmp_path / "out")
    data = result.to_dict()
    assert {type(r["status"]) for r in data["returns"]} == {str}
    assert sorted(r["status"] for r in data["returns"]) == ["提出済", "要修正"]
    with open(tmp_path / "out" / "answers.csv", encoding="utf-8-sig", newline="") as handle:
        assert {row["status"] for row in csv.DictReader(handle)} == {"提出済", "要修正"}
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "out" / "確認結果.xlsx", read_only=True)
    states = {row[3] for row in wb["提出状況"].iter_rows(min_row=2, values_only=True)}
    assert states == {"提出済", "要修正", "未提出"}


def test_shared_copies_of_the_words_are_the_members() -> None:
    from welfare_workbook import answers, summary

    assert answers.NEEDS_FIX is RosterStatus.NEEDS_FIX and answers.SUBMITTED is RosterStatus.SUBMITTED
    assert summary.NOT_SUBMITTED == RosterStatus.NOT_SUBMITTED
