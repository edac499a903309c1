"""Command line: thin click commands over the library (one library call each).

Exit codes: 0 success; 1 the master or a return has an error; 2 usage error or an
unusable input path; 3 an unexpected internal error (a Japanese line; the traceback
with ``--debug`` or ``WELFARE_WORKBOOK_DEBUG=1``); 130 interrupted (Ctrl-C).

Every text is Japanese, click's own included (:mod:`welfare_workbook.clickja`); what
the commands print is in :mod:`welfare_workbook.cli_output`. Library modules are
imported inside the commands, so ``--help`` does not load pandas or openpyxl.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple, Optional, Sequence, Tuple

import click

from ._version import __version__
from . import cli_output as console
from . import form_cli
from .clickja import (EXIT_INTERRUPTED, INTERRUPTED, Choice, JaGroup, JaOption, Number, PathType, UsageError, argument,
                      confirm, option)
from .issues import IssueList
from .wareki import fiscal_year_label

if TYPE_CHECKING:  # imported by the mail command itself
    from .mail import MailResult
    from .mail_send import SmtpSettings

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
DEBUG_ENVVAR = "WELFARE_WORKBOOK_DEBUG"
PASSWORD_ENVVAR = "WELFARE_SMTP_PASSWORD"  # never an option: it would end up in shell histories
NO_MASTER = ("マスタが指定されていません。調査フォルダの中で実行するか -w で調査フォルダを、または --master でマスタの "
             ".xlsx（またはシートごとの CSV のフォルダ）を指定してください。調査フォルダは welfare-workbook init で作れます。"
             "同梱のサンプルを使うには、まず welfare-workbook init-master master.xlsx で書き出してください。")
ANSWERS_MISSING = "「{path}」が見つかりません。collect が出力した answers.csv を指定してください。"
CommandFunction = Callable[..., Any]


# ---------------------------------------------------------------------------
# values that belong to the library, read when a command needs them


def _samples() -> Sequence[str]:
    from .form_master import FORM_SAMPLES
    from .master import SAMPLES

    return SAMPLES + FORM_SAMPLES


def _default_sample() -> str:
    from .master import DEFAULT_SAMPLE

    return DEFAULT_SAMPLE


def _mail_kinds() -> Sequence[str]:
    from .mail import KINDS

    return KINDS


def _mail_aliases() -> Mapping[str, str]:
    from .mail import KIND_ALIASES

    return KIND_ALIASES


def _max_mb() -> float:
    from .guard import MAX_UNCOMPRESSED, MIB

    return MAX_UNCOMPRESSED / MIB


def _max_cells() -> int:
    from .guard import MAX_CELLS

    return MAX_CELLS


def _max_attachment_mb() -> float:
    from .mail import DEFAULT_MAX_SIZE_MB

    return DEFAULT_MAX_SIZE_MB


# ---------------------------------------------------------------------------
# options shared by the commands


def master_option(command: CommandFunction) -> CommandFunction:
    """``--master M`` and ``-w/--workspace DIR``: the two ways to name what a command works on."""
    command = option("--master", "master_opt", type=PathType(), metavar="マスタ",
                     help="マスタ（.xlsx か、シートごとの CSV を入れたフォルダ）。同梱のサンプルは "
                          "init-master で書き出してから指定する。")(command)
    return workspace_option(command)


def workspace_option(command: CommandFunction) -> CommandFunction:
    return option("-w", "--workspace", "workspace_opt", type=PathType("dir"), metavar="調査フォルダ",
                  help="調査フォルダ（省略時は、今いるフォルダが調査フォルダならそれを使う）。")(command)


def out_option(default: Optional[Path], help_text: str, *, kind: str = "dir", required: bool = False
               ) -> Callable[[CommandFunction], CommandFunction]:
    """``--out``: the folder (or file) a command writes; shown with its default."""
    return option("--out", "out", type=PathType(kind), default=default, required=required,
                  show_default=default is not None, help=help_text)


def json_option(command: CommandFunction) -> CommandFunction:
    return option("--json", "as_json", is_flag=True, help="結果を JSON で出力する。")(command)


class Target(NamedTuple):
    """What a command works on: a survey folder (and its master), or a master file alone."""

    workspace: Any  # a workspace.Workspace, or None
    master: Path


def resolve_target(master_opt: Optional[Path], workspace_opt: Optional[Path] = None) -> Target:
    """``--master M``; else the survey folder ``-w DIR``, or the one the current folder is in.

    With neither it stops (exit 2): it never falls back to the sample. Only ``demo``
    and ``init-master`` use the bundled sample.
    """
    if master_opt is not None:
        if workspace_opt is not None:
            raise UsageError("--master と -w は同時に指定できません。調査フォルダでは、そのフォルダのマスタ.xlsx を使います。")
        return Target(None, master_opt)
    # outside a folder with neither option, say how to name a master or a folder
    ws = _folder_or_exit(workspace_opt, NO_MASTER if workspace_opt is None else None)
    return Target(ws, ws.master_path)


def resolve_master(master_opt: Optional[Path], workspace_opt: Optional[Path] = None) -> Path:
    return resolve_target(master_opt, workspace_opt).master


def _folder_or_exit(workspace_opt: Optional[Path], message: Optional[str] = None) -> Any:
    """The survey folder (``-w DIR`` or the one the current folder is in), else exit 2 with
    ``message`` or, without one, why there is none."""
    from .workspace import locate

    ws, issues = locate(workspace_opt)
    if ws is None:
        raise UsageError(message or (issues[0].message if issues else NO_MASTER))
    return ws


def _exit_with(report: Any, as_json: bool, show: Callable[[Any], None]) -> None:
    """Print a survey-folder report (or its JSON) and exit with its code."""
    console.print_json(report.to_dict()) if as_json else show(report)
    sys.exit(report.exit_code)


def _load(source: Path) -> Tuple[Any, IssueList]:
    """The master of either kind of survey (a form survey's has a 回答団体 sheet)."""
    from .kinds import load_any_master

    return load_any_master(source)


def _master_exit_code(issues: IssueList) -> int:
    """2 when the master path does not exist (a usage error), else 1 (the master is wrong)."""
    return EXIT_USAGE if {i.code for i in issues} <= {"master_not_found"} else EXIT_INVALID


def _master_or_exit(source: Path, quiet: bool = False) -> Any:
    """Load the master; print its problems and exit 2 (missing path) or 1 (invalid)."""
    master, issues = _load(source)
    if master is None:
        console.print_master_problems(issues, as_json=quiet)
        sys.exit(_master_exit_code(issues))
    return master


def _require(paths: Iterable[Path], message: str, exists: Callable[[Path], bool] = Path.exists) -> None:
    """A usage error naming every input path that is not there."""
    missing = [message.format(path=p) for p in paths if not exists(p)]
    if missing:
        raise UsageError("\n".join(missing))


# ---------------------------------------------------------------------------
# the commands


@click.group(cls=JaGroup, debug_envvar=DEBUG_ENVVAR, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="welfare-workbook", cls=JaOption,
                      message="%(prog)s バージョン %(version)s", help="バージョンを表示して終了する。")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """地域福祉計画の進捗調査：担当課ごとの調査票の作成・回収・集計。

    まず `welfare-workbook demo` で、同梱サンプルによる一連の流れを試せます。
    """
    if ctx.invoked_subcommand is None:  # no command (perhaps only --debug): the help says what there is
        console.echo(ctx.get_help())


@cli.command("init-master")
@argument("path", type=PathType("file"), label="書き出すマスタのファイル名", description=".xlsx")
@option("--sample", type=Choice(_samples), default=_default_sample, show_default=True,
        help="dai3ji＝第3次計画の進捗状況調査、dai2ji_chukan＝第2次計画の中間評価、form003＝フォーム調査（seed 003）。")
@option("--force", is_flag=True, help="PATH が既にあれば上書きする。")
def init_master(path: Path, sample: str, force: bool) -> None:
    """同梱のサンプルマスタを PATH に .xlsx で書き出す。"""
    from .master import sample_rows, write_master_xlsx

    if path.exists() and not force:
        raise UsageError(f"「{path}」は既にあります。上書きする場合は --force を付けてください。")
    if path.suffix.lower() != ".xlsx":
        raise UsageError("マスタのファイル名は .xlsx で終わるようにしてください。")
    if form_cli.is_sample(sample):  # a form survey's sample (seed 003)
        return form_cli.init_master(sample, path)
    write_master_xlsx(sample_rows(sample), path)
    console.echo(f"サンプルマスタ（{sample}）を書き出しました: {path}")


@cli.command("check-master")
@master_option
@json_option
def check_master(master_opt: Optional[Path], workspace_opt: Optional[Path], as_json: bool) -> None:
    """マスタを検査する（誤りはシート名・セル番地つきで表示）。"""
    source = resolve_master(master_opt, workspace_opt)
    if form_cli.dispatch_master(source):  # a form survey's master (回答団体 sheet)
        sys.exit(form_cli.check(source, as_json))
    master, issues = _load(source)
    if as_json:
        console.print_json({"valid": master is not None, "issues": issues.to_list()})
    else:
        console.print_master_check(master, issues)
    if master is None:
        sys.exit(_master_exit_code(issues))


def _generate(master: Any, out: Path, as_json: bool) -> Any:
    from .generate import generate

    result = generate(master, out, progress=console.Progress("調査票を作成", quiet=as_json))
    console.print_json(result.to_dict()) if as_json else console.print_generated(master, result, out)
    return result


@cli.command()
@master_option
@out_option(None, "調査票を書き出すフォルダ（既定 output。調査フォルダでは その中の 調査票）。")
@json_option
def generate(master_opt: Optional[Path], workspace_opt: Optional[Path], out: Optional[Path], as_json: bool) -> None:
    """担当課ごとの調査票（.xlsx）を作成する。"""
    target = resolve_target(master_opt, workspace_opt)
    out = out or (target.workspace.forms if target.workspace else Path("output"))
    if form_cli.dispatch_master(target.master):  # one form per 団体
        sys.exit(form_cli.generate(target.master, out, as_json))
    result = _generate(_master_or_exit(target.master, quiet=as_json), out, as_json)
    sys.exit(EXIT_INVALID if result.issues.has_errors else EXIT_OK)


@cli.command()
@argument("returns", nargs=-1, required=False, type=PathType(), label="提出された調査票",
          description="ファイルまたはフォルダ。フォルダは下位も探す。調査フォルダでは省き、受付 を読む")
@master_option
@out_option(None, "回収結果を書き出すフォルダ（既定 output/回収結果。調査フォルダでは その中の 回収結果）。")
@json_option
@option("--workers", type=Number(int, 1), default=None, metavar="数",
        help="読み取りに使うプロセスの数（既定: 調査フォルダではすべてのコア、それ以外は 1）。")
@option("--no-cache", is_flag=True, help="調査フォルダで、前回までの読み取り結果の控えを使わずにすべて読み直す。")
@option("--max-mb", type=Number(float, 0, open_min=True), default=_max_mb, show_default=True, metavar="MB",
        help="提出ファイル 1 つの上限（MB）。ファイルの大きさと、展開した後の大きさの両方に使う。")
@option("--max-cells", type=Number(int, 1), default=_max_cells, show_default=True, metavar="セル数",
        help="1 シートで読み取るセル数（A1 から最も離れた入力まで）と、文字列の数の上限。")
def collect(returns: Tuple[Path, ...], master_opt: Optional[Path], workspace_opt: Optional[Path],
            out: Optional[Path], as_json: bool, max_mb: float, max_cells: int, workers: Optional[int],
            no_cache: bool) -> None:
    """提出された調査票（ファイルまたはフォルダ）を回収・検査する。調査フォルダでは 受付 を回収する。"""
    from .guard import MIB, Limits

    target = _collect_target(returns, master_opt, workspace_opt, out)
    progress, limits = console.Progress("提出を読み取り", quiet=as_json), Limits(int(max_mb * MIB), max_cells)
    if target.workspace is None and form_cli.dispatch_master(target.master):
        sys.exit(form_cli.collect(target.master, returns, out or Path("output") / "回収結果", as_json, limits,
                                  workers or 1))
    master = _master_or_exit(target.master, quiet=as_json)
    if target.workspace is not None:
        from .folder import collect_in

        result = collect_in(target.workspace, master, progress=progress, limits=limits, workers=workers,
                            use_cache=not no_cache)
    else:
        from .pipeline import collect as collect_returns

        result = collect_returns(master, list(returns), out or Path("output") / "回収結果", progress=progress,
                                 limits=limits, workers=workers or 1)
    console.print_json(result.to_dict()) if as_json else console.print_collect(result, noun=master.respondent_noun)
    sys.exit(EXIT_OK if result.valid else EXIT_USAGE if _busy(result) else EXIT_INVALID)


def _collect_target(returns: Tuple[Path, ...], master_opt: Optional[Path], workspace_opt: Optional[Path],
                    out: Optional[Path]) -> Target:
    """Files and a master, or a survey folder (whose 受付/ is read): never both, never neither."""
    if returns and master_opt is None and workspace_opt is None:
        raise UsageError(NO_MASTER)
    target = resolve_target(master_opt, workspace_opt)
    if target.workspace is not None and (returns or out is not None):
        raise UsageError("調査フォルダでは、受付 に入っているファイルを回収します（出力は 回収結果 へ）。"
                         "届いたファイルは先に welfare-workbook receive で受け付けてください。")
    if target.workspace is None and not returns:
        raise UsageError("提出された調査票（RETURNS：ファイルまたはフォルダ）を指定してください。"
                         "調査フォルダの 受付 を回収するときは -w で調査フォルダを指定します。",
                         click.get_current_context(), usage=True)
    _require(returns, "「{path}」が見つかりません。ファイルかフォルダのパスを確認してください。")
    return target


def _busy(result: Any) -> bool:
    return any(i.code == "folder_collect_busy" for i in result.issues)




@cli.command()
@option("--answers", "answers_paths", multiple=True, type=PathType("file"), metavar="ファイル",
        help="collect が出力した answers.csv（回収を分けたときは、繰り返して複数指定）。調査フォルダでは省略できる。")
@master_option
@out_option(None, "集計表.xlsx と indicators.csv を書き出すフォルダ（既定 output/回収結果。調査フォルダでは 回収結果）。")
def report(answers_paths: Tuple[Path, ...], master_opt: Optional[Path], workspace_opt: Optional[Path],
           out: Optional[Path]) -> None:
    """answers.csv とマスタから集計表（審議会資料）を作り直す。"""
    from .pipeline import write_report

    target = resolve_target(master_opt, workspace_opt)
    if target.workspace is not None:
        answers_paths = answers_paths or (target.workspace.results / "answers.csv",)
        out = out or target.workspace.results
    if not answers_paths:
        raise UsageError("--answers が指定されていません。collect が出力した answers.csv を指定してください"
                         "（調査フォルダでは省けます）。", click.get_current_context(), usage=True)
    _require(answers_paths, ANSWERS_MISSING, Path.is_file)
    if form_cli.dispatch_master(target.master):  # several prefectures' answers.csv merge into one compilation
        sys.exit(form_cli.report(target.master, answers_paths, out or Path("output") / "回収結果"))
    master = _master_or_exit(target.master)
    result = write_report(master, list(answers_paths), out or Path("output") / "回収結果")
    if not result.valid:
        console.print_issues(result.issues, err=True)
        sys.exit(EXIT_INVALID)
    console.print_summary_written(result.outputs)


@cli.command()
@master_option
@option("--answers", "answers_path", type=PathType("file"), metavar="ファイル",
        help="collect が出力した answers.csv（調査フォルダでは使わない）。")
@out_option(None, "翌年度のマスタ（.xlsx）。調査フォルダでは、翌年度の調査フォルダ。", kind="any", required=True)
@option("--force", is_flag=True, help="要修正の回答が残っていても繰り越す。")
def rollover(master_opt: Optional[Path], workspace_opt: Optional[Path], answers_path: Optional[Path], out: Path,
             force: bool) -> None:
    """今年度の回答を実績に加え、対象年度を進めた翌年度のマスタ（調査フォルダでは翌年度の調査フォルダ）を作る。"""
    from .rollover import rollover as roll

    target = resolve_target(master_opt, workspace_opt)
    if target.workspace is not None:
        _folder_rollover(target.workspace, out, force)
    source = target.master
    if answers_path is None:
        raise UsageError("--answers が指定されていません。collect が出力した answers.csv を指定してください"
                         "（調査フォルダでは使いません）。", click.get_current_context(), usage=True)
    _require([answers_path], ANSWERS_MISSING, Path.is_file)
    if out.suffix.lower() != ".xlsx" or (out.exists() and out.resolve() == source.resolve()):
        raise UsageError("--out には、元のマスタとは別の .xlsx ファイルを指定してください。")
    _master_or_exit(source)
    result = roll(source, answers_path, out, force=force)
    if result.output is None:
        console.print_issues(result.issues, err=True)
        sys.exit(EXIT_INVALID)
    console.print_rollover(result, out, fiscal_year_label(result.next_year))


def _folder_rollover(ws: Any, out: Path, force: bool) -> None:
    """``rollover -w DIR --out NEXTDIR``: next year's survey folder; exits."""
    from .folder import rollover_in

    result, made = rollover_in(ws, _master_or_exit(ws.master_path), out, force=force)
    console.print_folder_rollover(result, made, fiscal_year_label(result.next_year))
    sys.exit(EXIT_OK if result.output is not None else made.exit_code if made is not None else EXIT_INVALID)


def _send(result: MailResult, smtp: SmtpSettings, ask: bool) -> None:
    """Ask (unless --yes), get the SMTP password (environment or prompt), send, report."""
    from .mail_send import send_mail

    if ask and not confirm(console.send_question(result, smtp)):
        console.echo(f"送信を取りやめました。下書きは {result.maildir} にあります。")
        sys.exit(EXIT_INVALID)
    if smtp.user and not smtp.password:
        smtp.password = os.environ.get(PASSWORD_ENVVAR) or click.prompt("SMTP のパスワード", hide_input=True)
    send_mail(result, smtp)
    console.print_sent(result)


@cli.command()
@argument("kind", type=Choice(_mail_kinds, _mail_aliases), label="メールの種類",
          description="haifu・tokusoku・sashimodoshi とも書ける")
@master_option
@option("--from-dir", type=PathType("dir"), metavar="フォルダ",
        help="配布は調査票のフォルダ（既定 output/調査票）、督促・差戻しは collect の出力フォルダ（既定 output/回収結果）。")
@out_option(None, "下書き（.eml）の出力先。既定 output/メール/KIND。")
@option("--templates", type=PathType("dir"), help="文面テンプレート（mail_*.txt）のフォルダ。")
@option("--max-size-mb", type=Number(float, 0, open_min=True), default=_max_attachment_mb, show_default=True,
        metavar="MB", help="添付ファイルの上限（MB）。")
@option("--from", "sender", envvar="WELFARE_MAIL_FROM", show_envvar=True, default="", metavar="アドレス",
        help="差出人アドレス。")
@option("--send", "send_now", is_flag=True, help="下書きを作った後、SMTP で送信する（送信前に確認）。")
@option("--yes", is_flag=True, help="送信前の確認を省く。")
@option("--smtp-host", envvar="WELFARE_SMTP_HOST", show_envvar=True, default="", metavar="サーバー",
        help="SMTP サーバー。")
@option("--smtp-port", envvar="WELFARE_SMTP_PORT", show_envvar=True, type=Number(int, 1), default=587,
        show_default=True, metavar="番号", help="SMTP のポート。")
@option("--starttls/--no-starttls", default=True, show_default=True, help="STARTTLS で暗号化する。")
@option("--smtp-user", envvar="WELFARE_SMTP_USER", show_envvar=True, default="", metavar="ユーザー",
        help=f"SMTP のユーザー名。パスワードは環境変数 {PASSWORD_ENVVAR} か、送信時の入力で渡す。")
@json_option
def mail(kind: str, master_opt: Optional[Path], workspace_opt: Optional[Path], send_now: bool, yes: bool,
         smtp_host: str, smtp_port: int, starttls: bool, smtp_user: str, as_json: bool, **drafting: Any) -> None:
    """配布・督促・差戻しのメールを下書き（.eml）に書き出す。--send で送信する。"""
    from .mail import MailError
    from .mail_send import SmtpSettings, check_sending

    target = resolve_target(master_opt, workspace_opt)
    smtp = SmtpSettings(smtp_host, smtp_port, starttls, smtp_user)
    try:
        if send_now:  # before anything is written: a send that cannot work is a usage error
            drafting["sender"] = check_sending(drafting["sender"], smtp)
        result = _draft_mail(target, kind, drafting)
    except MailError as exc:
        raise UsageError(str(exc)) from exc
    if as_json and not send_now:
        console.print_json(result.to_dict())
        sys.exit(EXIT_USAGE if result.input_missing else EXIT_INVALID if result.has_errors else EXIT_OK)
    console.print_issues(result.issues, err=result.input_missing)
    if result.input_missing:
        sys.exit(EXIT_USAGE)
    console.print_drafts(result)
    if send_now and result.drafts:
        _send(result, smtp, ask=not yes)
    sys.exit(EXIT_INVALID if result.has_errors else EXIT_OK)


def _draft_mail(target: Target, kind: str, drafting: Any) -> Any:
    from .mail import run_mail

    master = _master_or_exit(target.master)
    if target.workspace is None:
        return run_mail(master, kind, **drafting)
    from .folder import mail_in

    return mail_in(target.workspace, master, kind, **{k: v for k, v in drafting.items() if v is not None})


@cli.command()
@argument("folder", type=PathType("dir"), label="作る調査フォルダ")
@option("--master", "master_opt", type=PathType(), metavar="マスタ", help="調査フォルダに入れるマスタ（.xlsx か CSV のフォルダ）。")
@option("--sample", type=Choice(_samples), default=None, help="マスタの代わりに同梱のサンプルを使う。")
@option("--force", is_flag=True, help="空でないフォルダにも作る（中のファイルは消さない）。")
@json_option
def init(folder: Path, master_opt: Optional[Path], sample: Optional[str], force: bool, as_json: bool) -> None:
    """調査フォルダを作り、マスタを入れる（--master か --sample のどちらか一方）。"""
    from .workspace import init as make_folder

    if (master_opt is None) == (sample is None):
        raise UsageError("--master でマスタを指定するか、--sample で同梱のサンプルを選んでください（どちらか一方）。")
    _exit_with(make_folder(folder, master=master_opt, sample=sample, force=force), as_json, console.print_init)


@cli.command()
@argument("files", nargs=-1, required=True, type=PathType(), label="届いたファイル", description="ファイルまたはフォルダ")
@workspace_option
@option("--respondent", "respondent_id", default=None, metavar="課ID",
        help="どの課から届いたか（ファイルから分からないときの手がかり）。")
@json_option
def receive(files: Tuple[Path, ...], workspace_opt: Optional[Path], respondent_id: Optional[str], as_json: bool) -> None:
    """届いたファイルを調査フォルダの 受付 に写し、記録.csv に記録する（元のファイルは動かさない）。"""
    from .receive import receive as take_in

    ws = _folder_or_exit(workspace_opt)
    _require(files, "「{path}」が見つかりません。ファイルかフォルダのパスを確認してください。")
    _exit_with(take_in(ws, list(files), respondent_id=respondent_id), as_json, console.print_received)


@cli.command()
@workspace_option
@json_option
def status(workspace_opt: Optional[Path], as_json: bool) -> None:
    """調査フォルダの提出状況（課ごとの状態・ファイル・エラー数・提出期限までの日数）を表示する。"""
    from .status import status as roster

    _exit_with(roster(_folder_or_exit(workspace_opt)), as_json, console.print_status)


@cli.command()
@argument("respondent_id", label="課ID")
@option("--accept", is_flag=True, help="確認済にする。")
@option("--send-back", is_flag=True, help="差戻し中にする。")
@option("--reopen", is_flag=True, help="直前の確認・差戻しを取り消す。")
@option("--reason", default="", metavar="理由", help="判断の理由（エラーが残る提出を確認済にするときは必須）。")
@workspace_option
@json_option
def review(respondent_id: str, accept: bool, send_back: bool, reopen: bool, reason: str,
           workspace_opt: Optional[Path], as_json: bool) -> None:
    """提出への事務局の判断（確認済・差戻し・取消し）を、理由とともに記録する。"""
    from .review import review as decide

    actions = [name for name, chosen in (("accept", accept), ("send_back", send_back), ("reopen", reopen)) if chosen]
    if len(actions) != 1:
        raise UsageError("--accept・--send-back・--reopen のどれか一つを指定してください。")
    _exit_with(decide(_folder_or_exit(workspace_opt), respondent_id, actions[0], reason), as_json,
               console.print_review)


@cli.command()
@workspace_option
@option("--port", type=Number(int, 0), default=0, show_default=True, metavar="番号",
        help="ページのポート番号（0 は空いている番号を使う）。127.0.0.1 でだけ開く。")
@option("--no-browser", is_flag=True, help="ブラウザを開かない（表示されたアドレスを自分で開く）。")
def serve(workspace_opt: Optional[Path], port: int, no_browser: bool) -> None:
    """調査フォルダを操作するページをブラウザで開く（このパソコンだけから使える。Ctrl-C で止める）。"""
    if port > 65535:
        raise UsageError(f"--port：「{port}」は使えません。0 から 65535 までの整数で指定してください。")
    ws = _folder_or_exit(workspace_opt)
    from .web.server import serve as serve_page  # the web stack is loaded only here

    sys.exit(serve_page(ws, port=port, open_browser=not no_browser))


@cli.command()
@out_option(Path("output"), "出力先フォルダ。")
@option("--sample", type=Choice(_samples), default=_default_sample, show_default=True,
        help="dai3ji・dai2ji_chukan＝表形式の進捗状況調査、form003＝フォーム調査（seed 003 の全国取りまとめ）。")
def demo(out: Path, sample: str) -> None:
    """同梱サンプルで一連の流れ（作成 → 担当課の記入を模擬 → 回収・検査）を実行する。"""
    if form_cli.is_sample(sample):
        sys.exit(form_cli.demo(out, sample))
    from .master import sample_path
    from .pipeline import collect as collect_returns
    from .simulate import simulate_returns

    master = _master_or_exit(sample_path())  # demo (and init-master) alone use the bundled sample
    result = _generate(master, out / "調査票", False)
    console.print_simulation(simulate_returns(master, result.workbooks, out / "提出"))
    collected = collect_returns(master, [out / "提出"], out / "回収結果")
    console.print_collect(collected)
    console.print_demo_end(collected)
    sys.exit(EXIT_OK)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console entry point: output that survives a cp932 console, then the Japanese command line."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(errors="replace")
    try:
        cli.main(args=argv, prog_name="welfare-workbook")
    except KeyboardInterrupt:  # Ctrl-C before click took over (JaGroup.main handles it after)
        click.echo(INTERRUPTED, err=True)
        sys.exit(EXIT_INTERRUPTED)
