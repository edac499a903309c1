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
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Sequence, Tuple

import click

from ._version import __version__
from . import cli_output as console
from . import form_cli
from .clickja import (EXIT_INTERRUPTED, INTERRUPTED, Choice, JaGroup, JaOption, Number, PathType, UsageError, argument,
                      confirm, option)
from .issues import IssueList
from .wareki import fiscal_year_label

if TYPE_CHECKING:  # imported by the mail command itself
    from .mail import MailResult, SmtpSettings

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
DEBUG_ENVVAR = "WELFARE_WORKBOOK_DEBUG"
PASSWORD_ENVVAR = "WELFARE_SMTP_PASSWORD"  # never an option: it would end up in shell histories
NO_MASTER = ("マスタが指定されていません。--master でマスタの .xlsx（またはシートごとの CSV のフォルダ）を指定してください。"
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
    """``--master M``. The one place that names the master: ``-w/--workspace`` (a survey folder) joins here."""
    return option("--master", "master_opt", type=PathType(), metavar="マスタ",
                  help="マスタ（.xlsx か、シートごとの CSV を入れたフォルダ）。同梱のサンプルは "
                       "init-master で書き出してから指定する。")(command)


def out_option(default: Optional[Path], help_text: str, *, kind: str = "dir", required: bool = False
               ) -> Callable[[CommandFunction], CommandFunction]:
    """``--out``: the folder (or file) a command writes; shown with its default."""
    return option("--out", "out", type=PathType(kind), default=default, required=required,
                  show_default=default is not None, help=help_text)


def json_option(command: CommandFunction) -> CommandFunction:
    return option("--json", "as_json", is_flag=True, help="結果を JSON で出力する。")(command)


def resolve_master(master_opt: Optional[Path]) -> Path:
    """The master a command works on; without one it stops (exit 2): it never falls back to the sample.

    Only ``demo`` and ``init-master`` use the bundled sample. A survey folder's own
    master (``-w``) is to be looked up here too.
    """
    if master_opt is None:
        raise UsageError(NO_MASTER)
    return master_opt


def _load(source: Path) -> Tuple[Any, IssueList]:
    from .master import load_master

    return load_master(source)


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
        help="dai3ji＝第3次計画の進捗状況調査、dai2ji_chukan＝第2次計画の中間評価。")
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
def check_master(master_opt: Optional[Path], as_json: bool) -> None:
    """マスタを検査する（誤りはシート名・セル番地つきで表示）。"""
    if form_cli.dispatch_master(master_opt):  # a form survey's master (回答団体 sheet)
        sys.exit(form_cli.check(resolve_master(master_opt), as_json))
    master, issues = _load(resolve_master(master_opt))
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
@out_option(Path("output"), "調査票を書き出すフォルダ。")
@json_option
def generate(master_opt: Optional[Path], out: Path, as_json: bool) -> None:
    """担当課ごとの調査票（.xlsx）を作成する。"""
    if form_cli.dispatch_master(master_opt):
        sys.exit(form_cli.generate(resolve_master(master_opt), out, as_json))
    result = _generate(_master_or_exit(resolve_master(master_opt), quiet=as_json), out, as_json)
    sys.exit(EXIT_INVALID if result.issues.has_errors else EXIT_OK)


@cli.command()
@argument("returns", nargs=-1, required=True, type=PathType(), label="提出された調査票",
          description="ファイルまたはフォルダ。フォルダは下位も探す")
@master_option
@out_option(Path("output") / "回収結果", "回収結果を書き出すフォルダ。")
@json_option
@option("--max-mb", type=Number(float, 0, open_min=True), default=_max_mb, show_default=True, metavar="MB",
        help="提出ファイル 1 つの上限（MB）。ファイルの大きさと、展開した後の大きさの両方に使う。")
@option("--max-cells", type=Number(int, 1), default=_max_cells, show_default=True, metavar="セル数",
        help="1 シートで読み取るセル数（A1 から最も離れた入力まで）と、文字列の数の上限。")
def collect(returns: Tuple[Path, ...], master_opt: Optional[Path], out: Path, as_json: bool, max_mb: float,
            max_cells: int) -> None:
    """提出された調査票（ファイルまたはフォルダ）を回収・検査する。"""
    from .guard import MIB, Limits
    from .pipeline import collect as collect_returns

    source = resolve_master(master_opt)
    _require(returns, "「{path}」が見つかりません。ファイルかフォルダのパスを確認してください。")
    if form_cli.dispatch_master(source):
        sys.exit(form_cli.collect(source, returns, out, as_json, Limits(int(max_mb * MIB), max_cells)))
    master = _master_or_exit(source, quiet=as_json)
    result = collect_returns(master, list(returns), out, progress=console.Progress("提出を読み取り", quiet=as_json),
                             limits=Limits(int(max_mb * MIB), max_cells))
    console.print_json(result.to_dict()) if as_json else console.print_collect(result)
    sys.exit(EXIT_OK if result.valid else EXIT_INVALID)




@cli.command()
@option("--answers", "answers_paths", required=True, multiple=True, type=PathType("file"), metavar="ファイル",
        help="collect が出力した answers.csv（回収を分けたときは、繰り返して複数指定）。")
@master_option
@out_option(Path("output") / "回収結果", "集計表.xlsx と indicators.csv を書き出すフォルダ。")
def report(answers_paths: Tuple[Path, ...], master_opt: Optional[Path], out: Path) -> None:
    """answers.csv とマスタから集計表（審議会資料）を作り直す。"""
    from .pipeline import write_report

    source = resolve_master(master_opt)
    _require(answers_paths, ANSWERS_MISSING, Path.is_file)
    if form_cli.dispatch_master(source):  # several prefectures' answers.csv merge into one compilation
        sys.exit(form_cli.report(source, answers_paths, out))
    master = _master_or_exit(source)
    result = write_report(master, list(answers_paths), out)  # unreadable input, unwritable output: issues
    if not result.valid:
        console.print_issues(result.issues, err=True)
        sys.exit(EXIT_INVALID)
    console.print_summary_written(result.outputs)


@cli.command()
@master_option
@option("--answers", "answers_path", required=True, type=PathType("file"), metavar="ファイル",
        help="collect が出力した answers.csv。")
@out_option(None, "翌年度のマスタ（.xlsx）。", kind="file", required=True)
@option("--force", is_flag=True, help="要修正の回答が残っていても繰り越す。")
def rollover(master_opt: Optional[Path], answers_path: Path, out: Path, force: bool) -> None:
    """今年度の回答を実績に加え、対象年度を進めた翌年度のマスタを作る。"""
    from .rollover import rollover as roll

    source = resolve_master(master_opt)
    _require([answers_path], ANSWERS_MISSING, Path.is_file)
    if out.suffix.lower() != ".xlsx" or (out.exists() and out.resolve() == source.resolve()):
        raise UsageError("--out には、元のマスタとは別の .xlsx ファイルを指定してください。")
    _master_or_exit(source)
    result = roll(source, answers_path, out, force=force)
    if result.output is None:
        console.print_issues(result.issues, err=True)
        sys.exit(EXIT_INVALID)
    console.print_rollover(result, out, fiscal_year_label(result.next_year))


def _send(result: MailResult, smtp: SmtpSettings, ask: bool) -> None:
    """Ask (unless --yes), get the SMTP password (environment or prompt), send, report."""
    from .mail import send_mail

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
def mail(kind: str, master_opt: Optional[Path], send_now: bool, yes: bool, smtp_host: str, smtp_port: int,
         starttls: bool, smtp_user: str, **drafting: Any) -> None:
    """配布・督促・差戻しのメールを下書き（.eml）に書き出す。--send で送信する。"""
    from .mail import MailError, SmtpSettings, check_sending, run_mail

    source = resolve_master(master_opt)
    smtp = SmtpSettings(smtp_host, smtp_port, starttls, smtp_user)
    try:
        if send_now:  # before anything is written: a send that cannot work is a usage error
            drafting["sender"] = check_sending(drafting["sender"], smtp)
        result = run_mail(_master_or_exit(source), kind, **drafting)
    except MailError as exc:
        raise UsageError(str(exc)) from exc
    console.print_issues(result.issues, err=result.input_missing)
    if result.input_missing:
        sys.exit(EXIT_USAGE)
    console.print_drafts(result)
    if send_now and result.drafts:
        _send(result, smtp, ask=not yes)
    sys.exit(EXIT_INVALID if result.has_errors else EXIT_OK)


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
