"""Command line: thin click commands over the library (one library call each).

Exit codes: 0 success; 1 the master or a return has an error; 2 usage error or an
unusable input path; 3 an unexpected internal error (reported without a traceback).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterable, Optional, Tuple

import click

from ._version import __version__
from .issues import ERROR, Issue, IssueList
from .wareki import fiscal_year_label

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
SEVERITY_LABEL = {"error": "エラー", "warning": "注意", "info": "情報"}
MASTER_HELP = "マスタ（.xlsx か、シートごとの CSV を入れたフォルダ）。省略時は同梱のサンプル。"


def _echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err)


def _print_json(obj: Any) -> None:
    """JSON on stdout; falls back to \\u escapes when the console cannot show a character."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, default=str)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(obj, ensure_ascii=True, indent=2, default=str)
    click.echo(text)


def _print_issues(issues: Iterable[Issue], err: bool = False) -> None:
    """One line per issue: [重要度] file 「sheet」 cell: message (parts the message already names are left out)."""
    for issue in issues:
        parts = [issue.file or ""]
        if issue.sheet and f"「{issue.sheet}」シート" not in issue.message:
            parts.append(f"「{issue.sheet}」")
        if issue.cell and issue.cell not in issue.message:
            parts.append(issue.cell)
        place = " ".join(p for p in parts if p)
        _echo(f"[{SEVERITY_LABEL.get(issue.severity, issue.severity)}] {place}: {issue.message}", err=err)


class _Progress:
    """A progress bar on a terminal for long runs (quiet under --json or when piped).

    Passed as the ``progress(done, total)`` callback of the library; ASCII bars so a
    cp932 console shows them too.
    """

    MIN_FILES = 6  # a handful of files needs no bar

    def __init__(self, label: str, quiet: bool = False) -> None:
        self.label = label
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar: Any = None

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


def _load(master_path: Optional[str]) -> Tuple[Any, IssueList]:
    from .master import load_master, sample_path

    return load_master(Path(master_path) if master_path else sample_path())


def _master_exit_code(issues: IssueList) -> int:
    """2 when the master path does not exist (a usage error), else 1 (the master is wrong)."""
    return EXIT_USAGE if {i.code for i in issues} <= {"master_not_found"} else EXIT_INVALID


def _master_or_exit(master_path: Optional[str], quiet: bool = False) -> Any:
    """Load the master; print its problems and exit 2 (missing path) or 1 (invalid)."""
    master, issues = _load(master_path)
    if master is None:
        if quiet:
            _print_json({"valid": False, "issues": issues.to_list()})
        else:
            _print_issues(issues, err=True)
            _echo(f"マスタにエラーが {issues.count(ERROR)} 件あります。直してから実行してください。", err=True)
        sys.exit(_master_exit_code(issues))
    return master


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="welfare-workbook")
def cli() -> None:
    """地域福祉計画の進捗調査：担当課ごとの調査票の作成・回収・集計。

    まず `welfare-workbook demo` で、同梱サンプルによる一連の流れを試せます。
    """


@cli.command("init-master")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sample", type=click.Choice(["dai3ji", "dai2ji_chukan"]), default="dai3ji", show_default=True,
              help="dai3ji＝第3次計画の進捗状況調査、dai2ji_chukan＝第2次計画の中間評価。")
@click.option("--force", is_flag=True, help="PATH が既にあれば上書きする。")
def init_master(path: Path, sample: str, force: bool) -> None:
    """同梱のサンプルマスタを PATH に .xlsx で書き出す。"""
    from .master import sample_rows, write_master_xlsx

    if path.exists() and not force:
        _echo(f"「{path}」は既にあります。上書きする場合は --force を付けてください。", err=True)
        sys.exit(EXIT_USAGE)
    if path.suffix.lower() != ".xlsx":
        _echo("マスタのファイル名は .xlsx で終わるようにしてください。", err=True)
        sys.exit(EXIT_USAGE)
    write_master_xlsx(sample_rows(sample), path)
    _echo(f"サンプルマスタ（{sample}）を書き出しました: {path}")


@cli.command("check-master")
@click.option("--master", "master_path", type=click.Path(), help=MASTER_HELP)
@click.option("--json", "as_json", is_flag=True, help="結果を JSON で出力する。")
def check_master(master_path: Optional[str], as_json: bool) -> None:
    """マスタを検査する（誤りはシート名・セル番地つきで表示）。"""
    master, issues = _load(master_path)
    if as_json:
        _print_json({"valid": master is not None, "issues": issues.to_list()})
    else:
        _print_issues(issues)
        if master is not None:
            _echo(f"マスタに問題はありません（担当課 {len(master.departments)}・基本施策 {len(master.measures)}・"
                  f"取組 {len(master.actions)}・指標 {len(master.indicators)}・実績 {len(master.results)} 行、"
                  f"回答課 {len(master.respondents())}）。")
        else:
            _echo(f"エラーが {issues.count(ERROR)} 件あります。", err=True)
    if master is None:
        sys.exit(_master_exit_code(issues))


def _generate(master_path: Optional[str], out: Path, as_json: bool) -> Any:
    from .generate import generate

    master = _master_or_exit(master_path, quiet=as_json)
    result = generate(master, out, progress=_Progress("調査票を作成", quiet=as_json))
    if as_json:
        _print_json(result.to_dict())
    else:
        _print_issues(result.issues)
        name = master.settings.survey_name
        if master.settings.fiscal_year_label not in name:
            name += f"（{master.settings.fiscal_year_label}）"
        _echo(f"{name}: {len(result.workbooks)} 課分の調査票を {out} に作成しました。")
        for wb in result.workbooks:
            detail = "・".join(f"{name} {count}" for name, count in wb.sheets.items())
            _echo(f"  {wb.respondent_id}  {wb.respondent}  {wb.file.name}  （{detail}）")
    return result


@cli.command()
@click.option("--master", "master_path", type=click.Path(), help=MASTER_HELP)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="調査票を書き出すフォルダ。")
@click.option("--json", "as_json", is_flag=True, help="結果を JSON で出力する。")
def generate(master_path: Optional[str], out: Path, as_json: bool) -> None:
    """担当課ごとの調査票（.xlsx）を作成する。"""
    result = _generate(master_path, out, as_json)
    sys.exit(EXIT_INVALID if result.issues.has_errors else EXIT_OK)


def _print_collect(result: Any) -> None:
    """Terminal summary: the roster, then errors and warnings (info only as a count)."""
    _echo("提出状況:")
    for row in result.roster:
        ret = row.current
        detail = f"エラー {ret.errors}・注意 {ret.warnings}  {ret.file}" if ret else ""
        _echo(f"  {row.department.id:<5} {row.department.name:<12} {row.status:<4} {detail}")
    from .returns import ReturnStatus

    others = [r for r in result.returns if r.respondent_id is None or r.status == ReturnStatus.OUT_OF_SCOPE]
    for ret in others:
        _echo(f"  {'-':<5} {'（不明）':<12} {ret.status:<4} エラー {ret.errors}  {ret.file}")
    shown = [i for i in result.issues if i.severity != "info"]
    infos = sum(1 for i in result.issues if i.severity == "info")
    if shown:
        _echo("")
        _echo("確認が必要な箇所:")
        _print_issues(shown)
    _echo("")
    _echo(f"受付 {len(result.returns)} 件・未提出 {len(result.missing)} 課・"
          f"自動で読み替えた値など（情報）{infos} 件")
    for key, label in (("answers", "回答データ"), ("issues", "確認結果（JSON）"), ("checks", "確認結果"),
                       ("sendback", "差戻し"), ("summary", "集計表"), ("indicators", "指標データ")):
        if key in result.outputs:  # an output that could not be written is an issue above
            _echo(f"{label}: {result.outputs[key]}")


@cli.command()
@click.argument("returns", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--master", "master_path", type=click.Path(), help=MASTER_HELP)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output") / "回収結果",
              show_default=True, help="回収結果を書き出すフォルダ。")
@click.option("--json", "as_json", is_flag=True, help="結果を JSON で出力する。")
@click.option("--max-mb", type=click.FloatRange(min=0, min_open=True), default=200, show_default=True,
              help="提出ファイル 1 つの上限（MB）。ファイルの大きさと、展開した後の大きさの両方に使う。")
@click.option("--max-cells", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="1 シートで読み取るセル数（A1 から最も離れた入力まで）と、文字列の数の上限。")
def collect(returns: Tuple[Path, ...], master_path: Optional[str], out: Path, as_json: bool, max_mb: float,
            max_cells: int) -> None:
    """提出された調査票（ファイルまたはフォルダ）を回収・検査する。"""
    from .collect import MIB, Limits
    from .pipeline import collect as collect_returns

    missing = [p for p in returns if not p.exists()]
    if missing:
        for path in missing:
            _echo(f"「{path}」が見つかりません。ファイルかフォルダのパスを確認してください。", err=True)
        sys.exit(EXIT_USAGE)
    master = _master_or_exit(master_path, quiet=as_json)
    result = collect_returns(master, list(returns), out, progress=_Progress("提出を読み取り", quiet=as_json),
                             limits=Limits(int(max_mb * MIB), max_cells))
    _print_json(result.to_dict()) if as_json else _print_collect(result)
    sys.exit(EXIT_OK if result.valid else EXIT_INVALID)


@cli.command()
@click.option("--answers", "answers_paths", required=True, multiple=True, type=click.Path(path_type=Path),
              help="collect が出力した answers.csv（回収を分けたときは、繰り返して複数指定）。")
@click.option("--master", "master_path", type=click.Path(), help=MASTER_HELP)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output") / "回収結果",
              show_default=True, help="集計表.xlsx と indicators.csv を書き出すフォルダ。")
def report(answers_paths: Tuple[Path, ...], master_path: Optional[str], out: Path) -> None:
    """answers.csv とマスタから集計表（審議会資料）を作り直す。"""
    from .pipeline import write_report

    for path in answers_paths:
        if not path.is_file():
            _echo(f"「{path}」が見つかりません。collect が出力した answers.csv を指定してください。", err=True)
            sys.exit(EXIT_USAGE)
    master = _master_or_exit(master_path)
    result = write_report(master, list(answers_paths), out)  # unreadable input, unwritable output: issues
    if not result.valid:
        _print_issues(result.issues, err=True)
        sys.exit(EXIT_INVALID)
    _echo(f"集計表を作成しました: {result.outputs['summary']}")
    _echo(f"指標データ: {result.outputs['indicators']}")


@cli.command()
@click.option("--master", "master_path", type=click.Path(), help=MASTER_HELP)
@click.option("--answers", "answers_path", required=True, type=click.Path(path_type=Path),
              help="collect が出力した answers.csv。")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="翌年度のマスタ（.xlsx）。")
@click.option("--force", is_flag=True, help="要修正の回答が残っていても繰り越す。")
def rollover(master_path: Optional[str], answers_path: Path, out: Path, force: bool) -> None:
    """今年度の回答を実績に加え、対象年度を進めた翌年度のマスタを作る。"""
    from .master import sample_path
    from .rollover import rollover as roll

    if not answers_path.is_file():
        _echo(f"「{answers_path}」が見つかりません。collect が出力した answers.csv を指定してください。", err=True)
        sys.exit(EXIT_USAGE)
    source = Path(master_path) if master_path else sample_path()
    if out.suffix.lower() != ".xlsx" or (out.exists() and out.resolve() == source.resolve()):
        _echo("--out には、元のマスタとは別の .xlsx ファイルを指定してください。", err=True)
        sys.exit(EXIT_USAGE)
    _master_or_exit(master_path)
    result = roll(source, answers_path, out, force=force)
    if result.output is None:
        _print_issues(result.issues, err=True)
        sys.exit(EXIT_INVALID)
    _echo(f"{result.next_year} 年度（{fiscal_year_label(result.next_year)}）のマスタを作成しました: {out}")
    _echo(f"  実績に {result.added} 行を追加（同じ年度の既存 {result.replaced} 行は置き換え）")


@cli.command()
@click.argument("kind", type=click.Choice(["配布", "督促", "差戻し", "haifu", "tokusoku", "sashimodoshi"]))
@click.option("--master", "master_path", type=click.Path(), help=MASTER_HELP)
@click.option("--from-dir", type=click.Path(path_type=Path),
              help="配布は調査票のフォルダ（既定 output/調査票）、督促・差戻しは collect の出力フォルダ（既定 output/回収結果）。")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="下書き（.eml）の出力先。既定 output/メール/KIND。")
@click.option("--templates", type=click.Path(file_okay=False, path_type=Path), help="文面テンプレート（mail_*.txt）のフォルダ。")
@click.option("--max-size-mb", type=float, default=10.0, show_default=True, help="添付ファイルの上限（MB）。")
@click.option("--from", "sender", envvar="WELFARE_MAIL_FROM", default="", help="差出人アドレス（環境変数 WELFARE_MAIL_FROM）。")
@click.option("--send", "send_now", is_flag=True, help="下書きを作った後、SMTP で送信する（送信前に確認）。")
@click.option("--yes", is_flag=True, help="送信前の確認を省く。")
@click.option("--smtp-host", envvar="WELFARE_SMTP_HOST", default="", help="SMTP サーバー（環境変数 WELFARE_SMTP_HOST）。")
@click.option("--smtp-port", envvar="WELFARE_SMTP_PORT", type=int, default=587, show_default=True, help="SMTP のポート（環境変数 WELFARE_SMTP_PORT）。")
@click.option("--starttls/--no-starttls", default=True, show_default=True, help="STARTTLS で暗号化する。")
@click.option("--smtp-user", envvar="WELFARE_SMTP_USER", default="", help="SMTP のユーザー名（環境変数 WELFARE_SMTP_USER）。パスワードは環境変数 WELFARE_SMTP_PASSWORD か入力で渡す。")
def mail(kind: str, master_path: Optional[str], smtp_host: str, smtp_port: int, starttls: bool, smtp_user: str,
         yes: bool, **options: Any) -> None:
    """配布・督促・差戻しのメールを下書き（.eml）に書き出す。--send で送信する。"""
    from .mail import SmtpSettings, run_mail

    master = _master_or_exit(master_path)
    sys.exit(run_mail(master, kind, smtp=SmtpSettings(smtp_host, smtp_port, starttls, smtp_user), echo=_echo,
                      show_issues=_print_issues, confirm=lambda text: yes or click.confirm(text, default=False),
                      ask_password=lambda: click.prompt("SMTP のパスワード", hide_input=True), **options))


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="出力先フォルダ。")
def demo(out: Path) -> None:
    """同梱サンプルで一連の流れ（作成 → 担当課の記入を模擬 → 回収・検査）を実行する。"""
    from .pipeline import collect as collect_returns
    from .simulate import simulate_returns

    result = _generate(None, out / "調査票", False)
    master = _master_or_exit(None)
    _echo("")
    _echo("担当課の記入を模擬します（一部はよくある誤りを含みます）:")
    for line in simulate_returns(master, result.workbooks, out / "提出"):
        _echo(f"  {line}")
    _echo("")
    collected = collect_returns(master, [out / "提出"], out / "回収結果")
    _print_collect(collected)
    _echo("")
    _echo(f"確認結果は {collected.outputs['checks']} 、差戻し用のブックは {collected.outputs['sendback']} にあります。")
    _echo(f"審議会資料の集計表は {collected.outputs['summary']} にあります。")
    sys.exit(EXIT_OK)


def main(argv: Optional[list] = None) -> None:
    """Entry point: a Japanese message instead of a traceback, output safe on cp932 consoles."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(errors="replace")
    try:
        cli.main(args=argv, prog_name="welfare-workbook", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _echo("中断しました。", err=True)
        sys.exit(130)
    except Exception as exc:  # last line of defence: never a traceback
        _echo(f"予期しないエラーで処理を中止しました（{type(exc).__name__}: {exc}）。"
              "この表示を事務局・開発担当へお知らせください。", err=True)
        sys.exit(EXIT_INTERNAL)
