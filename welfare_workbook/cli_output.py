"""What the command line prints: issues, summaries and the progress bar, in Japanese.

Kept apart from the commands so each command reads as its few library calls. Text
goes through ``click.echo``; :func:`welfare_workbook.cli.main` makes the console
streams replace what a cp932 console cannot show.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, List, Mapping, Optional

import click

from .issues import ERROR, SEVERITY_LABEL, Issue, IssueList
from .returns import ReturnStatus
from .states import State

if TYPE_CHECKING:  # mail is imported only by the mail command
    from .mail import MailResult
    from .mail_send import SmtpSettings


STATE_ORDER = (State.NOT_SUBMITTED, State.WRONG_FORMAT, State.NEEDS_FIX, State.SENT_BACK, State.AWAITING_REVIEW,
               State.ACCEPTED)


def display_path(path: Any) -> str:
    """A path as the user sees it: relative to the current folder when it is inside it
    (a survey folder's own places are found as absolute paths)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err)


def print_json(obj: Any) -> None:
    """JSON on stdout; falls back to \\u escapes when the console cannot show a character."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, default=str)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(obj, ensure_ascii=True, indent=2, default=str)
    echo(text)


def print_issues(issues: Iterable[Issue], err: bool = False) -> None:
    """One line per issue: [重要度] file 「sheet」 cell: message (parts the message already names are left out)."""
    for issue in issues:
        parts = [issue.file or ""]
        if issue.sheet and f"「{issue.sheet}」シート" not in issue.message:
            parts.append(f"「{issue.sheet}」")
        if issue.cell and issue.cell not in issue.message:
            parts.append(issue.cell)
        place = " ".join(p for p in parts if p)
        label = SEVERITY_LABEL.get(issue.severity, issue.severity)
        echo(f"[{label}] {place}: {issue.message}" if place else f"[{label}] {issue.message}", err=err)


# ---------------------------------------------------------------------------
# master


def print_master_problems(issues: IssueList, as_json: bool) -> None:
    """Why a master cannot be used (stderr; the result object on stdout under --json)."""
    if as_json:
        print_json({"valid": False, "issues": issues.to_list()})
        return
    print_issues(issues, err=True)
    echo(f"マスタにエラーが {issues.count(ERROR)} 件あります。直してから実行してください。", err=True)


def print_master_check(master: Any, issues: IssueList) -> None:
    """check-master: every problem, then a one-line verdict."""
    print_issues(issues)
    if master is None:
        echo(f"エラーが {issues.count(ERROR)} 件あります。", err=True)
        return
    echo(f"マスタに問題はありません（担当課 {len(master.departments)}・基本施策 {len(master.measures)}・"
         f"取組 {len(master.actions)}・指標 {len(master.indicators)}・実績 {len(master.results)} 行、"
         f"回答課 {len(master.respondents())}）。")


# ---------------------------------------------------------------------------
# generate, collect, report, rollover, demo


def print_generated(master: Any, result: Any, out: Any) -> None:
    """generate: the issues, then one line per workbook with its item counts."""
    print_issues(result.issues)
    name = master.settings.survey_name
    if master.settings.fiscal_year_label not in name:
        name += f"（{master.settings.fiscal_year_label}）"
    echo(f"{name}: {len(result.workbooks)} 課分の調査票を {display_path(out)} に作成しました。")
    for wb in result.workbooks:
        detail = "・".join(f"{sheet} {count}" for sheet, count in wb.sheets.items())
        echo(f"  {wb.respondent_id}  {wb.respondent}  {wb.file.name}  （{detail}）")


COLLECT_OUTPUTS = (("answers", "回答データ"), ("wide", "回答一覧（1 団体 1 行）"), ("issues", "確認結果（JSON）"),
                   ("checks", "確認結果"), ("sendback", "差戻し（エラーのある{noun}）"), ("summary", "集計表"),
                   ("indicators", "指標データ"))


def print_collect(result: Any, noun: str = "課") -> None:
    """Terminal summary of collect: the roster, then errors and warnings (info only as a count).
    ``noun``: what a respondent is called (課, or 団体 for a form survey)."""
    _print_roster(result)
    shown = [i for i in result.issues if i.severity != "info"]
    if shown:
        echo("")
        echo("確認が必要な箇所:")
        print_issues(shown)
    echo("")
    _print_counts(result, noun)
    _print_outputs(result, noun)


def _print_roster(result: Any) -> None:
    """提出状況: each respondent's state and return, then the files of no known respondent."""
    echo("提出状況:")
    for row in result.roster:
        ret = row.current
        detail = f"エラー {ret.errors}・注意 {ret.warnings}  {ret.file}" if ret else ""
        echo(f"  {row.department.id:<5} {row.department.name:<12} {row.shown:<4} {detail}")
        if row.note and row.state == State.WRONG_FORMAT:  # what came, and how to re-save it
            echo(f"        {row.note}")
    for ret in (r for r in result.returns if r.respondent_id is None or r.status == ReturnStatus.OUT_OF_SCOPE):
        echo(f"  {'-':<5} {'（不明）':<12} {ret.status:<4} エラー {ret.errors}  {ret.file}")


def _print_counts(result: Any, noun: str) -> None:
    infos = sum(1 for i in result.issues if i.severity == "info")
    words = [row.state for row in result.roster if row.state]
    if words:  # a survey folder: every respondent's state
        counts = "・".join(f"{w} {words.count(w)}" for w in dict.fromkeys(sorted(words, key=STATE_ORDER.index)))
        echo(f"読み取ったファイル {len(result.returns)} 件・{counts}・自動で読み替えた値など（情報）{infos} 件")
    else:
        echo(f"受付 {len(result.returns)} 件・未提出 {len(result.missing)} {noun}・自動で読み替えた値など（情報）{infos} 件")


def _print_outputs(result: Any, noun: str) -> None:
    """The outputs collect wrote, one line each; under 差戻し, each copy and who gets it (an
    output that could not be written is missing here: it is an issue printed above)."""
    for key, label in COLLECT_OUTPUTS:
        if key in result.outputs:
            echo(f"{label.format(noun=noun)}: {display_path(result.outputs[key])}")
        if key == "sendback":
            for row in result.roster:
                copy = result.outputs.get(f"sendback:{row.department.id}")
                if copy:
                    echo(f"  {row.department.id:<5} {row.department.name:<12} {Path(copy).name}")


def print_summary_written(written: Mapping[str, Any]) -> None:
    echo(f"集計表を作成しました: {written['summary']}")
    echo(f"指標データ: {written['indicators']}")


def print_rollover(result: Any, out: Any, year_label: str) -> None:
    echo(f"{result.next_year} 年度（{year_label}）のマスタを作成しました: {out}")
    _print_carried(result)
    print_issues(result.issues)  # e.g. 提出期限 moved off a holiday (info)


def print_simulation(lines: Iterable[str]) -> None:
    echo("")
    echo("担当課の記入を模擬します（一部はよくある誤りを含みます）:")
    for line in lines:
        echo(f"  {line}")
    echo("")


def print_demo_end(collected: Any) -> None:
    outputs = collected.outputs  # an output that could not be written is missing here (and an issue above)
    echo("")
    if "checks" in outputs and "sendback" in outputs:
        echo(f"確認結果は {outputs['checks']} 、差戻し用のブックは {outputs['sendback']} にあります。")
    if "summary" in outputs:
        echo(f"審議会資料の集計表は {outputs['summary']} にあります。")


# ---------------------------------------------------------------------------
# mail


def print_drafts(result: MailResult) -> None:
    """mail: the drafts written (one line per respondent) and the index; the issues are printed before.

    When some respondents got no draft (their issues above say why) the last line says
    so: "no one to send to" would hide them.
    """
    from .mail import size_label

    left_out = len(result.left_out)
    if not result.drafts:
        if left_out:
            echo(f"{result.kind}: 対象の {left_out} {result.noun}とも、上の理由で下書きを作成できませんでした。")
        else:
            who = f"{result.kind}の対象（{'・'.join(result.wanted)}）" if result.wanted else "送付先"
            echo(f"{result.kind}: {who}の{result.noun}はありません。")
        return
    echo(f"{result.kind}: {len(result.drafts)} 通の下書きを {display_path(result.maildir)} に作成しました。")
    for d in result.drafts:
        parts = [d.respondent_id, d.respondent, d.status, ", ".join(d.to)]
        if d.attachment is not None:
            parts.append(f"{d.attachment.name}（{size_label(d.attachment.stat().st_size)}）")
        echo("  " + "  ".join(p for p in parts if p))
    if left_out:
        echo(f"ほかの {left_out} {result.noun}は、上の理由で下書きを作成していません。")
    echo(f"一覧: {display_path(result.index)}")


def send_question(result: MailResult, smtp: SmtpSettings) -> str:
    """The question asked before sending: who gets what, through which server."""
    listing = "\n".join(f"  {d.respondent_id}  {d.respondent}  {', '.join(d.to)}" for d in result.drafts)
    return (f"次の {len(result.drafts)} 通を SMTP サーバー {smtp.host}:{smtp.port} で送信します"
            f"（差出人 {result.sender}）。\n{listing}\n送信しますか？")


def print_sent(result: MailResult) -> None:
    assert result.sent is not None
    print_issues(result.sent.issues)
    failed = len(result.drafts) - len(result.sent.sent)
    echo(f"{len(result.sent.sent)} 通を送信しました" + (f"（{failed} 通は送信できませんでした）" if failed else "") + "。")
    echo(f"送信記録: {result.log}")


# ---------------------------------------------------------------------------
# progress


# ---------------------------------------------------------------------------
# the survey folder


def print_init(report: Any) -> None:
    print_issues(report.issues, err=not report.valid)
    if report.valid:
        echo(f"調査フォルダを作成しました: {report.folder}（マスタ: {report.master}）")
        for name in report.created:
            echo(f"  {name}")


def print_received(report: Any) -> None:
    print_issues([i for i in report.issues if i.severity != "info"], err=not report.valid)
    for item in report.received:
        echo(f"  受付  {item.respondent_id or '（不明）':<6} {item.file}  ← {item.source}")
    for item in report.duplicates:
        echo(f"  同じ内容を受付済み  {item.source}（{item.duplicate_of}）")
    echo(f"受付 {len(report.received)} 件・受付済みと同じ {len(report.duplicates)} 件・対象外 {len(report.skipped)} 件")


def print_status(report: Any) -> None:
    """The roster of a survey folder: state, file, counts, and the days to the deadline."""
    print_issues([i for i in report.issues if i.severity != "info"])
    days = report.days_left
    left = "" if days is None else (f"（あと {days} 日）" if days >= 0 else f"（{-days} 日超過）")
    deadline = report.deadline.isoformat() if report.deadline else "なし"
    echo(f"{report.survey}　提出期限 {deadline}{left}")
    for row in report.respondents:
        detail = f"エラー {row.errors}・注意 {row.warnings}  {row.file}" if row.file else ""
        echo(f"  {row.respondent_id:<5} {row.respondent:<12} {row.state:<5} {detail}")
        if row.message:
            echo(f"        {row.message}")
    echo("・".join(f"{state} {count}" for state, count in report.states().items() if count))


def print_review(report: Any) -> None:
    print_issues(report.issues, err=not report.valid)
    if report.recorded:
        reason = f"（理由: {report.reason}）" if report.reason else ""
        echo(f"{report.respondent_id} {report.respondent}: {report.before} → {report.after}{reason}")


def print_folder_rollover(result: Any, made: Any, year_label: str) -> None:
    print_issues(result.issues, err=result.output is None)
    if result.output is not None:
        echo(f"{year_label}の調査フォルダを作成しました: {made.folder}")
        _print_carried(result)


def _print_carried(result: Any) -> None:
    """What a rollover carried into next year's master."""
    if result.carries_results:
        echo(f"  実績に {result.added} 行を追加（同じ年度の既存 {result.replaced} 行は置き換え）")
    else:  # a form survey: each year's form is answered afresh
        echo("  対象年度と提出期限を 1 年進めました（回答団体はそのまま。回答は繰り越しません）。")


class Progress:
    """A progress bar on a terminal for long runs (quiet under --json or when piped).

    Passed as the ``progress(done, total)`` callback of the library; ASCII bars so a
    cp932 console shows them too.
    """

    MIN_FILES = 6  # a handful of files needs no bar

    def __init__(self, label: str, quiet: bool = False) -> None:
        self.label = label
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar: Optional[Any] = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.MIN_FILES:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.label, unit="件", ascii=True, leave=False, file=sys.stderr)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


__all__: List[str] = ["Progress", "echo", "print_collect", "print_demo_end", "print_drafts",
                      "print_generated", "print_issues", "print_json", "print_master_check", "print_master_problems",
                      "print_rollover", "print_sent", "print_simulation", "print_summary_written", "send_question"]
